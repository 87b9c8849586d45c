#[blitz_io::main(flavor = "current_thread")]
async fn main() -> Result<(), std::io::Error> {
    let value = blitz_io::task::spawn_blocking(|| 1).await?;
    assert_eq!(value, 1);
    Ok(())
}
