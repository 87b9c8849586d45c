//! In-memory byte pipes: [`simplex`] (one direction) and [`duplex`] (two).
//!
//! One direction is a [`Pipe`]: a bounded `VecDeque<u8>` behind a mutex, with one waker slot
//! for the reader and one for the writer and two flags saying which end has gone. Each end is
//! polled through `&mut self`, so at most one task waits on each side and a single slot per
//! side is enough. A write copies as much as fits (waking the reader) and waits only when the
//! buffer is full; a read copies what is buffered (waking the writer) and waits only when it
//! is empty. Closing or dropping the writing end lets the reader drain the buffer and then
//! see end of stream; dropping the reading end discards the buffer and makes every later write
//! fail with `BrokenPipe`. A [`DuplexStream`] is simply a reader on one pipe and a writer on
//! the other, so its drop closes both directions through those ends' own drops.
//!
//! Every poll first spends a unit of the task's cooperative budget, as the crate's other leaf
//! futures do, so a task copying between two always-ready pipes still yields.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

use crate::task::poll_proceed;

/// Creates a one-way in-memory pipe holding at most `max_buf_size` bytes in flight.
///
/// Bytes written to the [`SimplexWriter`] are read from the [`SimplexReader`]. A write waits
/// while the buffer is full and a read waits while it is empty. Once the writer is closed
/// ([`AsyncWriteExt::close`](super::AsyncWriteExt::close)) or dropped, the reader gets the
/// remaining bytes and then end of stream; once the reader is dropped, writes fail with
/// [`io::ErrorKind::BrokenPipe`].
///
/// # Panics
///
/// If `max_buf_size` is zero: no write could ever complete.
///
/// ```
/// use blitz_io::io::{simplex, AsyncReadExt, AsyncWriteExt};
///
/// # blitz_io::run(async {
/// let (mut reader, mut writer) = simplex(64);
/// writer.write_all(b"hello").await?;
/// drop(writer);
/// let mut text = String::new();
/// reader.read_to_string(&mut text).await?;
/// assert_eq!(text, "hello");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn simplex(max_buf_size: usize) -> (SimplexReader, SimplexWriter) {
    assert!(
        max_buf_size > 0,
        "io::simplex/duplex: max_buf_size must be at least 1, or no write could ever complete"
    );
    let pipe = Arc::new(Pipe {
        state: Mutex::new(State {
            buf: VecDeque::new(),
            max: max_buf_size,
            reader_gone: false,
            writer_gone: false,
            read_waker: None,
            write_waker: None,
        }),
    });
    (SimplexReader { pipe: pipe.clone() }, SimplexWriter { pipe })
}

/// Creates a pair of connected in-memory streams, each direction buffering at most
/// `max_buf_size` bytes.
///
/// What one stream writes, the other reads, as over a socket pair. Each direction behaves as a
/// [`simplex`] pipe: writes wait while that direction's buffer is full, reads wait while it is
/// empty, [`close`](super::AsyncWriteExt::close) ends the stream the peer reads, and dropping
/// a stream ends both directions (the peer reads end of stream after the buffered bytes, and
/// its writes fail with [`io::ErrorKind::BrokenPipe`]).
///
/// Useful to test protocol code without sockets.
///
/// # Panics
///
/// If `max_buf_size` is zero: no write could ever complete.
///
/// ```
/// use blitz_io::io::{duplex, AsyncReadExt, AsyncWriteExt};
///
/// # blitz_io::run(async {
/// let (mut client, mut server) = duplex(1024);
/// client.write_all(b"ping").await?;
/// let mut request = [0u8; 4];
/// server.read_exact(&mut request).await?;
/// server.write_all(b"pong").await?;
/// let mut reply = [0u8; 4];
/// client.read_exact(&mut reply).await?;
/// assert_eq!((&request, &reply), (b"ping", b"pong"));
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let (a_reader, b_writer) = simplex(max_buf_size);
    let (b_reader, a_writer) = simplex(max_buf_size);
    (
        DuplexStream {
            reader: a_reader,
            writer: a_writer,
        },
        DuplexStream {
            reader: b_reader,
            writer: b_writer,
        },
    )
}

/// The reading end of a [`simplex`] pipe; dropping it makes the writer's writes fail.
pub struct SimplexReader {
    pipe: Arc<Pipe>,
}

