//! Windows console control events (Ctrl-C, Ctrl-Break) as streams of deliveries.
//!
//! Windows has no signals for these: the console calls the handler routines registered with
//! `SetConsoleCtrlHandler`, on a thread it starts in the process for the purpose. That is an
//! ordinary thread, not an interrupted one, so the handler publishes the delivery itself —
//! no self-pipe through the driver as on Unix: it bumps the event's version and wakes the
//! listening tasks, whose runtimes are woken by the wake as for any other (the I/O driver
//! through mio's IOCP waker when a worker is parked in it).
//!
//! The handler claims an event (so that the default action, ending the process, does not
//! happen) only once something listened for that event; from then on it claims it for the
//! life of the process, as the Unix handlers stay installed.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT};

use super::registry::{self, Listener};

/// Which events have listeners (and are therefore claimed), by control type.
static CLAIMED: [AtomicBool; registry::SLOTS] = [const { AtomicBool::new(false) }; 2];

/// The console's handler routine, registered once per process.
extern "system" fn handler(ctrl_type: u32) -> BOOL {
    let index = ctrl_type as usize;
    if !CLAIMED
        .get(index)
        .is_some_and(|claimed| claimed.load(Acquire))
    {
        // Not ours: the next handler (in the end the default one) decides.
        return FALSE;
    }
    registry::mark_pending(index);
    registry::publish_pending();
    TRUE
}

fn register_handler() -> io::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let routine = handler as unsafe extern "system" fn(u32) -> BOOL;
            // SAFETY: `handler` is a plain function with the signature the console expects;
            // it never unwinds (nothing in it panics) and stays valid for the whole process.
            if unsafe { SetConsoleCtrlHandler(Some(routine), TRUE) } == FALSE {
                Err(io::Error::last_os_error().to_string())
            } else {
                Ok(())
            }
        })
        .clone()
        .map_err(|reason| io::Error::other(format!("SetConsoleCtrlHandler failed: {reason}")))
}

#[track_caller]
fn listen(ctrl_type: u32) -> io::Result<Arc<Listener>> {
    // Same contract as on Unix, so portable code behaves the same: only inside a runtime.
    drop(crate::io::registration::current_driver());
    let index = ctrl_type as usize;
    registry::install_once(index, || {
        register_handler()?;
        CLAIMED[index].store(true, Release);
        Ok(())
    })?;
    Ok(registry::listen(index))
}

macro_rules! ctrl_event {
    ($(#[$doc:meta])* $name:ident, $constructor:ident, $ctrl_type:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            listener: Arc<Listener>,
        }

        #[doc = concat!("Starts listening for ", $what, ".")]
        ///
        /// The first listener registers a console control handler that claims the event for
        /// the life of the process (it no longer ends the process).
        ///
        /// # Errors
        /// If the handler cannot be registered.
        ///
        /// # Panics
        /// Outside a runtime (naming the fix).
        #[track_caller]
        pub fn $constructor() -> io::Result<$name> {
            Ok($name {
                listener: listen($ctrl_type)?,
            })
        }

        impl $name {
            /// Waits for the next delivery. Never returns `None` in practice (the handler is
            /// never removed); the `Option` matches the stream shape.
            ///
            /// Cancel safety: cancel-safe; a delivery not yet received stays for the next
            /// call.
            pub async fn recv(&mut self) -> Option<()> {
                std::future::poll_fn(|cx| self.poll_recv(cx)).await
            }

            /// Polls for the next delivery (the [`Stream`](futures_core::Stream) form of
            /// [`recv`](Self::recv)).
            pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
                let coop = std::task::ready!(crate::task::coop::poll_proceed(cx));
                let polled = self.listener.poll_recv(cx).map(Some);
                if polled.is_ready() {
                    coop.made_progress();
                }
                polled
            }
        }

        impl futures_core::Stream for $name {
            type Item = ();

            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Option<()>> {
                self.poll_recv(cx)
            }
        }
    };
}

ctrl_event!(
    /// Listens for Ctrl-C (`CTRL_C_EVENT`): each [`recv`](CtrlC::recv) completes once per
    /// press that came after the listener was created or after the previous `recv` (quick
    /// presses may coalesce into one). Also a [`Stream`](futures_core::Stream) of `()`.
    ///
    /// ```no_run
    /// blitz_io::run(async {
    ///     let mut ctrl_c = blitz_io::signal::windows::ctrl_c().unwrap();
    ///     ctrl_c.recv().await;
    ///     println!("Ctrl-C");
    /// });
    /// ```
    CtrlC,
    ctrl_c,
    CTRL_C_EVENT,
    "Ctrl-C"
);

ctrl_event!(
    /// Listens for Ctrl-Break (`CTRL_BREAK_EVENT`), as [`CtrlC`] does for Ctrl-C.
    ///
    /// ```no_run
    /// blitz_io::run(async {
    ///     let mut ctrl_break = blitz_io::signal::windows::ctrl_break().unwrap();
    ///     ctrl_break.recv().await;
    ///     println!("Ctrl-Break");
    /// });
    /// ```
    CtrlBreak,
    ctrl_break,
    CTRL_BREAK_EVENT,
    "Ctrl-Break"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The console thread is simulated by calling the handler from a plain thread, after the
    /// listening task is known to wait.
    #[test]
    fn a_ctrl_c_from_the_console_thread_completes_a_waiting_listener() {
        let rt = crate::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut ctrl_c = ctrl_c().unwrap();
            let mut ctrl_break = ctrl_break().unwrap();
            let (waiting, waited) = crate::channel::oneshot::channel::<()>();
            let listener = crate::spawn(async move {
                let _ = waiting.send(());
                ctrl_c.recv().await
            });
            waited.await.unwrap();
            let console = std::thread::spawn(|| handler(CTRL_C_EVENT));
            let within = Duration::from_secs(10);
            let got = crate::time::timeout(within, listener).await;
            assert_eq!(got.unwrap().unwrap(), Some(()));
            assert_eq!(console.join().unwrap(), TRUE);
            // Ctrl-Break saw nothing.
            let none = crate::time::timeout(Duration::from_millis(20), ctrl_break.recv()).await;
            assert!(none.is_err());
        });
    }

    #[test]
    fn unclaimed_events_are_left_to_the_next_handler() {
        // Nothing listens for CTRL_CLOSE_EVENT (2), and out-of-range types are not ours.
        assert_eq!(handler(2), FALSE);
        assert_eq!(handler(u32::MAX), FALSE);
    }
}
