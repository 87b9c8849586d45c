use std::rc::Rc;

#[blitz_io::task(blocking)]
fn count(shared: Rc<u32>) -> u32 {
    *shared
}

fn main() {}
