//! Unit tests of `OnceCell`, polled by hand where the interleaving matters.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;

use super::*;
use crate::sync::test_waker::{poll_once, Counter};

#[test]
fn set_get_take_into_inner() {
    let mut cell = OnceCell::new();
    assert!(!cell.initialized());
    assert_eq!(cell.set(String::from("a")), Ok(()));
    assert_eq!(
        cell.set(String::from("b")),
        Err(SetError::AlreadyInitializedError(String::from("b")))
    );
    assert_eq!(cell.get().map(String::as_str), Some("a"));
    cell.get_mut().unwrap().push('!');
    assert_eq!(cell.take().as_deref(), Some("a!"));
    assert_eq!(cell.take(), None);
    assert_eq!(cell.set(String::from("c")), Ok(()));
    assert_eq!(cell.into_inner().as_deref(), Some("c"));
    assert_eq!(OnceCell::<u8>::new_with(None).into_inner(), None);
}

#[test]
fn set_during_an_initialisation_fails_at_once() {
    let cell = OnceCell::new();
    let mut init = Box::pin(cell.get_or_init(std::future::pending::<u32>));
    assert!(poll_once(init.as_mut()).is_pending());
    let error = cell.set(3).unwrap_err();
    assert!(error.is_initializing_err() && !error.is_already_init_err());
    assert_eq!(error.to_string(), "the cell is being initialised");
    assert_eq!(error.into_value(), 3);
    drop(init);
    assert_eq!(cell.set(4), Ok(()));
}

#[test]
fn concurrent_initialisers_run_one_closure_and_waiters_see_its_value() {
    let cell = OnceCell::new();
    let calls = AtomicUsize::new(0);
    let gate = crate::sync::Notify::new();
    let init = || async {
        calls.fetch_add(1, SeqCst);
        gate.notified().await;
        7
    };
    let counter = Counter::new();
    let mut first = Box::pin(cell.get_or_init(init));
    let mut second = Box::pin(cell.get_or_init(init));
    assert!(counter.poll(first.as_mut()).is_pending());
    assert!(counter.poll(second.as_mut()).is_pending());
    gate.notify_one();
    assert_eq!(counter.poll(first.as_mut()), Poll::Ready(&7));
    assert!(counter.wakes() >= 1, "the waiter was woken");
    assert_eq!(counter.poll(second.as_mut()), Poll::Ready(&7));
    assert_eq!(calls.load(SeqCst), 1);
}

#[test]
fn a_cancelled_initialiser_lets_a_waiter_take_over() {
    let cell = OnceCell::new();
    let counter = Counter::new();
    let mut stuck = Box::pin(cell.get_or_init(std::future::pending::<u32>));
    let mut waiter = Box::pin(cell.get_or_init(|| async { 9 }));
    assert!(poll_once(stuck.as_mut()).is_pending());
    assert!(counter.poll(waiter.as_mut()).is_pending());
    drop(stuck);
    assert_eq!(counter.wakes(), 1);
    assert_eq!(counter.poll(waiter.as_mut()), Poll::Ready(&9));
}

#[test]
fn a_failed_initialiser_wakes_waiters_to_retry() {
    let cell = OnceCell::<u32>::new();
    let gate = crate::sync::Notify::new();
    let counter = Counter::new();
    let mut failing = Box::pin(cell.get_or_try_init(|| async {
        gate.notified().await;
        Err("no")
    }));
    let mut retrying = Box::pin(cell.get_or_try_init(|| async { Ok::<_, &str>(2) }));
    assert!(poll_once(failing.as_mut()).is_pending());
    assert!(counter.poll(retrying.as_mut()).is_pending());
    gate.notify_one();
    assert_eq!(poll_once(failing.as_mut()), Poll::Ready(Err("no")));
    assert_eq!(counter.wakes(), 1);
    assert_eq!(counter.poll(retrying.as_mut()), Poll::Ready(Ok(&2)));
}

#[test]
fn a_panicking_initialiser_leaves_the_cell_empty() {
    let cell = OnceCell::<u32>::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let future = pin!(cell.get_or_init(|| async { panic!("init failed") }));
        let _ = poll_once(future);
    }));
    assert!(outcome.is_err());
    assert!(!cell.initialized());
    assert_eq!(cell.set(1), Ok(()));
}

#[test]
fn many_waiters_beyond_a_wake_batch_are_all_released() {
    let cell = OnceCell::new();
    let gate = crate::sync::Notify::new();
    let mut init = Box::pin(cell.get_or_init(|| async {
        gate.notified().await;
        1u8
    }));
    assert!(poll_once(init.as_mut()).is_pending());
    let count = crate::util::wake_batch::WAKE_BATCH_CAPACITY + 5;
    let counters: Vec<_> = (0..count).map(|_| Counter::new()).collect();
    let mut waiters: Vec<_> = (0..count)
        .map(|_| Box::pin(cell.get_or_init(|| async { 2u8 })))
        .collect();
    for (waiter, counter) in waiters.iter_mut().zip(&counters) {
        assert!(counter.poll(waiter.as_mut()).is_pending());
    }
    // Drop one queued waiter: it unlinks and is never woken.
    drop(waiters.remove(3));
    gate.notify_one();
    assert_eq!(poll_once(init.as_mut()), Poll::Ready(&1));
    let woken: Vec<_> = counters.iter().map(Counter::wakes).collect();
    assert_eq!(woken.iter().filter(|&&w| w == 1).count(), count - 1);
    assert_eq!(woken[3], 0, "the dropped waiter was not woken");
    for waiter in &mut waiters {
        assert_eq!(poll_once(waiter.as_mut()), Poll::Ready(&1));
    }
}

#[test]
fn values_are_dropped_once() {
    let drops = Arc::new(());
    let cell = OnceCell::new_with(Some(drops.clone()));
    assert_eq!(Arc::strong_count(&drops), 2);
    drop(cell);
    assert_eq!(Arc::strong_count(&drops), 1);
    let copy = OnceCell::from(5).clone();
    assert_eq!(format!("{copy:?}"), "OnceCell { value: Some(5) }");
}

#[test]
fn a_woken_waiter_dropped_before_its_next_poll_does_not_stall_the_others() {
    let cell = OnceCell::new();
    let (first, second) = (Counter::new(), Counter::new());
    let mut stuck = Box::pin(cell.get_or_init(std::future::pending::<u32>));
    let mut a = Box::pin(cell.get_or_init(|| async { 1 }));
    let mut b = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll_once(stuck.as_mut()).is_pending());
    assert!(first.poll(a.as_mut()).is_pending());
    assert!(second.poll(b.as_mut()).is_pending());
    drop(stuck);
    assert_eq!((first.wakes(), second.wakes()), (1, 1));
    drop(a); // woken, never polled again: nothing was handed to it alone
    assert_eq!(second.poll(b.as_mut()), Poll::Ready(&2));
}
