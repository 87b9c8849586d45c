//! Signals: Unix signals delivered through the I/O driver on both backends, and the Windows
//! console's Ctrl-C and Ctrl-Break.
//!
//! The slots and listeners are shared (`registry`): a platform handler marks a delivery
//! pending, and an ordinary thread publishes it, which wakes every listener for it, whatever
//! runtime it belongs to. Deliveries that arrive faster than a listener receives them coalesce
//! into one, as with Tokio.
//! - Unix: a process-wide handler per signal number writes a byte into a self-pipe that every
//!   runtime's driver watches; the driver that sees it publishes (`self_pipe`).
//! - Windows: the console runs the control handler on a thread of its own, which publishes
//!   directly (`windows`).
//!
//! [`ctrl_c`] is the portable entry point. The platform modules exist only on their platform:
//! `unix` (`signal(SignalKind)` for any catchable signal) and `windows` (`ctrl_c()`,
//! `ctrl_break()` as streams).
//!
//! ```no_run
//! blitz_io::run(async {
//!     blitz_io::signal::ctrl_c().await.expect("a Ctrl-C handler can be installed");
//!     println!("stopping");
//! });
//! ```

mod registry;
#[cfg(unix)]
pub(crate) mod self_pipe;
#[cfg(unix)]
pub mod unix;
#[cfg(windows)]
pub mod windows;

use std::io;

/// Completes when the process receives Ctrl-C: `SIGINT` on Unix, `CTRL_C_EVENT` from the
/// console on Windows.
///
/// The first call installs a process-wide handler that stays for the life of the process:
/// from then on Ctrl-C no longer ends the process by default.
///
/// # Errors
/// If the handler cannot be installed.
///
/// # Panics
/// Outside a runtime (naming the fix).
pub async fn ctrl_c() -> io::Result<()> {
    #[cfg(unix)]
    let mut listener = unix::signal(unix::SignalKind::interrupt())?;
    #[cfg(windows)]
    let mut listener = windows::ctrl_c()?;
    listener.recv().await;
    Ok(())
}
