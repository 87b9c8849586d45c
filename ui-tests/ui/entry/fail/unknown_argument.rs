#[blitz_io::main(threads = 4)]
async fn main() {}
