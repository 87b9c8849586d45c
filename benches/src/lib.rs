//! Shared code for the criterion suite (`benches/scheduler.rs`) and the side-by-side
//! `compare` binary (`src/bin/compare.rs`), so that both run exactly the same workloads.
//!
//! Design:
//! - [`workloads`] reproduces the scheduler workloads of Tokio's own benchmark suite
//!   (`benches/rt_multi_threaded.rs`, `benches/rt_current_thread.rs`, `benches/spawn.rs`) with
//!   Tokio's parameters. Each workload body is written once, in a macro, and instantiated twice:
//!   `run_blitz(&blitz_io::Runtime)` and `run_tokio(&tokio::runtime::Runtime)` differ only in
//!   the paths of `spawn` / `yield_now`. Every run checks its own result (how many tasks ran,
//!   how many yields completed) and panics when the runtime did less work than asked, so a
//!   fast-looking number can never come from skipped work.
//! - [`runtimes`] builds both runtimes with the same flavour and worker count.
//! - [`measure`] reads process CPU time and context switches (`getrusage`).
//! - [`alloc`] is a counting wrapper around the system allocator for the separate,
//!   untimed allocation pass of `compare`.
//! - [`chart`] draws the SVG chart of the time ratios.
//! - [`memory`] measures idle-task heap cost and handle/future sizes for the Memory section.
//! - [`sync_allocs`] counts the sync primitives' own allocations (construction, contended
//!   waits) for the Memory section.
//! - [`echo`] is the TCP echo benchmark: load generator, servers on both runtimes, message
//!   patterns and the latency histogram (binaries `echo_load`, `echo_server`; runner
//!   `benches/run-echo.sh`).
//! - [`report`] turns rounds into statistics, verdicts, the markdown table and the JSON file.

pub mod alloc;
pub mod chart;
pub mod echo;
pub mod measure;
pub mod memory;
pub mod report;
pub mod runtimes;
pub mod sync_allocs;
pub mod workloads;

pub use workloads::{all, Background, Class, Flavor, Workload};
