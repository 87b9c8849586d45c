//! A queue of waiting futures that are all woken together: the waiter list behind the channels
//! that wake every receiver on a change (`broadcast`, `watch`).
//!
//! Each waiting future embeds a pinned [`Waiter`] node. The owner keeps a [`WaiterList`] inside
//! its mutex; that mutex also guards every field of every node, which is only read or written
//! through the list's methods while the lock is held. A notified node is unlinked and marked, so
//! the future that owns it knows it no longer needs to remove itself; a future that is dropped
//! while still linked removes its node under the lock before the memory goes away. Wakers are
//! handed out in [`WakeBatch`]es and fired by the caller after it has released the lock.

use std::ptr::NonNull;
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::util::linked_list::{self, LinkedList, Pointers};
use crate::util::wake_batch::{register_waker, WakeBatch};

/// A node embedded in a waiting future. `!Unpin` (through its `Pointers`): once registered it
/// must stay where it is until it is notified or removed.
pub(crate) struct Waiter {
    pointers: Pointers<Waiter>,
    /// Guarded by the owner's mutex (the one around the list the node goes into).
    state: UnsafeCell<WaiterState>,
}

#[derive(Default)]
struct WaiterState {
    waker: Option<Waker>,
    linked: bool,
}

// SAFETY: the node's fields are only touched under the owner's mutex (see the module doc), so
// sharing or sending it is as safe as for the `Waker` inside.
unsafe impl Send for Waiter {}
// SAFETY: as above.
unsafe impl Sync for Waiter {}

impl Waiter {
    pub(crate) fn new() -> Waiter {
        Waiter {
            pointers: Pointers::new(),
            state: UnsafeCell::new(WaiterState::default()),
        }
    }
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The state needs the owner's lock, which a formatter does not hold.
        f.debug_struct("Waiter").finish_non_exhaustive()
    }
}

struct WaiterLink;

// SAFETY: `pointers` is a field of the live node; a node is in at most one list (the `linked`
// flag, checked under the owner's lock, keeps it from being pushed twice), and registered nodes
// are pinned and removed before they are dropped.
unsafe impl linked_list::Link for WaiterLink {
    type Handle = NonNull<Waiter>;
    type Target = Waiter;

    fn as_raw(handle: &NonNull<Waiter>) -> NonNull<Waiter> {
        *handle
    }

    unsafe fn from_raw(ptr: NonNull<Waiter>) -> NonNull<Waiter> {
        ptr
    }

    unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
        // SAFETY: the caller guarantees `target` is live.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*target.as_ptr()).pointers)) }
    }
}

/// The waiting futures of one channel, woken all at once.
pub(crate) struct WaiterList {
    list: LinkedList<WaiterLink>,
}

// SAFETY: the list holds pointers to `Waiter` nodes (which are `Send` and `Sync`) and only
// follows them through `&mut self`, i.e. under the owner's mutex; moving the list to another
// thread moves nothing the nodes' owners could observe unsynchronised.
unsafe impl Send for WaiterList {}
// SAFETY: `&WaiterList` gives no access to any node.
unsafe impl Sync for WaiterList {}

impl WaiterList {
    pub(crate) fn new() -> WaiterList {
        WaiterList {
            list: LinkedList::new(),
        }
    }

    /// Links `waiter` (or, if it is still linked, refreshes its waker).
    ///
    /// # Safety
    ///
    /// The caller holds the mutex that guards this list, `waiter` is pinned and stays alive
    /// until it has been [removed](Self::remove) or woken, and it is never put in another list.
    pub(crate) unsafe fn register(&mut self, waiter: NonNull<Waiter>, waker: &Waker) {
        // SAFETY: the node is live (caller) and its state is guarded by the lock we hold.
        let linked = unsafe {
            waiter.as_ref().state.with_mut(|state| {
                register_waker(&mut (*state).waker, waker);
                std::mem::replace(&mut (*state).linked, true)
            })
        };
        if !linked {
            self.list.push_back(waiter);
        }
    }

