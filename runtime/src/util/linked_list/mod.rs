//! The intrusive doubly-linked list that every waiter queue and the owned-task list build on.
//!
//! A node is any `Target` that embeds a [`Pointers`] field; the [`Link`] impl says where that
//! field is and which owning `Handle` (a raw pointer, a ref-counted task reference, ...) stands
//! for the node while it is linked. Pushing moves the handle into the list, popping or removing
//! hands it back, so the list never allocates and never drops a node itself. Nodes are
//! pinned (a linked node must not move), usually inside a task header or a waiting future.
//!
//! The list is not synchronised. Its owner keeps it behind a mutex, and that mutex is also what
//! protects the `Pointers` inside every linked node: they are only read or written by list
//! methods, which need the list itself (`&mut` for any change).

use core::fmt;
use core::marker::{PhantomData, PhantomPinned};
use core::mem;
use core::ptr::NonNull;

use crate::loom::cell::UnsafeCell;

/// Implemented by types that can sit in a [`LinkedList`].
///
/// # Safety
///
/// - [`Link::pointers`] must return a pointer to a `Pointers<Self::Target>` field inside the
///   target, valid for as long as the target is.
/// - A target is in at most one list through a given `Link` impl at any time.
/// - A target must not move (or be freed) while it is linked.
/// - [`Link::as_raw`] and [`Link::from_raw`] round-trip: the handle rebuilt by `from_raw`
///   owns whatever the handle given to `push_*` owned.
#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
pub(crate) unsafe trait Link {
    /// The owning handle moved into the list by `push_*` and handed back by `pop_*` / `remove`,
    /// e.g. `NonNull<T>` or a ref-counted task reference.
    type Handle;
    /// The node type that embeds the [`Pointers`].
    type Target;

    /// The node a handle stands for. The handle keeps owning it.
    fn as_raw(handle: &Self::Handle) -> NonNull<Self::Target>;

    /// Rebuilds the handle of a node the list is giving back.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Link::as_raw`] on a handle that was pushed into a list and has not been
    /// popped or removed since; the handle is rebuilt once per push.
    unsafe fn from_raw(ptr: NonNull<Self::Target>) -> Self::Handle;

    /// The link field inside `target`.
    ///
    /// # Safety
    ///
    /// `target` points to a live `Target`.
    unsafe fn pointers(target: NonNull<Self::Target>) -> NonNull<Pointers<Self::Target>>;
}

/// The previous/next links embedded in every node.
///
/// Only list methods touch them (both fields are `None` while the node is unlinked). The
/// `PhantomPinned` makes every node that contains one `!Unpin`, so a pinned node stays put.
#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
pub(crate) struct Pointers<T> {
    links: UnsafeCell<Links<T>>,
    _pinned: PhantomPinned,
}

struct Links<T> {
    prev: Option<NonNull<T>>,
    next: Option<NonNull<T>>,
}

// SAFETY: the raw pointers inside are only read or written by `LinkedList` methods, and the
// list's owner serialises those (behind its lock, or through `&mut`), so moving a node to another
// thread is as safe as moving a `T`.
unsafe impl<T: Send> Send for Pointers<T> {}
// SAFETY: a shared `&Pointers` gives no access to the links at all; only the owning list reads
// or writes them, under its owner's lock. Sharing is therefore as safe as sharing a `T`.
unsafe impl<T: Sync> Sync for Pointers<T> {}

#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
impl<T> Pointers<T> {
    /// Unlinked pointers. `const` so nodes can be built in `const fn`s.
    #[cfg(not(blitz_loom))]
    pub(crate) const fn new() -> Self {
        Pointers {
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
            }),
            _pinned: PhantomPinned,
        }
    }

    /// Unlinked pointers. (Not `const` under loom: loom's cells register with the model.)
    #[cfg(blitz_loom)]
    pub(crate) fn new() -> Self {
        Pointers {
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
            }),
            _pinned: PhantomPinned,
        }
    }

    /// # Safety
    ///
    /// `this` points to live pointers, and the caller may access them: it holds the list the
    /// node is linked in (or the node is unlinked and nothing else can reach it concurrently).
    unsafe fn prev(this: NonNull<Self>) -> Option<NonNull<T>> {
        // SAFETY: `this` is live per the caller; accesses are serialised by the list owner.
        unsafe { this.as_ref().links.with(|links| (*links).prev) }
    }

    /// # Safety
    ///
    /// As for [`Pointers::prev`].
    unsafe fn next(this: NonNull<Self>) -> Option<NonNull<T>> {
        // SAFETY: `this` is live per the caller; accesses are serialised by the list owner.
        unsafe { this.as_ref().links.with(|links| (*links).next) }
    }

    /// # Safety
    ///
    /// As for [`Pointers::prev`], with the caller allowed to write (it holds `&mut` list).
    unsafe fn set_prev(this: NonNull<Self>, prev: Option<NonNull<T>>) {
        // SAFETY: `this` is live per the caller, and no other access to the links can run
        // concurrently because the caller has exclusive use of the list.
        unsafe { this.as_ref().links.with_mut(|links| (*links).prev = prev) }
    }

    /// # Safety
    ///
    /// As for [`Pointers::set_prev`].
    unsafe fn set_next(this: NonNull<Self>, next: Option<NonNull<T>>) {
        // SAFETY: as in `set_prev`.
        unsafe { this.as_ref().links.with_mut(|links| (*links).next = next) }
    }
}

