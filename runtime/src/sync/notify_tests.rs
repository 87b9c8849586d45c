//! Unit tests of `Notify`, polled by hand with counting wakers.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
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

/// Polls every future once with its counter; all must be pending.
fn queue_all<F: Future>(futures: &mut [Pin<Box<F>>], counters: &[Counter]) {
    for (future, counter) in futures.iter_mut().zip(counters) {
        assert!(counter.poll(future.as_mut()).is_pending());
    }
}

fn wakes(counters: &[Counter]) -> Vec<usize> {
    counters.iter().map(Counter::wakes).collect()
}

#[test]
fn notify_last_wakes_waiters_newest_first() {
    let notify = Notify::new();
    let counters: Vec<_> = (0..3).map(|_| Counter::new()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    queue_all(&mut futures, &counters);
    notify.notify_last();
    assert_eq!(wakes(&counters), [0, 0, 1]);
    notify.notify_last();
    assert_eq!(wakes(&counters), [0, 1, 1]);
    // The two ends mix: `notify_one` still takes the oldest.
    notify.notify_one();
    assert_eq!(wakes(&counters), [1, 1, 1]);
    for (future, counter) in futures.iter_mut().zip(&counters) {
        assert!(counter.poll(future.as_mut()).is_ready());
    }
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn notify_last_with_nobody_waiting_stores_one_permit() {
    let notify = Notify::new();
    notify.notify_last();
    notify.notify_last();
    notify.notify_one();
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Ready(()));
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn a_dropped_notify_last_goes_to_the_then_newest_waiter() {
    let notify = Notify::new();
    let counters: Vec<_> = (0..3).map(|_| Counter::new()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    queue_all(&mut futures, &counters);
    notify.notify_last();
    drop(futures.pop());
    // Passed on by the same rule: the middle waiter, not the oldest.
    assert_eq!(wakes(&counters), [0, 1, 1]);
    assert!(counters[1].poll(futures[1].as_mut()).is_ready());
    assert!(counters[0].poll(futures[0].as_mut()).is_pending());
    // And a dropped `notify_one` still goes to the oldest (after a newer one was notified).
    let mut newest = Box::pin(notify.notified());
    assert!(counters[2].poll(newest.as_mut()).is_pending());
    drop(futures.remove(1));
    notify.notify_one();
    assert_eq!(counters[0].wakes(), 1);
    drop(futures.remove(0));
    assert_eq!(counters[2].wakes(), 2);
    assert!(counters[2].poll(newest.as_mut()).is_ready());
}

#[test]
fn a_dropped_notify_last_with_nobody_behind_it_stores_the_permit() {
    let notify = Notify::new();
    let mut only = Box::pin(notify.notified());
    assert_eq!(poll_once(only.as_mut()), Poll::Pending);
    notify.notify_last();
    drop(only);
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Ready(()));
    assert_eq!(poll_once(pin!(notify.notified())), Poll::Pending);
}

#[test]
fn owned_notified_shares_the_queue_and_the_generation_rule() {
    let notify = Arc::new(Notify::new());
    // Created before `notify_waiters`, never polled: completed by it.
    let unpolled = notify.clone().notified_owned();
    notify.notify_waiters();
    assert_eq!(poll_once(pin!(unpolled)), Poll::Ready(()));

    // Borrowed and owned futures wait in one FIFO queue.
    let (first, second) = (Counter::new(), Counter::new());
    let mut owned = Box::pin(notify.clone().notified_owned());
    let mut borrowed = Box::pin(notify.notified());
    assert!(first.poll(owned.as_mut()).is_pending());
    assert!(second.poll(borrowed.as_mut()).is_pending());
    notify.notify_one();
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    // Dropping the owned future hands its notification on.
    drop(owned);
    assert_eq!(second.wakes(), 1);
    assert!(second.poll(borrowed.as_mut()).is_ready());
    assert!(format!("{:?}", notify.clone().notified_owned()).contains("OwnedNotified"));
}

#[test]
fn owned_notified_keeps_the_notify_alive_and_enables() {
    let notify = Arc::new(Notify::new());
    let mut owned = Box::pin(notify.clone().notified_owned());
    assert!(!owned.as_mut().enable());
    let weak = Arc::downgrade(&notify);
    let notifier = notify.clone();
    drop(notify);
    notifier.notify_one();
    drop(notifier);
    assert!(weak.upgrade().is_some(), "the future holds the last Arc");
    assert!(owned.as_mut().enable());
    assert_eq!(poll_once(owned.as_mut()), Poll::Ready(()));
    drop(owned);
    assert!(weak.upgrade().is_none());
}
