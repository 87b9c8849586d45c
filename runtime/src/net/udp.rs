//! UDP sockets.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};

use crate::io::driver::Direction;
use crate::io::poll_evented::PollEvented;
use crate::io::Interest;
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};

/// A UDP socket: datagrams to and from any peer (`send_to`/`recv_from`), or to and from one
/// peer after [`connect`](UdpSocket::connect) (`send`/`recv`).
///
/// Every receive is cancel-safe: a datagram is taken from the socket only in the poll that
/// returns it.
///
/// A datagram larger than the buffer given to a receive or peek: on Unix the buffer is filled
/// and the call returns its length (a receive discards the rest); on Windows the buffer is
/// filled too, but the call returns an error (`WSAEMSGSIZE`, raw OS error 10040), and a
/// receive still takes the datagram. Size buffers for the largest datagram you expect.
///
/// ```
/// use blitz_io::net::UdpSocket;
///
/// blitz_io::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first address of `addr` that works.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move {
            UdpSocket::new(mio::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    #[track_caller]
    fn new(socket: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: PollEvented::new(socket)?,
        })
    }

    /// Adopts a socket from the standard library (it is made non-blocking).
    ///
    /// # Panics
    /// Outside a runtime (naming the fix).
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(socket))
    }

    /// Hands the socket back to the standard library, in non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner().into())
    }

    /// Sets the default peer (the first address of `addr` that works): `send`/`recv` use it
    /// and datagrams from other peers are dropped by the kernel.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let mut last = None;
        for addr in resolve(&addr).await? {
            match self.io.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
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

    /// Sends to `target` (its first address).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target =
            resolve(&target).await?.into_iter().next().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no address to send to")
            })?;
        self.async_io(Interest::WRITABLE, || {
            self.io.get_ref().send_to(buf, target)
        })
        .await
    }

    /// As [`send_to`](Self::send_to), without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, || {
            self.io.get_ref().send_to(buf, target)
        })
    }

    /// Receives a datagram and its sender. Cancel-safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.async_io(Interest::READABLE, || self.io.get_ref().recv_from(buf))
            .await
    }

    /// As [`recv_from`](Self::recv_from), without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_io(Interest::READABLE, || self.io.get_ref().recv_from(buf))
    }

    /// Copies the next datagram and its sender without taking it. Cancel-safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.async_io(Interest::READABLE, || self.io.get_ref().peek_from(buf))
            .await
    }

    /// Copies the next datagram from the connected peer without taking it. Cancel-safe.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Interest::READABLE, || self.io.get_ref().peek(buf))
            .await
    }

    /// As [`peek`](Self::peek), without waiting.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, || self.io.get_ref().peek(buf))
    }

    /// As [`peek_from`](Self::peek_from), without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_io(Interest::READABLE, || self.io.get_ref().peek_from(buf))
    }

    /// The sender of the next datagram, which stays queued for the next receive or peek.
    /// Waits for one to arrive. Cancel-safe.
    ///
    /// The address is whatever the datagram claims: UDP does not authenticate senders, so a
    /// forged source address looks the same as a real one.
    ///
    /// ```
    /// use blitz_io::net::UdpSocket;
    ///
    /// blitz_io::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
    ///     // The datagram is still there, whole.
    ///     let mut buf = [0u8; 16];
    ///     let (n, _) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hello");
    /// });
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.async_io(Interest::READABLE, || self.peek_sender_now())
            .await
    }

    /// As [`peek_sender`](Self::peek_sender), without waiting: `WouldBlock` when nothing is
    /// queued.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.try_io(Interest::READABLE, || self.peek_sender_now())
    }

    /// Polls a [`peek_sender`](Self::peek_sender), as [`poll_recv`](Self::poll_recv).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.peek_sender_now())
    }

    /// One non-blocking `MSG_PEEK` receive that keeps only the address. socket2 hides the
    /// platform differences: the data is truncated silently on Unix, and Windows' complaint
    /// that the datagram did not fit (`WSAEMSGSIZE`) is not reported.
    fn peek_sender_now(&self) -> io::Result<SocketAddr> {
        socket2::SockRef::from(self.io.get_ref())
            .peek_sender()?
            .as_socket()
            .ok_or_else(|| io::Error::other("the platform did not report the sender's address"))
    }

    /// Polls a [`recv`](Self::recv) (for hand-written futures): `Pending` keeps `cx`'s waker
    /// until a datagram may have arrived. The poll forms take a plain slice and return the
    /// count, where Tokio's fill a `ReadBuf`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use blitz_io::net::UdpSocket;
    ///
    /// blitz_io::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     poll_fn(|cx| a.poll_send(cx, b"hi")).await.unwrap();
    ///     let mut buf = [0u8; 8];
    ///     let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hi");
    /// });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.get_ref().recv(buf))
    }

    /// Polls a [`recv_from`](Self::recv_from), as [`poll_recv`](Self::poll_recv).
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.get_ref().recv_from(buf))
    }

    /// Polls a [`peek_from`](Self::peek_from), as [`poll_recv`](Self::poll_recv).
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.get_ref().peek_from(buf))
    }

    /// Polls a [`send`](Self::send): `Pending` keeps `cx`'s waker until the socket may take
    /// the datagram.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || self.io.get_ref().send(buf))
    }

    /// Polls a [`send_to`](Self::send_to) to an address already resolved.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.registration().poll_io(cx, Direction::Write, || {
            self.io.get_ref().send_to(buf, target)
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_MULTICAST_LOOP`.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// `IP_MULTICAST_TTL`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// `IPV6_MULTICAST_LOOP`.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IP_TOS`, the type-of-service byte of every IPv4 datagram sent. Not on Fuchsia,
    /// Redox, Solaris or Haiku.
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "haiku"
    )))]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_tos_v4(tos)
    }

    /// `IP_TOS`. Not on Fuchsia, Redox, Solaris or Haiku.
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "haiku"
    )))]
    pub fn tos(&self) -> io::Result<u32> {
        socket2::SockRef::from(self.io.get_ref()).tos_v4()
    }

    /// Binds the socket to a network interface by name (`SO_BINDTODEVICE`; `None` removes
    /// the binding). Usually needs `CAP_NET_RAW`. Linux and Android only.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).bind_device(interface)
    }

    /// The interface set by [`bind_device`](Self::bind_device), if any. Linux and Android
    /// only.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        socket2::SockRef::from(self.io.get_ref()).device()
    }

    /// Joins an IPv4 multicast group on `interface`.
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&group, &interface)
    }

    /// Joins an IPv6 multicast group on the interface with this index.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(group, interface)
    }

    /// The pending socket error, if any (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for UdpSocket {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.io.get_ref().as_raw_socket()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for UdpSocket {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.io.get_ref().as_socket()
    }
}
