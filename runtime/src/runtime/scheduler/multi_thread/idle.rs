//! Which workers are parked, and whether a producer must wake one.
//!
//! A word of counters (`searching` in the low 16 bits, `unparked` above) is read lock-free on
//! every push of new work; only when it says "nobody is searching and someone sleeps" does the
//! producer take the sleeper lock and pick a sleeper from a 64-bit bitmap with
//! `trailing_zeros`, O(1) whatever the worker count. A worker is at most one of: running,
//! searching (also running), parked.
//!
//! No lost wake-up: a producer pushes, then reads the counters with a SeqCst RMW; a parking
//! worker updates the counters with a SeqCst RMW, and the last searcher to park re-checks every
//! queue afterwards. Either the producer sees nobody searching and wakes a sleeper, or a
//! searcher's re-check sees the work. At most half the workers start searching on their own
//! (a notified worker counts as searching too, but producers notify only when they see nobody
//! searching), so a burst of wakes does not turn into a crowd of thieves.

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

const UNPARKED_SHIFT: usize = 16;
const UNPARKED_ONE: usize = 1 << UNPARKED_SHIFT;
const SEARCHING_MASK: usize = UNPARKED_ONE - 1;

/// The most workers the sleeper bitmap can track.
pub(crate) const MAX_WORKERS: usize = 64;

pub(crate) struct Idle {
    counters: AtomicUsize,
    sleepers: Mutex<u64>,
    num_workers: usize,
}

fn searching(word: usize) -> usize {
    word & SEARCHING_MASK
}

fn unparked(word: usize) -> usize {
    word >> UNPARKED_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!((1..=MAX_WORKERS).contains(&num_workers));
        Idle {
            counters: AtomicUsize::new(num_workers << UNPARKED_SHIFT),
            sleepers: Mutex::new(0),
            num_workers,
        }
    }

    /// After pushing work: the worker to wake, if one should be woken. The chosen worker is
    /// counted as unparked and searching before it even runs.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.notify_should_wakeup() || *sleepers == 0 {
            return None;
        }
        let index = sleepers.trailing_zeros() as usize;
        *sleepers &= !(1u64 << index);
        self.counters.fetch_add(UNPARKED_ONE | 1, SeqCst);
        Some(index)
    }

    fn notify_should_wakeup(&self) -> bool {
        fence(SeqCst);
        let word = self.counters.fetch_add(0, SeqCst);
        searching(word) == 0 && unparked(word) < self.num_workers
    }

    /// Registers `index` as parked. True if it was the last searching worker, in which case the
    /// caller must re-check the queues for work that arrived while it searched.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let prev = self
            .counters
            .fetch_sub(UNPARKED_ONE | usize::from(is_searching), SeqCst);
        *sleepers |= 1u64 << index;
        is_searching && searching(prev) == 1
    }

    /// A worker woke up. If it is still registered (a timeout, a shutdown or a spurious wake
    /// rather than a notification), it removes itself and counts itself unparked (but not
    /// searching). Returns true when it was notified instead (and so counts as searching).
    pub(crate) fn transition_worker_from_parked(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        let bit = 1u64 << index;
        if *sleepers & bit != 0 {
            *sleepers &= !bit;
            self.counters.fetch_add(UNPARKED_ONE, SeqCst);
            false
        } else {
            true
        }
    }

    /// True while `index` is registered as parked (not yet picked by a producer).
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        *self.sleepers.lock() & (1u64 << index) != 0
    }

    /// Starts searching unless half the workers already are. The check and the increment are
    /// one CAS, so workers starting at once cannot all slip under the bound. (Nothing depends
    /// on the bound for correctness: it only keeps a burst of wakes from becoming a crowd of
    /// thieves. A notified worker counts as searching without this check, but producers
    /// notify only when they see nobody searching.)
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let mut word = self.counters.load(SeqCst);
        loop {
            if 2 * searching(word) >= self.num_workers {
                return false;
            }
            match self
                .counters
                .compare_exchange_weak(word, word + 1, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// Stops searching (it found work). True if it was the last searcher: the caller should
    /// wake another worker, because the work it found may not be the only work.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.counters.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Workers not parked: running tasks or searching (a racy snapshot, for heuristics).
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.counters.load(SeqCst))
    }

    #[cfg_attr(not(all(test, blitz_loom)), allow(dead_code))] // Read by the loom models.
    pub(crate) fn num_searching(&self) -> usize {
        searching(self.counters.load(SeqCst))
    }

    #[cfg_attr(not(all(test, blitz_loom)), allow(dead_code))] // Read by the loom models.
    pub(crate) fn num_parked(&self) -> usize {
        self.sleepers.lock().count_ones() as usize
    }
}
