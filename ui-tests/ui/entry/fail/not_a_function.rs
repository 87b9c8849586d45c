#[blitz_io::main]
struct Main;

fn main() {}
