//! `mpmc::Sender::closed` and `WeakSender`: `closed()` completes on every kind of close (and
//! at once after one), a dropped `closed()` future is unlinked, and a weak sender neither
//! keeps the channel open nor can revive it.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use blitz_io::channel::mpmc::{self, RecvError, TrySendError};
use common::counting_waker;

#[test]
fn closed_completes_when_the_last_receiver_goes() {
    let rt = common::multi(2);
    let (tx, rx) = mpmc::bounded::<u32>(2);
    let rx2 = rx.clone();
    let (parked, is_parked) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    let waiting = rt.spawn(async move { common::signal_when_pending(tx2.closed(), parked).await });
    is_parked.recv().unwrap();
    drop(rx);
    assert!(!tx.is_closed(), "one receiver is left");
    std::thread::spawn(move || drop(rx2)).join().unwrap();
    rt.block_on(waiting).unwrap();
    assert!(matches!(tx.try_send(1), Err(TrySendError::Closed(1))));
    // Already closed: completes at once.
    rt.block_on(tx.closed());
}

#[test]
fn closed_completes_on_an_explicit_close_from_either_side() {
    for close_from_receiver in [false, true] {
        let (tx, rx) = mpmc::unbounded::<u32>();
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut closed = pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        tx.try_send(1).unwrap();
        assert_eq!(wakes.load(SeqCst), 0, "a send does not wake `closed()`");
        if close_from_receiver {
            rx.close();
        } else {
            tx.close();
        }
        assert_eq!(wakes.load(SeqCst), 1);
        assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
        assert_eq!(rx.try_recv(), Ok(1), "buffered values survive the close");
    }
}

#[test]
fn a_dropped_closed_future_is_unlinked_and_not_woken() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let (dropped_wakes, dropped_waker) = counting_waker();
    {
        let mut closed = pin!(tx.closed());
        assert!(closed
            .as_mut()
            .poll(&mut Context::from_waker(&dropped_waker))
            .is_pending());
    }
    let (wakes, waker) = counting_waker();
    let mut closed = pin!(tx.closed());
    assert!(closed
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(rx);
    assert_eq!(dropped_wakes.load(SeqCst), 0);
    assert_eq!(wakes.load(SeqCst), 1);
}

#[blitz_io::test]
async fn a_weak_sender_does_not_keep_the_channel_open() {
    let (tx, rx) = mpmc::bounded::<u32>(4);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert!(weak.same_channel(&weak2));
    let upgraded = weak.upgrade().expect("a sender is alive");
    assert!(upgraded.same_channel(&tx));
    upgraded.send(1).await.unwrap();
    drop(upgraded);
    drop(tx);
    assert!(weak.upgrade().is_none(), "every sender is gone");
    assert!(rx.is_closed());
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv().await, Err(RecvError));
}

#[test]
fn an_upgraded_sender_keeps_the_channel_open_and_closed_receivers_still_upgrade() {
    let (tx, rx) = mpmc::unbounded::<u32>();
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "the upgraded sender counts as a sender");
    upgraded.try_send(2).unwrap();
    drop(rx);
    // Closed from the receiving side while a sender lives: upgrading still works, sending
    // does not.
    let again = weak.upgrade().expect("a sender is alive");
    assert!(matches!(again.try_send(3), Err(TrySendError::Closed(3))));
}

#[test]
fn upgrades_racing_the_last_sender_never_revive_the_channel() {
    for _ in 0..common::scaled(200) {
        let (tx, rx) = mpmc::unbounded::<u32>();
        let weak = tx.downgrade();
        let upgrader = std::thread::spawn(move || weak.upgrade());
        drop(tx);
        match upgrader.join().unwrap() {
            Some(sender) => {
                // The upgrade won: the channel stays open until this sender goes.
                assert!(!rx.is_closed());
                sender.try_send(1).unwrap();
                drop(sender);
                assert_eq!(rx.try_recv(), Ok(1));
            }
            None => assert!(rx.is_closed()),
        }
        assert!(rx.is_closed());
    }
}
