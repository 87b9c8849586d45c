//! Unit tests of the intrusive list: heap nodes whose handles count drops (push, pop, remove,
//! drain, re-push, drop of a non-empty list) and pinned stack nodes.

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
