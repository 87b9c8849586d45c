//! [`AsyncFd`]: the runtime's readiness for any file descriptor that supports `epoll` (or
//! kqueue): pipes, eventfds, timerfds, netlink or raw sockets, character devices, a socket
//! type this crate does not wrap.
//!
//! Design: the descriptor's owner `T` sits inside a small adapter that implements mio's
//! `Source` through `SourceFd`, so it goes through the same `PollEvented` and
//! `Registration` as every `net` type: edge-triggered registration on both backends (io_uring
//! reads readiness from the same epoll), deregistered before `T` is dropped or handed back.
//! Unlike Tokio's, readiness is not handed out as a guard to clear by hand: [`try_io`] and
//! [`async_io`] run the operation and clear a stale readiness themselves when it returns
//! `WouldBlock`, as the sockets' try-ops do.
//!
//! A refused registration drops `T` in [`new`](AsyncFd::new) and hands it back in
//! [`try_new`](AsyncFd::try_new): `new` is `try_new` with the value dropped, so the two
//! cannot disagree about what is refused.
//!
//! [`try_io`]: AsyncFd::try_io
//! [`async_io`]: AsyncFd::async_io

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use mio::unix::SourceFd;

use super::driver::Direction;
use super::poll_evented::PollEvented;
use super::{Interest, Ready};

/// A file descriptor owned by `T` and registered with the runtime's I/O driver: wait for it
/// to become readable or writable, then run non-blocking operations on it.
///
/// The descriptor must be in non-blocking mode (`O_NONBLOCK`), or an operation that finds
/// nothing to do blocks the worker thread. It must also be one that the platform's poller
/// accepts: regular files are refused by epoll (`EPERM`).
///
/// Available on Unix only.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use blitz_io::io::unix::AsyncFd;
/// use blitz_io::io::Interest;
///
/// blitz_io::run(async {
///     let (mut writer, reader) = UnixStream::pair().unwrap();
///     reader.set_nonblocking(true).unwrap();
///     let reader = AsyncFd::new(reader).unwrap();
///     writer.write_all(b"ready").unwrap();
///     let mut buf = [0u8; 5];
///     let n = reader
///         .async_io(Interest::READABLE, |mut inner| inner.read(&mut buf))
///         .await
///         .unwrap();
///     assert_eq!(&buf[..n], b"ready");
/// });
/// ```
pub struct AsyncFd<T: AsRawFd> {
    io: PollEvented<FdSource<T>>,
}

/// `T` as a mio source, registered by its raw descriptor.
struct FdSource<T>(T);

