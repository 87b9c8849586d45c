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
