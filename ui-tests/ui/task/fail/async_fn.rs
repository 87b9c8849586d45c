#[blitz_io::task]
async fn work(n: u32) -> u32 {
    n
}

fn main() {}
