//! The cooperative budget: at most 128 leaf-future polls per task poll.
//!
//! A task that keeps finding its resources ready (a channel that always has a value, a lock
//! never contended) would otherwise never return `Pending` and starve every other task on its
//! worker. The scheduler grants a budget before each task poll; every leaf future of this crate
//! (sync, channels, timers, I/O, `JoinHandle`) calls [`poll_proceed`] first, and once the budget
//! is spent that call wakes the task and returns `Pending`, which sends the task to the back of
//! the run queue. Outside a blitz-io task the budget is unconstrained and the hook costs a
//! thread-local read.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::runtime::context;

/// Leaf polls granted per task poll.
pub(crate) const INITIAL_BUDGET: u8 = 128;

/// Remaining budget; `None` means unconstrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL_BUDGET))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }

    fn has_remaining(self) -> bool {
        self.0 != Some(0)
    }
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one afterwards.
#[inline]
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::initial(), f)
}

/// Runs `f` with an unconstrained budget, restoring the task's budget afterwards: for a
/// combinator that charges one unit itself and then polls handles that would charge again.
pub(crate) fn without_budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::unconstrained(), f)
}

fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    struct Reset(Budget);
    impl Drop for Reset {
        fn drop(&mut self) {
            context::set_budget(self.0);
        }
    }
    let _reset = Reset(context::replace_budget(budget));
    f()
}

/// True when the running task may still poll leaf futures.
pub(crate) fn has_budget_remaining() -> bool {
    context::budget().has_remaining()
}

/// Spends one unit of budget, or (when none is left) wakes the task and returns `Pending`.
///
/// The returned guard gives the unit back if the leaf future then returns `Pending` anyway,
/// so only polls that made progress are charged; call [`RestoreOnPending::made_progress`]
/// when it did.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let before = context::budget();
    match before.0 {
        None => Poll::Ready(RestoreOnPending(Cell::new(before))),
        Some(0) => force_yield(cx),
        Some(n) => {
            context::set_budget(Budget(Some(n - 1)));
            Poll::Ready(RestoreOnPending(Cell::new(before)))
        }
    }
}

/// `Ready` while the task has budget left, spending none (for combinators such as
/// `select!` that poll leaf futures which charge the budget themselves); otherwise wakes the
/// task and returns `Pending`, as [`poll_proceed`] does.
#[inline]
pub(crate) fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    if has_budget_remaining() {
        Poll::Ready(())
    } else {
        force_yield(cx)
    }
}

/// The budget is spent: ask to be polled again after the scheduler's other work.
fn force_yield<T>(cx: &mut Context<'_>) -> Poll<T> {
    context::note_forced_yield();
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Gives a budget unit back when dropped, unless [`made_progress`](Self::made_progress) ran.
#[derive(Debug)]
pub(crate) struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    pub(crate) fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let before = self.0.get();
        if before.0.is_some() {
            context::set_budget(before);
        }
    }
}

/// Spends one unit of the task's cooperative budget, yielding to the scheduler first if the
/// budget is already spent.
///
/// Call it in a loop that polls only futures that are always ready (and so never return
/// `Pending` on their own) to keep the loop from starving other tasks. It costs almost nothing
/// while budget remains.
///
/// ```
/// # blitz_io::run(async {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     sum += i; // stand-in for work that never waits
///     blitz_io::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # });
/// ```
pub async fn consume_budget() {
    let mut status = Poll::Pending;
    std::future::poll_fn(move |cx| {
        if status.is_ready() {
            return status;
        }
        let restore = ready!(poll_proceed(cx));
        restore.made_progress();
        status = Poll::Ready(());
        status
    })
    .await
}

/// Runs `future` without a cooperative budget: leaf futures inside it never force a yield.
///
/// Use sparingly: a future that never yields holds its worker for as long as it runs.
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { inner: future }
}

/// Future for [`unconstrained`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Unconstrained<F> {
    inner: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: structural pinning of the only field; Unconstrained never moves it.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut this.inner) };
        with_budget(Budget::unconstrained(), || inner.poll(cx))
    }
}
