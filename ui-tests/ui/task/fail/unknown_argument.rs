#[blitz_io::task(fast)]
fn work(n: u32) -> u32 {
    n
}

fn main() {}
