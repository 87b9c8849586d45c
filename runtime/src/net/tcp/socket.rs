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

    /// `SO_REUSEADDR`.
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuse)
    }

    /// `SO_REUSEPORT`. Available on Unix only (not on Solaris/illumos).
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuse)
    }

    /// `SO_SNDBUF`.
    pub fn set_send_buffer_size(&self, bytes: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(bytes as usize)
    }

    /// `SO_RCVBUF`.
    pub fn set_recv_buffer_size(&self, bytes: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(bytes as usize)
    }

    /// `SO_KEEPALIVE`, with the idle time before the first probe when `Some`.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        match idle {
            None => self.inner.set_keepalive(false),
            Some(idle) => self
                .inner
                .set_tcp_keepalive(&TcpKeepalive::new().with_time(idle)),
        }
    }

    /// `SO_LINGER`.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
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
