//! Unix-domain sockets: [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the same
//! tiers and cancel safety as their TCP and UDP counterparts.
//!
//! Available on Unix only (the module is `cfg(unix)`; mio has no Unix-domain sockets on
//! Windows).

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
