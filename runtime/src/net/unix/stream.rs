//! A connected Unix-domain stream socket.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::poll_evented::PollEvented;
use crate::io::Interest;

/// A Unix-domain stream: `futures-io` [`AsyncRead`]/[`AsyncWrite`] (on the stream and on
/// `&UnixStream`), try-ops, readiness, and halves that read and write concurrently
/// ([`split_mut`](Self::split_mut), [`into_split`](Self::into_split)).
///
/// Available on Unix only.
///
/// ```
/// use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
/// use blitz_io::net::UnixStream;
///
/// blitz_io::run(async {
///     let (mut a, mut b) = UnixStream::pair().unwrap();
///     a.write_all(b"hi").await.unwrap();
///     let mut buf = [0u8; 2];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path` (asynchronously).
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::new(mio::net::UnixStream::connect(path)?)?;
        stream.wait_connected().await?;
        Ok(stream)
    }

    /// Connects to the socket at `addr`, which on Linux and Android may be abstract.
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// #[cfg(target_os = "linux")]
    /// use std::os::linux::net::SocketAddrExt;
    /// #[cfg(target_os = "android")]
    /// use std::os::android::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use blitz_io::net::{UnixListener, UnixStream};
    ///
    /// blitz_io::run(async {
    ///     let name = format!("blitz-io-doc-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    ///     let listener = UnixListener::bind_addr(&addr).unwrap(); // no file is created
    ///     let _client = UnixStream::connect_addr(&addr).await.unwrap();
    ///     let (_server, _) = listener.accept().await.unwrap();
    /// });
    /// # }
    /// ```
    pub async fn connect_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixStream> {
        let stream = UnixStream::new(mio::net::UnixStream::connect_addr(addr)?)?;
        stream.wait_connected().await?;
        Ok(stream)
    }

    async fn wait_connected(&self) -> io::Result<()> {
        self.writable().await?;
        match self.take_error()? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Two connected streams.
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::new(a)?, UnixStream::new(b)?))
    }

    #[track_caller]
    pub(crate) fn new(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: PollEvented::new(stream)?,
        })
    }

    /// Adopts a stream from the standard library (it is made non-blocking).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(stream))
    }

    /// Hands the stream back to the standard library, in non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner().into())
    }

    crate::net::readiness_methods!();
    crate::net::poll_ready_methods!(poll_read_ready, poll_write_ready);
    crate::net::owned_buffer_methods!();

    /// Reads what is available now, without waiting.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, || {
            let mut io = self.io.get_ref();
            io.read(buf)
        })
    }

    /// As [`try_read`](Self::try_read), into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, || {
            let mut io = self.io.get_ref();
            io.read_vectored(bufs)
        })
    }

    /// Writes what fits now, without waiting.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, || {
            let mut io = self.io.get_ref();
            io.write(buf)
        })
    }

    /// As [`try_write`](Self::try_write), from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, || {
            let mut io = self.io.get_ref();
            io.write_vectored(bufs)
        })
    }

    /// Shuts down the read side, the write side or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The pending socket error, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// The credentials of the peer process, as the kernel recorded them when the connection
    /// was made: uid and gid everywhere this exists, and the pid on Linux and Android.
    ///
    /// Available on Linux, Android, macOS and iOS, and the BSDs.
    ///
    /// ```
    /// use blitz_io::net::UnixStream;
    ///
    /// blitz_io::run(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let cred = a.peer_cred().unwrap();
    ///     // Both ends belong to this process, so each sees the same peer.
    ///     assert_eq!(cred, b.peer_cred().unwrap());
    ///     if cfg!(target_os = "linux") {
    ///         assert_eq!(cred.pid(), Some(std::process::id() as i32));
    ///     }
    /// });
    /// ```
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    ))]
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        use std::os::fd::AsFd;
        super::ucred::peer_cred(self.as_fd())
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    pub(crate) fn shutdown_write(&self) -> Poll<io::Result<()>> {
        Poll::Ready(match self.shutdown(Shutdown::Write) {
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

crate::net::tcp::stream_traits!(UnixStream, |s| s);
crate::net::tcp::stream_traits!(&UnixStream, |s| *s);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .finish_non_exhaustive()
    }
}

super::fd_impls!(UnixStream);
