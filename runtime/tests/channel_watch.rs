//! `channel::watch`: latest-value semantics, change tracking, close in both directions, many
//! receivers woken by one send, and cancel safety of `changed()`.

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
