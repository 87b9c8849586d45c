#[blitz_io::main(flavor = "fast", workers = 2)]
fn main() {}
