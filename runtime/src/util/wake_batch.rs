//! Collecting wakers under a lock and firing them once it is released.
//!
//! Waking a task can run arbitrary code (the waker's vtable) and usually makes the woken task
//! contend for the very lock the waker came from, so queues move wakers into a [`WakeBatch`]
//! while they hold their lock and call [`WakeBatch::wake_all`] after dropping it. The batch is a
//! fixed array on the stack: no allocation. When it is full the caller releases the lock, fires
//! the batch and locks again. Every waker pushed is woken exactly once, even when the batch is
//! dropped without `wake_all` or a waker panics.
//!
//! [`register_waker`] is the other half: storing a task's waker without cloning it again when
//! the stored one already wakes the same task.

use core::mem::MaybeUninit;
use core::task::Waker;

/// How many wakers a [`WakeBatch`] holds. Small under loom to exercise the "full" path cheaply.
#[cfg(not(blitz_loom))]
pub(crate) const WAKE_BATCH_CAPACITY: usize = 32;
/// How many wakers a [`WakeBatch`] holds. Small under loom to exercise the "full" path cheaply.
#[cfg(blitz_loom)]
pub(crate) const WAKE_BATCH_CAPACITY: usize = 4;

/// A fixed-capacity batch of wakers collected while a lock is held and fired after it is released.
pub(crate) struct WakeBatch {
    /// `wakers[..len]` are initialised and owned by the batch; the rest are not.
    wakers: [MaybeUninit<Waker>; WAKE_BATCH_CAPACITY],
    len: usize,
}

impl WakeBatch {
    /// An empty batch.
    pub(crate) const fn new() -> Self {
        WakeBatch {
            wakers: [const { MaybeUninit::uninit() }; WAKE_BATCH_CAPACITY],
            len: 0,
        }
    }

    /// Whether another waker fits.
    pub(crate) fn can_push(&self) -> bool {
        self.len < WAKE_BATCH_CAPACITY
    }

    /// Adds a waker to fire later.
    ///
    /// # Panics
    ///
    /// If the batch is full (in every build). Callers check [`WakeBatch::can_push`] first and,
    /// when it is false, release their lock, call [`WakeBatch::wake_all`], lock again and go on.
    pub(crate) fn push(&mut self, waker: Waker) {
        assert!(self.can_push(), "WakeBatch is full: check can_push first");
        self.wakers[self.len].write(waker);
        self.len += 1;
    }

    /// How many wakers are waiting to be fired.
    #[cfg(all(test, not(blitz_loom)))]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no waker is waiting to be fired.
    #[cfg(all(test, not(blitz_loom)))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Wakes every collected waker in push order and leaves the batch empty.
    ///
    /// If a waker panics, the panic propagates after the remaining wakers have still been woken
    /// (any further panic among those is caught and discarded so it cannot abort the process).
    pub(crate) fn wake_all(&mut self) {
        let len = self.len;
        // From here on the wakers belong to `pending`, not to the batch: whatever happens, the
        // batch will not touch them again.
        self.len = 0;
        let mut pending = Pending {
            wakers: &mut self.wakers[..len],
            next: 0,
        };
        while let Some(waker) = pending.take_next() {
            waker.wake();
        }
    }
}

/// Wakers taken out of a batch by `wake_all` but not woken yet: `wakers[next..]`.
///
/// If a `wake` panics, dropping this during the unwind wakes the rest.
struct Pending<'a> {
    wakers: &'a mut [MaybeUninit<Waker>],
    next: usize,
}

impl Pending<'_> {
    fn take_next(&mut self) -> Option<Waker> {
        let slot = self.wakers.get(self.next)?;
        self.next += 1;
        // SAFETY: `wakers` is the initialised prefix of a batch, and each slot is read once
        // (`next` moves past it first), so the waker is moved out exactly once.
        Some(unsafe { slot.assume_init_read() })
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        // Only reached with wakers left when a `wake` panicked: wake the others anyway, and keep
        // a second panic (or its payload's drop) from escaping a destructor during unwinding
        // (that would abort).
        while let Some(waker) = self.take_next() {
            crate::util::panic::contain(|| waker.wake());
        }
    }
}

impl Drop for WakeBatch {
    fn drop(&mut self) {
        // A batch dropped before `wake_all` (say, on an early return) still delivers its wakes.
        if crate::loom::thread::panicking() {
            // Already unwinding: a panicking waker must not escape (it would abort).
            let len = self.len;
            self.len = 0;
            drop(Pending {
                wakers: &mut self.wakers[..len],
                next: 0,
            });
        } else {
            self.wake_all();
        }
    }
}

impl Default for WakeBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for WakeBatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WakeBatch").field("len", &self.len).finish()
    }
}

