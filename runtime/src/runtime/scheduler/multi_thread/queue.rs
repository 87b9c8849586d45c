//! Run queues of the multi-thread scheduler.
//!
//! - [`Local`]: a worker's own FIFO queue, bounded at [`LOCAL_QUEUE_CAPACITY`]; when full, the
//!   oldest half moves to the injection queue in one go, so a spawning burst spreads out
//!   instead of growing one worker's backlog.
//! - [`Steal`]: the handle other workers steal half a queue through.
//! - [`Inject`]: the global injection queue for tasks scheduled from outside the workers and
//!   for overflow. It closes at shutdown; a push that races with closing drains what it pushed.
//!
//! Built on `crossbeam-deque` (Chase-Lev deques and a lock-free injector). crossbeam has no
//! loom support, so under `--cfg blitz_loom` the same API is backed by mutex-guarded
//! `VecDeque`s with a capacity of 4, small enough for a model to reach overflow and stealing.

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::task::Notified;

#[cfg(not(blitz_loom))]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;
#[cfg(blitz_loom)]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 4;

#[cfg(not(blitz_loom))]
mod imp {
    use super::Notified;
    use crossbeam_deque::{Injector, Steal as Stolen, Stealer, Worker};

    pub(crate) struct LocalImpl(Worker<Notified>);
    pub(crate) struct StealImpl(Stealer<Notified>);
    pub(crate) struct InjectImpl(Injector<Notified>);

    pub(crate) fn local() -> (LocalImpl, StealImpl) {
        let worker = Worker::new_fifo();
        let stealer = worker.stealer();
        (LocalImpl(worker), StealImpl(stealer))
    }

    impl LocalImpl {
        pub(crate) fn push(&self, task: Notified) {
            self.0.push(task)
        }
        pub(crate) fn pop(&self) -> Option<Notified> {
            self.0.pop()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }

    /// Retries crossbeam's `Retry` (a lost race with another thief) a bounded number of times.
    fn settle<T>(mut attempt: impl FnMut() -> Stolen<T>) -> Option<T> {
        for _ in 0..8 {
            match attempt() {
                Stolen::Success(task) => return Some(task),
                Stolen::Empty => return None,
                Stolen::Retry => std::hint::spin_loop(),
            }
        }
        None
    }

    impl StealImpl {
        pub(crate) fn steal_into(&self, dst: &LocalImpl) -> Option<Notified> {
            settle(|| self.0.steal_batch_and_pop(&dst.0))
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl InjectImpl {
        pub(crate) fn new() -> Self {
            InjectImpl(Injector::new())
        }
        pub(crate) fn push(&self, task: Notified) {
            self.0.push(task)
        }
        pub(crate) fn pop(&self) -> Option<Notified> {
            settle(|| self.0.steal())
        }
        pub(crate) fn pop_batch_into(&self, dst: &LocalImpl, limit: usize) -> Option<Notified> {
            settle(|| self.0.steal_batch_with_limit_and_pop(&dst.0, limit))
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }
}

#[cfg(blitz_loom)]
mod imp {
    use super::Notified;
    use crate::loom::sync::{Arc, Mutex};
    use std::collections::VecDeque;

    pub(crate) struct LocalImpl(Arc<Mutex<VecDeque<Notified>>>);
    pub(crate) struct StealImpl(Arc<Mutex<VecDeque<Notified>>>);
    pub(crate) struct InjectImpl(Mutex<VecDeque<Notified>>);

    pub(crate) fn local() -> (LocalImpl, StealImpl) {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        (LocalImpl(queue.clone()), StealImpl(queue))
    }

    impl LocalImpl {
        pub(crate) fn push(&self, task: Notified) {
            self.0.lock().push_back(task)
        }
        pub(crate) fn pop(&self) -> Option<Notified> {
            self.0.lock().pop_front()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }

    impl StealImpl {
        pub(crate) fn steal_into(&self, dst: &LocalImpl) -> Option<Notified> {
            let mut batch: VecDeque<Notified> = {
                let mut src = self.0.lock();
                let take = src.len().div_ceil(2);
                src.drain(..take).collect()
            };
            let first = batch.pop_front();
            dst.0.lock().extend(batch);
            first
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }

    impl InjectImpl {
        pub(crate) fn new() -> Self {
            InjectImpl(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, task: Notified) {
            self.0.lock().push_back(task)
        }
        pub(crate) fn pop(&self) -> Option<Notified> {
            self.0.lock().pop_front()
        }
        pub(crate) fn pop_batch_into(&self, dst: &LocalImpl, limit: usize) -> Option<Notified> {
            let mut src = self.0.lock();
            let first = src.pop_front()?;
            let take = src.len().div_ceil(2).min(limit - 1);
            dst.0.lock().extend(src.drain(..take));
            Some(first)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }
}

/// A worker's own queue; only its worker pushes and pops.
pub(crate) struct Local {
    inner: imp::LocalImpl,
}

/// The side of a worker's queue that other workers steal from.
pub(crate) struct Steal {
    inner: imp::StealImpl,
}

/// The global injection queue.
pub(crate) struct Inject {
    inner: imp::InjectImpl,
    closed: AtomicBool,
}

pub(crate) fn local() -> (Local, Steal) {
    let (local, steal) = imp::local();
    (Local { inner: local }, Steal { inner: steal })
}

impl Local {
    /// Pushes to the back; when the queue is full, first moves its oldest half to `inject`.
    /// Returns true if it overflowed.
    pub(crate) fn push_back(&self, task: Notified, inject: &Inject) -> bool {
        if self.inner.len() < LOCAL_QUEUE_CAPACITY {
            self.inner.push(task);
            return false;
        }
        for _ in 0..LOCAL_QUEUE_CAPACITY / 2 {
            match self.inner.pop() {
                Some(old) => inject.push(old),
                None => break,
            }
        }
        inject.push(task);
        true
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        self.inner.pop()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Steal {
    /// Moves about half of the victim's queue into `dst` and returns one of the tasks.
    pub(crate) fn steal_into(&self, dst: &Local) -> Option<Notified> {
        self.inner.steal_into(&dst.inner)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            inner: imp::InjectImpl::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// Queues a task; after `close` the task's reference is dropped instead.
    pub(crate) fn push(&self, task: Notified) {
        if self.closed.load(Acquire) {
            drop(task);
            return;
        }
        self.inner.push(task);
        // A close that ran between the check and the push has already drained: drain what
        // we added ourselves so no reference is stranded.
        if self.closed.load(SeqCst) {
            self.drain();
        }
    }

    #[cfg_attr(not(all(test, blitz_loom)), allow(dead_code))] // Read by the loom models.
    pub(crate) fn pop(&self) -> Option<Notified> {
        self.inner.pop()
    }

    /// Moves a batch of at most `limit` tasks (at least 1) out of the queue: returns the
    /// first and pushes the rest to the back of `dst`.
    pub(crate) fn pop_batch_into(&self, dst: &Local, limit: usize) -> Option<Notified> {
        debug_assert!(limit >= 1);
        self.inner.pop_batch_into(&dst.inner, limit)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// Refuses further pushes and drops every queued reference.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        self.drain();
    }

    fn drain(&self) {
        while let Some(task) = self.inner.pop() {
            drop(task);
        }
    }
}
