//! Halves of a [`UnixStream`] that read and write concurrently (see `net/split.rs`, shared
//! with `TcpStream`).

use super::UnixStream;

crate::net::split::stream_halves!(
    UnixStream,
    /// Splits into halves that own the stream and can move to different tasks.
    ///
    /// ```
    /// use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
    /// use blitz_io::net::UnixStream;
    ///
    /// blitz_io::run(async {
    ///     let (a, mut b) = UnixStream::pair().unwrap();
    ///     let (mut read, mut write) = a.into_split();
    ///     let writer = blitz_io::spawn(async move {
    ///         write.write_all(b"ping").await.unwrap();
    ///         write
    ///     });
    ///     let mut got = [0u8; 4];
    ///     b.read_exact(&mut got).await.unwrap();
    ///     b.write_all(b"pong").await.unwrap();
    ///     read.read_exact(&mut got).await.unwrap();
    ///     assert_eq!(&got, b"pong");
    ///     let _whole: UnixStream = read.reunite(writer.await.unwrap()).unwrap();
    /// });
    /// ```
);
