//! loom models of the semaphore core: hand-off between a releaser and a waiter, a queued waiter
//! dropped while permits are being handed to it, close racing an acquire, and the two locks
//! built on it. Each model ends
//! by checking that every permit is back in the pool (none leaked, none duplicated) and that no
//! waiter was left without a wake (a lost wake shows up as a loom deadlock).

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use super::{Semaphore, TryAcquireError};
use crate::loom::sync::Arc;
use crate::sync::{Mutex, RwLock};

/// Wakes a loom thread parked in [`block_on`].
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this loom thread, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(std::sync::Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}

fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(&noop_waker()))
}

/// A holder releases while a second thread acquires: the acquirer either takes the permit on
/// the fast path or queues and is handed it; it is never left waiting.
#[test]
fn acquire_versus_release_hand_off() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        // The holder's permit, handed back below through `add_permits`.
        sem.try_acquire().unwrap().forget();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        let permit = block_on(sem.acquire()).unwrap();
        assert_eq!(permit.num_permits(), 1);
        drop(permit);
        releaser.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// Two waiters queue; a release races the first waiter's drop. Whether the permit reached the
/// first waiter before it was dropped or not, it ends with the second.
#[test]
fn release_races_drop_of_a_queued_waiter() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let mut first = Box::pin(sem.acquire());
        assert!(poll_once(first.as_mut()).is_pending());

        let second = {
            let sem = sem.clone();
            thread::spawn(move || block_on(sem.acquire()).unwrap().forget())
        };
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        drop(first);
        releaser.join().unwrap();
        second.join().unwrap();
        assert_eq!(
            sem.available_permits(),
            0,
            "the one permit went to the second waiter"
        );
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    });
}

/// The first waiter is handed the permit and then dropped without seeing it, while a second
/// waiter queues up on another thread: the permit is passed on, never lost.
#[test]
fn waiter_dropped_after_being_handed_permits_passes_them_on() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let mut first = Box::pin(sem.acquire_many(2));
        assert!(poll_once(first.as_mut()).is_pending());
        let second = {
            let sem = sem.clone();
            thread::spawn(move || block_on(sem.acquire()).unwrap().forget())
        };
        sem.add_permits(2); // all to the front waiter, which now owes nothing
        drop(first);
        second.join().unwrap();
        assert_eq!(
            sem.available_permits(),
            1,
            "one permit passed on, one back in the pool"
        );
    });
}

/// A big request that collected part of its permits is woken by close, returns what it
/// collected and fails; a concurrent release is not lost either way.
#[test]
fn close_versus_acquire() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || block_on(sem.acquire_many(2)).map(|p| p.num_permits()))
        };
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        sem.close();
        let result = waiter.join().unwrap();
        releaser.join().unwrap();
        // Either the two permits arrived before the close (and were given back by the
        // dropped permit value) or the waiter failed and returned what it had collected.
        assert!(matches!(result, Ok(2) | Err(_)), "{result:?}");
        assert_eq!(sem.available_permits(), 2);
        assert!(sem.try_acquire().is_err());
    });
}

/// Two threads increment through the mutex, one by waiting: the count is exact and the lock
/// ends free.
#[test]
fn mutex_lock_hand_off() {
    loom::model(|| {
        let mutex = Arc::new(Mutex::new(0usize));
        let other = {
            let mutex = mutex.clone();
            thread::spawn(move || *block_on(mutex.lock()) += 1)
        };
        *block_on(mutex.lock()) += 1;
        other.join().unwrap();
        assert_eq!(*mutex.try_lock().unwrap(), 2);
    });
}

/// A writer collects permits while a reader leaves and a second reader arrives: the writer is
/// alone when it writes, and every reader sees either the old or the new value, whole.
#[test]
fn rwlock_writer_excludes_readers() {
    loom::model(|| {
        let lock = Arc::new(RwLock::with_max_readers((0usize, 0usize), 2));
        let first = lock.try_read().unwrap();
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut pair = block_on(lock.write());
                pair.0 += 1;
                pair.1 += 1;
            })
        };
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || *block_on(lock.read()))
        };
        drop(first);
        writer.join().unwrap();
        let seen = reader.join().unwrap();
        assert!(seen == (0, 0) || seen == (1, 1), "{seen:?}");
        assert_eq!(*lock.try_write().unwrap(), (1, 1));
    });
}
