//! Networking: TCP, UDP and Unix-domain sockets on the runtime's I/O driver.
//!
//! Every socket type offers three tiers, the same on both backends:
//! - **try-ops** (`try_read`, `try_write`, `try_recv_from`, ...): one non-blocking syscall if
//!   the driver last reported the socket ready, `WouldBlock` otherwise;
//! - **readiness** (`readable()`, `writable()`, `ready(interest)`): wait, then use try-ops;
//! - **async ops**: `accept`, `connect`, `send_to`, ... and, for streams, the `futures-io`
//!   [`AsyncRead`](crate::io::AsyncRead)/[`AsyncWrite`](crate::io::AsyncWrite) traits with
//!   futures-util's extension methods (`read`, `write_all`, ...).
//!
//! Errors are real errors: a reset connection reads as `ConnectionReset`, not end of stream.
//!
//! **Cancel safety.** Readiness futures, `accept`, `recv`/`recv_from`/`peek` and the trait-based
//! reads and writes are cancel-safe on both backends: each waits for readiness and then makes
//! one non-blocking syscall inside a single poll, so a dropped future never took data.
//!
//! Sockets must be created inside a runtime (in a task, in `block_on`, or after
//! `Runtime::enter()`); the `from_std` constructors panic otherwise, naming the fix.
//!
//! ```
//! use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
//! use blitz_io::net::{TcpListener, TcpStream};
//!
//! blitz_io::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = blitz_io::spawn(async move {
//!         let (mut socket, _) = listener.accept().await?;
//!         let mut buf = [0u8; 5];
//!         socket.read_exact(&mut buf).await?;
//!         socket.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echoed = [0u8; 5];
//!     client.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     server.await.unwrap()?;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

// Platform support: TCP and UDP everywhere mio runs (epoll, kqueue, IOCP); Unix-domain
// sockets on Unix only.
mod addr;
mod split;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};

/// The readiness API every socket type shares, over its `PollEvented` field `io`.
macro_rules! readiness_methods {
    () => {
        /// Waits until the socket is ready for `interest` and returns what the driver saw.
        ///
        /// Cancel-safe. The readiness may be stale by the time it is used: follow it with
        /// try-ops, which return `WouldBlock` (and clear the readiness) when it was.
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> std::io::Result<$crate::io::Ready> {
            let event = self.io.registration().readiness(interest).await?;
            Ok($crate::io::Ready::of(event))
        }

        /// Waits until the socket is readable (`ready(Interest::READABLE)`). Cancel-safe.
        pub async fn readable(&self) -> std::io::Result<()> {
            self.ready($crate::io::Interest::READABLE).await.map(drop)
        }

        /// Waits until the socket is writable (`ready(Interest::WRITABLE)`). Cancel-safe.
        pub async fn writable(&self) -> std::io::Result<()> {
            self.ready($crate::io::Interest::WRITABLE).await.map(drop)
        }

        /// Runs a custom non-blocking operation `f` on the socket if the driver last reported
        /// it ready for `interest`; `WouldBlock` otherwise. When `f` returns `WouldBlock`, the
        /// readiness is cleared so that the next wait really waits (and, on Windows, the
        /// socket's IOCP poll is re-armed: `f` runs inside mio's `try_io`).
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            let io = self.io.get_ref();
            self.io.registration().try_io(interest, || io.try_io(f))
        }

        /// Waits for `interest` and runs the non-blocking `f` until it stops returning
        /// `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: $crate::io::Interest,
            mut f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            let io = self.io.get_ref();
            self.io
                .registration()
                .async_io(interest, || io.try_io(&mut f))
                .await
        }
    };
}
pub(crate) use readiness_methods;

/// `poll_*_ready` for hand-written futures over a socket with a `PollEvented` field `io`,
/// named as Tokio names them for the type (`poll_read_ready` for streams, `poll_recv_ready`
/// for datagram sockets).
macro_rules! poll_ready_methods {
    ($read:ident, $write:ident) => {
        /// Polls for read readiness: `Ready(Ok(()))` once the driver reports the socket
        /// readable (or closed, or failed), `Pending` otherwise, with `cx`'s waker kept until
        /// it is. Follow it with a try-op, which clears a stale readiness on `WouldBlock`.
        /// Several tasks may poll at once; each is woken.
        pub fn $read(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io
                .registration()
                .poll_ready(cx, $crate::io::driver::Direction::Read)
                .map_ok(drop)
        }

        /// Polls for write readiness, as the read form does for reading.
        pub fn $write(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io
                .registration()
                .poll_ready(cx, $crate::io::driver::Direction::Write)
                .map_ok(drop)
        }
    };
}
pub(crate) use poll_ready_methods;

/// Owned-buffer reads and writes for a stream type with a `PollEvented` field `io`.
macro_rules! owned_buffer_methods {
    () => {
        /// Reads into `buf` (from its start, up to its capacity) and hands it back with the
        /// count; a `Vec`'s length becomes the count. On io_uring the kernel fills the buffer
        /// directly. Several tasks may read one stream at once: each is woken by new data
        /// (which of them gets which bytes is unspecified).
        ///
        /// Cancel safety: **not cancel-safe on io_uring**: dropping the future after its
        /// operation completed loses the bytes it read. Use [`ReadOwned::cancel`] to stop it
        /// without loss, or the `AsyncRead` methods, which are cancel-safe.
        ///
        /// [`ReadOwned::cancel`]: crate::io::ReadOwned::cancel
        pub fn read_owned<B: $crate::io::IoBufMut>(&self, buf: B) -> $crate::io::ReadOwned<'_, B> {
            $crate::io::ReadOwned::new(self.io.registration(), self.io.get_ref(), buf)
        }

        /// Writes from `buf` (its initialised bytes) and hands it back with the count written,
        /// which may be less than all of it.
        ///
        /// Cancel safety: dropping it may leave an unknown prefix written.
        pub fn write_owned<B: $crate::io::IoBuf>(&self, buf: B) -> $crate::io::WriteOwned<'_, B> {
            $crate::io::WriteOwned::new(self.io.registration(), self.io.get_ref(), buf, 0)
        }

        /// Writes all of `buf` and hands it back.
        ///
        /// Cancel safety: dropping it may leave an unknown prefix written.
        pub async fn write_all_owned<B: $crate::io::IoBuf>(
            &self,
            buf: B,
        ) -> (std::io::Result<()>, B) {
            let mut buf = buf;
            let mut start = 0;
            while start < buf.bytes_init() {
                let op = $crate::io::WriteOwned::new(
                    self.io.registration(),
                    self.io.get_ref(),
                    buf,
                    start,
                );
                let (result, back) = op.await;
                buf = back;
                match result {
                    Ok(0) => return (Err(std::io::ErrorKind::WriteZero.into()), buf),
                    Ok(n) => start += n,
                    Err(error) => return (Err(error), buf),
                }
            }
            (Ok(()), buf)
        }
    };
}
pub(crate) use owned_buffer_methods;
