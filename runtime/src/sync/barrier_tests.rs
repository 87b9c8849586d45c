//! Unit tests of `Barrier`, polled by hand.

use std::pin::pin;
use std::task::Poll;

use super::*;
use crate::sync::test_waker::{poll_once, Counter};

#[test]
fn zero_behaves_as_one() {
    let barrier = Barrier::new(0);
    assert_eq!(barrier.n(), 1);
    for _ in 0..3 {
        assert_eq!(
            poll_once(pin!(barrier.wait())),
            Poll::Ready(BarrierWaitResult(true))
        );
    }
}

#[test]
fn the_last_arrival_leads_and_releases_the_others() {
    let barrier = Barrier::new(3);
    let counters: Vec<_> = (0..2).map(|_| Counter::new()).collect();
    let mut waits: Vec<_> = (0..2).map(|_| Box::pin(barrier.wait())).collect();
    for (wait, counter) in waits.iter_mut().zip(&counters) {
        assert!(counter.poll(wait.as_mut()).is_pending());
    }
    assert!(poll_once(pin!(barrier.wait())).map(|r| r.is_leader()) == Poll::Ready(true));
    for (wait, counter) in waits.iter_mut().zip(&counters) {
        assert_eq!(counter.wakes(), 1);
        assert_eq!(
            counter.poll(wait.as_mut()),
            Poll::Ready(BarrierWaitResult(false))
        );
    }
}

#[test]
fn a_dropped_waiter_withdraws_from_an_open_round() {
    let barrier = Barrier::new(2);
    let mut first = Box::pin(barrier.wait());
    assert!(poll_once(first.as_mut()).is_pending());
    drop(first);
    // The round needs two fresh arrivals again.
    let mut second = Box::pin(barrier.wait());
    assert!(poll_once(second.as_mut()).is_pending());
    assert_eq!(
        poll_once(pin!(barrier.wait())),
        Poll::Ready(BarrierWaitResult(true))
    );
    assert_eq!(
        poll_once(second.as_mut()),
        Poll::Ready(BarrierWaitResult(false))
    );
}

#[test]
fn dropping_a_released_waiter_does_not_touch_the_next_round() {
    let barrier = Barrier::new(2);
    let mut first = Box::pin(barrier.wait());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(pin!(barrier.wait())).is_ready());
    drop(first); // released but never polled again
    let mut next = Box::pin(barrier.wait());
    assert!(poll_once(next.as_mut()).is_pending());
    assert!(format!("{barrier:?}").contains("arrived: 1"));
    assert!(poll_once(pin!(barrier.wait())).is_ready());
    assert!(poll_once(next.as_mut()).is_ready());
}

#[test]
fn rounds_larger_than_a_wake_batch_release_everyone() {
    let n = crate::util::wake_batch::WAKE_BATCH_CAPACITY * 2 + 2;
    let barrier = Barrier::new(n);
    for _round in 0..2 {
        let counters: Vec<_> = (0..n - 1).map(|_| Counter::new()).collect();
        let mut waits: Vec<_> = (0..n - 1).map(|_| Box::pin(barrier.wait())).collect();
        for (wait, counter) in waits.iter_mut().zip(&counters) {
            assert!(counter.poll(wait.as_mut()).is_pending());
        }
        assert!(poll_once(pin!(barrier.wait())).is_ready());
        for (wait, counter) in waits.iter_mut().zip(&counters) {
            assert_eq!(counter.wakes(), 1);
            assert_eq!(
                counter.poll(wait.as_mut()),
                Poll::Ready(BarrierWaitResult(false))
            );
        }
    }
}

#[test]
fn an_unpolled_wait_has_not_arrived() {
    let barrier = Barrier::new(1);
    let unpolled = barrier.wait();
    drop(unpolled);
    assert!(format!("{barrier:?}").contains("arrived: 0"));
}
