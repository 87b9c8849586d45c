//! `CancellationToken`: a cancellation signal shared by clones and inherited by child tokens.
//!
//! Design: tokens are handles (an `Arc`) to a node of a tree (see `tree`): clones share a node,
//! `child_token` makes a child node. Cancelling a node cancels its subtree; a child's own
//! cancellation never reaches its parent. `cancelled()` futures wait on the node's [`Notify`]:
//! each embeds a `notify::Wait` registration (no allocation per wait), and cancellation sets
//! the node's flag before calling `notify_waiters`. A future checks the flag after its
//! registration was created, and a registration created before a `notify_waiters` call is
//! completed by it, so a cancellation between the check and the first poll is never missed.
//! Creating tokens allocates (the shared node, a child's slot in its parent); waiting does not.

mod tree;

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use self::tree::TreeNode;
use crate::loom::sync::Arc;
use crate::sync::notify::{Notify, Wait};
use crate::task::coop;

/// A token that signals cancellation to every clone of it and to every child token.
///
/// Clones share one signal; [`child_token`](CancellationToken::child_token) makes a token that
/// is cancelled when its parent is, but whose own cancellation leaves the parent alone. Dropping
/// the last token of a child detaches it from its parent, so long-lived parents do not
/// accumulate dead children.
///
/// ```
/// use blitz_io::sync::CancellationToken;
///
/// # blitz_io::run(async {
/// let token = CancellationToken::new();
/// let child = token.child_token();
/// let worker = blitz_io::task::spawn(async move {
///     child.cancelled().await;
///     "stopped"
/// });
/// token.cancel();
/// assert_eq!(worker.await.unwrap(), "stopped");
/// # });
/// ```
pub struct CancellationToken {
    node: Arc<TreeNode>,
}

/// Future returned by [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellationFuture<'a> {
    token: &'a CancellationToken,
    wait: Wait,
}

/// Future returned by [`CancellationToken::cancelled_owned`]; it owns its token.
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellationFutureOwned {
    token: CancellationToken,
    wait: Wait,
}

/// Cancels its token when dropped, unless [disarmed](DropGuard::disarm).
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl CancellationToken {
    /// A new, uncancelled root token.
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: TreeNode::root(),
        }
    }

    /// A token that is cancelled when this one is (or already is, if this one is); cancelling
    /// the child does not cancel this token.
    ///
    /// ```
    /// let parent = blitz_io::sync::CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(!parent.is_cancelled());
    /// parent.cancel();
    /// assert!(parent.child_token().is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        CancellationToken {
            node: TreeNode::child(&self.node),
        }
    }

    /// Cancels this token, its clones and all their descendants, and wakes every task waiting
    /// in [`cancelled`](CancellationToken::cancelled). Cancelling twice does nothing more.
    pub fn cancel(&self) {
        TreeNode::cancel(&self.node);
    }

    /// Whether the token has been cancelled (directly or through an ancestor).
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// A future that completes once the token is cancelled (at once if it already is).
    ///
    /// Cancel safety: dropping and recreating the future loses nothing.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let token = blitz_io::sync::CancellationToken::new();
    /// token.cancel();
    /// token.cancelled().await;
    /// # });
    /// ```
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            token: self,
            wait: Wait::new(&self.node.notify),
        }
    }

    /// Like [`cancelled`](CancellationToken::cancelled), but the future owns the token (so it
    /// can be `'static`, e.g. to move into a spawned task).
    ///
    /// Cancel safety: as for `cancelled`.
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        let wait = Wait::new(&self.node.notify);
        WaitForCancellationFutureOwned { token: self, wait }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`,
    /// and `future` is dropped). Cancellation is checked first on every poll.
    ///
    /// Cancel safety: as cancel-safe as `future` itself.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let token = blitz_io::sync::CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(async { 3 }).await, Some(3));
    /// token.cancel();
    /// let never = std::future::pending::<()>();
    /// assert_eq!(token.run_until_cancelled(never).await, None);
    /// # });
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut cancelled = core::pin::pin!(self.cancelled());
        let mut future = core::pin::pin!(future);
        core::future::poll_fn(|cx| {
            // The flag first: `cancelled` returns `Pending` when the task's coop budget is
            // spent, and `future` must not win over a cancellation that already happened.
            if self.is_cancelled() || cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// Wraps the token in a guard that cancels it when dropped.
    ///
    /// ```
    /// let token = blitz_io::sync::CancellationToken::new();
    /// let guard = token.clone().drop_guard();
    /// drop(guard);
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

/// The shared poll of both cancellation futures.
fn poll_cancelled(
    token: &CancellationToken,
    wait: Pin<&mut Wait>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let coop = core::task::ready!(coop::poll_proceed(cx));
    // The registration (`wait`) was created before this check, so a cancellation after it is
    // either seen here or completes the registration in `poll_wait`.
    if token.is_cancelled()
        || token
            .node
            .notify
            .poll_wait(wait, Some(cx.waker()))
            .is_ready()
    {
        coop.made_progress();
        return Poll::Ready(());
    }
    Poll::Pending
}

fn cancel_wait(notify: &Notify, wait: &mut Wait) {
    // SAFETY: called from the owning future's `Drop`: `wait` stays where it is until the end of
    // the call, and `cancel_wait` unlinks it before that.
    notify.cancel_wait(unsafe { Pin::new_unchecked(wait) });
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: structural pinning of `wait`; it is never moved out.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `wait` is pinned inside the pinned future.
        poll_cancelled(
            this.token,
            unsafe { Pin::new_unchecked(&mut this.wait) },
            cx,
        )
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    fn drop(&mut self) {
        cancel_wait(&self.token.node.notify, &mut self.wait);
    }
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: structural pinning of `wait`; it is never moved out.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `wait` is pinned inside the pinned future.
        poll_cancelled(
            &this.token,
            unsafe { Pin::new_unchecked(&mut this.wait) },
            cx,
        )
    }
}

impl Drop for WaitForCancellationFutureOwned {
    fn drop(&mut self) {
        // Runs before the fields drop, so the token (and its node's `Notify`) is still alive.
        cancel_wait(&self.token.node.notify, &mut self.wait);
    }
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    ///
    /// ```
    /// let guard = blitz_io::sync::CancellationToken::new().drop_guard();
    /// let token = guard.disarm();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a guard holds its token until dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

impl Clone for CancellationToken {
    fn clone(&self) -> CancellationToken {
        self.node.add_token();
        CancellationToken {
            node: self.node.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        TreeNode::drop_token(&self.node);
    }
}

impl Default for CancellationToken {
    fn default() -> CancellationToken {
        CancellationToken::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .field("token", self.token)
            .finish()
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .field("token", &self.token)
            .finish()
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests;

#[cfg(all(test, blitz_loom))]
mod loom_tests;