impl<T> Default for Pointers<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Pointers<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Reading the links would need the owning list's lock, which a formatter doesn't hold.
        f.debug_struct("Pointers").finish_non_exhaustive()
    }
}

/// An intrusive doubly-linked list of `L::Target` nodes owned through `L::Handle`s.
///
/// Dropping a list that still holds nodes does **not** drop them (or their handles): the nodes
/// are simply forgotten, still carrying their stale links, so they must not be pushed or removed
/// again (debug builds assert on a push of a node that looks linked). An owner whose handles own
/// something (a reference count, an allocation) must empty the list first, e.g. with
/// [`LinkedList::drain`].
#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
pub(crate) struct LinkedList<L: Link> {
    head: Option<NonNull<L::Target>>,
    tail: Option<NonNull<L::Target>>,
    /// The list owns the handles of its nodes.
    _handles: PhantomData<L::Handle>,
}

// SAFETY: the list owns its nodes' handles and touches nodes only through them, so sending the
// list sends the handles, which is fine exactly when `L::Handle: Send`.
unsafe impl<L: Link> Send for LinkedList<L> where L::Handle: Send {}
// SAFETY: through `&LinkedList` one can only read the head and walk the links (`front`,
// `for_each`, `is_empty`); every write needs `&mut`. Concurrent readers are fine, and they only
// receive raw node pointers, which need `unsafe` to use. Nodes' handles may thus be reached from
// several threads only as raw pointers, so `L::Handle: Send` is the requirement.
unsafe impl<L: Link> Sync for LinkedList<L> where L::Handle: Send {}

