//! `yield_now`: give the worker to other tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler once: the task is re-queued behind every task already runnable and
/// runs again only after the worker has also polled its drivers (timers and I/O).
///
/// The task is never re-polled in place. Outside a blitz-io task (another executor, or
/// `block_on`'s own future) it is a plain self-wake.
///
/// ```
/// # blitz_io::run(async {
/// blitz_io::task::yield_now().await;
/// # });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future for [`yield_now`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Polled with the running task's own waker: the harness marks the task notified as it
        // leaves RUNNING, so the wake (an atomic update of the state word) is skipped.
        if crate::runtime::context::request_own_yield(cx.waker()) {
            return Poll::Pending;
        }
        // Otherwise wake ourselves (inside a task poll this only sets NOTIFIED; under a
        // combinator it goes through its waker) and tell the scheduler this wake is a yield.
        // Either way the harness parks the task in the worker's defer list, which is moved to
        // the back of the run queue after the next driver poll.
        cx.waker().wake_by_ref();
        crate::runtime::context::request_yield();
        Poll::Pending
    }
}
