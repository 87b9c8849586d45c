#[blitz_io::main(flavor = "single")]
async fn main() {}
