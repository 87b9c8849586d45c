#[blitz_io::test]
async fn with_argument(value: u8) {
    let _ = value;
}

fn main() {}
