//! loom models of the oneshot state word: send against receiver drop, against a waiting
//! receive (whose waker is being replaced), and the sender's `closed()` against the receiver
//! closing. Each also checks the two-bit reference count: the cell is freed exactly once
//! (loom reports a leak of the tracked value, and a double free would drop it twice).

use super::*;
use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::Arc;
use loom::future::block_on;
use loom::thread;
use std::task::Waker;

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

/// The receiver replaces its registered waker while the sender sends: the old waker is either
/// woken or dropped, never both at once, and the value arrives; the value is dropped once.
#[test]
fn send_vs_waker_replacement() {
    use std::task::Wake;

    struct Flag(std::sync::atomic::AtomicBool);
    impl Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Tracked>();
        let first = Waker::from(std::sync::Arc::new(Flag(false.into())));
        let mut cx = Context::from_waker(&first);
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        let value = Tracked(drops.clone());
        let sender = thread::spawn(move || assert!(tx.send(value).is_ok()));
        let second = Waker::from(std::sync::Arc::new(Flag(false.into())));
        let mut cx = Context::from_waker(&second);
        let got = match Pin::new(&mut rx).poll(&mut cx) {
            Poll::Ready(got) => got,
            Poll::Pending => block_on(rx),
        };
        sender.join().unwrap();
        assert!(got.is_ok());
        drop(got);
        assert_eq!(drops.load(Acquire), 1);
    });
}
