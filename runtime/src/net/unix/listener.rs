//! A listening Unix-domain stream socket.

use std::fmt;
use std::io;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixStream;
use crate::io::poll_evented::PollEvented;
use crate::io::Interest;

/// A Unix-domain socket accepting connections.
///
/// Available on Unix only.
///
/// ```
/// use blitz_io::net::{UnixListener, UnixStream};
///
/// blitz_io::run(async {
///     let dir = std::env::temp_dir().join(format!("blitz-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path).unwrap();
///     let _client = UnixStream::connect(&path).await.unwrap();
///     let (_server, _addr) = listener.accept().await.unwrap();
///     std::fs::remove_dir_all(&dir).unwrap();
/// });
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist yet).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind(path)?;
        Ok(UnixListener {
            io: PollEvented::new(listener)?,
        })
    }

    /// Binds to `addr`, which on Linux and Android may be abstract (see
    /// [`UnixStream::connect_addr`] for an example).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn bind_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind_addr(addr)?;
        Ok(UnixListener {
            io: PollEvented::new(listener)?,
        })
    }

    /// Adopts a listener from the standard library (it is made non-blocking).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: PollEvented::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Waits for a connection. Cancel-safe.
    pub async fn accept(&self) -> io::Result<(UnixStream, std::os::unix::net::SocketAddr)> {
        let (stream, addr) = self
            .io
            .registration()
            .async_io(Interest::READABLE, || self.io.get_ref().accept())
            .await?;
        Ok((UnixStream::new(stream)?, addr))
    }

    /// Polls for a connection (the building block of `accept` for hand-written futures);
    /// `Pending` keeps `cx`'s waker until a connection may be waiting.
    pub fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(UnixStream, std::os::unix::net::SocketAddr)>> {
        let (stream, addr) = std::task::ready!(self.io.registration().poll_io(
            cx,
            crate::io::driver::Direction::Read,
            || self.io.get_ref().accept()
        ))?;
        Poll::Ready(Ok((UnixStream::new(stream)?, addr)))
    }

    /// Hands the listener back to the standard library, in non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner().into())
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The pending socket error, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish_non_exhaustive()
    }
}

super::fd_impls!(UnixListener);
