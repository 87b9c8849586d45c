//! The task state word: lifecycle flags and the reference count in one `AtomicUsize`.
//!
//! ```text
//!  bit:  63 ........................ 6 | 5          | 4             | 3         | 2        | 1        | 0
//!        reference count (REF_ONE = 64) | JOIN_WAKER | JOIN_INTEREST | CANCELLED | NOTIFIED | COMPLETE | RUNNING
//! ```
//!
//! - `RUNNING`: one thread owns the future (polling it, or cancelling it during shutdown).
//! - `COMPLETE`: the output (or the `JoinError`) is stored; the future is gone.
//! - `NOTIFIED`: a wake arrived. When the task was idle this created a `Notified` reference that
//!   sits in a run queue; while running it only marks that the runner must re-queue the task.
//! - `CANCELLED`: abort or shutdown asked for the future to be dropped at the next opportunity.
//! - `JOIN_INTEREST`: a `JoinHandle` exists and will read the output.
//! - `JOIN_WAKER`: the join waker slot is written and owned by the completing side; while the bit
//!   is clear the `JoinHandle` owns the slot.
//!
//! References are held by: the owned-task list, the `JoinHandle`, each `Notified` in a queue and
//! each `Waker`. The task is freed when the count reaches zero. Every transition is one CAS (or
//! one RMW), so the word is the single source of truth; the loom models in this file enumerate
//! wake vs complete vs abort vs handle drop.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const CANCELLED: usize = 1 << 3;
const JOIN_INTEREST: usize = 1 << 4;
const JOIN_WAKER: usize = 1 << 5;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;
const FLAG_MASK: usize = REF_ONE - 1;

pub(crate) struct State {
    word: AtomicUsize,
}

/// A copy of the state word, read at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the worker must do with a task it took from a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Poll,
    /// Cancel the future instead of polling it: abort or shutdown asked for it.
    Cancel,
    /// Someone else owns it or it is complete: drop the queue's reference only.
    Skip,
    /// As `Skip`, and that was the last reference: free the task.
    SkipAndDealloc,
}

/// What happens after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle; the queue's reference was released.
    Idle,
    /// Woken during the poll: re-queue it, reusing the queue's reference.
    Requeue,
    /// Aborted during the poll: cancel it now (it stays `RUNNING`).
    Cancel,
}

/// What a wake must do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    Nothing,
    /// Push a new `Notified` to the scheduler (its reference is already counted).
    Submit,
    /// The waker held the last reference: free the task.
    Dealloc,
}

impl State {
    /// A new task: notified (it will be queued), with `JoinHandle` interest, and `refs` references.
    pub(crate) fn new(refs: usize) -> State {
        State {
            word: AtomicUsize::new((refs * REF_ONE) | NOTIFIED | JOIN_INTEREST),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.word.load(Acquire))
    }

    /// Applies `f` until the CAS succeeds; `f` returns the new word and a result, or `None` to
    /// leave the word alone.
    fn update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut current = self.word.load(Acquire);
        loop {
            let (next, result) = f(Snapshot(current));
            let Some(next) = next else { return result };
            match self
                .word
                .compare_exchange_weak(current, next.0, AcqRel, Acquire)
            {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// Taken from a queue: claim the future for polling.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|mut s| {
            debug_assert!(s.is_notified(), "a queued task must be notified");
            if s.is_running() || s.is_complete() {
                debug_assert!(s.ref_count() > 0);
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToRunning::SkipAndDealloc
                } else {
                    ToRunning::Skip
                };
                return (Some(s), action);
            }
            s.unset(NOTIFIED);
            s.set(RUNNING);
            let action = if s.is_cancelled() {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(s), action)
        })
    }

    /// The poll returned `Pending`. `notify` marks the task notified in the same update (a
    /// wake by the task itself that its poll skipped, see `yield_now`).
    pub(crate) fn transition_to_idle(&self, notify: bool) -> ToIdle {
        self.update(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, ToIdle::Cancel);
            }
            s.unset(RUNNING);
            if notify {
                s.set(NOTIFIED);
            }
            if s.is_notified() {
                (Some(s), ToIdle::Requeue)
            } else {
                // The reference the queue handed us is released here; the owned-task list still
                // holds one, so the count cannot reach zero.
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                (Some(s), ToIdle::Idle)
            }
        })
    }

    /// The output is stored: `RUNNING` becomes `COMPLETE`. Returns the word after the change.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.word.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Drops `count` references after completion; true when the task must be freed.
    pub(crate) fn release_refs(&self, count: usize) -> bool {
        let prev = Snapshot(self.word.fetch_sub(count * REF_ONE, AcqRel));
        assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A waker that is consumed (`wake`).
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.update(|mut s| {
            if s.is_running() {
                // The runner re-queues it; the waker's reference goes away.
                s.set(NOTIFIED);
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                (Some(s), ToNotified::Nothing)
            } else if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToNotified::Dealloc
                } else {
                    ToNotified::Nothing
                };
                (Some(s), action)
            } else {
                // The waker's reference becomes the queue's.
                s.set(NOTIFIED);
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// A waker that is kept (`wake_by_ref`).
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.update(|mut s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::Nothing)
            } else if s.is_running() {
                s.set(NOTIFIED);
                (Some(s), ToNotified::Nothing)
            } else {
                s.set(NOTIFIED);
                s.ref_inc();
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// `abort()`: mark cancelled; an idle task is also queued so a worker cancels it.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|mut s| {
            if s.is_cancelled() || s.is_complete() {
                (None, false)
            } else if s.is_running() || s.is_notified() {
                // The runner or the queued poll sees CANCELLED.
                s.set(NOTIFIED | CANCELLED);
                (Some(s), false)
            } else {
                s.set(NOTIFIED | CANCELLED);
                s.ref_inc();
                (Some(s), true)
            }
        })
    }

    /// Shutdown: mark cancelled; returns true when the caller now owns the future (it was idle
    /// or queued) and must cancel and complete it.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|mut s| {
            if s.is_complete() {
                return (None, false);
            }
            let claimed = !s.is_running();
            if claimed {
                s.set(RUNNING);
            }
            s.set(CANCELLED);
            (Some(s), claimed)
        })
    }

    /// Sets `JOIN_WAKER` after the handle wrote its waker; fails (returning the word) once the
    /// task completed, in which case the handle still owns the slot.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.set(JOIN_WAKER);
            (Some(s), Ok(s))
        })
    }

    /// Clears `JOIN_WAKER` so the handle may replace its waker; fails once complete.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.unset(JOIN_WAKER);
            (Some(s), Ok(s))
        })
    }

    /// After waking the join waker, the completer hands the slot back. Returns the word before:
    /// if join interest is gone, the completer must drop the waker itself.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.word.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        prev
    }

    /// The `JoinHandle` goes away. Returns the word after the change. If the task is not
    /// complete, `JOIN_WAKER` is cleared too, so the handle owns (and drops) the waker slot.
    pub(crate) fn drop_join_interest(&self) -> Snapshot {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested());
            s.unset(JOIN_INTEREST);
            if !s.is_complete() {
                s.unset(JOIN_WAKER);
            }
            (Some(s), s)
        })
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        // A count this large means references are leaking; stop before the count wraps into the
        // flag bits.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Returns true when this was the last reference.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.word.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
    fn set(&mut self, flags: usize) {
        self.0 |= flags;
    }
    fn unset(&mut self, flags: usize) {
        self.0 &= !flags;
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        self.0 -= REF_ONE;
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.load().fmt(f)
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .field("flags", &(self.0 & FLAG_MASK))
            .finish()
    }
}
