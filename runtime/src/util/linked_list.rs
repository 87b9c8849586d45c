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
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// A heap node whose handle frees it, counting drops per node id.
    struct Node {
        pointers: Pointers<Node>,
        id: usize,
        drops: Rc<Vec<Cell<usize>>>,
    }

    /// Owns one boxed `Node`; dropping the handle frees the node and counts the drop.
    struct Owned(NonNull<Node>);

    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: an `Owned` is the only owner of the box it was made from (see `Nodes::make`).
            let node = unsafe { Box::from_raw(self.0.as_ptr()) };
            node.drops[node.id].set(node.drops[node.id].get() + 1);
        }
    }

    struct OwnedLink;

    // SAFETY: `pointers` projects to the node's own field; each test node is pushed at most
    // once at a time and lives in a box that does not move until its `Owned` is dropped.
    unsafe impl Link for OwnedLink {
        type Handle = Owned;
        type Target = Node;

        fn as_raw(handle: &Owned) -> NonNull<Node> {
            handle.0
        }

        unsafe fn from_raw(ptr: NonNull<Node>) -> Owned {
            Owned(ptr)
        }

        unsafe fn pointers(target: NonNull<Node>) -> NonNull<Pointers<Node>> {
            // SAFETY: the caller promises `target` is live; the field projection stays inside it.
            unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
        }
    }

    /// Makes nodes `0..n` and tracks how often each was dropped.
    struct Nodes {
        drops: Rc<Vec<Cell<usize>>>,
    }

    impl Nodes {
        fn new(n: usize) -> Self {
            Nodes {
                drops: Rc::new((0..n).map(|_| Cell::new(0)).collect()),
            }
        }

        fn make(&self, id: usize) -> Owned {
            let node = Box::new(Node {
                pointers: Pointers::new(),
                id,
                drops: self.drops.clone(),
            });
            Owned(NonNull::from(Box::leak(node)))
        }

        fn drops(&self) -> Vec<usize> {
            self.drops.iter().map(Cell::get).collect()
        }
    }

    fn id(handle: &Owned) -> usize {
        // SAFETY: the handle keeps its node alive.
        unsafe { handle.0.as_ref().id }
    }

    fn ids(list: &LinkedList<OwnedLink>) -> Vec<usize> {
        let mut out = Vec::new();
        // SAFETY: nodes handed to `for_each` are linked, hence alive.
        list.for_each(|node| out.push(unsafe { node.as_ref().id }));
        out
    }

    /// Builds a list holding nodes `0..n` in order, returning their raw pointers too.
    fn filled(nodes: &Nodes, n: usize) -> (LinkedList<OwnedLink>, Vec<NonNull<Node>>) {
        let mut list = LinkedList::new();
        let mut ptrs = Vec::new();
        for i in 0..n {
            let handle = nodes.make(i);
            ptrs.push(handle.0);
            list.push_back(handle);
        }
        (list, ptrs)
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let nodes = Nodes::new(4);
        let mut list = LinkedList::<OwnedLink>::new();
        assert!(list.is_empty());
        assert!(list.pop_front().is_none());
        assert!(list.pop_back().is_none());

        list.push_back(nodes.make(1));
        list.push_back(nodes.make(2));
        list.push_front(nodes.make(0));
        list.push_back(nodes.make(3));
        assert_eq!(ids(&list), [0, 1, 2, 3]);
        // SAFETY: the front node is linked, hence alive.
        assert_eq!(unsafe { list.front().unwrap().as_ref().id }, 0);

        assert_eq!(id(&list.pop_front().unwrap()), 0);
        assert_eq!(id(&list.pop_back().unwrap()), 3);
        assert_eq!(id(&list.pop_back().unwrap()), 2);
        assert_eq!(id(&list.pop_front().unwrap()), 1);
        assert!(list.is_empty());
        assert!(list.front().is_none());
        assert_eq!(nodes.drops(), [1, 1, 1, 1]);
    }

    #[test]
    fn remove_middle_head_tail_and_only_node() {
        let nodes = Nodes::new(5);
        let (mut list, ptrs) = filled(&nodes, 5);

        let steps: [(usize, &[usize]); 5] = [
            (2, &[0, 1, 3, 4]), // middle
            (0, &[1, 3, 4]),    // head
            (4, &[1, 3]),       // tail
            (1, &[3]),          // head of two
            (3, &[]),           // the only node: head and tail, with no links of its own
        ];
        for (victim, rest) in steps {
            // SAFETY: `victim` has not been removed yet, so its node is alive and in this list.
            let handle = unsafe { list.remove(ptrs[victim]) }.unwrap();
            assert_eq!(id(&handle), victim);
            assert_eq!(ids(&list), rest);
        }
        assert!(list.is_empty());
        assert!(list.pop_front().is_none());
        assert_eq!(nodes.drops(), [1; 5]);
    }

    #[test]
    fn remove_of_unlinked_node_is_none() {
        let nodes = Nodes::new(3);
        let (mut list, ptrs) = filled(&nodes, 2);
        let stray = nodes.make(2);

        // SAFETY: `stray` is alive and in no list.
        assert!(unsafe { list.remove(stray.0) }.is_none());
        let popped = list.pop_front().unwrap();
        // SAFETY: node 0 is alive (`popped` owns it) and no longer linked.
        assert!(unsafe { list.remove(ptrs[0]) }.is_none());
        // Removing twice: the second attempt finds nothing.
        // SAFETY: node 1 is alive and in this list.
        let first = unsafe { list.remove(ptrs[1]) }.unwrap();
        // SAFETY: node 1 is alive (`first` owns it) and in no list.
        assert!(unsafe { list.remove(ptrs[1]) }.is_none());
        assert!(list.is_empty());
        // An unlinked node tested against an empty list.
        // SAFETY: `stray` is alive and in no list.
        assert!(unsafe { list.remove(stray.0) }.is_none());

        drop((popped, first, stray));
        assert_eq!(nodes.drops(), [1, 1, 1]);
    }

    #[test]
    fn node_can_be_pushed_again_after_remove() {
        let nodes = Nodes::new(3);
        let (mut list, ptrs) = filled(&nodes, 3);

        // SAFETY: node 1 is alive and in this list.
        let middle = unsafe { list.remove(ptrs[1]) }.unwrap();
        list.push_back(middle);
        assert_eq!(ids(&list), [0, 2, 1]);
        let head = list.pop_front().unwrap();
        list.push_back(head);
        assert_eq!(ids(&list), [2, 1, 0]);
        // SAFETY: node 0 is alive and in this list (re-linked at the back).
        let tail = unsafe { list.remove(ptrs[0]) }.unwrap();
        list.push_front(tail);
        assert_eq!(ids(&list), [0, 2, 1]);

        assert_eq!(list.drain().map(|h| id(&h)).collect::<Vec<_>>(), [0, 2, 1]);
        assert_eq!(nodes.drops(), [1, 1, 1]);
    }

    #[test]
    fn for_each_visits_front_to_back_without_unlinking() {
        let nodes = Nodes::new(4);
        let (mut list, _) = filled(&nodes, 4);
        assert_eq!(ids(&list), [0, 1, 2, 3]);
        assert_eq!(ids(&list), [0, 1, 2, 3]);
        assert_eq!(nodes.drops(), [0; 4]);
        list.drain().for_each(drop);
        assert_eq!(ids(&list), []);
    }

    #[test]
    fn drain_empties_the_list_in_order() {
        let nodes = Nodes::new(4);
        let (mut list, _) = filled(&nodes, 4);
        let drained: Vec<usize> = list.drain().map(|h| id(&h)).collect();
        assert_eq!(drained, [0, 1, 2, 3]);
        assert!(list.is_empty());
        assert_eq!(nodes.drops(), [1; 4]);
    }

    #[test]
    fn dropping_drain_early_keeps_the_rest() {
        let nodes = Nodes::new(4);
        let (mut list, _) = filled(&nodes, 4);
        let first_two: Vec<usize> = list.drain().take(2).map(|h| id(&h)).collect();
        assert_eq!(first_two, [0, 1]);
        assert_eq!(ids(&list), [2, 3]);
        assert_eq!(nodes.drops(), [1, 1, 0, 0]);
        list.drain().for_each(drop);
        assert_eq!(nodes.drops(), [1; 4]);
    }

    #[test]
    fn every_handle_comes_back_exactly_once() {
        let nodes = Nodes::new(8);
        let (mut list, ptrs) = filled(&nodes, 8);
        let mut back = Vec::new();
        back.push(list.pop_front().unwrap());
        back.push(list.pop_back().unwrap());
        for linked in [3, 5] {
            // SAFETY: nodes 3 and 5 are alive and in this list.
            back.extend(unsafe { list.remove(ptrs[linked]) });
        }
        // SAFETY: node 0 is alive (owned by `back`) and in no list.
        assert!(unsafe { list.remove(ptrs[0]) }.is_none());
        back.extend(list.drain());
        let mut seen: Vec<usize> = back.iter().map(id).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        assert_eq!(
            nodes.drops(),
            [0; 8],
            "the list dropped a handle it did not own"
        );
        drop(back);
        assert_eq!(nodes.drops(), [1; 8]);
    }

    #[test]
    fn dropping_a_nonempty_list_leaves_the_nodes_alone() {
        let nodes = Nodes::new(2);
        let ptrs = {
            let (list, ptrs) = filled(&nodes, 2);
            assert!(!list.is_empty());
            ptrs
            // `list` goes out of scope here, still holding both nodes.
        };
        assert_eq!(nodes.drops(), [0, 0]);
        // The owner is responsible for them now.
        for ptr in ptrs {
            drop(Owned(ptr));
        }
        assert_eq!(nodes.drops(), [1, 1]);
    }

    /// Nodes that live on the stack, pinned, with a plain pointer as handle: the shape of a
    /// waiter inside a future.
    struct Waiter {
        pointers: Pointers<Waiter>,
        id: usize,
    }

    struct WaiterLink;

    // SAFETY: `pointers` projects to the waiter's own field; the test keeps every waiter
    // pinned on its stack frame and linked in at most one list.
    unsafe impl Link for WaiterLink {
        type Handle = NonNull<Waiter>;
        type Target = Waiter;

        fn as_raw(handle: &NonNull<Waiter>) -> NonNull<Waiter> {
            *handle
        }

        unsafe fn from_raw(ptr: NonNull<Waiter>) -> NonNull<Waiter> {
            ptr
        }

        unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
            // SAFETY: the caller promises `target` is live; the field projection stays inside it.
            unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
        }
    }

    #[test]
    fn pinned_stack_nodes() {
        let a = core::pin::pin!(Waiter {
            pointers: Pointers::new(),
            id: 7,
        });
        let b = core::pin::pin!(Waiter {
            pointers: Pointers::new(),
            id: 8,
        });
        let pa = NonNull::from(&*a);
        let pb = NonNull::from(&*b);

        let mut list = LinkedList::<WaiterLink>::new();
        list.push_back(pa);
        list.push_back(pb);
        // SAFETY: `a` is pinned, alive and linked here: the "future dropped while queued" path.
        assert_eq!(unsafe { list.remove(pa) }, Some(pa));
        assert_eq!(list.pop_front(), Some(pb));
        assert!(list.is_empty());
        assert_eq!((a.id, b.id), (7, 8));
    }

    #[test]
    fn debug_output_names_head_and_tail() {
        let list = LinkedList::<WaiterLink>::default();
        let text = format!("{list:?}");
        assert!(text.contains("head") && text.contains("tail"), "{text}");
    }
}