impl<T: AsRawFd> mio::event::Source for FdSource<T> {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s descriptor for reading and writing.
    ///
    /// # Errors
    /// What the poller says about the descriptor (`EPERM` for a regular file, `EEXIST` when it
    /// is already registered with this runtime through another `AsyncFd` or socket). `inner`
    /// is dropped then, closing a descriptor it owns; [`try_new`](Self::try_new) hands it
    /// back instead.
    ///
    /// # Panics
    /// Outside a runtime: call it inside a task, in `block_on` or after `Runtime::enter()`.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner`'s descriptor for `interest` only (waiting for the other direction
    /// would never end).
    ///
    /// # Errors and panics
    /// As [`new`](Self::new).
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// As [`new`](Self::new), but a refusal hands `inner` back with the error, so a
    /// descriptor that cannot be polled can still be used another way (a regular file, read
    /// on the blocking pool).
    ///
    /// # Errors
    /// The poller's refusal, as for [`new`](Self::new), in an [`AsyncFdTryNewError`].
    ///
    /// # Panics
    /// Outside a runtime, as [`new`](Self::new).
    ///
    /// ```
    /// use std::fs::File;
    /// use blitz_io::io::unix::AsyncFd;
    ///
    /// blitz_io::run(async {
    ///     let path = std::env::temp_dir().join(format!("try-new-{}", std::process::id()));
    ///     // epoll refuses regular files (kqueue takes them): keep the file either way.
    ///     let file: File = match AsyncFd::try_new(File::create(&path).unwrap()) {
    ///         Ok(registered) => registered.into_inner(),
    ///         Err(refused) => {
    ///             let (file, error) = refused.into_parts();
    ///             if cfg!(target_os = "linux") {
    ///                 assert_eq!(error.raw_os_error(), Some(libc::EPERM));
    ///             }
    ///             file
    ///         }
    ///     };
    ///     assert!(file.metadata().unwrap().is_file());
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        AsyncFd::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// As [`with_interest`](Self::with_interest), handing `inner` back on a refusal, as
    /// [`try_new`](Self::try_new).
    ///
    /// # Errors and panics
    /// As [`try_new`](Self::try_new).
    #[track_caller]
    pub fn try_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        match PollEvented::try_with_interest(FdSource(inner), interest) {
            Ok(io) => Ok(AsyncFd { io }),
            Err((FdSource(inner), cause)) => Err(AsyncFdTryNewError { inner, cause }),
        }
    }

    /// The owner of the descriptor.
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// The owner of the descriptor, mutably. Replacing the descriptor it holds is a bug: the
    /// driver would keep watching the old one.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io.get_mut().0
    }

    /// Deregisters the descriptor and hands its owner back.
    pub fn into_inner(self) -> T {
        self.io.into_inner().0
    }

    /// Waits until the descriptor is ready for `interest` and returns what the driver saw.
    /// Cancel-safe. Follow it with [`try_io`](Self::try_io), which clears the readiness when
    /// it turns out stale; an operation made outside `try_io`/`async_io` does not, and the
    /// next wait then returns at once.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let event = self.io.registration().readiness(interest).await?;
        Ok(Ready::of(event))
    }

    /// Waits until the descriptor is readable (see [`ready`](Self::ready)). Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the descriptor is writable (see [`ready`](Self::ready)). Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for read readiness (for hand-written futures); `Pending` keeps `cx`'s waker until
    /// the driver reports the descriptor readable.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io
            .registration()
            .poll_ready(cx, Direction::Read)
            .map_ok(drop)
    }

    /// Polls for write readiness, as [`poll_read_ready`](Self::poll_read_ready).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io
            .registration()
            .poll_ready(cx, Direction::Write)
            .map_ok(drop)
    }

    /// Runs the non-blocking `f` on the owner if the driver last reported the descriptor
    /// ready for `interest`; `WouldBlock` otherwise. When `f` returns `WouldBlock`, the
    /// readiness is cleared, so the next wait really waits.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.io.registration().try_io(interest, || f(inner))
    }

    /// Waits for `interest` and runs the non-blocking `f` until it stops returning
    /// `WouldBlock`. Cancel-safe as long as `f` consumes nothing when it returns `WouldBlock`.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.io.registration().async_io(interest, || f(inner)).await
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd + AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .finish_non_exhaustive()
    }
}

/// The error of [`AsyncFd::try_new`] and [`AsyncFd::try_with_interest`]: the driver refused
/// the descriptor, and the value that owns it comes back unharmed with the reason.
///
/// Its [`source`](std::error::Error::source) is the poller's [`io::Error`]; it also converts
/// into that error (dropping the value) for `?` in functions returning `io::Result`.
pub struct AsyncFdTryNewError<T> {
    inner: T,
    cause: io::Error,
}

impl<T> AsyncFdTryNewError<T> {
    /// The value handed to `try_new`, and why its descriptor was refused.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the I/O driver refused to register the descriptor")
    }
}

/// Shows the cause only, so the error prints for any `T`.
impl<T> fmt::Debug for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdTryNewError")
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl<T> std::error::Error for AsyncFdTryNewError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdTryNewError<T>> for io::Error {
    fn from(error: AsyncFdTryNewError<T>) -> io::Error {
        error.cause
    }
}