/// The writing end of a [`simplex`] pipe; closing or dropping it ends the reader's stream.
pub struct SimplexWriter {
    pipe: Arc<Pipe>,
}

/// One end of a [`duplex`] pair: reads what the other end writes and the other way round.
pub struct DuplexStream {
    reader: SimplexReader,
    writer: SimplexWriter,
}

struct Pipe {
    state: Mutex<State>,
}

struct State {
    buf: VecDeque<u8>,
    max: usize,
    reader_gone: bool,
    /// The writer closed its end or was dropped: no byte will be added to `buf`.
    writer_gone: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn poll_read(&self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        let mut state = self.lock();
        if out.is_empty() {
            coop.made_progress();
            return Poll::Ready(Ok(0));
        }
        if !state.buf.is_empty() {
            let n = out.len().min(state.buf.len());
            for (dst, src) in out.iter_mut().zip(state.buf.drain(..n)) {
                *dst = src;
            }
            let writer = state.write_waker.take();
            drop(state);
            if let Some(waker) = writer {
                waker.wake();
            }
            coop.made_progress();
            return Poll::Ready(Ok(n));
        }
        if state.writer_gone {
            coop.made_progress();
            return Poll::Ready(Ok(0));
        }
        store_waker(&mut state.read_waker, cx);
        Poll::Pending
    }

    fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        let mut state = self.lock();
        if state.reader_gone || state.writer_gone {
            coop.made_progress();
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if data.is_empty() {
            coop.made_progress();
            return Poll::Ready(Ok(0));
        }
        let room = state.max - state.buf.len();
        if room == 0 {
            store_waker(&mut state.write_waker, cx);
            return Poll::Pending;
        }
        let n = room.min(data.len());
        state.buf.extend(&data[..n]);
        let reader = state.read_waker.take();
        drop(state);
        if let Some(waker) = reader {
            waker.wake();
        }
        coop.made_progress();
        Poll::Ready(Ok(n))
    }

    fn close_write(&self) {
        let mut state = self.lock();
        state.writer_gone = true;
        let reader = state.read_waker.take();
        drop(state);
        if let Some(waker) = reader {
            waker.wake();
        }
    }

    fn close_read(&self) {
        let mut state = self.lock();
        state.reader_gone = true;
        let buffered = std::mem::take(&mut state.buf);
        let writer = state.write_waker.take();
        drop(state);
        drop(buffered);
        if let Some(waker) = writer {
            waker.wake();
        }
    }
}

fn store_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// `poll_flush`: nothing is ever held back, but the poll still spends budget.
fn poll_no_op(cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    let coop = ready!(poll_proceed(cx));
    coop.made_progress();
    Poll::Ready(Ok(()))
}

impl AsyncRead for SimplexReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_read(cx, buf)
    }
}

impl AsyncWrite for SimplexWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_no_op(cx)
    }

    /// Ends the stream: the reader gets the buffered bytes, then end of stream. Later writes
    /// fail with `BrokenPipe`.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(poll_no_op(cx))?;
        self.pipe.close_write();
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.reader.pipe.poll_read(cx, buf)
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.writer.pipe.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_no_op(cx)
    }

    /// Ends the direction towards the peer (which reads end of stream after the buffered
    /// bytes); this stream can still read what the peer writes.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(poll_no_op(cx))?;
        self.writer.pipe.close_write();
        Poll::Ready(Ok(()))
    }
}

impl Drop for SimplexReader {
    fn drop(&mut self) {
        self.pipe.close_read();
    }
}

impl Drop for SimplexWriter {
    fn drop(&mut self) {
        self.pipe.close_write();
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Pipe")
            .field("buffered", &state.buf.len())
            .field("max_buf_size", &state.max)
            .field("reader_gone", &state.reader_gone)
            .field("writer_gone", &state.writer_gone)
            .finish()
    }
}

impl fmt::Debug for SimplexReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimplexReader").field(&self.pipe).finish()
    }
}

impl fmt::Debug for SimplexWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimplexWriter").field(&self.pipe).finish()
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplexStream")
            .field("read", &self.reader.pipe)
            .field("write", &self.writer.pipe)
            .finish()
    }
}
