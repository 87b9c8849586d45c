#[blitz_io::test]
#[test]
async fn twice() {}

fn main() {}
