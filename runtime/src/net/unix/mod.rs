//! Unix-domain sockets: [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the same
//! tiers and cancel safety as their TCP and UDP counterparts.
//!
//! Addresses are paths; `bind_addr` / `connect_addr` take a
//! [`std::os::unix::net::SocketAddr`] instead, which on Linux and Android can name an
//! *abstract* socket (`SocketAddrExt::from_abstract_name`: no file, gone when the last socket
//! closes). [`UnixStream::peer_cred`] reads the peer's credentials where the platform reports
//! them.
//!
//! Available on Unix only (the module is `cfg(unix)`; mio has no Unix-domain sockets on
//! Windows).

mod datagram;
mod listener;
mod split;
mod stream;
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::UnixStream;
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
pub use ucred::UCred;

/// `AsRawFd` and `AsFd` for a socket type with a `PollEvented` field `io`.
macro_rules! fd_impls {
    ($ty:ty) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }
    };
}
use fd_impls;
