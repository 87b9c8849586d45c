//! What futures-util's I/O helpers lack: [`copy_bidirectional`].

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

const BUFFER: usize = 8 * 1024;

/// One direction of a copy: read into the buffer, write it out, repeat; at end of stream,
/// close the writer's write side.
struct CopyBuffer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    read_done: bool,
    /// Bytes were written since the last flush: flush them before waiting on the reader, or
    /// a buffered writer would hold them until end of stream (a proxy's request never reaches
    /// the server while the client waits for the reply).
    need_flush: bool,
    copied: u64,
}

impl CopyBuffer {
    fn new() -> CopyBuffer {
        CopyBuffer {
            buf: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            read_done: false,
            need_flush: false,
            copied: 0,
        }
    }

    /// Ready(Ok(total)) once the reader hit end of stream and everything was written and the
    /// writer closed.
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.start == self.end && !self.read_done {
                let n = match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(n) => n?,
                    Poll::Pending => {
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                };
                if n == 0 {
                    self.read_done = true;
                } else {
                    self.start = 0;
                    self.end = n;
                }
            }
            while self.start < self.end {
                let n = ready!(writer
                    .as_mut()
                    .poll_write(cx, &self.buf[self.start..self.end]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.start += n;
                self.copied += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                ready!(writer.as_mut().poll_close(cx))?;
                return Poll::Ready(Ok(self.copied));
            }
        }
    }
}

/// Copies `a` to `b` and `b` to `a` at the same time until both reach end of stream; returns
/// the bytes copied each way `(a to b, b to a)`. When one side ends, the other side's write
/// half is closed (`poll_close`, a TCP half-close) and the other direction goes on.
///
/// Cancel safety: not cancel-safe; bytes read but not yet written are lost if the future is
/// dropped.
///
/// ```
/// use blitz_io::io::{copy_bidirectional, AsyncReadExt, AsyncWriteExt};
/// use futures_util::io::Cursor;
///
/// blitz_io::run(async {
///     let mut a = Cursor::new(b"hello".to_vec());
///     let mut b = Cursor::new(Vec::new());
///     // A cursor is both reader and writer: `a` reads "hello" into `b`; `b` then reads
///     // back from where its writes left it (its end), so nothing flows the other way.
///     let (a_to_b, b_to_a) = copy_bidirectional(&mut a, &mut b).await.unwrap();
///     assert_eq!((a_to_b, b_to_a), (5, 0));
///     assert_eq!(b.get_ref().as_slice(), b"hello");
/// });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = CopyBuffer::new();
    let mut b_to_a = CopyBuffer::new();
    let mut forward = None;
    let mut backward = None;
    poll_fn(|cx| {
        if forward.is_none() {
            if let Poll::Ready(result) = a_to_b.poll_copy(cx, Pin::new(&mut *a), Pin::new(&mut *b))
            {
                forward = Some(result?);
            }
        }
        if backward.is_none() {
            if let Poll::Ready(result) = b_to_a.poll_copy(cx, Pin::new(&mut *b), Pin::new(&mut *a))
            {
                backward = Some(result?);
            }
        }
        match (forward, backward) {
            (Some(f), Some(b)) => Poll::Ready(Ok((f, b))),
            _ => Poll::Pending,
        }
    })
    .await
}
