//! A TCP socket not yet bound or connected, for options that must come first.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, TcpKeepalive, Type};

use super::{TcpListener, TcpStream};

/// Builds a TCP socket step by step: options, then `bind`, then `listen` or `connect`.
///
/// ```
/// use blitz_io::net::TcpSocket;
///
/// blitz_io::run(async {
///     let socket = TcpSocket::new_v4().unwrap();
///     socket.set_reuseaddr(true).unwrap();
///     socket.set_recv_buffer_size(64 * 1024).unwrap();
///     socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let listener = socket.listen(128).unwrap();
///     assert!(listener.local_addr().unwrap().port() > 0);
/// });
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// An IPv4 socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// An IPv6 socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        // `Socket::new` sets close-on-exec itself. Where the socket type takes a non-blocking
        // flag, one syscall makes the socket; elsewhere (macOS, BSDs) it is a second call.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let inner = Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let inner = {
            let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
            socket.set_nonblocking(true)?;
            socket
        };
        Ok(TcpSocket { inner })
    }

    /// Takes over a socket made elsewhere as a `std::net::TcpStream` (for instance with
    /// socket2, for an option this type does not offer), not yet connected or listening. It
    /// is made non-blocking, which is the one way this can fail (unlike Tokio's, which leaves
    /// that to the caller).
    ///
    /// ```
    /// use blitz_io::net::TcpSocket;
    ///
    /// let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    /// raw.set_reuse_address(true).unwrap();
    /// let socket = TcpSocket::from_std_stream(raw.into()).unwrap();
    /// assert!(socket.reuseaddr().unwrap());
    /// ```
    pub fn from_std_stream(stream: std::net::TcpStream) -> io::Result<TcpSocket> {
        stream.set_nonblocking(true)?;
        Ok(TcpSocket {
            inner: Socket::from(stream),
        })
    }

    /// Sets `SO_REUSEADDR`.
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuse)
    }

    /// `SO_REUSEADDR`.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`. Available on Unix only (not on Solaris/illumos).
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuse)
    }

    /// `SO_REUSEPORT`. Available on Unix only (not on Solaris/illumos).
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_SNDBUF` (the kernel may round it; Linux doubles it).
    pub fn set_send_buffer_size(&self, bytes: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(bytes as usize)
    }

    /// `SO_SNDBUF`, as the kernel holds it.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .send_buffer_size()
            .map(|size| u32::try_from(size).unwrap_or(u32::MAX))
    }

    /// Sets `SO_RCVBUF` (the kernel may round it; Linux doubles it).
    pub fn set_recv_buffer_size(&self, bytes: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(bytes as usize)
    }

    /// `SO_RCVBUF`, as the kernel holds it.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .recv_buffer_size()
            .map(|size| u32::try_from(size).unwrap_or(u32::MAX))
    }

    /// Sets `SO_KEEPALIVE`, with the idle time before the first probe when `Some`.
    ///
    /// (Tokio's `set_keepalive` takes a `bool`; this one also sets the idle time, which a
    /// bare `SO_KEEPALIVE` leaves at the system default of two hours on Linux.)
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        match idle {
            None => self.inner.set_keepalive(false),
            Some(idle) => self
                .inner
                .set_tcp_keepalive(&TcpKeepalive::new().with_time(idle)),
        }
    }

    /// `SO_KEEPALIVE`: whether keepalive probes are on.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `SO_LINGER`.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// Sets `IP_TOS`, the type-of-service byte of every IPv4 packet sent. Not on Fuchsia,
    /// Redox, Solaris or Haiku.
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "haiku"
    )))]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.inner.set_tos_v4(tos)
    }

    /// `IP_TOS`. Not on Fuchsia, Redox, Solaris or Haiku.
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "haiku"
    )))]
    pub fn tos(&self) -> io::Result<u32> {
        self.inner.tos_v4()
    }

    /// Binds the socket to a network interface by name (`SO_BINDTODEVICE`; `None` removes
    /// the binding): only packets through that interface are used. Usually needs
    /// `CAP_NET_RAW`. Linux and Android only.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.inner.bind_device(interface)
    }

    /// The interface set by [`bind_device`](Self::bind_device), if any. Linux and Android
    /// only.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.inner.device()
    }

    /// Binds to `addr`.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an IP socket"))
    }

    /// Starts listening with the given backlog.
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        let std: std::net::TcpListener = self.inner.into();
        TcpListener::new(mio::net::TcpListener::from_std(std))
    }

    /// Connects to `addr` (asynchronously).
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&addr.into()) {
            Ok(()) => {}
            Err(error) if crate::io::sys::connect_in_progress(&error) => {}
            Err(error) => return Err(error),
        }
        let std: std::net::TcpStream = self.inner.into();
        let stream = TcpStream::new(mio::net::TcpStream::from_std(std))?;
        stream.wait_connected().await?;
        Ok(stream)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for TcpSocket {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.inner.as_raw_socket()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for TcpSocket {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}
