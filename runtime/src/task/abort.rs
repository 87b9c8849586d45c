//! `AbortHandle`: permission to cancel a task, without the right to its output.
//!
//! An `AbortHandle` holds one reference in the task's state word (taken with `State::ref_inc`,
//! given back with `RawTask::drop_reference`), so the task's allocation outlives the handle
//! even after the `JoinHandle` is dropped and the task has completed. It never sets or clears
//! `JOIN_INTEREST` and never touches the output: aborting goes through the same
//! `transition_to_notified_and_cancel` path as [`JoinHandle::abort`](super::JoinHandle::abort),
//! which is a no-op on a completed task, so a finished task keeps its output for its
//! `JoinHandle`.

use std::fmt;

use super::join::abort_task;
use super::raw::RawTask;
use super::Id;

/// A cloneable handle that can cancel a task but cannot await its output.
///
/// Get one from [`JoinHandle::abort_handle`](super::JoinHandle::abort_handle) or from
/// [`JoinSet::spawn`](super::JoinSet::spawn). Dropping it does nothing to the task; it only
/// releases the handle's hold on the task's memory.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task;
///
/// let handle = task::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// abort.abort();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// assert!(abort.is_finished());
/// # });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

// `RawTask` is `Send + Sync`, and an `AbortHandle` never touches the future or its output (it
// only uses the atomic state word and the immutable header), so no bound on the output type is
// needed: the auto traits are derived from `RawTask`.

impl AbortHandle {
    /// Takes a new reference to the task behind `raw`.
    pub(crate) fn new(raw: RawTask) -> AbortHandle {
        // The caller holds a live reference (a JoinHandle), so the count is at least one and
        // the task cannot be freed while we add ours.
        raw.header().state.ref_inc();
        AbortHandle { raw }
    }

    /// Asks the task to stop, exactly like [`JoinHandle::abort`](super::JoinHandle::abort):
    /// it is cancelled at its next suspension point, and a task that already finished keeps
    /// its output. Aborting more than once, or after the `JoinHandle` was dropped, is fine.
    pub fn abort(&self) {
        abort_task(self.raw);
    }

    /// True once the task has finished (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id, the same as its [`JoinHandle::id`](super::JoinHandle::id).
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        AbortHandle::new(self.raw)
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
