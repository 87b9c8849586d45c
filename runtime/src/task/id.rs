//! Task ids: unique for the life of the process, never reused.

use std::fmt;
use std::num::NonZeroU64;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that tells a task apart from every other task spawned in this process.
///
/// Ids are allocated from a process-wide counter at spawn, so they are unique across runtimes
/// and never reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        // A plain std atomic even under loom: ids take part in no model, and loom atomics
        // cannot live in a static.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let value = NEXT.fetch_add(1, Relaxed);
        // 2^64 spawns would take centuries; a wrap is still caught rather than reusing an id.
        Id(NonZeroU64::new(value).expect("task id counter wrapped"))
    }

    /// The id as a number, for logs and shard selection.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

/// The id of the task currently running on this thread.
///
/// Inside a [`spawn_blocking`](super::spawn_blocking) closure this is the blocking job's id
/// (the same as its `JoinHandle::id`), because the job runs as a task on the blocking pool.
/// Code that may run elsewhere should use [`try_id`].
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task;
///
/// let handle = task::spawn(async { task::id() });
/// let expected = handle.id();
/// assert_eq!(handle.await.unwrap(), expected);
/// # });
/// ```
///
/// # Panics
/// When called outside a task: from a plain thread, or directly in the future given to
/// `block_on` (that future is not a spawned task).
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "`task::id()` called outside a task: only code running inside a spawned task has \
             a task id (the future passed to `block_on` is not a task); use `task::try_id()` \
             where there may be none"
        ),
    }
}

/// The id of the task currently running on this thread, or `None` outside a task (including
/// in the future driven by `block_on`, which is not a spawned task).
///
/// ```
/// assert_eq!(blitz_io::task::try_id(), None);
/// ```
pub fn try_id() -> Option<Id> {
    crate::runtime::context::current_task_id()
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}
