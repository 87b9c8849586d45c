//! Small building blocks shared by the runtime's areas.
//!
//! - `linked_list`: the one intrusive doubly-linked list of pinned nodes. The owned-task list,
//!   timer slots, I/O readiness waiters and every sync and channel waiter queue build on it.
//! - `wake_batch`: a fixed-capacity batch of wakers collected under a lock and fired after it is
//!   released, so a woken task never contends for the lock its waker came from.
//! - `waiters`: a list of pinned waiter nodes that are all woken together, on top of
//!   `linked_list` and `wake_batch` (the broadcast and watch channels).
//! - `panic`: running user code (drops, foreign wakers) so that no panic escapes into a worker
//!   or out of a destructor.
//! - `rand`: a small per-thread xorshift generator for steal-victim selection.
//! - `cache_padded`: keeps a hot value on a cache line of its own.

pub(crate) mod cache_padded;
pub(crate) mod linked_list;
pub(crate) mod panic;
pub(crate) mod rand;
pub(crate) mod waiters;
pub(crate) mod wake_batch;
