//! Runtime constructors for both sides, from one [`Flavor`] description, so a comparison
//! always pits runtimes with the same scheduler flavour and the same number of workers.
//!
//! Tokio's multi-thread benchmarks (`rt_multi_threaded.rs`) build their runtime with
//! `enable_all()`; its current-thread and `spawn.rs` benchmarks do not. The workload table
//! records which, and [`tokio()`] follows it. With this workspace's Tokio features (`net` since
//! the echo benchmark), `enable_all()` turns on the I/O and time drivers, as in Tokio's own
//! benchmark build. blitz-io's time driver is always on (an idle wheel costs nothing per task),
//! so it takes no such switch.

use crate::workloads::Flavor;

/// A blitz-io runtime of the given flavour.
///
/// # Panics
/// When the runtime cannot be built (threads refused by the OS).
pub fn blitz(flavor: Flavor) -> blitz_io::Runtime {
    let builder = match flavor {
        Flavor::CurrentThread => blitz_io::runtime::Builder::new_current_thread(),
        Flavor::MultiThread(workers) => {
            blitz_io::runtime::Builder::new_multi_thread().worker_threads(workers)
        }
    };
    builder.build().expect("build a blitz-io runtime")
}

/// A Tokio runtime of the given flavour; `enable_all` as in the Tokio benchmark it mirrors.
///
/// # Panics
/// When the runtime cannot be built.
pub fn tokio(flavor: Flavor, enable_all: bool) -> tokio::runtime::Runtime {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread(workers) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    if enable_all {
        builder.enable_all();
    }
    builder.build().expect("build a Tokio runtime")
}
