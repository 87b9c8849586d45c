#[blitz_io::task]
fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    let value: u32 = text.parse()?;
    Ok(value * 2)
}

fn main() {
    blitz_io::run(async {
        assert_eq!(blitz_io::task::spawn(parse("21".into())).await.unwrap(), Ok(42));
        assert!(parse("x".into()).await.is_err());
    });
}
