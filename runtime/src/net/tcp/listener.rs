//! A listening TCP socket.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::TcpStream;
use crate::io::driver::Direction;
use crate::io::poll_evented::PollEvented;
use crate::net::addr::{each_addr, ToSocketAddrs};

/// A TCP socket accepting connections.
///
/// ```
/// use blitz_io::net::{TcpListener, TcpStream};
///
/// blitz_io::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = blitz_io::spawn(async move { TcpStream::connect(addr).await });
///     let (_socket, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap().unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
/// });
/// ```
pub struct TcpListener {
    pub(crate) io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first address of `addr` that works (with `SO_REUSEADDR` on Unix and a
    /// backlog of 1024). Use [`TcpSocket`](super::TcpSocket) for other options.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move {
            TcpListener::new(mio::net::TcpListener::bind(addr)?)
        })
        .await
    }

    #[track_caller]
    pub(crate) fn new(listener: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::new(listener)?,
        })
    }

    /// Adopts a listener from the standard library (it is made non-blocking).
    ///
    /// # Panics
    /// Outside a runtime: call it inside a task, in `block_on` or after `Runtime::enter()`.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Hands the listener back to the standard library, in non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection. Cancel-safe: a connection is only taken in the poll that
    /// returns it.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self
            .io
            .registration()
            .async_io(crate::io::Interest::READABLE, || self.io.get_ref().accept())
            .await?;
        Ok((TcpStream::new(stream)?, addr))
    }

    /// Polls for a connection (the building block of `accept` for hand-written futures).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let accepted =
            std::task::ready!(self
                .io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.get_ref().accept()));
        Poll::Ready(accepted.and_then(|(stream, addr)| Ok((TcpStream::new(stream)?, addr))))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The pending socket error, if any (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for TcpListener {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.io.get_ref().as_raw_socket()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for TcpListener {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.io.get_ref().as_socket()
    }
}
