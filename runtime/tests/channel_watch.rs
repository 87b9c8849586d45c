//! `channel::watch`: latest-value semantics, change tracking, close in both directions, many
//! receivers woken by one send, cancel safety of `changed()`, `wait_for` (predicate runs,
//! close, a panicking predicate, a dropped future) and a sender made without receivers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use blitz_io::channel::watch;

#[blitz_io::test]
async fn receivers_see_the_latest_value_and_track_changes() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.has_changed().unwrap());
    assert_eq!(*rx.borrow(), 0);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert!(rx.has_changed().unwrap());
    assert!(rx.borrow().has_changed());
    rx.changed().await.unwrap();
    // Intermediate values are not queued: only the latest is kept.
    assert_eq!(*rx.borrow_and_update(), 2);
    assert!(!rx.has_changed().unwrap());
    rx.mark_changed();
    rx.changed().await.unwrap();
    tx.send(3).unwrap();
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
}

#[blitz_io::test]
async fn send_modify_and_send_if_modified() {
    let (tx, mut rx) = watch::channel(vec![1]);
    tx.send_modify(|v| v.push(2));
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow_and_update(), [1, 2]);
    assert!(!tx.send_if_modified(|_| false));
    assert!(!rx.has_changed().unwrap());
    assert!(tx.send_if_modified(|v| {
        v.clear();
        true
    }));
    assert!(rx.has_changed().unwrap());
    assert_eq!(tx.send_replace(vec![9]), Vec::<i32>::new());
    assert_eq!(*tx.borrow(), [9]);
}

#[blitz_io::test]
async fn dropping_every_sender_closes_after_the_last_change_is_reported() {
    let (tx, mut rx) = watch::channel("a");
    let tx2 = tx.clone();
    tx.send("b").unwrap();
    drop(tx);
    assert!(rx.has_changed().unwrap(), "one sender is still alive");
    drop(tx2);
    assert!(rx.has_changed().is_err());
    // The change made before closing is still reported, then the error.
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow_and_update(), "b");
    assert!(rx.changed().await.is_err());
}

#[blitz_io::test]
async fn send_without_receivers_hands_the_value_back_and_closed_completes() {
    let (tx, rx) = watch::channel(0u8);
    let rx2 = rx.clone();
    assert_eq!(tx.receiver_count(), 2);
    drop(rx);
    assert!(!tx.is_closed());
    let closed = blitz_io::task::spawn({
        let tx = tx.clone();
        async move { tx.closed().await }
    });
    drop(rx2);
    closed.await.unwrap();
    assert!(tx.is_closed());
    assert_eq!(tx.send(5).unwrap_err().0, 5);
    let mut again = tx.subscribe();
    assert!(tx.send(6).is_ok());
    assert_eq!(*again.borrow_and_update(), 6);
}

#[test]
fn one_send_wakes_every_waiting_receiver() {
    let rt = common::multi(2);
    let (tx, rx) = watch::channel(0u64);
    let ready = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..50)
        .map(|_| {
            let mut rx = rx.clone();
            let ready = ready.clone();
            rt.spawn(async move {
                ready.fetch_add(1, Ordering::Relaxed);
                rx.changed().await.unwrap();
                *rx.borrow_and_update()
            })
        })
        .collect();
    common::wait_until("every receiver waits", || {
        ready.load(Ordering::Relaxed) == 50
    });
    tx.send(7).unwrap();
    for waiter in waiters {
        assert_eq!(rt.block_on(waiter).unwrap(), 7);
    }
}

#[test]
fn a_stream_of_changes_ends_at_the_last_value() {
    // The receiver may skip values, never goes backwards, and always sees the final one.
    let rt = common::multi(2);
    let (tx, mut rx) = watch::channel(0u64);
    let reader = rt.spawn(async move {
        let mut last = 0;
        while rx.changed().await.is_ok() {
            let now = *rx.borrow_and_update();
            assert!(now > last, "values only grow: {now} after {last}");
            last = now;
        }
        last
    });
    let writer = std::thread::spawn(move || {
        for i in 1..=10_000 {
            tx.send(i).unwrap();
        }
    });
    writer.join().unwrap();
    assert_eq!(rt.block_on(reader).unwrap(), 10_000);
}

#[blitz_io::test]
async fn a_dropped_changed_future_loses_nothing() {
    let (tx, mut rx) = watch::channel(1);
    {
        let mut changed = std::pin::pin!(rx.changed());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            changed.as_mut().poll(&mut cx).is_pending(),
            "nothing changed yet"
        );
    }
    tx.send(2).unwrap();
    assert!(rx.has_changed().unwrap(), "the change is still unseen");
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow(), 2);
}

use std::future::Future as _;

#[blitz_io::test]
async fn wait_for_checks_the_current_value_first_and_marks_it_seen() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(3).unwrap();
    let found = rx.wait_for(|v| *v == 3).await.unwrap();
    assert_eq!(*found, 3);
    assert!(found.has_changed(), "3 had not been seen yet");
    drop(found);
    assert!(!rx.has_changed().unwrap(), "wait_for marked it seen");
    // Already seen and still matching: completes at once, reporting no change.
    let again = rx.wait_for(|v| *v == 3).await.unwrap();
    assert!(!again.has_changed());
}