/// Store `new` in `slot` unless the stored waker already wakes the same task (then nothing is
/// cloned and the stored one is kept).
pub(crate) fn register_waker(slot: &mut Option<Waker>, new: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(new) => {}
        _ => *slot = Some(new.clone()),
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{RawWaker, RawWakerVTable, Wake};

    /// Shared record of a test: which probes woke, in what order, and how many were dropped.
    #[derive(Default)]
    struct Record {
        woken: Mutex<Vec<usize>>,
        dropped: AtomicUsize,
    }

    /// A waker that logs its id when woken and counts its own drop; it may panic on wake.
    struct Probe {
        id: usize,
        panics: bool,
        record: Arc<Record>,
    }

    impl Wake for Probe {
        fn wake(self: Arc<Self>) {
            self.record.woken.lock().unwrap().push(self.id);
            if self.panics {
                panic!("probe {} panics on wake", self.id);
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.record.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn probe(record: &Arc<Record>, id: usize, panics: bool) -> Waker {
        Waker::from(Arc::new(Probe {
            id,
            panics,
            record: record.clone(),
        }))
    }

    fn woken(record: &Record) -> Vec<usize> {
        record.woken.lock().unwrap().clone()
    }

    #[test]
    fn wakes_in_push_order_and_empties() {
        let record = Arc::new(Record::default());
        let mut batch = WakeBatch::new();
        assert!(batch.is_empty());
        for id in 0..5 {
            batch.push(probe(&record, id, false));
        }
        assert_eq!(batch.len(), 5);
        batch.wake_all();
        assert!(batch.is_empty());
        assert_eq!(woken(&record), [0, 1, 2, 3, 4]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 5);
        // A second round reuses the emptied slots.
        batch.push(probe(&record, 5, false));
        batch.wake_all();
        assert_eq!(woken(&record), [0, 1, 2, 3, 4, 5]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 6);
    }

    #[test]
    fn fills_up_to_capacity() {
        let mut batch = WakeBatch::new();
        for _ in 0..WAKE_BATCH_CAPACITY {
            assert!(batch.can_push());
            batch.push(Waker::noop().clone());
        }
        assert!(!batch.can_push());
        assert_eq!(batch.len(), WAKE_BATCH_CAPACITY);
        batch.wake_all();
        assert!(batch.can_push());
    }

    #[test]
    #[should_panic(expected = "WakeBatch is full")]
    fn pushing_into_a_full_batch_panics() {
        let mut batch = WakeBatch::new();
        for _ in 0..=WAKE_BATCH_CAPACITY {
            batch.push(Waker::noop().clone());
        }
    }

    #[test]
    fn dropping_the_batch_wakes_what_is_left() {
        let record = Arc::new(Record::default());
        let mut batch = WakeBatch::new();
        for id in 0..3 {
            batch.push(probe(&record, id, false));
        }
        drop(batch);
        assert_eq!(woken(&record), [0, 1, 2]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_panicking_waker_does_not_lose_the_others() {
        let record = Arc::new(Record::default());
        let mut batch = WakeBatch::new();
        for id in 0..5 {
            batch.push(probe(&record, id, id == 2));
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| batch.wake_all()));
        assert!(outcome.is_err(), "the waker's panic propagates");
        assert!(batch.is_empty());
        assert_eq!(woken(&record), [0, 1, 2, 3, 4]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 5);
        drop(batch);
        assert_eq!(woken(&record).len(), 5, "nothing woken twice");
        assert_eq!(
            record.dropped.load(Ordering::SeqCst),
            5,
            "nothing dropped twice"
        );
    }

    #[test]
    fn a_second_panicking_waker_is_contained() {
        let record = Arc::new(Record::default());
        let mut batch = WakeBatch::new();
        for id in 0..4 {
            batch.push(probe(&record, id, id == 1 || id == 2));
        }
        // Panics inside `drop` this time, without `wake_all` being called.
        let outcome = catch_unwind(AssertUnwindSafe(move || drop(batch)));
        assert!(outcome.is_err());
        assert_eq!(woken(&record), [0, 1, 2, 3]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 4);
    }

    /// A panic payload whose own drop panics.
    struct PanicsWhenDropped;

    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            panic!("the payload panics when dropped");
        }
    }

    /// A waker that panics with a [`PanicsWhenDropped`] payload.
    struct NastyProbe(Arc<Record>);

    impl Wake for NastyProbe {
        fn wake(self: Arc<Self>) {
            self.0.woken.lock().unwrap().push(99);
            std::panic::panic_any(PanicsWhenDropped);
        }
    }

    #[test]
    fn a_later_waker_whose_panic_payload_panics_when_dropped_does_not_abort() {
        // The first panic unwinds out of `wake_all`; the nasty one is woken while that unwind
        // runs, where dropping its payload would panic inside a destructor and abort.
        let record = Arc::new(Record::default());
        let mut batch = WakeBatch::new();
        batch.push(probe(&record, 0, true));
        batch.push(Waker::from(Arc::new(NastyProbe(record.clone()))));
        batch.push(probe(&record, 1, false));
        let outcome = catch_unwind(AssertUnwindSafe(|| batch.wake_all()));
        assert!(outcome.is_err(), "the first waker's panic propagates");
        assert_eq!(woken(&record), [0, 99, 1]);
    }

    #[test]
    fn dropped_during_unwinding_still_wakes() {
        let record = Arc::new(Record::default());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut batch = WakeBatch::new();
            batch.push(probe(&record, 0, false));
            batch.push(probe(&record, 1, true));
            batch.push(probe(&record, 2, false));
            panic!("early exit with a full batch");
        }));
        assert!(outcome.is_err());
        assert_eq!(woken(&record), [0, 1, 2]);
        assert_eq!(record.dropped.load(Ordering::SeqCst), 3);
    }

    /// A waker whose data pointer is a clone counter, so clones can be counted.
    fn counting_waker(clones: &AtomicUsize) -> Waker {
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
        unsafe fn clone(data: *const ()) -> RawWaker {
            // SAFETY: the data pointer is the `&AtomicUsize` given to `counting_waker`, which
            // outlives every waker made from it in these tests.
            unsafe { &*data.cast::<AtomicUsize>() }.fetch_add(1, Ordering::SeqCst);
            RawWaker::new(data, &VTABLE)
        }
        unsafe fn noop(_: *const ()) {}
        let raw = RawWaker::new(std::ptr::from_ref(clones).cast(), &VTABLE);
        // SAFETY: the vtable functions only touch the counter, which outlives the waker, and
        // are safe to call from any thread.
        unsafe { Waker::from_raw(raw) }
    }

    #[test]
    fn register_waker_skips_the_clone_when_it_would_wake_the_same_task() {
        let first_clones = AtomicUsize::new(0);
        let second_clones = AtomicUsize::new(0);
        let first = counting_waker(&first_clones);
        let second = counting_waker(&second_clones);

        let mut slot = None;
        register_waker(&mut slot, &first);
        assert_eq!(first_clones.load(Ordering::SeqCst), 1);
        register_waker(&mut slot, &first);
        register_waker(&mut slot, &first.clone());
        // One clone for the slot, one for the explicit `first.clone()` above; none by register.
        assert_eq!(first_clones.load(Ordering::SeqCst), 2);

        register_waker(&mut slot, &second);
        assert_eq!(second_clones.load(Ordering::SeqCst), 1);
        assert!(slot.as_ref().unwrap().will_wake(&second));
    }
}

