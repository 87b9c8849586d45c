//! The blocking pool: threads for work that would stall a scheduler worker.
//!
//! Jobs are tasks like any other (one allocation, a `JoinHandle`, panics caught), polled
//! exactly once on a pool thread. Threads start on demand up to `max_blocking_threads`; an idle
//! thread exits after `blocking_keep_alive`. Jobs beyond the cap wait in one FIFO queue under a
//! mutex. That lock is taken twice per job (push, pop), which is cheap next to the cost of a
//! blocking job; the benchmarks measure it.
//!
//! Shutdown refuses new jobs, cancels the queued ones (their handles report cancellation) and
//! waits for the running ones, forever on drop, up to a bound with `shutdown_timeout`, not at
//! all with `shutdown_background`: a running job cannot be interrupted, only left behind.
//! *Mandatory* jobs (`fs::File` writes, already reported done to their caller) are the
//! exception: once queued they are waited for as if running, since threads empty the queue
//! before they look at the shutdown flag.

mod pool;

pub(crate) use pool::{BlockingPool, Spawner};
