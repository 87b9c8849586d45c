//! The TCP echo benchmark (workload 5 of the comparison): a closed-loop load generator and
//! one echo server program per runtime, run as separate processes by `benches/run-echo.sh`.
//!
//! - [`client`]: the load generator (`echo_load`): N connections, one request in flight each,
//!   every echoed byte checked; reports requests/s, p50/p99 round trip and its own CPU time.
//! - [`server`]: the servers (`echo_server --runtime blitz|tokio`): the same accept loop and
//!   per-connection task on each runtime; prints its own CPU time when stdin closes, so the
//!   runner can divide server CPU by the requests the client counted.
//! - [`pattern`]: per-connection, per-request message contents, so a wrong echo is caught.
//! - [`histogram`]: the latency histogram (log-linear buckets, < 1 % error).
//! - [`args`]: the small flag parser both binaries share.
//! - [`section`]: the Echo section `compare` writes into `BENCHMARKS.md`.

pub mod args;
pub mod client;
pub mod histogram;
pub mod pattern;
pub mod section;
pub mod server;
