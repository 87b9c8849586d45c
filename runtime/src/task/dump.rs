//! Task dumps: a snapshot of every live task of a runtime, for debugging stuck programs.
//!
//! [`Handle::dump`](crate::runtime::Handle::dump) walks the owned-task list (one shard lock at
//! a time) and copies, per task, what can be read without the task's cooperation: its id,
//! spawn location, the future's type name (captured at spawn in the vtable), a state decoded
//! from the state word, and the step name a state machine published. The walk only loads
//! atomics, so a task that is blocked in the middle of its `poll` never blocks the dump.
//!
//! Step names travel through one slot in the task header: [`Machine`](crate::machine::Machine)
//! stores a pointer to its step's `&'static str` there before each step (a relaxed store
//! through this thread's current-task pointer), and the dump loads it. The pointee is
//! `'static`, so a stale pointer is still a valid name. A machine dropped before it finished
//! withdraws its step (if it is still the one shown), so a task that moved on does not show a
//! step of a machine that is gone.

use std::fmt;
use std::panic::Location;

use super::raw::Header;
use super::Id;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::runtime::context;

/// What a task was doing when the dump read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up: in no run queue.
    Idle,
    /// Woken and queued, waiting for a worker.
    Scheduled,
    /// Being polled by a worker right now.
    Running,
    /// Cancelled (`abort` or shutdown), not yet torn down.
    Cancelling,
    /// Finished; about to leave the list.
    Complete,
}

/// One task in a [`Dump`].
#[derive(Debug, Clone)]
pub struct TaskDump {
    id: Id,
    spawned_at: &'static Location<'static>,
    type_name: &'static str,
    state: TaskState,
    step: Option<&'static str>,
}

impl TaskDump {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where `spawn` was called.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// The spawned future's type, as `std::any::type_name` spells it.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// What the task was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// The step of the innermost state machine the task polled last (`None` if the task runs
    /// no [`Machine`](crate::machine::Machine)).
    pub fn step(&self) -> Option<&'static str> {
        self.step
    }

    pub(crate) fn read(header: &Header) -> TaskDump {
        let snapshot = header.state.load();
        let state = if snapshot.is_complete() {
            TaskState::Complete
        } else if snapshot.is_running() {
            TaskState::Running
        } else if snapshot.is_cancelled() {
            TaskState::Cancelling
        } else if snapshot.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        let step = header.step.load(Relaxed);
        TaskDump {
            id: header.id,
            spawned_at: header.spawned_at,
            type_name: (header.vtable.type_name)(),
            state,
            // SAFETY: the slot is null or holds a pointer made from a `&'static &'static str`
            // (see `publish_step`), valid forever.
            step: unsafe { step.as_ref() }.copied(),
        }
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} [{:?}] {}", self.id, self.state, self.type_name)?;
        if let Some(step) = self.step {
            write!(f, " at step `{step}`")?;
        }
        write!(f, ", spawned at {}", self.spawned_at)
    }
}

/// A snapshot of a runtime's live tasks, from [`Handle::dump`](crate::runtime::Handle::dump).
///
/// Tasks appear in no particular order. The snapshot is not atomic: each task is read at a
/// slightly different moment.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    tasks: Vec<TaskDump>,
}

impl Dump {
    pub(crate) fn new(tasks: Vec<TaskDump>) -> Dump {
        Dump { tasks }
    }

    /// The tasks.
    pub fn tasks(&self) -> &[TaskDump] {
        &self.tasks
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} live task(s)", self.tasks.len())?;
        for task in &self.tasks {
            writeln!(f, "  {task}")?;
        }
        Ok(())
    }
}

/// Stores `step` (or clears the slot) in the header of the task being polled on this thread;
/// a no-op outside a task poll.
pub(crate) fn publish_step(step: Option<&'static &'static str>) {
    let ptr = step.map_or(std::ptr::null_mut(), |name| {
        std::ptr::from_ref::<&'static str>(name).cast_mut()
    });
    context::with_current_task(|header| header.step.store(ptr, Relaxed));
}

/// A machine that published `step` is going away before it finished: if the task being polled
/// on this thread still shows that step, clear it, so the dump does not name a step of a machine
/// that no longer exists. An enclosing machine that keeps waiting publishes its own step again.
pub(crate) fn withdraw_step(step: &'static &'static str) {
    let ptr = std::ptr::from_ref::<&'static str>(step).cast_mut();
    context::with_current_task(|header| {
        // Only the thread polling the task writes the slot, so a load and a store suffice.
        if header.step.load(Relaxed) == ptr {
            header.step.store(std::ptr::null_mut(), Relaxed);
        }
    });
}

/// The step currently published by the task being polled on this thread.
pub(crate) fn published_step() -> Option<&'static &'static str> {
    let ptr = context::with_current_task(|header| header.step.load(Relaxed))?;
    // SAFETY: as in `TaskDump::read`: null or made from a `&'static &'static str`.
    unsafe { ptr.as_ref() }
}
