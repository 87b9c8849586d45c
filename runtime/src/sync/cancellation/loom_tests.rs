//! loom models of the token tree: cancellation racing a child's drop and a waiter.

use crate::sync::loom_block_on::block_on;
use loom::thread;

use super::CancellationToken;

/// A parent cancelled on one thread while its child's last token is dropped on another and a
/// second child waits: the waiter completes and the parent ends with no children.
#[test]
fn cancel_vs_child_drop_vs_waiter() {
    loom::model(|| {
        let root = CancellationToken::new();
        let leaving = root.child_token();
        let waiting = root.child_token();
        let dropper = thread::spawn(move || drop(leaving));
        let canceller = {
            let root = root.clone();
            thread::spawn(move || root.cancel())
        };
        block_on(waiting.cancelled());
        dropper.join().unwrap();
        canceller.join().unwrap();
        drop(waiting);
        assert_eq!(root.node.child_count(), 0);
    });
}
