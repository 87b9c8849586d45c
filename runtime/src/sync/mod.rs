//! Synchronisation for tasks: two tiers per primitive and waiters that never allocate.
//!
//! Every primitive offers `try_x()` (immediate, with a typed error) and `x()` (a named future),
//! plus `blocking_x()` for plain threads where that makes sense. A waiting future embeds its own
//! intrusive queue node (a pinned entry of the crate's one linked list), so waiting allocates
//! nothing; dropping it unlinks the node and passes on whatever it had been handed. Wakes are
//! collected under each primitive's internal lock and fired after it is released. The futures
//! work under any executor; inside a blitz-io task they take part in the cooperative budget.
//!
//! - [`Semaphore`], [`Mutex`] and [`RwLock`] share one FIFO batch-semaphore core (`semaphore`),
//!   so all three are fair: waiters are served in arrival order.
//! - [`Notify`]: wake the oldest or the newest waiter (or store one permit), or every current
//!   waiter.
//! - [`Barrier`]: wait until `n` tasks have arrived; reusable, one leader per generation.
//! - [`OnceCell`]: a value initialised once, asynchronously, by exactly one initialiser.
//! - [`CancellationToken`]: a tree of cancellation signals.
//!
//! `Notify`, `Barrier` and `OnceCell` share one waiter node type (`waiter`), which is also
//! what makes their queues `Send + Sync` without an `unsafe impl` per primitive.

mod barrier;
mod cancellation;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;
mod waiter;

#[cfg(all(test, blitz_loom))]
mod loom_block_on;
#[cfg(all(test, not(blitz_loom)))]
mod test_waker;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use mutex::{
    Lock, LockOwned, MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard,
    TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockRead, RwLockReadGuard, RwLockReadOwned, RwLockWrite,
    RwLockWriteGuard, RwLockWriteOwned,
};
pub use semaphore::{
    Acquire, AcquireError, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError,
};
