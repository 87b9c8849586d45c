//! Loom models of the broadcast channel's wake-ups.

use super::*;
use loom::thread;

/// Two sends into a one-slot ring race a waiting receiver: it gets the first value or
/// learns it lagged by exactly one, then gets the second, then sees the close; never a
/// lost wake-up (loom reports a receiver parked forever as a deadlock).
#[test]
fn recv_races_sends_and_close() {
    loom::model(|| {
        let (tx, mut rx) = channel(1);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        match loom::future::block_on(rx.recv()) {
            Ok(1) => assert_eq!(loom::future::block_on(rx.recv()), Ok(2)),
            Err(RecvError::Lagged(1)) => {
                assert_eq!(loom::future::block_on(rx.recv()), Ok(2))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(loom::future::block_on(rx.recv()), Err(RecvError::Closed));
        sender.join().unwrap();
    });
}

/// The last receiver dropped on another thread wakes a sender parked in `closed()`, and
/// leaves nothing counted as unread behind it.
#[test]
fn closed_wakes_when_the_last_receiver_drops() {
    loom::model(|| {
        let (tx, rx) = channel(2);
        tx.send(1).unwrap();
        let receiver = thread::spawn(move || drop(rx));
        loom::future::block_on(tx.closed());
        assert_eq!(tx.len(), 0);
        receiver.join().unwrap();
    });
}

/// A weak sender upgrading while the last sender drops on another thread: either the upgrade
/// fails and the receiver sees the close, or it succeeds, its send arrives, and the close
/// comes only when the upgraded sender goes.
#[test]
fn upgrade_races_the_last_sender_drop() {
    loom::model(|| {
        let (tx, mut rx) = channel::<u32>(2);
        let weak = tx.downgrade();
        let dropper = thread::spawn(move || drop(tx));
        if let Some(sender) = weak.upgrade() {
            sender.send(1).unwrap();
            assert!(!rx.is_closed(), "an upgraded sender keeps it open");
            drop(sender);
            assert_eq!(rx.try_recv(), Ok(1));
        }
        dropper.join().unwrap();
        assert!(weak.upgrade().is_none());
        assert_eq!(loom::future::block_on(rx.recv()), Err(RecvError::Closed));
    });
}
