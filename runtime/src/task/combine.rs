//! Combinators over `JoinHandle`s: `join_all`, `race`, `select`, and `JoinAll` for tuples.
//!
//! These take handles of tasks that are already running, so the tasks make progress whether
//! or not the combinator is being polled; the combinator only collects results.
//!
//! - [`join_all`] awaits the handles one after another in input order. Because the tasks run
//!   concurrently, that gives the same results as polling them all, with O(1) work per
//!   completion and results in input order.
//! - [`race`] and [`select`] poll every remaining handle on each wake: O(n) per wake, which is
//!   fine for the handful of handles they are meant for (use a [`JoinSet`](super::JoinSet)
//!   for many). They charge one unit of the coop budget per completed call and poll the
//!   handles inside it. When several tasks finished between two polls, the lowest index wins.
//! - [`JoinAll`] joins a tuple of up to 12 handles of different output types.
//!
//! `task::select` chooses among *task handles*; it is not the `select!` macro over arbitrary
//! futures and channel operations (that one belongs to the channels module).

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{coop, JoinError, JoinHandle};

/// Waits for every task and returns their results in input order (not completion order).
///
/// A failed task gives an `Err` in its position; the others are still awaited. Dropping the
/// returned future before it completes detaches the tasks not yet awaited (they keep running).
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task;
///
/// let handles = (1..=3u32).map(|i| task::spawn(async move { i * 10 }));
/// let results = task::join_all(handles).await;
/// let outputs: Vec<u32> = results.into_iter().map(Result::unwrap).collect();
/// assert_eq!(outputs, [10, 20, 30]);
/// # });
/// ```
pub fn join_all<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> impl Future<Output = Vec<Result<T, JoinError>>> {
    // Collected before the future is built, so the iterator type does not decide whether the
    // future is `Send`.
    let handles: Vec<JoinHandle<T>> = handles.into_iter().collect();
    async move {
        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            results.push(handle.await);
        }
        results
    }
}

