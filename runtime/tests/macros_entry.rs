//! `#[blitz_io::main]` and `#[blitz_io::test]` pass cases: flavours, worker counts, return types.

use blitz_io::runtime::{Handle, RuntimeFlavor};

#[blitz_io::test]
async fn test_defaults_to_current_thread() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    assert_eq!(blitz_io::task::spawn(async { 5 }).await.unwrap(), 5);
}

#[blitz_io::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_with_two_workers() {
    let handle = Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(handle.metrics().num_workers(), 2);
}

#[blitz_io::test]
async fn test_may_return_a_result() -> Result<(), String> {
    let value = blitz_io::task::spawn_blocking(|| 3)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(value, 3);
    Ok(())
}

mod renamed {
    extern crate blitz_io as renamed_runtime;

    #[renamed_runtime::test(crate = "renamed_runtime")]
    async fn crate_argument_names_the_runtime() {
        assert_eq!(renamed_runtime::task::spawn(async { 1 }).await.unwrap(), 1);
    }
}