#[cfg(all(test, blitz_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::cell::UnsafeCell;
    use crate::loom::sync::{Arc, Mutex};
    use loom::thread;

    /// A ref-counted node, the shape of a task header in the owned-task list.
    struct Entry {
        pointers: Pointers<Entry>,
        id: usize,
    }

    struct ArcLink;

    // SAFETY: `pointers` projects to the entry's own field; an `Arc` allocation never moves;
    // the models push each entry into at most one list; `from_raw` rebuilds exactly the
    // reference `push_*` forgot.
    unsafe impl Link for ArcLink {
        type Handle = Arc<Entry>;
        type Target = Entry;

        fn as_raw(handle: &Arc<Entry>) -> NonNull<Entry> {
            // SAFETY: an `Arc`'s data pointer is never null.
            unsafe { NonNull::new_unchecked(Arc::as_ptr(handle).cast_mut()) }
        }

        unsafe fn from_raw(ptr: NonNull<Entry>) -> Arc<Entry> {
            // SAFETY: `ptr` is `Arc::as_ptr` of a reference that was forgotten by `push_*`,
            // which is what `Arc::into_raw` does; it is rebuilt once.
            unsafe { Arc::from_raw(ptr.as_ptr()) }
        }

        unsafe fn pointers(target: NonNull<Entry>) -> NonNull<Pointers<Entry>> {
            // SAFETY: the caller promises `target` is live; the field projection stays inside it.
            unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
        }
    }

    fn entry(id: usize) -> Arc<Entry> {
        Arc::new(Entry {
            pointers: Pointers::new(),
            id,
        })
    }

    /// (a) Two threads push their own entries while a third pops one and removes another; every
    /// entry leaves the list exactly once. (loom also reports any leaked `Arc`.)
    #[test]
    fn concurrent_push_pop_remove() {
        loom::model(|| {
            let list = Arc::new(Mutex::new(LinkedList::<ArcLink>::new()));
            let a = entry(0);
            let b = entry(1);

            let push_a = {
                let (list, a) = (list.clone(), a.clone());
                thread::spawn(move || list.lock().push_back(a))
            };
            let push_b = {
                let (list, b) = (list.clone(), b.clone());
                thread::spawn(move || list.lock().push_front(b))
            };
            let taker = {
                let (list, a) = (list.clone(), a.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    got.extend(list.lock().pop_back().map(|e| e.id));
                    let node = ArcLink::as_raw(&a);
                    // SAFETY: we hold a reference to `a`, so it is alive, and the only list
                    // it can be in is this one.
                    got.extend(unsafe { list.lock().remove(node) }.map(|e| e.id));
                    got
                })
            };

            push_a.join().unwrap();
            push_b.join().unwrap();
            let mut seen = taker.join().unwrap();
            seen.extend(list.lock().drain().map(|e| e.id));
            seen.sort_unstable();
            assert_eq!(seen, [0, 1]);
            assert!(list.lock().is_empty());
        });
    }

    /// A waiter that lives inside its owner's future, linked through a plain pointer.
    struct Waiter {
        pointers: Pointers<Waiter>,
        id: usize,
        /// Written by whoever takes the waiter out of the queue, under the queue's lock.
        notified: UnsafeCell<bool>,
    }

    /// A pointer to a waiter that may be handed to another thread.
    struct WaiterRef(NonNull<Waiter>);

    // SAFETY: a `WaiterRef` is only dereferenced under the queue's lock, and the waiter's owner
    // frees it only after taking that lock and finding it out of the queue.
    unsafe impl Send for WaiterRef {}

    struct WaiterLink;

    // SAFETY: `pointers` projects to the waiter's own field; waiters are boxed (they do not
    // move), in at most one queue, and freed only once unlinked.
    unsafe impl Link for WaiterLink {
        type Handle = WaiterRef;
        type Target = Waiter;

        fn as_raw(handle: &WaiterRef) -> NonNull<Waiter> {
            handle.0
        }

        unsafe fn from_raw(ptr: NonNull<Waiter>) -> WaiterRef {
            WaiterRef(ptr)
        }

        unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
            // SAFETY: the caller promises `target` is live; the field projection stays inside it.
            unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
        }
    }

    fn waiter(id: usize) -> NonNull<Waiter> {
        NonNull::from(Box::leak(Box::new(Waiter {
            pointers: Pointers::new(),
            id,
            notified: UnsafeCell::new(false),
        })))
    }

    /// (b) A waiter's owner removes it (as a dropped future does) while another thread drains
    /// the queue one node per lock hold (as a wake-all with a full batch does): exactly one of
    /// them gets the waiter.
    #[test]
    fn owner_remove_races_drain() {
        loom::model(|| {
            let queue = Arc::new(Mutex::new(LinkedList::<WaiterLink>::new()));
            let bystander = waiter(1);
            queue.lock().push_back(WaiterRef(bystander));

            let owner = {
                let queue = queue.clone();
                thread::spawn(move || {
                    let node = waiter(0);
                    queue.lock().push_back(WaiterRef(node));
                    // The future is dropped: unlink the waiter unless a waker already took it.
                    let mut guard = queue.lock();
                    // SAFETY: `node` is alive (we free it below, only after this) and can only
                    // be in this queue.
                    let removed = unsafe { guard.remove(node) }.is_some();
                    // SAFETY: `node` is alive; `notified` is only accessed under the lock.
                    let notified = unsafe { node.as_ref() }.notified.with(|n| unsafe { *n });
                    drop(guard);
                    assert_ne!(removed, notified, "exactly one side takes the waiter");
                    // SAFETY: the waiter is out of the queue and nobody else refers to it.
                    drop(unsafe { Box::from_raw(node.as_ptr()) });
                    removed
                })
            };
            let drainer = {
                let queue = queue.clone();
                thread::spawn(move || {
                    let mut taken = Vec::new();
                    loop {
                        let mut guard = queue.lock();
                        let Some(w) = guard.drain().next() else { break };
                        // SAFETY: we hold the lock, and the owner frees its waiter only after
                        // taking the lock itself, so the waiter is alive.
                        let w = unsafe { w.0.as_ref() };
                        // SAFETY: `notified` is only accessed under the lock, which we hold.
                        w.notified.with_mut(|n| unsafe { *n = true });
                        taken.push(w.id);
                    }
                    taken
                })
            };

            let owner_removed = owner.join().unwrap();
            let taken = drainer.join().unwrap();
            assert!(queue.lock().is_empty());
            assert!(taken.contains(&1));
            assert_eq!(taken.contains(&0), !owner_removed);
            // SAFETY: the bystander is out of the queue and nobody else refers to it.
            drop(unsafe { Box::from_raw(bystander.as_ptr()) });
        });
    }
}
