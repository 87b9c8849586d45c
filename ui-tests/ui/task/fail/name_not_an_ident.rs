#[blitz_io::task(name = "Work")]
fn work(n: u32) -> u32 {
    n
}

fn main() {}