    /// Unlinks `waiter` if it is still linked (a notified node already is not).
    ///
    /// # Safety
    ///
    /// The caller holds the mutex that guards this list and `waiter` is live; if linked, it is
    /// linked in this list.
    pub(crate) unsafe fn remove(&mut self, waiter: NonNull<Waiter>) {
        // SAFETY: as for `register`.
        let linked = unsafe {
            waiter.as_ref().state.with_mut(|state| {
                (*state).waker = None;
                std::mem::replace(&mut (*state).linked, false)
            })
        };
        if linked {
            // SAFETY: the node is linked, and only ever in this list.
            unsafe { self.list.remove(waiter) };
        }
    }

    /// Unlinks waiters, oldest first, moving their wakers into `batch` until it is full.
    /// Returns whether waiters are left (the caller releases the lock, wakes the batch and
    /// calls again).
    pub(crate) fn take_wakers(&mut self, batch: &mut WakeBatch) -> bool {
        while batch.can_push() {
            let Some(waiter) = self.list.pop_front() else {
                return false;
            };
            // SAFETY: linked nodes are live (their futures remove them before going away) and
            // the caller holds the lock that guards their state.
            let waker = unsafe {
                waiter.as_ref().state.with_mut(|state| {
                    (*state).linked = false;
                    (*state).waker.take()
                })
            };
            if let Some(waker) = waker {
                batch.push(waker);
            }
        }
        !self.list.is_empty()
    }
}

impl std::fmt::Debug for WaiterList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaiterList")
            .field("empty", &self.list.is_empty())
            .finish()
    }
}

#[cfg(all(test, blitz_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
    use crate::loom::sync::{Arc, Mutex};
    use loom::thread;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// A waiter checks a flag and registers under the lock (as `watch::Changed::poll` does)
    /// while a notifier sets the flag and then wakes every registered waiter; a third thread
    /// registers and then withdraws (a dropped future). No wake-up is lost: the first waiter
    /// either saw the flag or was woken exactly once, and the withdrawn one at most once.
    #[test]
    fn register_then_check_never_misses_a_wake_all() {
        loom::model(|| {
            let list = Arc::new(Mutex::new(WaiterList::new()));
            let flag = Arc::new(AtomicBool::new(false));
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let dropped = std::sync::Arc::new(Count(AtomicUsize::new(0)));

            let notifier = {
                let (list, flag) = (list.clone(), flag.clone());
                thread::spawn(move || {
                    flag.store(true, Release);
                    let mut batch = WakeBatch::new();
                    loop {
                        let more = list.lock().take_wakers(&mut batch);
                        batch.wake_all();
                        if !more {
                            break;
                        }
                    }
                })
            };
            let withdrawn = {
                let list = list.clone();
                let waker = std::task::Waker::from(dropped.clone());
                thread::spawn(move || {
                    let node = Box::pin(Waiter::new());
                    let ptr = NonNull::from(&*node);
                    // SAFETY: the lock is held; the node is pinned and removed before it drops.
                    unsafe { list.lock().register(ptr, &waker) };
                    // SAFETY: as above.
                    unsafe { list.lock().remove(ptr) };
                    drop(node);
                })
            };

            let node = Box::pin(Waiter::new());
            let ptr = NonNull::from(&*node);
            let saw_flag = {
                let mut guard = list.lock();
                if flag.load(Acquire) {
                    true
                } else {
                    let waker = std::task::Waker::from(count.clone());
                    // SAFETY: the lock is held; the node outlives its registration below.
                    unsafe { guard.register(ptr, &waker) };
                    false
                }
            };
            notifier.join().unwrap();
            withdrawn.join().unwrap();
            if saw_flag {
                assert_eq!(count.0.load(SeqCst), 0);
            } else {
                assert_eq!(count.0.load(SeqCst), 1, "the registered waiter was woken");
            }
            // SAFETY: the lock is held; the node is live.
            unsafe { list.lock().remove(ptr) };
            assert!(dropped.0.load(SeqCst) <= 1);
        });
    }
}
