//! Unix signals as a stream of deliveries. Available on Unix only; on Windows see
//! `signal::windows` (Ctrl-C, Ctrl-Break) and the portable [`ctrl_c`](super::ctrl_c).

use std::io;
use std::task::{Context, Poll};

use std::future::poll_fn;
use std::sync::Arc;

use super::registry::Listener;

/// A Unix signal number, with constructors for the common ones.
///
/// ```
/// use blitz_io::signal::unix::SignalKind;
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc_sigint());
/// # fn libc_sigint() -> i32 { 2 }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal by number. Listening for `SIGKILL`, `SIGSTOP` or the fault signals
    /// (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`) fails.
    pub const fn from_raw(signal: i32) -> SignalKind {
        SignalKind(signal)
    }

    /// The signal's number.
    pub const fn as_raw_value(self) -> i32 {
        self.0
    }

    /// `SIGINT` (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`.
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE`.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGALRM`.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGWINCH`.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

/// Listens for one signal: each [`recv`](Signal::recv) completes once per delivery that came
/// after the listener was created or after the previous `recv` (several quick deliveries may
/// coalesce into one).
///
/// Also a [`Stream`](futures_core::Stream) of `()`.
#[derive(Debug)]
pub struct Signal {
    listener: Arc<Listener>,
}

/// Starts listening for `kind`. The first listener for a signal number installs a process-wide
/// handler that stays for the life of the process (the signal's default action, such as ending
/// the process, no longer happens).
///
/// # Errors
/// For a signal that cannot be handled (`SIGKILL`, `SIGSTOP`, the fault signals) or a number
/// out of range.
///
/// # Panics
/// Outside a runtime (naming the fix).
///
/// ```
/// use blitz_io::signal::unix::{signal, SignalKind};
///
/// blitz_io::run(async {
///     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
///     // SAFETY: raising a signal this process now handles.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     assert_eq!(usr1.recv().await, Some(()));
/// });
/// # mod libc { pub use ::libc::*; }
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let listener = super::self_pipe::subscribe(kind.0)?;
    Ok(Signal { listener })
}

impl Signal {
    /// Waits for the next delivery. Never returns `None` in practice (the process-wide
    /// handler is never removed); the `Option` matches the stream shape.
    ///
    /// Cancel safety: cancel-safe; a delivery not yet received stays for the next call.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery (the [`Stream`](futures_core::Stream) form of
    /// [`recv`](Self::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let coop = std::task::ready!(crate::task::coop::poll_proceed(cx));
        super::self_pipe::watch_from_current_runtime();
        let polled = self.listener.poll_recv(cx).map(Some);
        if polled.is_ready() {
            coop.made_progress();
        }
        polled
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.poll_recv(cx)
    }
}
