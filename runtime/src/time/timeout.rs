//! [`timeout`] and [`timeout_at`]: a future raced against a [`Sleep`].
//!
//! The inner future is polled first, so one that is ready never touches the timer wheel. When
//! the inner future spent the task's whole cooperative budget, the timer is still polled (with
//! the budget lifted): `timeout(d, busy_loop)` fires even if `busy_loop` never returns
//! `Pending` on its own.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::error::Elapsed;
use super::sleep::{poll_without_budget, sleep, sleep_until, Sleep};
use super::Instant;
use crate::task::coop;

/// Runs `future` for at most `duration`: `Ok(output)` if it completes in time, otherwise
/// `Err(Elapsed)` and the future is dropped.
///
/// # Panics
/// Outside a blitz-io runtime, like [`sleep`](super::sleep()).
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time;
///
/// blitz_io::run(async {
///     let quick = time::timeout(Duration::from_secs(1), async { 42 }).await;
///     assert_eq!(quick, Ok(42));
///     let stuck = time::timeout(Duration::from_millis(5), std::future::pending::<()>()).await;
///     assert!(stuck.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        inner: future.into_future(),
        delay: sleep(duration),
    }
}

/// Runs `future` until `deadline` at the latest (see [`timeout`]).
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, Instant};
///
/// blitz_io::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let result = time::timeout_at(deadline, std::future::pending::<()>()).await;
///     assert!(result.is_err() && Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        inner: future.into_future(),
        delay: sleep_until(deadline),
    }
}

/// Future returned by [`timeout`] and [`timeout_at`].
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, Timeout};
///
/// blitz_io::run(async {
///     let guarded: Timeout<_> = time::timeout(Duration::from_secs(1), async { "fast" });
///     println!("gives up at {:?}", guarded.deadline());
///     assert_eq!(guarded.await, Ok("fast"));
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Timeout<F> {
    inner: F,
    delay: Sleep,
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.inner
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.inner
    }

    /// Gives the wrapped future back, cancelling the timeout.
    pub fn into_inner(self) -> F {
        // `Timeout` has no Drop impl, so the fields can be moved out; the Sleep drops here.
        self.inner
    }

    /// The instant the timeout fires at.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of both fields: neither is moved while pinned, and
        // `Timeout` has no Drop impl nor an `Unpin` impl that would allow moving them.
        let (inner, mut delay) = unsafe {
            let this = self.get_unchecked_mut();
            (
                Pin::new_unchecked(&mut this.inner),
                Pin::new_unchecked(&mut this.delay),
            )
        };
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(output) = inner.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let fired = if had_budget && !coop::has_budget_remaining() {
            // The inner future spent the budget: check the timer anyway.
            poll_without_budget(delay.as_mut(), cx)
        } else {
            delay.as_mut().poll(cx)
        };
        fired.map(|()| Err(Elapsed::new()))
    }
}

impl<F: fmt::Debug> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("inner", &self.inner)
            .field("deadline", &self.delay.deadline())
            .finish()
    }
}
