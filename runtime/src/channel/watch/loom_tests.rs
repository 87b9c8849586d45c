//! Loom models of the watch channel's wake-ups.

use super::*;
use loom::thread;

/// A change made on another thread (then the sender's drop) is never missed by a receiver
/// waiting in `changed()`: it sees the change, then the close.
#[test]
fn changed_sees_a_concurrent_send_then_the_close() {
    loom::model(|| {
        let (tx, mut rx) = channel(0);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        loom::future::block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        assert!(loom::future::block_on(rx.changed()).is_err());
        sender.join().unwrap();
    });
}

/// `wait_for` parked on a non-matching value is woken by a concurrent matching send, and a
/// second one whose value never comes sees the close: no lost wake-up either way.
#[test]
fn wait_for_sees_a_concurrent_match_then_the_close() {
    loom::model(|| {
        let (tx, mut rx) = channel(0);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        assert_eq!(
            *loom::future::block_on(rx.wait_for(|v| *v == 1)).unwrap(),
            1
        );
        assert!(loom::future::block_on(rx.wait_for(|v| *v == 2)).is_err());
        sender.join().unwrap();
    });
}