#[test]
fn wait_for_runs_the_predicate_once_per_new_value_and_wakes_on_each() {
    let (tx, mut rx) = watch::channel(0);
    let calls = std::cell::Cell::new(Vec::new());
    let mut wait = std::pin::pin!(rx.wait_for(|v| {
        let mut seen = calls.take();
        seen.push(*v);
        calls.set(seen);
        *v >= 2
    }));
    let (wakes, waker) = common::counting_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    // A spurious poll with no new value does not run the predicate again.
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    tx.send(1).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    tx.send(2).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
    match wait.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Ok(value)) => assert_eq!(*value, 2),
        other => panic!("expected the matching value, got {other:?}"),
    }
    assert_eq!(calls.take(), [0, 1, 2]);
}

#[blitz_io::test]
async fn wait_for_errors_once_the_sender_is_gone_and_the_value_does_not_match() {
    let (tx, mut rx) = watch::channel(0);
    let waiting = blitz_io::task::spawn(async move {
        let result = rx.wait_for(|v| *v == 10).await.map(|v| *v);
        (result, rx)
    });
    blitz_io::task::yield_now().await;
    tx.send(1).unwrap();
    drop(tx);
    let (result, mut rx) = waiting.await.unwrap();
    assert!(result.is_err(), "closed and 1 != 10: {result:?}");
    // After the close the last value still counts if it matches.
    assert_eq!(*rx.wait_for(|v| *v == 1).await.unwrap(), 1);
}

#[blitz_io::test]
async fn wait_for_sees_a_matching_value_sent_just_before_the_close() {
    let (tx, mut rx) = watch::channel("starting");
    tx.send("ready").unwrap();
    drop(tx);
    assert_eq!(*rx.wait_for(|s| *s == "ready").await.unwrap(), "ready");
}

#[test]
fn a_panicking_predicate_leaves_the_channel_usable() {
    let (tx, mut rx) = watch::channel(0);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut wait = std::pin::pin!(rx.wait_for(|_| panic!("predicate fails")));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = wait.as_mut().poll(&mut cx);
    }));
    assert!(panicked.is_err());
    // Neither the value lock nor the waiter lock is left held or poisoned.
    tx.send(1).unwrap();
    assert_eq!(*tx.borrow(), 1);
    assert_eq!(*rx.borrow_and_update(), 1);
    // Also after it panicked while parked (its node linked in the waiter list).
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut wait =
            std::pin::pin!(rx.wait_for(|v| if *v == 2 { panic!("on 2") } else { false }));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        tx.send(2).unwrap();
        let _ = wait.as_mut().poll(&mut cx);
    }));
    assert!(panicked.is_err());
    tx.send(3).unwrap();
    let mut wait = std::pin::pin!(rx.wait_for(|v| *v == 3));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(matches!(wait.as_mut().poll(&mut cx), std::task::Poll::Ready(Ok(v)) if *v == 3));
}

#[test]
fn a_dropped_wait_for_unlinks_itself() {
    let (tx, mut rx) = watch::channel(0);
    let (wakes, waker) = common::counting_waker();
    {
        let mut wait = std::pin::pin!(rx.wait_for(|v| *v == 5));
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(wait.as_mut().poll(&mut cx).is_pending());
    }
    // The dropped future's node is gone: this send wakes nobody.
    tx.send(1).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 0);
    assert!(
        rx.has_changed().unwrap(),
        "1 was sent after the future went"
    );
    // A parked `changed()` alongside a parked `wait_for` is woken by the same send.
    let mut rx2 = rx.clone();
    let mut changed = std::pin::pin!(rx2.changed());
    let mut wait = std::pin::pin!(rx.wait_for(|v| *v == 5));
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(
        changed.as_mut().poll(&mut cx).is_ready(),
        "rx2 had not seen 1"
    );
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    tx.send(5).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert!(wait.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn wait_for_across_threads_sees_the_final_value() {
    let rt = common::multi(2);
    let (tx, mut rx) = watch::channel(0u64);
    let reader = rt.spawn(async move { *rx.wait_for(|v| *v == 10_000).await.unwrap() });
    let writer = std::thread::spawn(move || {
        for i in 1..=10_000 {
            tx.send(i).unwrap();
        }
        // Keep the sender until the reader is done, so only a match can end it.
        tx
    });
    assert_eq!(rt.block_on(reader).unwrap(), 10_000);
    drop(writer.join().unwrap());
}

#[test]
fn a_sender_made_alone_gets_receivers_by_subscribing() {
    let tx = watch::Sender::new("init");
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.sender_count(), 1);
    assert!(tx.is_closed());
    assert_eq!(tx.send("lost").unwrap_err().0, "lost");
    assert_eq!(*tx.borrow(), "init", "a failed send leaves the value alone");
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    tx2.send_replace("kept");
    let mut rx = tx.subscribe();
    assert_eq!(*rx.borrow(), "kept");
    assert!(
        !rx.has_changed().unwrap(),
        "a new receiver has seen the current value"
    );
    drop(tx2);
    assert_eq!(tx.sender_count(), 1);
    tx.send("next").unwrap();
    assert_eq!(*rx.borrow_and_update(), "next");
}
