//! The future protocol: the standard library's [`Future`], plus the seed's ready-made futures.
//!
//! blitz-io adds no future trait of its own. A future is polled with a [`Context`] whose
//! [`Waker`] it stores when it cannot progress, and it returns [`Poll::Pending`] or
//! [`Poll::Ready`]. The helpers below come from `std` and `futures-util` rather than being
//! written again:
//!
//! | seed | here |
//! |---|---|
//! | `future.ready(v)` | [`ready`] |
//! | `future.pending(T)` | [`pending`] |
//! | `future.lazy(f)` / `FnFuture` | [`lazy`] / [`FnFuture`] (a closure run once, on first poll) |
//! | a hand-written `poll` | [`poll_fn`] or `impl Future` |
//! | joining plain futures | [`join!`], [`try_join!`], [`join_all`] (from `futures-util`) |
//!
//! ```
//! use blitz_io::future::{lazy, ready, FnFuture};
//!
//! let value: FnFuture<_> = lazy(|_cx| 40 + 2);
//! assert_eq!(blitz_io::run(value), 42);
//! assert_eq!(blitz_io::run(ready(7)), 7);
//! ```
//!
//! Joining plain futures polls them all inside the current task (no new tasks); to join
//! spawned tasks use `task::join_all` and its neighbours in the `task` module.
//!
//! ```
//! use blitz_io::future::{join, join_all, ready, try_join};
//!
//! blitz_io::run(async {
//!     let (a, b) = join!(ready(1), async { 2 });
//!     assert_eq!(a + b, 3);
//!     let both: Result<(u8, u8), ()> = try_join!(async { Ok(1) }, async { Ok(2) });
//!     assert_eq!(both, Ok((1, 2)));
//!     assert_eq!(join_all((0..3).map(ready)).await, [0, 1, 2]);
//! });
//! ```

pub use std::future::{pending, poll_fn, ready, Future, IntoFuture, Pending, PollFn, Ready};
pub use std::task::{Context, Poll, Waker};

pub use futures_util::future::{join_all, lazy, JoinAll, Lazy};
pub use futures_util::{join, try_join};

/// A closure run once, on the future's first poll: the seed's `FnFuture`.
///
/// This is [`futures_util::future::Lazy`] under a name that says what it is for; build one with
/// [`lazy`]. The closure receives the poll's [`Context`].
pub type FnFuture<F> = Lazy<F>;
