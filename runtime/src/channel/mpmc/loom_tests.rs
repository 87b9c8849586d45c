//! loom models of the bounded channel: the slot hand-off through a full ring, close against
//! waiting senders and receivers, and wake forwarding from a dropped, notified receiver.

use std::future::Future;
use std::task::{Context, Waker};

use loom::future::block_on;
use loom::thread;

use super::*;

/// A sender pushes two values through a one-slot ring (the second must wait for the receiver
/// to free the slot); the receiver gets both, in order.
#[test]
fn slot_hand_off_through_a_full_ring() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let sender = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Ok(1));
        assert_eq!(block_on(rx.recv()), Ok(2));
        sender.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// A waiting receiver races the last sender's send-then-drop: it gets the value, then sees
/// the close; nothing is lost and it is never left asleep.
#[test]
fn close_vs_waiting_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let sender = thread::spawn(move || {
            tx.try_send(7).unwrap();
            drop(tx);
        });
        assert_eq!(block_on(rx.recv()), Ok(7));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        sender.join().unwrap();
    });
}

/// A sender waits on a full ring while the receiver closes the channel: the send either went
/// through before the close (and the value is still received) or fails with its value back.
#[test]
fn close_vs_waiting_send() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(2)).map_err(|e| e.0));
        rx.close();
        let sent = sender.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        match sent {
            Ok(()) => unreachable!("the ring stayed full until the close"),
            Err(value) => assert_eq!(value, 2),
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// Two receivers wait; one is dropped after its first poll, possibly after the sender's wake
/// picked it. The value still reaches the other receiver (the wake is passed on).
#[test]
fn wake_forwarding_when_a_woken_receiver_is_dropped() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || block_on(rx2.recv()));
        let mut dropped = Box::pin(rx.recv());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            dropped.as_mut().poll(&mut cx).is_pending(),
            "nothing sent yet"
        );
        let sender = thread::spawn(move || tx.try_send(9).unwrap());
        drop(dropped);
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(9));
    });
}

/// Two senders race to allocate the same lazily allocated chunk; one install wins, the other
/// frees its copy, and both values arrive.
#[test]
fn senders_race_to_allocate_a_chunk() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let tx2 = tx.clone();
        let other = thread::spawn(move || tx2.try_send(2).unwrap());
        tx.try_send(1).unwrap();
        other.join().unwrap();
        let mut got = [rx.try_recv().unwrap(), rx.try_recv().unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}