#[cfg(all(test, blitz_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering};
    use crate::loom::sync::{Arc, Mutex};
    use loom::thread;
    use std::collections::VecDeque;
    use std::task::Wake;

    /// Counts how many times its waker fired.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// (c) Two threads each move wakers from a shared queue into their own batch under the
    /// queue's lock and fire them after unlocking; one fires explicitly, the other lets a
    /// dropped batch deliver its last round. One waker more than a batch holds forces the
    /// "full: unlock, fire, relock" path. Every waker fires exactly once.
    #[test]
    fn batches_filled_under_a_lock_fire_every_waker_once() {
        loom::model(|| {
            let counts: Vec<_> = (0..WAKE_BATCH_CAPACITY + 1)
                .map(|_| std::sync::Arc::new(Count(AtomicUsize::new(0))))
                .collect();
            let queue: VecDeque<Waker> = counts.iter().map(|c| Waker::from(c.clone())).collect();
            let queue = Arc::new(Mutex::new(queue));

            let workers: Vec<_> = [true, false]
                .into_iter()
                .map(|fire_last_round| {
                    let queue = queue.clone();
                    thread::spawn(move || {
                        let mut batch = WakeBatch::new();
                        loop {
                            let mut waiting = queue.lock();
                            while batch.can_push() {
                                match waiting.pop_front() {
                                    Some(waker) => batch.push(waker),
                                    None => break,
                                }
                            }
                            let done = waiting.is_empty();
                            drop(waiting);
                            if done {
                                break;
                            }
                            batch.wake_all();
                        }
                        if fire_last_round {
                            batch.wake_all();
                        }
                        // Otherwise dropping `batch` here fires what it still holds.
                    })
                })
                .collect();
            for worker in workers {
                worker.join().unwrap();
            }

            assert!(queue.lock().is_empty());
            for count in &counts {
                assert_eq!(count.0.load(Ordering::SeqCst), 1);
            }
        });
    }
}
