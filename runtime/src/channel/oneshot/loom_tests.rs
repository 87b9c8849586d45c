//! loom models of the oneshot state word: send against receiver drop, against a waiting
//! receive, and the sender's `closed()` against the receiver closing.

use super::*;
use loom::future::block_on;
use loom::thread;

/// Counts its drops, to check that a value is dropped exactly once whoever ends up owning it.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, AcqRel);
    }
}

/// A send races the receiver's drop: either the send fails and hands the value back, or the
/// value is dropped with the channel; once either way.
#[test]
fn send_vs_receiver_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel::<Tracked>();
        let value = Tracked(drops.clone());
        let sender = thread::spawn(move || tx.send(value).is_ok());
        drop(rx);
        let _sent = sender.join().unwrap();
        assert_eq!(drops.load(Acquire), 1);
    });
}

/// A receiver waits while the sender sends (or is dropped): the receiver is woken and gets
/// exactly what happened.
#[test]
fn send_or_drop_vs_waiting_recv() {
    for send in [true, false] {
        loom::model(move || {
            let (tx, rx) = channel::<u32>();
            let sender = thread::spawn(move || {
                if send {
                    tx.send(7).unwrap();
                } else {
                    drop(tx);
                }
            });
            let got = block_on(rx);
            sender.join().unwrap();
            assert_eq!(got, if send { Ok(7) } else { Err(RecvError(())) });
        });
    }
}

/// The receiver closes while the sender waits on `closed()` and then tries to send.
#[test]
fn closed_vs_receiver_close() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<u32>();
        let sender = thread::spawn(move || {
            block_on(tx.closed());
            assert!(tx.is_closed());
            tx.send(1)
        });
        rx.close();
        assert_eq!(sender.join().unwrap(), Err(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// A value sent before `close()` is still received; one sent after fails and comes back.
#[test]
fn recv_after_close_gets_value_sent_before() {
    loom::model(|| {
        let (tx, mut rx) = channel::<u32>();
        let sender = thread::spawn(move || tx.send(3).is_ok());
        rx.close();
        let sent = sender.join().unwrap();
        assert_eq!(rx.try_recv().ok(), sent.then_some(3));
    });
}
