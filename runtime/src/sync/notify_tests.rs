//! Unit tests of `Notify`, polled by hand with counting wakers.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use super::*;
use crate::sync::test_waker::{poll_once, Counter};

#[test]
fn a_stored_permit_is_consumed_once_and_never_accumulates() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Ready(()));
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn notify_one_wakes_waiters_in_fifo_order() {
    let notify = Notify::new();
    let counters: Vec<_> = (0..3).map(|_| Counter::new()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    for (future, counter) in futures.iter_mut().zip(&counters) {
        assert!(counter.poll(future.as_mut()).is_pending());
    }
    notify.notify_one();
    assert_eq!(
        counters.iter().map(Counter::wakes).collect::<Vec<_>>(),
        [1, 0, 0]
    );
    notify.notify_one();
    assert_eq!(
        counters.iter().map(Counter::wakes).collect::<Vec<_>>(),
        [1, 1, 0]
    );
    assert!(counters[0].poll(futures[0].as_mut()).is_ready());
    assert!(counters[1].poll(futures[1].as_mut()).is_ready());
    assert!(counters[2].poll(futures[2].as_mut()).is_pending());
}

#[test]
fn a_dropped_notified_hands_its_notification_on() {
    let notify = Notify::new();
    let (first, second) = (Counter::new(), Counter::new());
    let mut a = Box::pin(notify.notified());
    let mut b = Box::pin(notify.notified());
    assert!(first.poll(a.as_mut()).is_pending());
    assert!(second.poll(b.as_mut()).is_pending());
    notify.notify_one();
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    drop(a);
    assert_eq!(second.wakes(), 1, "the next waiter got the notification");
    assert!(second.poll(b.as_mut()).is_ready());
}

#[test]
fn a_dropped_notified_with_nobody_behind_it_stores_the_permit() {
    let notify = Notify::new();
    let counter = Counter::new();
    let mut a = Box::pin(notify.notified());
    assert!(counter.poll(a.as_mut()).is_pending());
    notify.notify_one();
    drop(a);
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Ready(()));
}

#[test]
fn notify_waiters_completes_futures_created_before_it_even_unpolled() {
    let notify = Notify::new();
    let unpolled = notify.notified();
    let counter = Counter::new();
    let mut queued = Box::pin(notify.notified());
    assert!(counter.poll(queued.as_mut()).is_pending());
    notify.notify_waiters();
    assert_eq!(counter.wakes(), 1);
    assert!(counter.poll(queued.as_mut()).is_ready());
    assert_eq!(poll_once(pin!(unpolled)), Poll::Ready(()));
    // No permit was stored, and a future created after the call waits.
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn notify_waiters_wakes_more_waiters_than_a_wake_batch_holds() {
    let notify = Notify::new();
    let count = crate::util::wake_batch::WAKE_BATCH_CAPACITY * 2 + 3;
    let counters: Vec<_> = (0..count).map(|_| Counter::new()).collect();
    let mut futures: Vec<_> = (0..count).map(|_| Box::pin(notify.notified())).collect();
    for (future, counter) in futures.iter_mut().zip(&counters) {
        assert!(counter.poll(future.as_mut()).is_pending());
    }
    notify.notify_waiters();
    for (future, counter) in futures.iter_mut().zip(&counters) {
        assert_eq!(counter.wakes(), 1);
        assert!(counter.poll(future.as_mut()).is_ready());
    }
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn enable_registers_without_a_poll() {
    let notify = Notify::new();
    let mut early = pin!(notify.notified());
    assert!(!early.as_mut().enable());
    notify.notify_one();
    // The permit went to the enabled future, not into the store.
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
    assert!(early.as_mut().enable());
    assert_eq!(poll_once(early), Poll::Ready(()));
}

#[test]
fn a_repolled_waiter_keeps_one_waker_and_its_place() {
    let notify = Notify::new();
    let (first, second) = (Counter::new(), Counter::new());
    let mut a = Box::pin(notify.notified());
    assert!(first.poll(a.as_mut()).is_pending());
    // Polled again with another waker: the newest waker is the one woken.
    assert!(second.poll(a.as_mut()).is_pending());
    notify.notify_one();
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(a.as_mut().poll(&mut cx).is_ready());
    // Ready again after completion (no panic, no second consumption).
    assert!(Pin::new(&mut a).as_mut().poll(&mut cx).is_ready());
}

#[test]
fn dropping_unpolled_and_completed_futures_changes_nothing() {
    let notify = Notify::new();
    drop(notify.notified());
    notify.notify_one();
    let mut done = Box::pin(notify.notified());
    assert_eq!(poll_once(done.as_mut()), Poll::Ready(()));
    drop(done);
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
    assert!(format!("{notify:?}").contains("empty"));
}
