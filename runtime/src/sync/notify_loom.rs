//! loom models of `Notify`: a `notify_one` or `notify_last` racing the drop of the waiter it
//! picks, and `notify_waiters` racing a registration or a `notify_one`/`notify_last`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::sync::loom_block_on::block_on;
use loom::sync::Arc;
use loom::thread;

use super::Notify;

fn poll_noop<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Two queued waiters; `notify_one` on one thread while the first waiter is dropped on
/// another. Whichever happens first, the second waiter ends up notified, and no permit is left
/// stored (the notification was used exactly once).
#[test]
fn notify_one_vs_drop_of_the_chosen_waiter() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        assert!(poll_noop(first.as_mut()).is_pending());
        assert!(poll_noop(second.as_mut()).is_pending());

        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(first);
        notifier.join().unwrap();

        assert!(poll_noop(second.as_mut()).is_ready());
        assert!(poll_noop(pin!(notify.notified())).is_pending());
    });
}

/// A `notify_one` racing the waiter's own drop: the notification is never lost — it is
/// stored for the next future if the waiter left first or was handed it and dropped it.
#[test]
fn notify_one_is_never_lost_to_a_dropped_waiter() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut waiter = Box::pin(notify.notified());
        assert!(poll_noop(waiter.as_mut()).is_pending());

        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(waiter);
        notifier.join().unwrap();
        assert!(poll_noop(pin!(notify.notified())).is_ready());
    });
}

/// Three queued waiters; `notify_last` on one thread while the newest is dropped on another.
/// Whichever happens first, the middle waiter ends up notified: either `notify_last` picks it
/// after the drop, or the dropped waiter passes the notification on by the same newest-first
/// rule. The oldest is not notified and no permit is left stored.
#[test]
fn notify_last_vs_drop_of_the_chosen_waiter() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut oldest = Box::pin(notify.notified());
        let mut middle = Box::pin(notify.notified());
        let mut newest = Box::pin(notify.notified());
        assert!(poll_noop(oldest.as_mut()).is_pending());
        assert!(poll_noop(middle.as_mut()).is_pending());
        assert!(poll_noop(newest.as_mut()).is_pending());

        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_last())
        };
        drop(newest);
        notifier.join().unwrap();

        assert!(poll_noop(middle.as_mut()).is_ready());
        assert!(poll_noop(oldest.as_mut()).is_pending());
        assert!(poll_noop(pin!(notify.notified())).is_pending());
    });
}

/// `notify_waiters` on one thread while another registers a future created before the call
/// and blocks on it: it must complete (no lost wakeup, which loom reports as a deadlock). A
/// future created after both is not completed by the call.
#[test]
fn notify_waiters_vs_registration() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let early = notify.notified();

        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_waiters())
        };
        block_on(early);
        notifier.join().unwrap();
        assert!(poll_noop(pin!(notify.notified())).is_pending());
    });
}

/// More waiters than a wake batch holds (4 under loom), so `notify_waiters` unlocks between
/// batches, while a `notify_one` runs on another thread: every waiter ends up notified, and the
/// `notify_one` is either spent on a waiter of the current generation or stored, never on a
/// waiter the `notify_waiters` call already owed a wake.
#[test]
fn notify_one_during_a_batched_notify_waiters() {
    single_notification_during_a_batched_notify_waiters(Notify::notify_one, super::MARKED_ONE);
}

/// The same for `notify_last`: it must not spend its notification on the newest node once a
/// `notify_waiters` call owes that node a wake.
#[test]
fn notify_last_during_a_batched_notify_waiters() {
    single_notification_during_a_batched_notify_waiters(Notify::notify_last, super::MARKED_LAST);
}

fn single_notification_during_a_batched_notify_waiters(notify_single: fn(&Notify), mark: u8) {
    loom::model(move || {
        let notify = Arc::new(Notify::new());
        let mut waiters: Vec<_> = (0..crate::util::wake_batch::WAKE_BATCH_CAPACITY + 1)
            .map(|_| Box::pin(notify.notified()))
            .collect();
        for waiter in &mut waiters {
            assert!(poll_noop(waiter.as_mut()).is_pending());
        }
        let one = {
            let notify = notify.clone();
            thread::spawn(move || notify_single(&notify))
        };
        notify.notify_waiters();
        one.join().unwrap();
        let handed_one = waiters
            .iter()
            .filter(|waiter| waiter.wait.waiter.mark() == mark)
            .count();
        for waiter in &mut waiters {
            assert!(poll_noop(waiter.as_mut()).is_ready());
        }
        // The single notification went to a waiter (only possible before `notify_waiters`
        // began) or into the store, exactly one of the two.
        let stored = poll_noop(pin!(notify.notified())).is_ready();
        assert_eq!(handed_one + usize::from(stored), 1);
    });
}
