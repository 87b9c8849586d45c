//! Signals, delivered through the I/O driver on both backends.
//!
//! A process-wide handler (installed once per signal number through `signal-hook-registry`)
//! marks the signal pending and writes a byte into a self-pipe; every runtime's driver watches
//! the pipe's read end (epoll can watch one fd from several instances; io_uring polls it). The
//! driver that sees the pipe readable drains it and bumps the pending signals' `watch` versions,
//! which wakes every [`unix::Signal`] listening for them, whatever runtime it belongs to.
//! Deliveries that arrive faster than a listener receives them coalesce into one, as with
//! Tokio.
//!
//! ```no_run
//! blitz_io::run(async {
//!     blitz_io::signal::ctrl_c().await.expect("a SIGINT handler can be installed");
//!     println!("stopping");
//! });
//! ```

#[cfg(unix)]
pub(crate) mod registry;
#[cfg(unix)]
pub mod unix;

use std::io;

/// Completes when the process receives Ctrl-C (`SIGINT` on Unix).
///
/// The first call installs a process-wide handler that stays for the life of the process:
/// from then on Ctrl-C no longer ends the process by default.
///
/// # Errors
/// If the handler cannot be installed.
///
/// # Panics
/// Outside a runtime (naming the fix).
#[cfg(unix)]
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupt = unix::signal(unix::SignalKind::interrupt())?;
    interrupt.recv().await;
    Ok(())
}
