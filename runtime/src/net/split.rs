//! Halves of a stream socket that read and write concurrently, written once for
//! [`TcpStream`](super::TcpStream) and [`UnixStream`](super::UnixStream) (`stream_halves!`):
//! borrowed (`ReadHalf`, `WriteHalf`: free, from `split_mut`) and owned (`OwnedReadHalf`,
//! `OwnedWriteHalf`: one `Arc`, from `into_split`, put back together with `reunite`).
//!
//! The halves only forward to the stream's `&self` reads and writes, which already allow one
//! reader and one writer at once; they add no locking.

/// Defines the split types for `$stream` in the calling module, which must be able to reach
/// the stream's `poll_read_priv`, `poll_write_priv`, `poll_write_vectored_priv` and
/// `shutdown_write`. `$into_split_doc` documents `into_split` (an example for that type).
macro_rules! stream_halves {
    ($stream:ident, $(#[$into_split_doc:meta])*) => {
        use std::fmt;
        use std::io::{self, IoSlice};
        use std::pin::Pin;
        use std::sync::Arc;
        use std::task::{Context, Poll};

        use futures_io::{AsyncRead, AsyncWrite};

        #[doc = concat!("The reading half of a borrowed split of a [`", stringify!($stream), "`].")]
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $stream);

        #[doc = concat!("The writing half of a borrowed split of a [`", stringify!($stream), "`]. ")]
        /// Closing it shuts down the stream's write side.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $stream);

        #[doc = concat!("The reading half of an owned split of a [`", stringify!($stream), "`].")]
        #[derive(Debug)]
        pub struct OwnedReadHalf(Arc<$stream>);

        #[doc = concat!("The writing half of an owned split of a [`", stringify!($stream), "`]. ")]
        /// Closing or dropping it shuts down the stream's write side (as Tokio's does), except
        /// when `reunite` takes it back.
        #[derive(Debug)]
        pub struct OwnedWriteHalf(
            Arc<$stream>,
            /// Whether the drop shuts down writing (not when `reunite` drops the half).
            bool,
        );

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.1 {
                    // As Tokio: an error (the peer reset, the socket never connected) is of
                    // no use to anyone here.
                    let _ = self.0.shutdown(std::net::Shutdown::Write);
                }
            }
        }

        /// `reunite` was given halves of two different streams; both come back.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(
                    "the halves given to reunite come from different ",
                    stringify!($stream),
                    "s"
                ))
            }
        }

        impl std::error::Error for ReuniteError {}

        impl $stream {
            /// Splits into a reading and a writing half that borrow the stream (no
            /// allocation).
            ///
            /// Named `split_mut` rather than Tokio's `split`: with futures-util's
            /// `AsyncReadExt` in scope, `stream.split()` would silently resolve to that
            /// trait's by-value `split` (a lock-based pair of halves) instead of this method.
            pub fn split_mut(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf(self), WriteHalf(self))
            }

            $(#[$into_split_doc])*
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let shared = Arc::new(self);
                (OwnedReadHalf(shared.clone()), OwnedWriteHalf(shared, true))
            }
        }

        impl OwnedReadHalf {
            /// Puts the stream back together; fails if `write` belongs to another stream.
            pub fn reunite(self, write: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                if !Arc::ptr_eq(&self.0, &write.0) {
                    return Err(ReuniteError(self, write));
                }
                let mut write = write;
                write.1 = false;
                drop(write);
                Ok(Arc::try_unwrap(self.0)
                    .expect("both halves were given, so no other owner exists"))
            }
        }

        impl OwnedWriteHalf {
            /// Puts the stream back together; fails if `read` belongs to another stream.
            pub fn reunite(self, read: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                read.reunite(self)
            }
        }

        $crate::net::split::half_access!($stream: ReadHalf<'_>, WriteHalf<'_>, OwnedReadHalf, OwnedWriteHalf);

        // A read half only reads, a write half only writes.
        $crate::net::split::read_half!(ReadHalf<'_>);
        $crate::net::split::read_half!(OwnedReadHalf);
        $crate::net::split::write_half!(WriteHalf<'_>);
        $crate::net::split::write_half!(OwnedWriteHalf);
    };
}
pub(crate) use stream_halves;

/// `as_stream` on each half.
macro_rules! half_access {
    ($stream:ident: $($ty:ty),*) => {$(
        impl $ty {
            /// The stream both halves share.
            pub fn as_stream(&self) -> &$stream {
                &self.0
            }
        }
    )*};
}
pub(crate) use half_access;

/// `AsyncRead` for a read half (in a module that has `stream_halves!`'s imports).
macro_rules! read_half {
    ($ty:ty) => {
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
}
pub(crate) use read_half;

/// `AsyncWrite` for a write half (in a module that has `stream_halves!`'s imports).
macro_rules! write_half {
    ($ty:ty) => {
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
pub(crate) use write_half;
