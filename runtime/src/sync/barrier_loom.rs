//! loom model of `Barrier`: exactly one leader per round, over two rounds, with the waiters
//! on separate threads.

use crate::sync::loom_block_on::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use super::Barrier;

#[test]
fn one_leader_per_round() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let leaders = Arc::new(AtomicUsize::new(0));
        let other = {
            let barrier = barrier.clone();
            let leaders = leaders.clone();
            thread::spawn(move || {
                for _ in 0..2 {
                    if block_on(barrier.wait()).is_leader() {
                        leaders.fetch_add(1, SeqCst);
                    }
                }
            })
        };
        for _ in 0..2 {
            if block_on(barrier.wait()).is_leader() {
                leaders.fetch_add(1, SeqCst);
            }
        }
        other.join().unwrap();
        assert_eq!(
            leaders.load(SeqCst),
            2,
            "one leader in each of the two rounds"
        );
    });
}
