extern crate blitz_io as runtime;

#[runtime::main(crate = "runtime")]
async fn main() {
    assert_eq!(runtime::task::spawn(async { 1 }).await.unwrap(), 1);
}
