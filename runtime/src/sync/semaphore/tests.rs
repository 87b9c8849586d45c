//! Unit tests of the semaphore core through the public `Semaphore`: futures polled by hand with
//! counting wakers, so every queue state is reached deterministically.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::*;

#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counter() -> (Arc<Wakes>, Waker) {
    let wakes = Arc::new(Wakes::default());
    (wakes.clone(), Waker::from(wakes))
}

fn poll<F: Future>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn try_acquire_and_release_through_permits() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire().unwrap();
    let b = sem.try_acquire_many(2).unwrap();
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(a);
    assert_eq!(sem.available_permits(), 1);
    drop(b);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(sem.try_acquire_many(0).unwrap().num_permits(), 0);
}

#[test]
fn a_queued_waiter_gets_a_released_permit_and_is_woken_once() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (wakes, waker) = counter();
    let mut acquire = pin!(sem.acquire());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    // Queued: a newcomer may not barge, even with try_acquire.
    drop(held);
    assert_eq!(wakes.0.load(SeqCst), 1);
    assert_eq!(
        sem.available_permits(),
        0,
        "the permit went to the waiter, not the pool"
    );
    let permit = match poll(acquire.as_mut(), &waker) {
        Poll::Ready(Ok(permit)) => permit,
        other => panic!("expected the permit, got {other:?}"),
    };
    drop(permit);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn large_request_at_the_front_is_not_starved_by_small_ones() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let (big_wakes, big_waker) = counter();
    let (small_wakes, small_waker) = counter();
    let mut big = pin!(sem.acquire_many(3));
    let mut small = pin!(sem.acquire());
    assert!(poll(big.as_mut(), &big_waker).is_pending());
    assert!(poll(small.as_mut(), &small_waker).is_pending());

    drop(held); // 2 permits: all go to the big request, which still needs one more
    assert_eq!(big_wakes.0.load(SeqCst), 0);
    assert_eq!(small_wakes.0.load(SeqCst), 0);
    assert!(sem.try_acquire().is_err());
    sem.add_permits(2); // one completes the big request, one goes to the small
    assert_eq!(big_wakes.0.load(SeqCst), 1);
    assert_eq!(small_wakes.0.load(SeqCst), 1);
    assert!(matches!(poll(big.as_mut(), &big_waker), Poll::Ready(Ok(p)) if p.num_permits() == 3));
    assert!(matches!(
        poll(small.as_mut(), &small_waker),
        Poll::Ready(Ok(_))
    ));
    assert_eq!(sem.available_permits(), 4);
}

