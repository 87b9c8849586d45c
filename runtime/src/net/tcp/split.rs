//! Halves of a [`TcpStream`] that read and write concurrently (see `net/split.rs`, shared with
//! `UnixStream`).

use super::TcpStream;

crate::net::split::stream_halves!(
    TcpStream,
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
);
