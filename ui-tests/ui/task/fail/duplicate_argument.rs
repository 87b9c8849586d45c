#[blitz_io::task(blocking, blocking)]
fn work(n: u32) -> u32 {
    n
}

fn main() {}
