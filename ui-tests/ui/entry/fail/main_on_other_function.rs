#[blitz_io::main]
async fn start() {}

fn main() {}
