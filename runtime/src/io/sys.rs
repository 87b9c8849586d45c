//! The little that differs between platforms in the socket layer, in one place.
//!
//! - [`RawSocket`]: the OS handle of a socket — a file descriptor (`RawFd`) on Unix, a
//!   `SOCKET` (`RawSocket`) on Windows — and [`AsRawSocket`] to read it from any socket type.
//! - [`OwnedOpIo`]: what the owned-buffer operations need from a stream: its handle (io_uring
//!   submits against it) and one non-blocking `recv`/`send` for the readiness path.
//!
//! Every non-blocking syscall made outside mio's own socket methods goes through mio's
//! `try_io`. On Unix that is a plain call; on Windows (IOCP) mio emulates readiness with AFD
//! polls and re-arms a socket's poll only when an operation made through it returns
//! `WouldBlock` — a bare `recv` that hit `WouldBlock` would leave the socket never reported
//! ready again.

use std::io;
use std::mem::MaybeUninit;

/// A socket's OS handle: `RawFd` on Unix.
#[cfg(unix)]
pub(crate) type RawSocket = std::os::fd::RawFd;
/// A socket's OS handle: `RawSocket` (`SOCKET`) on Windows.
#[cfg(windows)]
pub(crate) type RawSocket = std::os::windows::io::RawSocket;

/// Reads a socket's OS handle, whatever the platform calls it.
pub(crate) trait AsRawSocket {
    fn raw_socket(&self) -> RawSocket;
}

#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> AsRawSocket for T {
    fn raw_socket(&self) -> RawSocket {
        self.as_raw_fd()
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsRawSocket> AsRawSocket for T {
    fn raw_socket(&self) -> RawSocket {
        self.as_raw_socket()
    }
}

/// A stream socket the owned-buffer operations run on.
pub(crate) trait OwnedOpIo: Sync {
    /// The OS handle (what an io_uring op names).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn handle(&self) -> RawSocket;

    /// One non-blocking `recv` into possibly uninitialised memory.
    fn recv_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize>;

    /// One non-blocking `send` (without `SIGPIPE` where the platform has one).
    fn send(&self, buf: &[u8]) -> io::Result<usize>;
}

/// Whether a non-blocking `connect` failed only because it has not finished yet
/// (`EINPROGRESS` on Unix, `WSAEWOULDBLOCK` on Windows).
pub(crate) fn connect_in_progress(error: &io::Error) -> bool {
    #[cfg(unix)]
    return error.raw_os_error() == Some(libc::EINPROGRESS);
    #[cfg(windows)]
    return error.kind() == io::ErrorKind::WouldBlock;
}

/// Flags for `send`: a write to a connection the peer closed returns `EPIPE` instead of
/// raising `SIGPIPE` (Windows has no such signal).
#[cfg(unix)]
const SEND_FLAGS: std::ffi::c_int = libc::MSG_NOSIGNAL;
#[cfg(windows)]
const SEND_FLAGS: std::ffi::c_int = 0;

/// `OwnedOpIo` for a mio stream type: socket2's portable `recv`/`send` on the borrowed socket,
/// inside mio's `try_io`.
macro_rules! owned_op_io {
    ($ty:ty) => {
        impl OwnedOpIo for $ty {
            fn handle(&self) -> RawSocket {
                self.raw_socket()
            }

            fn recv_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
                self.try_io(|| socket2::SockRef::from(self).recv(buf))
            }

            fn send(&self, buf: &[u8]) -> io::Result<usize> {
                self.try_io(|| socket2::SockRef::from(self).send_with_flags(buf, SEND_FLAGS))
            }
        }
    };
}

owned_op_io!(mio::net::TcpStream);
#[cfg(unix)]
owned_op_io!(mio::net::UnixStream);

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn recv_and_send_move_bytes_on_a_loopback_pair() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let server = mio::net::TcpStream::from_std(server);

        client.write_all(b"ping").unwrap();
        let mut buf = [MaybeUninit::<u8>::uninit(); 8];
        let n = server.recv_uninit(&mut buf).unwrap();
        assert_eq!(n, 4);
        // SAFETY: `recv` initialised the first `n` bytes.
        let got: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        assert_eq!(got, b"ping");

        assert_eq!(server.send(b"pong").unwrap(), 4);
        let mut back = [0u8; 4];
        client.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"pong");
        assert_eq!(server.handle(), server.raw_socket());
    }
}