#[test]
fn dropping_a_partly_served_waiter_passes_its_permits_on() {
    let sem = Semaphore::new(1);
    let (_, waker) = counter();
    let (next_wakes, next_waker) = counter();
    let mut big = Box::pin(sem.acquire_many(2)); // takes the one permit, waits for another
    let mut next = pin!(sem.acquire());
    assert!(poll(big.as_mut(), &waker).is_pending());
    assert!(poll(next.as_mut(), &next_waker).is_pending());
    assert_eq!(sem.available_permits(), 0);
    drop(big);
    assert_eq!(
        next_wakes.0.load(SeqCst),
        1,
        "the permit moved on to the next waiter"
    );
    assert!(matches!(
        poll(next.as_mut(), &next_waker),
        Poll::Ready(Ok(_))
    ));
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn dropping_a_fully_served_but_unpolled_waiter_releases_everything() {
    let sem = Semaphore::new(0);
    let (wakes, waker) = counter();
    let mut acquire = Box::pin(sem.acquire_many(2));
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    sem.add_permits(2);
    assert_eq!(wakes.0.load(SeqCst), 1);
    drop(acquire);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn dropping_the_only_waiter_clears_the_queue() {
    let sem = Semaphore::new(0);
    let (_, waker) = counter();
    let mut acquire = Box::pin(sem.acquire());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    drop(acquire);
    sem.add_permits(1);
    // No waiter flag left behind: the fast path works again.
    assert!(sem.try_acquire().is_ok());
}

#[test]
fn repolling_keeps_the_place_and_updates_the_waker() {
    let sem = Semaphore::new(0);
    let (first_wakes, first) = counter();
    let (second_wakes, second) = counter();
    let mut acquire = pin!(sem.acquire());
    assert!(poll(acquire.as_mut(), &first).is_pending());
    assert!(poll(acquire.as_mut(), &second).is_pending());
    sem.add_permits(1);
    assert_eq!(first_wakes.0.load(SeqCst), 0);
    assert_eq!(second_wakes.0.load(SeqCst), 1);
    assert!(poll(acquire.as_mut(), &second).is_ready());
}

#[test]
fn close_fails_waiters_and_later_acquires_and_returns_collected_permits() {
    let sem = Semaphore::new(1);
    let (wakes, waker) = counter();
    let mut big = pin!(sem.acquire_many(3));
    assert!(poll(big.as_mut(), &waker).is_pending());
    sem.close();
    assert_eq!(wakes.0.load(SeqCst), 1);
    assert!(matches!(
        poll(big.as_mut(), &waker),
        Poll::Ready(Err(AcquireError(())))
    ));
    assert_eq!(sem.available_permits(), 1, "the collected permit came back");
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    let mut late = pin!(sem.acquire());
    assert!(matches!(poll(late.as_mut(), &waker), Poll::Ready(Err(_))));
    assert!(sem.is_closed());
}

#[test]
fn close_wakes_more_waiters_than_one_wake_batch_holds() {
    let sem = Semaphore::new(0);
    let (wakes, waker) = counter();
    let mut futures: Vec<_> = (0..100).map(|_| Box::pin(sem.acquire())).collect();
    for future in &mut futures {
        assert!(poll(future.as_mut(), &waker).is_pending());
    }
    sem.close();
    assert_eq!(wakes.0.load(SeqCst), 100);
    for future in &mut futures {
        assert!(matches!(poll(future.as_mut(), &waker), Poll::Ready(Err(_))));
    }
}

#[test]
fn one_release_wakes_more_waiters_than_one_wake_batch_holds() {
    let sem = Semaphore::new(0);
    let (wakes, waker) = counter();
    let mut futures: Vec<_> = (0..100).map(|_| Box::pin(sem.acquire())).collect();
    for future in &mut futures {
        assert!(poll(future.as_mut(), &waker).is_pending());
    }
    sem.add_permits(150);
    assert_eq!(wakes.0.load(SeqCst), 100);
    assert_eq!(sem.available_permits(), 50);
    let permits: Vec<_> = futures
        .iter_mut()
        .map(|future| match poll(future.as_mut(), &waker) {
            Poll::Ready(Ok(permit)) => permit,
            other => panic!("expected a permit, got {other:?}"),
        })
        .collect();
    drop(futures);
    assert_eq!(
        sem.available_permits(),
        50,
        "finished futures return nothing on drop"
    );
    drop(permits);
    assert_eq!(sem.available_permits(), 150);
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn add_permits_beyond_the_maximum_panics() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    sem.add_permits(2);
}

#[test]
fn add_permits_beyond_the_maximum_with_waiters_panics_before_serving_them() {
    let sem = Semaphore::new(0);
    let (wakes, waker) = counter();
    let mut acquire = pin!(sem.acquire());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sem.add_permits(Semaphore::MAX_PERMITS + 1)
    }));
    assert!(outcome.is_err());
    assert_eq!(wakes.0.load(SeqCst), 0, "nothing was handed out");
    sem.add_permits(1);
    assert!(poll(acquire.as_mut(), &waker).is_ready());
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn new_beyond_the_maximum_panics() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
fn the_maximum_itself_is_fine() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    drop(sem.try_acquire_many(u32::MAX).unwrap());
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
fn forget_merge_split() {
    let sem = Semaphore::new(4);
    let mut a = sem.try_acquire().unwrap();
    a.merge(sem.try_acquire_many(2).unwrap());
    assert_eq!(a.num_permits(), 3);
    let b = a.split(2).unwrap();
    assert!(a.split(2).is_none());
    b.forget();
    drop(a);
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(sem.forget_permits(5), 2);
}

#[test]
#[should_panic(expected = "different semaphores")]
fn merging_permits_of_two_semaphores_panics() {
    let (x, y) = (Semaphore::new(1), Semaphore::new(1));
    let mut a = x.try_acquire().unwrap();
    a.merge(y.try_acquire().unwrap());
}

#[test]
fn owned_acquire_keeps_the_semaphore_alive() {
    let sem = Arc::new(Semaphore::new(0));
    let (wakes, waker) = counter();
    let mut acquire = pin!(sem.clone().acquire_owned());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    sem.add_permits(1);
    assert_eq!(wakes.0.load(SeqCst), 1);
    let Poll::Ready(Ok(permit)) = poll(acquire.as_mut(), &waker) else {
        panic!("expected the permit")
    };
    drop(sem);
    assert_eq!(permit.semaphore().available_permits(), 0);
    drop(permit);
}

#[test]
fn debug_output_shows_the_count() {
    let sem = Semaphore::new(2);
    assert!(format!("{sem:?}").contains("permits: 2"));
}

#[test]
fn handing_off_to_the_last_waiter_restores_the_lock_free_path() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (_, waker) = counter();
    let mut acquire = pin!(sem.acquire());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    assert!(format!("{sem:?}").contains("waiters: true"));
    drop(held);
    // The queue emptied in the same hand-off: the next release needs no lock.
    assert!(format!("{sem:?}").contains("waiters: false"), "{sem:?}");
    assert!(poll(acquire.as_mut(), &waker).is_ready());
}
