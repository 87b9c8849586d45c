//! The owned-task list: every live task of a runtime, whether queued, running or idle on a
//! waker (an idle task sits in no queue, so this list is the only way to find it).
//!
//! Spawn links a task in, completion unlinks it, shutdown drains it and cancels each task
//! exactly once. The list is sharded by task id with one mutex per shard, so concurrent spawns
//! and completions on different workers rarely meet on a lock. Closing is a flag read under
//! each shard's lock: a spawn that races with shutdown is either drained by it or refused and
//! cancelled on the spot.

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::util::linked_list::LinkedList;

use super::raw::{OwnedLink, RawTask, Task};

pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<LinkedList<OwnedLink>>]>,
    shard_mask: usize,
    closed: AtomicBool,
    live: AtomicUsize,
}

impl OwnedTasks {
    /// `shards` is rounded up to a power of two.
    pub(crate) fn new(shards: usize) -> OwnedTasks {
        let shards = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..shards).map(|_| Mutex::new(LinkedList::new())).collect(),
            shard_mask: shards - 1,
            closed: AtomicBool::new(false),
            live: AtomicUsize::new(0),
        }
    }

    fn shard(&self, task: RawTask) -> &Mutex<LinkedList<OwnedLink>> {
        &self.shards[task.id().as_u64() as usize & self.shard_mask]
    }

    /// Links the task in; hands it back when the list is closed (the caller shuts it down).
    pub(crate) fn bind(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(task.raw()).lock();
        if self.closed.load(Acquire) {
            return Err(task);
        }
        self.live.fetch_add(1, Relaxed);
        shard.push_front(task);
        Ok(())
    }

    /// Unlinks a task that completed; `None` when shutdown already took it out.
    pub(crate) fn remove(&self, task: RawTask) -> Option<Task> {
        let mut shard = self.shard(task).lock();
        // SAFETY: a task is only ever linked into the shard its id selects, of the runtime
        // named in its header, so it is in this list or in none.
        let removed = unsafe { shard.remove(task.as_ptr()) };
        if removed.is_some() {
            self.live.fetch_sub(1, Relaxed);
        }
        removed
    }

    /// Refuses new tasks and shuts down every task in the list. Safe to call from several
    /// threads: each task is popped, and so shut down, once.
    pub(crate) fn close_and_shutdown_all(&self, start_shard: usize) {
        self.closed.store(true, Release);
        for i in 0..self.shards.len() {
            let shard = &self.shards[(start_shard + i) & self.shard_mask];
            loop {
                // Pop under the lock, shut down outside it: cancelling drops the future, which
                // may run arbitrary code (even code that spawns).
                let task = shard.lock().pop_back();
                match task {
                    Some(task) => {
                        self.live.fetch_sub(1, Relaxed);
                        task.shutdown();
                    }
                    None => break,
                }
            }
        }
    }

    /// Calls `f` on every live task, one shard lock at a time. `f` must not block or touch the
    /// owned list: it runs under the shard's lock.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&super::raw::Header)) {
        for shard in self.shards.iter() {
            shard.lock().for_each(|header| {
                // SAFETY: a linked task is alive: it unlinks itself (under this lock) before
                // its last reference can go away.
                f(unsafe { header.as_ref() })
            });
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// How many tasks are alive (spawned and not yet complete).
    pub(crate) fn len(&self) -> usize {
        self.live.load(Relaxed)
    }
}

impl std::fmt::Debug for OwnedTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTasks")
            .field("shards", &self.shards.len())
            .field("live", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}
