//! Synchronisation primitives for tasks: zero-allocation waiters throughout.
//!
//! Every waiting future embeds its own intrusive queue node (a pinned entry of the crate's one
//! linked list), so waiting allocates nothing; dropping a waiting future unlinks its node and
//! hands on whatever it had been given. Wakes are collected under each primitive's internal
//! lock and fired after it is released. Every waiting future takes part in the cooperative
//! budget, and all of them work under any executor (the budget hook is a no-op outside a
//! blitz-io task). The node type and its rules live in one place, `waiter`; it is also what
//! makes each queue `Send + Sync` without an `unsafe impl` per primitive.
//!
//! - [`Notify`]: wake one waiter (or store one permit), or every current waiter.
//! - [`Barrier`]: wait until `n` tasks have arrived; reusable, one leader per generation.
//! - [`OnceCell`]: a value initialised once, asynchronously, by exactly one initialiser.
//! - [`CancellationToken`]: a tree of cancellation signals.

mod barrier;
mod cancellation;
mod notify;
mod once_cell;
mod waiter;

#[cfg(all(test, blitz_loom))]
mod loom_block_on;
#[cfg(all(test, not(blitz_loom)))]
mod test_waker;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
