//! The waiter node shared by this module's queues (`Notify`, `Barrier`, `OnceCell`).
//!
//! A waiting future embeds a [`Waiter`] and, while it waits, links it into its primitive's
//! [`WaiterList`] (the crate's one intrusive list) behind that primitive's mutex. The node
//! carries:
//! - the waker, which only the holder of the queue's lock reads or writes;
//! - a *mark*: `0` while the node waits; a releaser pops the node, takes its waker and then
//!   stores a nonzero mark (its meaning is the primitive's), after which it never touches the
//!   node again. The owner may read the mark without the lock (acquire pairs with the store);
//! - a *generation* chosen by the primitive, written only while the node is not linked.
//!
//! The list's handles are [`WaiterRef`]s: raw pointers that are `Send`, because every node is
//! only reached through the list under its queue's lock and is unlinked (under that lock) by its
//! owner's `Drop` before it moves or is freed. That is the one argument that makes the queues,
//! and so the primitives, `Send + Sync` without further `unsafe impl`s.

use core::ptr::{self, NonNull};
use core::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU8, Ordering::*};
use crate::util::linked_list::{Link, LinkedList, Pointers};
use crate::util::wake_batch::register_waker;

/// The mark of a node that has not been released.
pub(crate) const WAITING: u8 = 0;

/// A queue of waiters; keep it behind the primitive's mutex.
pub(crate) type WaiterList = LinkedList<Waiter>;

/// A queue node embedded in a pinned waiting future.
pub(crate) struct Waiter {
    pointers: Pointers<Waiter>,
    /// Only accessed under the lock of the queue the node belongs to.
    waker: UnsafeCell<Option<Waker>>,
    mark: AtomicU8,
    generation: usize,
}

/// The list's handle to a linked node.
pub(crate) struct WaiterRef(NonNull<Waiter>);

// SAFETY: a `WaiterRef` only exists inside a `WaiterList`, which is only used under its
// primitive's lock; the node it points to is unlinked by its owner (under that lock) before it
// moves or is freed, and its waker is `Send`. Moving the handle between threads therefore gives
// no thread unsynchronised access to the node.
unsafe impl Send for WaiterRef {}

// SAFETY: through `&Waiter` other threads touch only `mark` (atomic) and, under the queue's
// lock, `waker`; `generation` is written only through `&mut` before linking.
unsafe impl Sync for Waiter {}

// SAFETY: [1] `pointers` returns the embedded field of a live node. [2] `as_raw`/`from_raw`
// wrap and unwrap the same pointer. [3] Nodes are pinned in their future, whose `Drop` unlinks
// them before they move or are freed.
unsafe impl Link for Waiter {
    type Handle = WaiterRef;
    type Target = Waiter;

    fn as_raw(handle: &WaiterRef) -> NonNull<Waiter> {
        handle.0
    }

    unsafe fn from_raw(ptr: NonNull<Waiter>) -> WaiterRef {
        WaiterRef(ptr)
    }

    unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
        // SAFETY: `target` is live (caller's contract); we only compute a field address.
        unsafe { NonNull::new_unchecked(ptr::addr_of_mut!((*target.as_ptr()).pointers)) }
    }
}

impl Waiter {
    /// An unlinked, unmarked node without a waker.
    pub(crate) fn new(generation: usize) -> Waiter {
        Waiter {
            pointers: Pointers::new(),
            waker: UnsafeCell::new(None),
            mark: AtomicU8::new(WAITING),
            generation,
        }
    }

    /// The node's generation.
    pub(crate) fn generation(&self) -> usize {
        self.generation
    }

    /// Sets the generation of a node that is not linked (hence `&mut`).
    pub(crate) fn set_generation(&mut self, generation: usize) {
        self.generation = generation;
    }

    /// The mark: [`WAITING`] until a releaser marks the node. Readable without the lock.
    pub(crate) fn mark(&self) -> u8 {
        self.mark.load(Acquire)
    }

    /// Makes an unlinked, released node wait again (its owner queues it anew).
    pub(crate) fn reset(&mut self) {
        self.mark.store(WAITING, Relaxed);
    }

    /// Stores `waker` (unless the stored one wakes the same task).
    ///
    /// # Safety
    ///
    /// The caller holds the lock of the queue the node is linked in, or the node is not linked
    /// and no other thread can reach it.
    pub(crate) unsafe fn set_waker(&self, waker: &Waker) {
        // SAFETY: exclusive access to the slot per the caller's contract.
        self.waker
            .with_mut(|slot| register_waker(unsafe { &mut *slot }, waker));
    }

    /// The handle with which to push this node into a queue.
    pub(crate) fn handle(&self) -> WaiterRef {
        WaiterRef(NonNull::from(self))
    }

    /// Marks a node just popped from its queue with `mark` (nonzero) and returns its waker.
    ///
    /// # Safety
    ///
    /// `node` was popped from its queue under the lock the caller still holds.
    pub(crate) unsafe fn release(node: WaiterRef, mark: u8) -> Option<Waker> {
        debug_assert_ne!(mark, WAITING);
        // SAFETY: the node was linked until now, so its owner has not dropped it (that needs
        // the lock we hold); the waker slot is ours under that lock. The mark goes last: once
        // the owner can see it, we no longer touch the node.
        unsafe {
            let node = node.0.as_ref();
            let waker = node.waker.with_mut(|slot| (*slot).take());
            node.mark.store(mark, Release);
            waker
        }
    }

    /// The generation of a linked node, read through the list.
    ///
    /// # Safety
    ///
    /// `node` is linked in a queue whose lock the caller holds.
    pub(crate) unsafe fn generation_of(node: NonNull<Waiter>) -> usize {
        // SAFETY: a linked node is live; its generation does not change while linked.
        unsafe { node.as_ref().generation }
    }

    /// Unlinks this node from `list` if it is still there.
    ///
    /// # Safety
    ///
    /// The node is linked in `list` or in no list, and `list`'s lock is held.
    pub(crate) unsafe fn unlink_from(&self, list: &mut WaiterList) {
        // SAFETY: per the caller's contract.
        unsafe { list.remove(NonNull::from(self)) };
    }
}
