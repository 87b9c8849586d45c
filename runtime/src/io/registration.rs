//! A socket's link to the runtime's I/O driver: readiness polling, the try-op loop and the
//! readiness futures, the same on both backends.

use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::driver::{Direction, Driver, ReadyEvent, ScheduledIo};
use super::ready::{Interest, Ready};
use crate::util::waiters::Waiter;

pub(crate) struct Registration {
    driver: Arc<Driver>,
    shared: Arc<ScheduledIo>,
    token: usize,
}

impl Registration {
    /// Registers `source` with the current runtime's driver.
    ///
    /// # Panics
    /// Outside a runtime (naming the fix: create sockets inside a task or after
    /// `Runtime::enter`).
    #[track_caller]
    pub(crate) fn new<S>(source: &mut S, interest: Interest) -> io::Result<Registration>
    where
        S: mio::event::Source + ?Sized,
    {
        let driver = current_driver();
        let (token, shared) = driver.register(source, interest)?;
        Ok(Registration {
            driver,
            shared,
            token,
        })
    }

    pub(crate) fn driver(&self) -> &Arc<Driver> {
        &self.driver
    }

    /// Polls `direction`'s readiness, taking part in the cooperative budget.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(crate::task::coop::poll_proceed(cx));
        let polled = self.shared.poll_ready(cx, direction);
        if polled.is_ready() {
            coop.made_progress();
        }
        polled
    }

    /// The readiness for `direction` the driver last reported, without waiting.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn try_ready(&self, direction: Direction) -> io::Result<Option<ReadyEvent>> {
        self.shared.try_ready(direction.interest())
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// Runs the non-blocking `op` once readiness allows, until it does not return
    /// `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_clearing(cx, direction, op, |_| false)
    }

    /// As [`poll_io`](Self::poll_io) for a stream socket's read or write of `len` bytes. A
    /// transfer shorter than asked proves the socket had nothing more to give (a read: its
    /// receive queue is empty) or take (a write: its send buffer is full) at that moment, so
    /// the readiness it started on is cleared: the next call waits for the driver's next event
    /// instead of spending a syscall on `WouldBlock` (measured on the echo benchmark: two
    /// `recvfrom` per request became one). An event that arrived after the readiness was read
    /// carries a newer tick and survives the clear. Not for datagram sockets, where a short
    /// read is one small datagram, and not on Windows, where mio re-arms its IOCP readiness
    /// only after it has seen `WouldBlock` itself.
    pub(crate) fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_clearing(cx, direction, op, |&n| {
            cfg!(not(windows)) && n > 0 && n < len
        })
    }

    /// The loop behind both: waits for readiness, runs `op`, and clears the readiness it saw
    /// when `op` says `WouldBlock` (then tries again) or when its success `drained` the
    /// socket.
    fn poll_io_clearing<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                }
                result => {
                    if matches!(&result, Ok(value) if drained(value)) {
                        self.clear_readiness(event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// Runs `op` now if the driver last reported readiness for `interest`; `WouldBlock`
    /// otherwise (and clears the stale readiness when `op` says it would block).
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.shared.try_ready(interest)?;
        let Some(event) = event else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let result = op();
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(event);
        }
        result
    }

    /// A future for readiness matching `interest` (the socket's `ready()`/`readable()`).
    pub(crate) fn readiness(&self, interest: Interest) -> Readiness<'_> {
        Readiness {
            registration: self,
            interest,
            node: Waiter::new(),
            _pinned: PhantomPinned,
        }
    }

    /// Waits for readiness and runs `op` until it stops returning `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(interest).await?;
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                }
                result => return result,
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.driver.remove(self.token);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .field("io", &self.shared)
            .finish()
    }
}

/// The current runtime's I/O driver.
#[track_caller]
pub(crate) fn current_driver() -> Arc<Driver> {
    let driver = crate::runtime::context::map_current(|handle| handle.io().cloned()).flatten();
    match driver {
        Some(driver) => driver,
        None => panic!(
            "blitz-io: sockets need a runtime: create them inside a task, in `block_on`, or \
             after `Runtime::enter()`"
        ),
    }
}

/// Waits for readiness on a socket shared by `&self`; several may wait at once.
pub(crate) struct Readiness<'a> {
    registration: &'a Registration,
    interest: Interest,
    node: Waiter,
    _pinned: PhantomPinned,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(crate::task::coop::poll_proceed(cx));
        // SAFETY: `node` is structurally pinned (never moved out; `Drop` removes it from the
        // list before the memory goes away).
        let this = unsafe { self.get_unchecked_mut() };
        let registration = this.registration;
        let node = NonNull::from(&this.node);
        // SAFETY: the node is pinned inside this future, registered only with this socket, and
        // removed in `Drop`.
        let polled = unsafe {
            registration
                .shared
                .poll_ready_with_node(cx, this.interest, node)
        };
        if polled.is_ready() {
            coop.made_progress();
        }
        polled
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        // SAFETY: the node is live (we are dropping it right after) and only ever linked in
        // this socket's list.
        unsafe {
            self.registration
                .shared
                .remove_waiter(NonNull::from(&self.node))
        };
    }
}

impl Ready {
    /// The readiness carried by an event.
    pub(crate) fn of(event: ReadyEvent) -> Ready {
        event.ready
    }
}
