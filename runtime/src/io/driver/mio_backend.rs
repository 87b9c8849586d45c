//! The mio backend: epoll on Linux, kqueue on the BSDs and macOS.
//!
//! Sockets are registered once, edge-triggered, for both directions; the turn copies each
//! event's token and readiness out of mio's buffer and hands them to the driver's dispatch.

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use mio::{Events, Poll, Registry, Token, Waker};

use super::WAKE_TOKEN;
use crate::io::ready::{Interest, Ready};

const EVENTS_CAPACITY: usize = 1024;

pub(super) struct MioPoller {
    registry: Registry,
    waker: Waker,
    turn: Mutex<(Poll, Events)>,
}

impl MioPoller {
    pub(super) fn new() -> io::Result<MioPoller> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, Token(WAKE_TOKEN))?;
        Ok(MioPoller {
            registry,
            waker,
            turn: Mutex::new((poll, Events::with_capacity(EVENTS_CAPACITY))),
        })
    }

    pub(super) fn register<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        self.registry
            .register(source, Token(token), interest.to_mio())
    }

    pub(super) fn deregister<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
    ) -> io::Result<()> {
        self.registry.deregister(source)
    }

    pub(super) fn unpark(&self) {
        // Fails only if the eventfd is gone, i.e. the driver is being dropped.
        let _ = self.waker.wake();
    }

    pub(super) fn turn(
        &self,
        timeout: Option<Duration>,
        dispatch: &mut dyn FnMut(&mut dyn Iterator<Item = (usize, Ready, u8)>),
    ) {
        let Ok(mut guard) = self.turn.try_lock() else {
            return;
        };
        let (poll, events) = &mut *guard;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return,
            Err(error) => panic!("blitz-io: the I/O driver's poll failed: {error}"),
        }
        let mut iter = events
            .iter()
            .map(|event| (event.token().0, Ready::from_mio(event), 0));
        dispatch(&mut iter);
    }
}
