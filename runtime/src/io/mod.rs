//! I/O traits, utilities and the driver behind `net`.
//!
//! The traits are the ecosystem's: [`AsyncRead`], [`AsyncWrite`] and [`AsyncBufRead`] from
//! `futures-io`, with futures-util's extension traits and helpers re-exported
//! ([`AsyncReadExt`], [`AsyncWriteExt`], [`BufReader`], [`copy`], ...) rather than written
//! again. Added here: [`Interest`]/[`Ready`] for the sockets' readiness API,
//! [`copy_bidirectional`], in-memory pipes ([`duplex`], [`simplex`]), the standard streams
//! ([`stdin`], [`stdout`], [`stderr`], served by the blocking pool), and on Unix
//! `unix::AsyncFd` for descriptors that are not sockets of this crate.
//!
//! ```no_run
//! use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
//! use blitz_io::net::TcpStream;
//!
//! # blitz_io::run(async {
//! let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
//! stream.write_all(b"ping").await?;
//! let mut reply = [0u8; 4];
//! stream.read_exact(&mut reply).await?;
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```

#[cfg(unix)]
mod async_fd;
pub(crate) mod blocking_buf;
pub(crate) mod driver;
mod owned;
mod owned_op;
mod pipe;
pub(crate) mod poll_evented;
mod ready;
pub(crate) mod registration;
mod stdio;
pub(crate) mod sys;
mod util;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt,
    AsyncWriteExt, BufReader, BufWriter, Lines, ReadHalf, WriteHalf,
};
pub use owned::{IoBuf, IoBufMut};
pub use owned_op::{Cancelled, ReadOwned, WriteOwned};
pub use pipe::{duplex, simplex, DuplexStream, SimplexReader, SimplexWriter};
pub use ready::{Interest, Ready};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use util::copy_bidirectional;

/// Unix-only I/O: [`AsyncFd`](unix::AsyncFd), readiness for any pollable file descriptor, and
/// [`AsyncFdTryNewError`](unix::AsyncFdTryNewError), a refused registration.
#[cfg(unix)]
pub mod unix {
    pub use super::async_fd::{AsyncFd, AsyncFdTryNewError};
}
