//! Halves of a [`TcpStream`] that read and write concurrently: borrowed ([`ReadHalf`],
//! [`WriteHalf`], free, from `split_mut`) and owned ([`OwnedReadHalf`], [`OwnedWriteHalf`], one
//! `Arc`, from `into_split`, put back together with `reunite`).

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::TcpStream;

/// The reading half of a borrowed split.
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a TcpStream);

/// The writing half of a borrowed split. Closing it shuts down the stream's write side.
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a TcpStream);

/// The reading half of an owned split.
#[derive(Debug)]
pub struct OwnedReadHalf(Arc<TcpStream>);

/// The writing half of an owned split. Closing or dropping it shuts down the stream's write
/// side (as Tokio's does), except when `reunite` takes it back.
#[derive(Debug)]
pub struct OwnedWriteHalf(
    Arc<TcpStream>,
    /// Whether the drop shuts down writing (not when `reunite` drops the half).
    bool,
);

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.1 {
            // As Tokio: an error (the peer reset, the socket never connected) is of no use
            // to anyone here.
            let _ = self.0.shutdown(std::net::Shutdown::Write);
        }
    }
}

/// `reunite` was given halves of two different streams; both come back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves given to reunite come from different TcpStreams")
    }
}

impl std::error::Error for ReuniteError {}

impl TcpStream {
    /// Splits into a reading and a writing half that borrow the stream (no allocation).
    ///
    /// Named `split_mut` rather than Tokio's `split`: with futures-util's `AsyncReadExt` in
    /// scope, `stream.split()` would silently resolve to that trait's by-value `split` (a
    /// lock-based pair of halves) instead of this method.
    pub fn split_mut(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Splits into halves that own the stream and can move to different tasks.
    ///
    /// ```
    /// use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
    /// use blitz_io::net::{TcpListener, TcpStream};
    ///
    /// blitz_io::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (mut read, mut write) = client.into_split();
    ///     let writer = blitz_io::spawn(async move {
    ///         write.write_all(b"x").await.unwrap();
    ///         write
    ///     });
    ///     let (mut server, _) = listener.accept().await.unwrap();
    ///     let mut byte = [0u8];
    ///     server.read_exact(&mut byte).await.unwrap();
    ///     let write = writer.await.unwrap();
    ///     let _whole: TcpStream = read.reunite(write).unwrap();
    /// });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let shared = Arc::new(self);
        (OwnedReadHalf(shared.clone()), OwnedWriteHalf(shared, true))
    }
}

impl OwnedReadHalf {
    /// Puts the stream back together; fails if `write` belongs to another stream.
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.0, &write.0) {
            return Err(ReuniteError(self, write));
        }
        let mut write = write;
        write.1 = false;
        drop(write);
        Ok(Arc::try_unwrap(self.0).expect("both halves were given, so no other owner exists"))
    }
}

impl OwnedWriteHalf {
    /// Puts the stream back together; fails if `read` belongs to another stream.
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }
}

macro_rules! half_access {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// The stream both halves share.
            pub fn as_stream(&self) -> &TcpStream {
                &self.0
            }
        }
    )*};
}
half_access!(ReadHalf<'_>, WriteHalf<'_>, OwnedReadHalf, OwnedWriteHalf);

/// A read half only reads, a write half only writes.
macro_rules! one_way {
    (read $ty:ty) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_read_priv(cx, buf)
            }
        }
    };
    (write $ty:ty) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write_priv(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write_vectored_priv(cx, bufs)
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.shutdown_write()
            }
        }
    };
}
one_way!(read ReadHalf<'_>);
one_way!(read OwnedReadHalf);
one_way!(write WriteHalf<'_>);
one_way!(write OwnedWriteHalf);
