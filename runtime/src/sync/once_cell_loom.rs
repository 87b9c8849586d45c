//! loom model of `OnceCell`: two concurrent `get_or_init` calls run one initialiser and both
//! see its value; a failed first attempt lets the other caller initialise.

use crate::sync::loom_block_on::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use super::OnceCell;

#[test]
fn concurrent_init_runs_once() {
    loom::model(|| {
        let cell = Arc::new(OnceCell::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let init = |cell: Arc<OnceCell<usize>>, calls: Arc<AtomicUsize>, value| {
            block_on(cell.get_or_init(|| async move {
                calls.fetch_add(1, SeqCst);
                value
            }))
            .to_owned()
        };
        let other = {
            let (cell, calls) = (cell.clone(), calls.clone());
            thread::spawn(move || init(cell, calls, 1))
        };
        let mine = init(cell.clone(), calls.clone(), 2);
        let theirs = other.join().unwrap();
        assert_eq!(mine, theirs);
        assert_eq!(calls.load(SeqCst), 1);
    });
}

#[test]
fn a_failed_init_lets_the_other_caller_retry() {
    loom::model(|| {
        let cell = Arc::new(OnceCell::<usize>::new());
        let other = {
            let cell = cell.clone();
            thread::spawn(move || {
                block_on(cell.get_or_try_init(|| async { Err::<usize, ()>(()) }))
                    .ok()
                    .copied()
            })
        };
        let mine = *block_on(cell.get_or_init(|| async { 5 }));
        let theirs = other.join().unwrap();
        assert_eq!(mine, 5);
        // The failing caller either ran first (and failed) or found the value.
        assert!(theirs.is_none() || theirs == Some(5));
    });
}
