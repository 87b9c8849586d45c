//! loom models of the list behind a mutex: ref-counted entries pushed, popped and removed by
//! several threads, and pinned waiters taken out of a queue by another thread.

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
