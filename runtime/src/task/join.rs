//! `JoinHandle`: the owner's view of a spawned task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::raw::RawTask;
use super::{coop, AbortHandle, Id, JoinError};

/// An owned permission to await a spawned task's output.
///
/// Awaiting the handle gives `Ok(output)`, or a [`JoinError`] when the task panicked or was
/// cancelled (by [`abort`](Self::abort) or runtime shutdown). Dropping the handle *detaches*
/// the task: it keeps running and its output is dropped when it finishes.
///
/// ```
/// # blitz_io::run(async {
/// let handle = blitz_io::task::spawn(async { "done" });
/// assert_eq!(handle.await.unwrap(), "done");
/// # });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; `.await` it to get its output"]
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output (`T: Send`) across threads; the task itself is
// shared through its atomic state word.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` allows `abort`, `is_finished` and `id`, which touch only atomics.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `raw` carries one reference (with `JOIN_INTEREST`) for the handle, and its output type
    /// is `T`.
    pub(crate) unsafe fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Asks the task to stop: it is cancelled at its next suspension point (a running task
    /// finishes its current poll first). Awaiting the handle then gives a cancelled
    /// [`JoinError`], unless the task had already finished, in which case its output is kept.
    ///
    /// A [`spawn_blocking`](super::spawn_blocking) job can only be aborted before it starts.
    pub fn abort(&self) {
        abort_task(self.raw);
    }

    /// A handle that can [`abort`](AbortHandle::abort) this task from elsewhere, even after
    /// this `JoinHandle` is dropped or awaited. It holds its own reference to the task.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let handle = blitz_io::task::spawn(async { 5 });
    /// let abort = handle.abort_handle();
    /// assert_eq!(abort.id(), handle.id());
    /// # });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.raw)
    }

    /// True once the task has finished (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.id()
    }

    /// Blocks the calling thread until the task finishes, parking it (no spinning).
    ///
    /// # Panics
    /// When called from a thread that drives a runtime (a worker, or inside `block_on`):
    /// blocking there would stall every task on it. Inside async code use `.await` instead.
    #[track_caller]
    pub fn blocking_join(self) -> Result<T, JoinError> {
        crate::runtime::context::assert_may_block(
            "JoinHandle::blocking_join",
            "use `handle.await` inside async code",
        );
        crate::runtime::park::block_on_thread(self)
    }
}

pub(crate) fn abort_task(raw: RawTask) {
    if raw.header().state.transition_to_notified_and_cancel() {
        // SAFETY: the transition counted a reference and set NOTIFIED for this entry.
        let notified = unsafe { super::raw::Notified::from_raw(raw) };
        raw.header().scheduler.schedule(notified);
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut output: Poll<Result<T, JoinError>> = Poll::Pending;
        let try_read = self.raw.header().vtable.try_read_output;
        // SAFETY: we are the task's JoinHandle, the output type is T, and `output` is a valid
        // `Poll<Result<T, JoinError>>`.
        unsafe {
            try_read(
                self.raw.as_ptr(),
                &mut output as *mut Poll<Result<T, JoinError>> as *mut (),
                cx.waker(),
            )
        };
        if output.is_ready() {
            coop.made_progress();
        }
        output
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let drop_handle = self.raw.header().vtable.drop_join_handle;
        // SAFETY: the handle gives up its reference exactly once, here.
        unsafe { drop_handle(self.raw.as_ptr()) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
