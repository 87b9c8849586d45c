//! Unix-domain datagram sockets.
//!
//! Sends and receives are mio's, retried through the socket's readiness like every `net`
//! type. mio and std have no peek for these sockets, so the peeks are socket2's `MSG_PEEK`
//! receives on the same descriptor, with the sender's address rebuilt as std's type.

use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::driver::Direction;
use crate::io::poll_evented::PollEvented;
use crate::io::Interest;

/// A Unix-domain datagram socket. Receives are cancel-safe.
///
/// Available on Unix only.
///
/// ```
/// use blitz_io::net::UnixDatagram;
///
/// blitz_io::run(async {
///     let (a, b) = UnixDatagram::pair().unwrap();
///     a.send(b"one").await.unwrap();
///     let mut buf = [0u8; 8];
///     let n = b.recv(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"one");
/// });
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path`.
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind(path)?)
    }

    /// Binds to `addr`, which on Linux and Android may be abstract (see
    /// [`UnixStream::connect_addr`](super::UnixStream::connect_addr) for an example).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no path (it can send, and receive replies only once connected).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::unbound()?)
    }

    /// Two connected sockets.
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::new(a)?, UnixDatagram::new(b)?))
    }

    #[track_caller]
    fn new(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new(socket)?,
        })
    }

    /// Adopts a socket from the standard library (it is made non-blocking).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::new(mio::net::UnixDatagram::from_std(socket))
    }

    /// Hands the socket back to the standard library, in non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner().into())
    }

    /// Sets the default peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    crate::net::readiness_methods!();
    crate::net::poll_ready_methods!(poll_recv_ready, poll_send_ready);

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.async_io(Interest::WRITABLE, || self.io.get_ref().send(buf))
            .await
    }

    /// As [`send`](Self::send), without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, || self.io.get_ref().send(buf))
    }

    /// Receives from the connected peer. Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Interest::READABLE, || self.io.get_ref().recv(buf))
            .await
    }

    /// As [`recv`](Self::recv), without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, || self.io.get_ref().recv(buf))
    }

    /// Sends to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.async_io(Interest::WRITABLE, || self.io.get_ref().send_to(buf, path))
            .await
    }

    /// As [`send_to`](Self::send_to), without waiting.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.try_io(Interest::WRITABLE, || self.io.get_ref().send_to(buf, path))
    }

    /// Receives a datagram and its sender's address. Cancel-safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.async_io(Interest::READABLE, || self.io.get_ref().recv_from(buf))
            .await
    }

    /// As [`recv_from`](Self::recv_from), without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_io(Interest::READABLE, || self.io.get_ref().recv_from(buf))
    }

    /// Copies the next datagram from the connected peer into `buf` without taking it: the
    /// next receive or peek gets it again. Waits for one to arrive. Cancel-safe.
    ///
    /// A datagram longer than `buf` fills it and the rest is not reported; it stays queued
    /// whole.
    ///
    /// ```
    /// use blitz_io::net::UnixDatagram;
    ///
    /// blitz_io::run(async {
    ///     let (a, b) = UnixDatagram::pair().unwrap();
    ///     a.send(b"twice").await.unwrap();
    ///     let mut buf = [0u8; 8];
    ///     let n = b.peek(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"twice");
    ///     let n = b.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"twice");
    /// });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Interest::READABLE, || self.peek_now(buf))
            .await
    }

    /// As [`peek`](Self::peek), without waiting: `WouldBlock` when nothing is queued.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, || self.peek_now(buf))
    }

    /// As [`peek`](Self::peek), with the sender's address (unnamed when the sender is not
    /// bound to a path). Cancel-safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.async_io(Interest::READABLE, || self.peek_from_now(buf))
            .await
    }

    /// As [`peek_from`](Self::peek_from), without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_io(Interest::READABLE, || self.peek_from_now(buf))
    }

    /// Polls a [`peek_from`](Self::peek_from) (for hand-written futures): `Pending` keeps
    /// `cx`'s waker until a datagram may have arrived.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.peek_from_now(buf))
    }

    /// One non-blocking `MSG_PEEK` receive (mio and std have no peek for Unix datagrams).
    fn peek_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket2::SockRef::from(self.io.get_ref()).peek(as_uninit(buf))
    }

    fn peek_from_now(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, from) = socket2::SockRef::from(self.io.get_ref()).peek_from(as_uninit(buf))?;
        Ok((n, std_addr(&from)?))
    }

    /// Shuts down the read side, the write side or both (`shutdown(2)`).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The pending socket error, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .finish_non_exhaustive()
    }
}

super::fd_impls!(UnixDatagram);

/// `buf` as the possibly-uninitialised buffer socket2's receives take.
fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`. The caller goes on reading `buf` as
    // initialised bytes, so nothing may store an uninitialised byte through the result; the
    // only writer is the kernel, through socket2's `recvfrom`, and it copies received bytes.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

/// socket2's address of a Unix-domain sender as std's, which has no constructor from a raw
/// `sockaddr_un`: rebuilt from the path, the abstract name, or as unnamed.
fn std_addr(addr: &socket2::SockAddr) -> io::Result<SocketAddr> {
    if let Some(path) = addr.as_pathname() {
        return SocketAddr::from_pathname(path);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = addr.as_abstract_namespace() {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        return SocketAddr::from_abstract_name(name);
    }
    // An empty path gives std's unnamed address (the sockaddr ends where the path would
    // start); the tests check `is_unnamed` on a peek from an unbound sender.
    SocketAddr::from_pathname("")
}
