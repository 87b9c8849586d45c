//! Unix-domain sockets: [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the same
//! tiers and cancel safety as their TCP and UDP counterparts.

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