/// Handles that are aborted when dropped: the losers of a race, or every task of a race
/// future dropped before it finished.
struct AbortOnDrop<T>(Vec<JoinHandle<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

/// Polls every handle once (inside a single coop unit) and returns the first finished one.
fn poll_first<T>(
    handles: &mut [JoinHandle<T>],
    cx: &mut Context<'_>,
) -> Poll<(usize, Result<T, JoinError>)> {
    let coop = std::task::ready!(coop::poll_proceed(cx));
    for (index, handle) in handles.iter_mut().enumerate() {
        if let Poll::Ready(result) = coop::without_budget(|| Pin::new(&mut *handle).poll(cx)) {
            coop.made_progress();
            return Poll::Ready((index, result));
        }
    }
    Poll::Pending
}

/// Waits for the first task to finish (with its output, a panic or a cancellation) and aborts
/// all the others. Returns the winner's index in the input and its result.
///
/// Aborting is a request: a loser that is in the middle of a poll finishes that poll, and a
/// `spawn_blocking` job that has started runs to the end; `race` does not wait for them.
/// Dropping the returned future before it completes aborts every task.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task;
///
/// let slow = task::spawn(std::future::pending::<&str>());
/// let fast = task::spawn(async { "fast" });
/// let (index, result) = task::race([slow, fast]).await;
/// assert_eq!((index, result.unwrap()), (1, "fast"));
/// # });
/// ```
///
/// # Panics
/// When `handles` is empty (there would be no winner), at the call.
#[track_caller]
pub fn race<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> impl Future<Output = (usize, Result<T, JoinError>)> {
    let handles: Vec<JoinHandle<T>> = handles.into_iter().collect();
    assert!(
        !handles.is_empty(),
        "`task::race` needs at least one JoinHandle: an empty race has no winner"
    );
    let mut handles = AbortOnDrop(handles);
    async move { poll_fn(|cx| poll_first(&mut handles.0, cx)).await }
}

/// Waits for the first task to finish and hands back the others, still running, in their
/// input order (without the winner). Returns the winner's index in the input, its result and
/// the remaining handles.
///
/// Not to be confused with a `select!` macro: this one takes task handles only. Dropping the
/// returned future before it completes detaches every task.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task;
///
/// let gate = task::spawn(async { 2 });
/// let done = task::spawn(async { 1 });
/// let (_index, first, rest) = task::select([gate, done]).await;
/// assert_eq!(rest.len(), 1);
/// let second = task::join_all(rest).await.pop().unwrap().unwrap();
/// assert_eq!(first.unwrap() + second, 3);
/// # });
/// ```
///
/// # Panics
/// When `handles` is empty, at the call.
#[track_caller]
pub fn select<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> impl Future<Output = (usize, Result<T, JoinError>, Vec<JoinHandle<T>>)> {
    let mut handles: Vec<JoinHandle<T>> = handles.into_iter().collect();
    assert!(
        !handles.is_empty(),
        "`task::select` needs at least one JoinHandle: an empty select has no winner"
    );
    async move {
        let (index, result) = poll_fn(|cx| poll_first(&mut handles, cx)).await;
        // The winner's handle returned Ready; dropping it now only releases its reference.
        drop(handles.remove(index));
        (index, result, handles)
    }
}

/// Joins a tuple of `JoinHandle`s with different output types into a tuple of results.
///
/// Implemented for tuples of 1 to 12 handles. The tasks already run concurrently; the future
/// completes when all have finished, each result in its position.
///
/// ```
/// # blitz_io::run(async {
/// use blitz_io::task::{self, JoinAll};
///
/// let number = task::spawn(async { 7u8 });
/// let text = task::spawn(async { String::from("seven") });
/// let (number, text) = (number, text).join_all().await;
/// assert_eq!((number.unwrap(), text.unwrap().as_str()), (7, "seven"));
/// # });
/// ```
pub trait JoinAll {
    /// The tuple of results: `(Result<A, JoinError>, Result<B, JoinError>, ...)`.
    type Output;
    /// The future returned by [`join_all`](Self::join_all).
    type Future: Future<Output = Self::Output>;

    /// A future that waits for every handle of the tuple.
    fn join_all(self) -> Self::Future;
}

/// The future of [`JoinAll::join_all`] for a tuple of handles `H`, holding the results so far
/// in `O` (a tuple of `Option`s).
pub struct JoinTuple<H, O> {
    handles: H,
    outputs: O,
    done: bool,
}

// Nothing is ever pinned through a `JoinTuple`: handles are `Unpin` and outputs are only moved.
impl<H, O> Unpin for JoinTuple<H, O> {}

impl<H, O> fmt::Debug for JoinTuple<H, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinTuple")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

macro_rules! join_tuple {
    ($($name:ident $index:tt),+) => {
        impl<$($name),+> JoinAll for ($(JoinHandle<$name>,)+) {
            type Output = ($(Result<$name, JoinError>,)+);
            type Future = JoinTuple<($(JoinHandle<$name>,)+), ($(Option<Result<$name, JoinError>>,)+)>;

            fn join_all(self) -> Self::Future {
                JoinTuple {
                    handles: self,
                    outputs: ($(None::<Result<$name, JoinError>>,)+),
                    done: false,
                }
            }
        }

        impl<$($name),+> Future
            for JoinTuple<($(JoinHandle<$name>,)+), ($(Option<Result<$name, JoinError>>,)+)>
        {
            type Output = ($(Result<$name, JoinError>,)+);

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                let this = self.get_mut();
                assert!(!this.done, "`JoinAll` future polled after it completed");
                let mut pending = false;
                $(
                    if this.outputs.$index.is_none() {
                        match Pin::new(&mut this.handles.$index).poll(cx) {
                            Poll::Ready(result) => this.outputs.$index = Some(result),
                            Poll::Pending => pending = true,
                        }
                    }
                )+
                if pending {
                    return Poll::Pending;
                }
                this.done = true;
                Poll::Ready(($(
                    this.outputs.$index.take().expect("every output was stored above"),
                )+))
            }
        }
    };
}

join_tuple!(A 0);
join_tuple!(A 0, B 1);
join_tuple!(A 0, B 1, C 2);
join_tuple!(A 0, B 1, C 2, D 3);
join_tuple!(A 0, B 1, C 2, D 3, E 4);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
