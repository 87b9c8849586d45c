//! Synchronisation for tasks: two tiers per primitive and waiters that never allocate.
//!
//! Every primitive offers `try_x()` (immediate, with a typed error) and `x()` (a named future),
//! plus `blocking_x()` for plain threads where that makes sense. A waiting future embeds its own
//! intrusive queue node, so waiting allocates nothing; dropping it unlinks the node and passes on
//! whatever it had been handed. Wakes are fired after internal locks are released. The futures
//! work under any executor; inside a blitz-io task they take part in the cooperative budget.
//!
//! [`Semaphore`], [`Mutex`] and [`RwLock`] share one FIFO batch-semaphore core, so all three
//! are fair: waiters are served in arrival order.

mod mutex;
mod rwlock;
mod semaphore;

pub use mutex::{
    Lock, LockOwned, MappedMutexGuard, Mutex, MutexGuard, OwnedMutexGuard, TryLockError,
};
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard, RwLockRead,
    RwLockReadGuard, RwLockReadOwned, RwLockWrite, RwLockWriteGuard, RwLockWriteOwned,
};
pub use semaphore::{
    Acquire, AcquireError, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError,
};
