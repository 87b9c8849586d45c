//! `JoinSet`: a collection of spawned tasks, awaited in completion order.
//!
//! Design. The set owns its tasks' `JoinHandle`s in a slab (`Vec<Option<Entry>>` plus a free
//! list of slot numbers). Each entry has its own waker, a small `Arc` that knows its slot:
//! the entry's `JoinHandle` is only ever polled with that waker, so when the task completes
//! the runtime wakes exactly that entry, which pushes its slot onto the set's shared *ready
//! queue* and wakes the task awaiting `join_next`. A per-entry `queued` flag keeps a slot from
//! being queued twice. `join_next` then polls only the queued entries:
//!
//! - `spawn` is O(1) amortised (one extra allocation for the entry's waker);
//! - each completion costs O(1): one wake, one push, one poll of the finished handle;
//! - `join_next` never scans the whole set, so draining n tasks is O(n) in total rather than
//!   the O(n²) of polling every handle round-robin.
//!
//! A freshly spawned entry starts queued, so its handle is polled (and registers the entry's
//! waker) on the next `join_next`. A stale wake (from a handle already removed, whose slot may
//! have been reused) only causes one spurious poll of a pending handle.
//!
//! Cooperative budget: `join_next` charges one unit of the task's budget per result (or per
//! `None` from an empty set) and polls the handles inside that unit, so a loop that keeps
//! finding results ready, or keeps asking an empty set, still yields to the scheduler.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future, IntoFuture};
use std::sync::atomic::{AtomicBool, Ordering::AcqRel, Ordering::Release};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::{coop, AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;

/// A set of tasks spawned on the runtime, whose results are taken in the order they finish.
///
/// Every task in the set is aborted when the set is dropped; call
/// [`detach_all`](Self::detach_all) first to let them run on. Tasks are spawned with
/// [`task::spawn`](super::spawn) (or on a given runtime with [`spawn_on`](Self::spawn_on)),
/// so they run concurrently whether or not `join_next` is being awaited.
///
/// Cost: `spawn` and each completion are O(1); `join_next` polls only tasks that have finished
/// (see the module source for the ready-queue design), never the whole set.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task::JoinSet;
///
/// let mut set = JoinSet::new();
/// for i in 0..10u32 {
///     set.spawn(async move { i * 2 });
/// }
/// let mut total = 0;
/// while let Some(result) = set.join_next().await {
///     total += result.unwrap();
/// }
/// assert_eq!(total, 90);
/// assert!(set.is_empty());
/// # });
/// ```
pub struct JoinSet<T> {
    entries: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    len: usize,
    shared: Arc<Shared>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    slot_waker: Arc<SlotWaker>,
    waker: Waker,
}

struct Shared {
    state: Mutex<ReadyState>,
}

struct ReadyState {
    /// Slots whose handle may be ready: woken since their last poll, or never polled.
    ready: VecDeque<usize>,
    /// The task awaiting `join_next`, woken when a slot becomes ready.
    waiter: Option<Waker>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ReadyState> {
        // Nothing panics while the lock is held, but a poisoned lock would still hold a
        // consistent queue.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The waker an entry's `JoinHandle` is polled with.
struct SlotWaker {
    shared: Arc<Shared>,
    slot: usize,
    queued: AtomicBool,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, AcqRel) {
            return;
        }
        let waiter = {
            let mut state = self.shared.lock();
            state.ready.push_back(self.slot);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            shared: Arc::new(Shared {
                state: Mutex::new(ReadyState {
                    ready: VecDeque::new(),
                    waiter: None,
                }),
            }),
        }
    }

    /// Number of tasks in the set: spawned and not yet taken out by `join_next` /
    /// `try_join_next` (finished tasks whose result was not taken still count).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Asks every task in the set to stop. They stay in the set: `join_next` then gives a
    /// cancelled [`JoinError`] for each, or the output of one that had already finished.
    pub fn abort_all(&self) {
        for entry in self.entries.iter().flatten() {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting it: they keep running, detached, and
    /// their outputs are dropped when they finish.
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.free.clear();
        self.len = 0;
        self.shared.lock().ready.clear();
    }

    /// Adds a spawned task's handle to the set.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.free.pop().unwrap_or(self.entries.len());
        let slot_waker = Arc::new(SlotWaker {
            shared: self.shared.clone(),
            slot,
            queued: AtomicBool::new(true),
        });
        let waker = Waker::from(slot_waker.clone());
        let entry = Entry {
            handle,
            slot_waker,
            waker,
        };
        if slot == self.entries.len() {
            self.entries.push(Some(entry));
        } else {
            self.entries[slot] = Some(entry);
        }
        self.len += 1;
        // Queued from birth: the first `join_next` polls it and so registers its waker.
        self.shared.lock().ready.push_back(slot);
        abort
    }

    /// Polls the entry in `slot` (if there still is one) with its own waker.
    fn poll_slot(&mut self, slot: usize) -> Option<(Id, Result<T, JoinError>)> {
        let entry = self.entries.get_mut(slot)?.as_mut()?;
        let id = entry.handle.id();
        // Clear before polling, so a completion racing with this poll queues the slot again.
        entry.slot_waker.queued.store(false, Release);
        let mut cx = Context::from_waker(&entry.waker);
        let result = coop::without_budget(|| std::pin::Pin::new(&mut entry.handle).poll(&mut cx));
        match result {
            Poll::Ready(result) => {
                self.entries[slot] = None;
                self.free.push(slot);
                self.len -= 1;
                Some((id, result))
            }
            Poll::Pending => None,
        }
    }

    /// Takes the result of a finished task, if one is ready, without waiting.
    ///
    /// Returns `None` when no task has finished yet, as well as when the set is empty.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|result| result.map(|(_, output)| output))
    }

    /// As [`try_join_next`](Self::try_join_next), with the finished task's [`Id`] beside its
    /// output (a failed task's id is in its [`JoinError::id`]).
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let queued = self.shared.lock().ready.len();
        for _ in 0..queued {
            let Some(slot) = self.shared.lock().ready.pop_front() else {
                break;
            };
            if let Some((id, result)) = self.poll_slot(slot) {
                return Some(result.map(|output| (id, output)));
            }
        }
        None
    }

    /// The poll behind [`join_next`](Self::join_next): `Ready(None)` for an empty set,
    /// `Ready(Some(result))` when a task has finished, `Pending` otherwise (the waker in `cx`
    /// is woken when one finishes).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|next| next.map(|result| result.map(|(_, output)| output)))
    }

    /// As [`poll_join_next`](Self::poll_join_next), with the finished task's [`Id`].
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        if self.is_empty() {
            coop.made_progress();
            return Poll::Ready(None);
        }
        {
            let mut state = self.shared.lock();
            match &mut state.waiter {
                Some(waiter) => waiter.clone_from(cx.waker()),
                None => state.waiter = Some(cx.waker().clone()),
            }
        }
        // Only the slots queued now: a handle woken again while we poll waits for the next call,
        // so one call does bounded work.
        if let Some(result) = self.try_join_next_with_id() {
            coop.made_progress();
            return Poll::Ready(Some(result));
        }
        Poll::Pending
    }

    /// Waits for the next task to finish and takes its result: `None` once the set is empty.
    ///
    /// Results come in completion order, not spawn order. A panicking or aborted task gives an
    /// `Err` ([`JoinError::is_panic`] / [`JoinError::is_cancelled`]). Cancel-safe: dropping the
    /// future before it completes loses no result.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// As [`join_next`](Self::join_next), with the finished task's [`Id`] beside its output
    /// (a failed task's id is in its [`JoinError::id`]): which of several tasks finished,
    /// matched against the ids of the [`AbortHandle`]s that `spawn` returned.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use blitz_io::task::JoinSet;
    ///
    /// let mut set = JoinSet::new();
    /// let slow = set.spawn(std::future::pending::<&str>());
    /// let fast = set.spawn(async { "done" });
    /// let (id, output) = set.join_next_with_id().await.unwrap().unwrap();
    /// assert_eq!((id, output), (fast.id(), "done"));
    /// slow.abort();
    /// let error = set.join_next_with_id().await.unwrap().unwrap_err();
    /// assert_eq!(error.id(), slow.id());
    /// # });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Aborts every task and waits until all of them have stopped, dropping their outputs
    /// and errors; the set is then empty. A task that is in the middle of a poll when it is
    /// aborted stops when that poll returns: this waits for it (dropping the set does not).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use blitz_io::task::JoinSet;
    ///
    /// let mut set = JoinSet::new();
    /// for _ in 0..3 {
    ///     set.spawn(std::future::pending::<()>());
    /// }
    /// set.shutdown().await;
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    /// When a task panicked (its panic is resumed here) or was cancelled. Use `join_next` to
    /// handle failures one by one.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(error) => match error.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(error) => panic!("JoinSet::join_all: {error}"),
                },
            }
        }
        outputs
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` with [`task::spawn`](super::spawn) and adds it to the set. The returned
    /// [`AbortHandle`] can cancel this one task.
    ///
    /// # Panics
    /// When called outside a runtime (see [`task::spawn`](super::spawn)).
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: IntoFuture<Output = T>,
        F::IntoFuture: Send + 'static,
    {
        self.insert(super::spawn(future))
    }

    /// Spawns `future` on the runtime behind `handle` and adds it to the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: IntoFuture<Output = T>,
        F::IntoFuture: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs `function` on the blocking pool (see [`spawn_blocking`](super::spawn_blocking))
    /// and adds it to the set. Aborting only stops a job that has not started.
    ///
    /// # Panics
    /// When called outside a runtime.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, function: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(super::spawn_blocking(function))
    }

    /// Runs `function` on the blocking pool of the runtime behind `handle` and adds it to the
    /// set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, function: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(function))
    }
}

/// Spawns each future (with [`JoinSet::spawn`]) into a new set.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task::JoinSet;
///
/// let set: JoinSet<u32> = (1..=3u32).map(|i| async move { i * 10 }).collect();
/// let mut outputs = set.join_all().await;
/// outputs.sort();
/// assert_eq!(outputs, [10, 20, 30]);
/// # });
/// ```
///
/// # Panics
/// Outside a runtime (see [`task::spawn`](super::spawn)).
impl<T, F> FromIterator<F> for JoinSet<T>
where
    T: Send + 'static,
    F: IntoFuture<Output = T>,
    F::IntoFuture: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}

/// Spawns each future (with [`JoinSet::spawn`]) into the set.
///
/// # Panics
/// Outside a runtime (see [`task::spawn`](super::spawn)).
impl<T, F> Extend<F> for JoinSet<T>
where
    T: Send + 'static,
    F: IntoFuture<Output = T>,
    F::IntoFuture: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set.
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}
