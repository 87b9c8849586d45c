#[blitz_io::main(worker_threads = 2)]
async fn main() {
    let value = blitz_io::task::spawn(async { 40 + 2 }).await.unwrap();
    assert_eq!(value, 42);
}
