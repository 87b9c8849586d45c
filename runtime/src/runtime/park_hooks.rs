//! The park hooks of [`Builder::on_thread_park`](super::Builder::on_thread_park) and
//! [`on_thread_unpark`](super::Builder::on_thread_unpark).
//!
//! They live in the scheduler's configuration, not with the thread-start hooks, because only
//! the threads that run tasks park through the scheduler: blocking-pool threads and a
//! `block_on` caller waiting for the current-thread core never call them. A scheduler wraps
//! its park in [`ParkHooks::around`], which costs one branch when no hook is set.

use std::fmt;

use super::builder::Hook;

/// `on_thread_park`/`on_thread_unpark`, run by workers (and the current-thread driver) only.
#[derive(Clone, Default)]
pub(crate) struct ParkHooks {
    pub(super) before_park: Option<Hook>,
    pub(super) after_unpark: Option<Hook>,
}

impl ParkHooks {
    /// Runs `park(core)` between the two hooks, unless the park hook left work behind (it
    /// spawned or woke a task): `has_work` says so, and `core` then goes through `instead`,
    /// which must turn the drivers without blocking. A park is where timers fire and I/O is
    /// polled, so a hook that leaves work at every park (one that wakes a watchdog task each
    /// time) would otherwise starve both.
    ///
    /// A hook's panic is caught: the worker must keep running (a worker never unwinds, or the
    /// runtime would lose a thread that tasks are queued on). The panic hook reports it.
    pub(crate) fn around<C>(
        &self,
        core: C,
        has_work: impl FnOnce(&C) -> bool,
        park: impl FnOnce(C) -> C,
        instead: impl FnOnce(C) -> C,
    ) -> C {
        if self.before_park.is_none() && self.after_unpark.is_none() {
            return park(core);
        }
        run_caught(&self.before_park);
        let core = if self.before_park.is_some() && has_work(&core) {
            instead(core)
        } else {
            park(core)
        };
        run_caught(&self.after_unpark);
        core
    }
}

fn run_caught(hook: &Option<Hook>) {
    if let Some(hook) = hook {
        crate::util::panic::contain(|| hook());
    }
}

impl fmt::Debug for ParkHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParkHooks")
            .field("before_park", &self.before_park.is_some())
            .field("after_unpark", &self.after_unpark.is_some())
            .finish()
    }
}
