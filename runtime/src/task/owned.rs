//! The owned-task list: every live task of a runtime, whether queued, running or idle on a
//! waker (an idle task sits in no queue, so this list is the only way to find it).
//!
//! Spawn links a task in, completion unlinks it, shutdown drains it and cancels each task
//! exactly once. The list is sharded by task id with one mutex per shard, so concurrent spawns
//! and completions on different workers rarely meet on a lock. Each shard sits on its own cache
//! line and keeps its own counts (tasks alive, and tasks ever linked in, for the metrics) as
//! plain fields under the lock the link takes anyway: there is no runtime-wide counter for
//! every spawn and completion to write (one cost 30 % of a completion's unlink on 4 workers),
//! and the shared header (shard pointer, mask, closed flag) is only read on those paths.
//! Closing is a flag read under each shard's lock: a spawn that races with shutdown is either
//! drained by it or refused and cancelled on the spot.

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crate::util::cache_padded::CachePadded;
use crate::util::linked_list::LinkedList;

use super::raw::{OwnedLink, RawTask, Task};

pub(crate) struct OwnedTasks {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    shard_mask: usize,
    closed: AtomicBool,
}

/// One shard: its tasks, how many there are, and how many were ever linked in.
struct Shard {
    list: LinkedList<OwnedLink>,
    len: usize,
    spawned: u64,
}

impl OwnedTasks {
    /// `shards` is rounded up to a power of two.
    pub(crate) fn new(shards: usize) -> OwnedTasks {
        let shards = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..shards)
                .map(|_| {
                    CachePadded(Mutex::new(Shard {
                        list: LinkedList::new(),
                        len: 0,
                        spawned: 0,
                    }))
                })
                .collect(),
            shard_mask: shards - 1,
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, task: RawTask) -> &Mutex<Shard> {
        &self.shards[task.id().as_u64() as usize & self.shard_mask]
    }

    /// Links the task in; hands it back when the list is closed (the caller shuts it down).
    pub(crate) fn bind(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(task.raw()).lock();
        if self.closed.load(Acquire) {
            return Err(task);
        }
        shard.len += 1;
        shard.spawned += 1;
        shard.list.push_front(task);
        Ok(())
    }

    /// Unlinks a task that completed; `None` when shutdown already took it out.
    pub(crate) fn remove(&self, task: RawTask) -> Option<Task> {
        let mut shard = self.shard(task).lock();
        // SAFETY: a task is only ever linked into the shard its id selects, of the runtime
        // named in its header, so it is in this list or in none.
        let removed = unsafe { shard.list.remove(task.as_ptr()) };
        if removed.is_some() {
            shard.len -= 1;
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
                let task = {
                    let mut shard = shard.lock();
                    let task = shard.list.pop_back();
                    if task.is_some() {
                        shard.len -= 1;
                    }
                    task
                };
                match task {
                    Some(task) => task.shutdown(),
                    None => break,
                }
            }
        }
    }

    /// Calls `f` on every live task, one shard lock at a time. `f` must not block or touch the
    /// owned list: it runs under the shard's lock.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&super::raw::Header)) {
        for shard in self.shards.iter() {
            shard.lock().list.for_each(|header| {
                // SAFETY: a linked task is alive: it unlinks itself (under this lock) before
                // its last reference can go away.
                f(unsafe { header.as_ref() })
            });
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// How many tasks are alive (spawned and not yet complete). Takes each shard's lock in
    /// turn, so under concurrent spawns it is a snapshot of each shard, not of one instant.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().len).sum()
    }

    /// How many tasks were ever linked in (refused ones, spawned after close, are not).
    /// A snapshot of each shard in turn, like [`len`](Self::len).
    pub(crate) fn spawned(&self) -> u64 {
        self.shards.iter().map(|shard| shard.lock().spawned).sum()
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
