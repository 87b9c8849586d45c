#[blitz_io::test]
async fn generic<T>() {}

fn main() {}
