//! The mio backend: epoll on Linux, kqueue on the BSDs and macOS, IOCP on Windows.
//!
//! Sockets are registered once, edge-triggered, for both directions; the turn copies each
//! event's token and readiness out of mio's buffer and hands them to the driver's dispatch.
//! On Windows mio emulates readiness with AFD polls that it re-arms only when an operation
//! made through the mio socket returns `WouldBlock`; the socket layer keeps to that (see
//! `io::sys`), so the edge-triggered contract holds there too.

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use mio::{Events, Poll, Registry, Token, Waker};

use super::WAKE_TOKEN;
use crate::io::ready::{Interest, Ready};

pub(crate) struct MioPoller {
    registry: Registry,
    waker: Waker,
    turn: Mutex<(Poll, Events)>,
}

impl MioPoller {
    /// `events`: how many events a turn takes from the OS at most (at least 1); the rest wait
    /// for the next turn.
    pub(crate) fn new(events: usize) -> io::Result<MioPoller> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, Token(WAKE_TOKEN))?;
        Ok(MioPoller {
            registry,
            waker,
            turn: Mutex::new((poll, Events::with_capacity(events))),
        })
    }

    pub(crate) fn register<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        self.registry
            .register(source, Token(token), interest.to_mio())
    }

    pub(crate) fn deregister<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
    ) -> io::Result<()> {
        self.registry.deregister(source)
    }

    /// The epoll (kqueue) fd, for the io_uring backend to poll.
    #[cfg(target_os = "linux")]
    pub(crate) fn as_raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.registry.as_raw_fd()
    }

    pub(crate) fn unpark(&self) {
        // Fails only if the eventfd is gone, i.e. the driver is being dropped.
        let _ = self.waker.wake();
    }

    /// Polls for up to `timeout`, but without blocking if `may_block()` is false once the turn
    /// lock is held (see `Driver::turn_parked`).
    pub(crate) fn turn(
        &self,
        timeout: Option<Duration>,
        may_block: &dyn Fn() -> bool,
        dispatch: super::Dispatch<'_>,
    ) {
        let Some(mut guard) = super::lock_for_turn(&self.turn, timeout) else {
            return;
        };
        let timeout = super::turn_timeout(timeout, may_block);
        let (poll, events) = &mut *guard;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return,
            Err(error) => panic!("blitz-io: the I/O driver's poll failed: {error}"),
        }
        let mut iter = events
            .iter()
            .map(|event| (event.token().0, Ready::from_mio(event)));
        dispatch(&mut iter);
    }
}
