//! The table of owned-buffer operations in flight on the ring.
//!
//! A slot is created when an op is submitted and freed when its completion has been reaped
//! *and* its future has taken the result (or was dropped). A future dropped while its op is in
//! flight hands the resources the kernel may still use (the buffer, an fd) to the slot, which
//! keeps them until the completion arrives: the kernel never writes into freed memory. At
//! runtime shutdown, slots still in flight after the bounded cancel-and-reap are leaked on
//! purpose (never freed) and counted.

use std::any::Any;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crate::util::wake_batch::{register_waker, WakeBatch};

#[derive(Default)]
pub(crate) struct OpTable {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    slots: Vec<Slot>,
    /// Each slot's generation, bumped when the slot is freed: with the index it makes the
    /// op's key (its `user_data`), so a cancel meant for an earlier op in a reused slot
    /// matches nothing.
    generations: Vec<u32>,
    free: Vec<usize>,
    in_flight: usize,
    leaked: usize,
}

#[derive(Default)]
enum Slot {
    #[default]
    Free,
    /// Submitted; its future is alive.
    Waiting(Option<Waker>),
    /// Completed; its future has not taken the result yet.
    Done(i32),
    /// Its future was dropped while the op was in flight: what the kernel may still touch.
    Orphaned(Box<dyn Any + Send>),
}

/// The low half of an op's key is its slot, the high half the slot's generation.
const INDEX_BITS: u32 = 32;

/// The slot an op's key names.
pub(crate) fn index_of(key: u64) -> usize {
    (key & ((1 << INDEX_BITS) - 1)) as usize
}

/// What happened to a dropped op's resources.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Orphan {
    /// The op had completed: the resources come back to be dropped now, and the result with
    /// them (e.g. an accepted fd to close).
    Completed(i32),
    /// Still in flight: the table keeps the resources until the completion; submit a cancel
    /// naming the op by this key (read before the table took the resources: from then on the
    /// op may complete and its slot go to a new op).
    Kept(u64),
}

impl Inner {
    fn key(&self, index: usize) -> u64 {
        (u64::from(self.generations[index]) << INDEX_BITS) | index as u64
    }

    fn free_slot(&mut self, index: usize) {
        self.slots[index] = Slot::Free;
        self.generations[index] = self.generations[index].wrapping_add(1);
        self.free.push(index);
    }
}

impl OpTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key (`user_data` payload) of the op in `index`. Only for a slot the caller owns
    /// (its op's future, before the slot is freed): a freed slot's key names the next op.
    pub(crate) fn key(&self, index: usize) -> u64 {
        self.lock().key(index)
    }

    /// Reserves a slot for an op about to be submitted: its index, and its key (the
    /// `user_data` payload).
    pub(crate) fn insert(&self) -> (usize, u64) {
        let mut inner = self.lock();
        inner.in_flight += 1;
        let slot = Slot::Waiting(None);
        let index = match inner.free.pop() {
            Some(index) => {
                inner.slots[index] = slot;
                index
            }
            None => {
                inner.slots.push(slot);
                inner.generations.push(0);
                inner.slots.len() - 1
            }
        };
        (index, inner.key(index))
    }

    /// The submission failed before the kernel saw the entry: frees the slot.
    pub(crate) fn abandon(&self, index: usize) {
        let mut inner = self.lock();
        inner.in_flight -= 1;
        inner.free_slot(index);
    }

    /// The op's result once it has completed (freeing the slot), else keeps the waker.
    pub(crate) fn poll(&self, index: usize, cx: &mut Context<'_>) -> Poll<i32> {
        let mut inner = self.lock();
        match &mut inner.slots[index] {
            Slot::Done(result) => {
                let result = *result;
                inner.free_slot(index);
                Poll::Ready(result)
            }
            Slot::Waiting(waker) => {
                register_waker(waker, cx.waker());
                Poll::Pending
            }
            _ => unreachable!("polled an op slot that is not its own"),
        }
    }

    /// The op's future is going away. See [`Orphan`].
    pub(crate) fn orphan(
        &self,
        index: usize,
        keep: Box<dyn Any + Send>,
    ) -> (Orphan, Option<Box<dyn Any + Send>>) {
        let mut inner = self.lock();
        match std::mem::take(&mut inner.slots[index]) {
            Slot::Done(result) => {
                inner.free_slot(index);
                (Orphan::Completed(result), Some(keep))
            }
            Slot::Waiting(_) => {
                inner.slots[index] = Slot::Orphaned(keep);
                (Orphan::Kept(inner.key(index)), None)
            }
            _ => unreachable!("orphaned an op slot that is not its own"),
        }
    }

    /// Driver side: the completion for `index` was reaped.
    pub(crate) fn complete(&self, index: usize, result: i32, batch: &mut WakeBatch) {
        let mut inner = self.lock();
        let Some(slot) = inner.slots.get_mut(index) else {
            return;
        };
        match std::mem::take(slot) {
            Slot::Waiting(waker) => {
                *slot = Slot::Done(result);
                inner.in_flight -= 1;
                if let Some(waker) = waker {
                    if !batch.can_push() {
                        drop(inner);
                        batch.wake_all();
                    }
                    batch.push(waker);
                }
            }
            Slot::Orphaned(keep) => {
                inner.in_flight -= 1;
                inner.free_slot(index);
                drop(inner);
                // The kernel is done with it: now the buffer (or fd) can go.
                drop(keep);
            }
            other => *slot = other,
        }
    }

    /// The keys of the ops whose completion has not been reaped.
    pub(crate) fn in_flight(&self) -> Vec<u64> {
        let inner = self.lock();
        (0..inner.slots.len())
            .filter(|&i| matches!(inner.slots[i], Slot::Waiting(_) | Slot::Orphaned(_)))
            .map(|i| inner.key(i))
            .collect()
    }

    pub(crate) fn in_flight_count(&self) -> usize {
        self.lock().in_flight
    }

    /// Shutdown gave up waiting: whatever the kernel may still write into is leaked, never freed.
    pub(crate) fn leak_remaining(&self) {
        let mut inner = self.lock();
        let mut leaked = 0;
        for slot in inner.slots.iter_mut() {
            if let Slot::Orphaned(_) = slot {
                if let Slot::Orphaned(keep) = std::mem::take(slot) {
                    std::mem::forget(keep);
                    leaked += 1;
                }
            }
        }
        inner.leaked += leaked;
    }

    /// Buffers leaked at shutdown because their op never completed.
    pub(crate) fn leaked(&self) -> usize {
        self.lock().leaked
    }
}

impl Drop for OpTable {
    fn drop(&mut self) {
        // The ring goes away with the driver; the kernel finishes cancelled ops asynchronously,
        // so anything still orphaned must not be freed.
        self.leak_remaining();
    }
}
