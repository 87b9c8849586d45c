//! `mpmc::Sender::closed`, `WeakSender` and `send_timeout`: `closed()` completes on every kind
//! of close (and at once after one), a dropped `closed()` future is unlinked, a weak sender
//! neither keeps the channel open nor can revive it, and a timed-out send gives its value back
//! and leaves no waiter behind; the strong/weak sender counts and `max_capacity`.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use std::time::Duration;

use blitz_io::channel::mpmc::{self, RecvError, SendTimeoutError, TrySendError};
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

#[blitz_io::test(start_paused = true)]
async fn send_timeout_gives_the_value_back_when_no_room_comes() {
    let (tx, rx) = mpmc::bounded(1);
    tx.send_timeout(1, Duration::from_secs(1)).await.unwrap();
    let start = blitz_io::time::Instant::now();
    let late = tx.send_timeout(2, Duration::from_secs(5)).await;
    assert_eq!(late, Err(SendTimeoutError::Timeout(2)));
    assert_eq!(late.unwrap_err().into_inner(), 2);
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(
        rx.try_recv(),
        Err(mpmc::TryRecvError::Empty),
        "2 was not sent"
    );
}

#[blitz_io::test(start_paused = true)]
async fn send_timeout_sends_when_room_comes_in_time() {
    let (tx, rx) = mpmc::bounded(1);
    tx.try_send(1).unwrap();
    let receiver = blitz_io::task::spawn(async move {
        blitz_io::time::sleep(Duration::from_secs(1)).await;
        let first = rx.recv().await;
        (first, rx.recv().await)
    });
    tx.send_timeout(2, Duration::from_secs(5)).await.unwrap();
    assert_eq!(receiver.await.unwrap(), (Ok(1), Ok(2)));
}

#[blitz_io::test(start_paused = true)]
async fn send_timeout_on_a_closed_channel_gives_the_value_back_at_once() {
    let (tx, rx) = mpmc::bounded::<&str>(1);
    drop(rx);
    let start = blitz_io::time::Instant::now();
    let result = tx.send_timeout("v", Duration::from_secs(5)).await;
    assert_eq!(result, Err(SendTimeoutError::Closed("v")));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

/// A timed-out send that was queued ahead of another sender does not keep the room that
/// frees up later: the other sender gets it.
#[blitz_io::test(start_paused = true)]
async fn a_timed_out_send_leaves_the_room_to_the_next_sender() {
    let (tx, rx) = mpmc::bounded(1);
    tx.try_send(0).unwrap();
    let (timed_parked, timed_is_parked) = std::sync::mpsc::channel();
    let timed = blitz_io::task::spawn({
        let tx = tx.clone();
        let send = async move { tx.send_timeout(1, Duration::from_secs(1)).await };
        common::signal_when_pending(send, timed_parked)
    });
    while timed_is_parked.try_recv().is_err() {
        blitz_io::task::yield_now().await;
    }
    let (parked, is_parked) = std::sync::mpsc::channel();
    let other = blitz_io::task::spawn({
        let tx = tx.clone();
        async move { common::signal_when_pending(tx.send(2), parked).await }
    });
    while is_parked.try_recv().is_err() {
        blitz_io::task::yield_now().await;
    }
    // Both wait, `timed` first. Its timer fires (the paused clock jumps ahead once every
    // task is idle); then room frees up.
    assert_eq!(timed.await.unwrap(), Err(SendTimeoutError::Timeout(1)));
    assert_eq!(rx.recv().await, Ok(0));
    other.await.unwrap().unwrap();
    assert_eq!(rx.recv().await, Ok(2));
}

/// A timed-out `send_timeout` that is kept (not dropped) has left the queue: room that frees
/// up goes to the sender behind it.
#[blitz_io::test(start_paused = true)]
async fn a_kept_timed_out_send_holds_up_no_one() {
    let (tx, rx) = mpmc::bounded(1);
    tx.try_send(0).unwrap();
    let (_, timed_waker) = counting_waker();
    let mut timed_cx = Context::from_waker(&timed_waker);
    let mut timed = pin!(tx.send_timeout(1, Duration::from_secs(1)));
    assert!(timed.as_mut().poll(&mut timed_cx).is_pending());
    let (other_wakes, other_waker) = counting_waker();
    let mut other_cx = Context::from_waker(&other_waker);
    let mut other = pin!(tx.send(2));
    assert!(
        other.as_mut().poll(&mut other_cx).is_pending(),
        "queued behind `timed`"
    );
    blitz_io::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        timed.as_mut().poll(&mut timed_cx),
        Poll::Ready(Err(SendTimeoutError::Timeout(1)))
    );
    // `timed` is still alive. Room frees up: its wake goes to `other`.
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(other_wakes.load(SeqCst), 1);
    assert_eq!(other.as_mut().poll(&mut other_cx), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn strong_and_weak_counts_follow_every_handle() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let counts = |tx: &mpmc::Sender<u32>| (tx.strong_count(), tx.weak_count());
    assert_eq!(counts(&tx), (1, 0));
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    let tx2 = tx.clone();
    assert_eq!(counts(&tx), (2, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 2));
    let upgraded = weak.upgrade().unwrap();
    assert_eq!(counts(&tx), (3, 2));
    drop((upgraded, tx2, weak2));
    assert_eq!(counts(&tx), (1, 1));
    drop(tx);
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 1));
    assert!(weak.upgrade().is_none());
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 0);
}

#[test]
fn max_capacity_is_the_fixed_bound() {
    let (tx, rx) = mpmc::bounded::<u32>(3);
    tx.try_send(1).unwrap();
    let _permit = tx.try_reserve().unwrap();
    assert_eq!(tx.max_capacity(), Some(3));
    assert_eq!(rx.max_capacity(), Some(3));
    assert_eq!(tx.max_capacity(), tx.capacity());
    let (tx, rx) = mpmc::unbounded::<u32>();
    tx.try_send(1).unwrap();
    assert_eq!((tx.max_capacity(), rx.max_capacity()), (None, None));
}
