#[blitz_io::main(multi_thread)]
async fn main() {}