#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
impl<L: Link> LinkedList<L> {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        LinkedList {
            head: None,
            tail: None,
            _handles: PhantomData,
        }
    }

    /// Whether the list holds no node.
    pub(crate) fn is_empty(&self) -> bool {
        debug_assert_eq!(self.head.is_none(), self.tail.is_none());
        self.head.is_none()
    }

    /// The first node, without unlinking it.
    pub(crate) fn front(&self) -> Option<NonNull<L::Target>> {
        self.head
    }

    /// Links `handle`'s node at the front. The list keeps the handle until it is popped/removed.
    pub(crate) fn push_front(&mut self, handle: L::Handle) {
        let node = L::as_raw(&handle);
        // The list now owns the handle; `from_raw` rebuilds it when the node leaves.
        mem::forget(handle);
        // SAFETY: the handle kept the node alive, and it stays alive and in place while linked
        // (`Link` contract); we hold `&mut self`, so no one else touches these links.
        unsafe {
            let ptrs = L::pointers(node);
            debug_assert!(!self.is_linked_here(node), "node pushed twice");
            Pointers::set_prev(ptrs, None);
            Pointers::set_next(ptrs, self.head);
            match self.head {
                Some(old) => Pointers::set_prev(L::pointers(old), Some(node)),
                None => self.tail = Some(node),
            }
        }
        self.head = Some(node);
    }

    /// Links `handle`'s node at the back. The list keeps the handle until it is popped/removed.
    pub(crate) fn push_back(&mut self, handle: L::Handle) {
        let node = L::as_raw(&handle);
        // The list now owns the handle; `from_raw` rebuilds it when the node leaves.
        mem::forget(handle);
        // SAFETY: as in `push_front`.
        unsafe {
            let ptrs = L::pointers(node);
            debug_assert!(!self.is_linked_here(node), "node pushed twice");
            Pointers::set_next(ptrs, None);
            Pointers::set_prev(ptrs, self.tail);
            match self.tail {
                Some(old) => Pointers::set_next(L::pointers(old), Some(node)),
                None => self.head = Some(node),
            }
        }
        self.tail = Some(node);
    }

    /// Unlinks the first node and hands its handle back.
    pub(crate) fn pop_front(&mut self) -> Option<L::Handle> {
        let node = self.head?;
        // SAFETY: `node` is linked here, so it is live and its handle is owned by the list;
        // `unlink` takes it out before `from_raw` gives that handle back, once.
        unsafe {
            self.unlink(node);
            Some(L::from_raw(node))
        }
    }

    /// Unlinks the last node and hands its handle back.
    pub(crate) fn pop_back(&mut self) -> Option<L::Handle> {
        let node = self.tail?;
        // SAFETY: as in `pop_front`.
        unsafe {
            self.unlink(node);
            Some(L::from_raw(node))
        }
    }

    /// Unlinks `node` if it is in this list and hands its handle back; returns `None` and does
    /// nothing if it is not linked (e.g. someone already popped it).
    ///
    /// # Safety
    ///
    /// `node` points to a live target that is either linked in **this** list or in no list of
    /// this `Link` at all.
    pub(crate) unsafe fn remove(&mut self, node: NonNull<L::Target>) -> Option<L::Handle> {
        // SAFETY: `node` is live, and it is in this list (which we hold mutably) or in none,
        // so its links are ours to read; if linked here, the list owns its handle.
        unsafe {
            if !self.is_linked_here(node) {
                return None;
            }
            self.unlink(node);
            Some(L::from_raw(node))
        }
    }

    /// Calls `f` on every node, front to back, without unlinking any.
    ///
    /// `f` must not change the list's links (it cannot reach the list: it is borrowed here).
    pub(crate) fn for_each(&self, mut f: impl FnMut(NonNull<L::Target>)) {
        let mut cursor = self.head;
        while let Some(node) = cursor {
            // SAFETY: every node reachable from the head is linked here, hence live, and the
            // links cannot change while we borrow the list.
            cursor = unsafe { Pointers::next(L::pointers(node)) };
            f(node);
        }
    }

    /// Pops every node, front first, as an iterator of handles.
    ///
    /// The list is empty once the iterator is exhausted. Dropping the iterator early leaves the
    /// nodes not yet yielded in the list, in order: nothing is lost or dropped. There is
    /// deliberately no "move everything to a detached list" operation: owners of nodes remove
    /// them under the lock of the list they were pushed to, so nodes must stay in that list.
    pub(crate) fn drain(&mut self) -> Drain<'_, L> {
        Drain { list: self }
    }

    /// Whether `node` is linked in this list.
    ///
    /// A node's `prev` is `None` exactly when it is the head or unlinked, and its `next` is
    /// `None` exactly when it is the tail or unlinked; any `Some` link means "linked" (here, by
    /// the caller's promise). A single-node list has both `None` and is both head and tail.
    ///
    /// # Safety
    ///
    /// `node` points to a live target linked in this list or in no list of this `Link`.
    unsafe fn is_linked_here(&self, node: NonNull<L::Target>) -> bool {
        // SAFETY: the caller promises `node` is live and not in another list, and `&self` on
        // this list means no one is changing its links.
        let (prev, next) = unsafe {
            let ptrs = L::pointers(node);
            (Pointers::prev(ptrs), Pointers::next(ptrs))
        };
        let linked_at_front = prev.is_some() || self.head == Some(node);
        let linked_at_back = next.is_some() || self.tail == Some(node);
        debug_assert_eq!(linked_at_front, linked_at_back, "corrupt links");
        linked_at_front && linked_at_back
    }

    /// Takes `node` out of the chain and resets its links to `None`, so it can be pushed again.
    ///
    /// # Safety
    ///
    /// `node` is linked in this list.
    unsafe fn unlink(&mut self, node: NonNull<L::Target>) {
        // SAFETY: `node` and its neighbours are linked here, hence live; `&mut self` gives us
        // exclusive access to all their links.
        unsafe {
            let ptrs = L::pointers(node);
            let prev = Pointers::prev(ptrs);
            let next = Pointers::next(ptrs);
            match prev {
                Some(p) => Pointers::set_next(L::pointers(p), next),
                None => self.head = next,
            }
            match next {
                Some(n) => Pointers::set_prev(L::pointers(n), prev),
                None => self.tail = prev,
            }
            Pointers::set_prev(ptrs, None);
            Pointers::set_next(ptrs, None);
        }
    }
}

impl<L: Link> Default for LinkedList<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: Link> fmt::Debug for LinkedList<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedList")
            .field("head", &self.head)
            .field("tail", &self.tail)
            .finish()
    }
}

/// The iterator returned by [`LinkedList::drain`]: pops from the front on every step.
#[allow(dead_code)] // Not used yet: the task list and waiter queues are being built on it.
pub(crate) struct Drain<'a, L: Link> {
    list: &'a mut LinkedList<L>,
}

impl<L: Link> Iterator for Drain<'_, L> {
    type Item = L::Handle;

    fn next(&mut self) -> Option<L::Handle> {
        self.list.pop_front()
    }
}

impl<L: Link> fmt::Debug for Drain<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Drain").field(&self.list).finish()
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests;

#[cfg(all(test, blitz_loom))]
mod loom_tests;
