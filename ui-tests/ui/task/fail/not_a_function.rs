#[blitz_io::task]
struct Work {
    n: u32,
}

fn main() {}
