#[blitz_io::main(crate = "not a path")]
async fn main() {}
