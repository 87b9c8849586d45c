#[blitz_io::main]
fn main() {}
