//! TCP: [`TcpListener`], [`TcpStream`] (with borrowed and owned halves) and the [`TcpSocket`]
//! builder for options that must be set before `bind`/`connect`.

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
#[cfg(unix)]
pub(crate) use stream::stream_traits;
pub use stream::TcpStream;
