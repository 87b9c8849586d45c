//! `Copy`: a derived state machine that copies one byte stream into another, step by step.
//!
//! Shared by the `tcp_copy` example and the tour (included with `#[path]`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use blitz_io::io::{AsyncRead, AsyncWrite};
use blitz_io::machine::{StateMachine, Transition};

/// Reads a chunk, writes it out (as many polls as that takes), repeats; at end of stream it
/// closes the writer's write side and finishes with the number of bytes copied.
///
/// Each step is an ordinary method; the derive generates the step tag, the `match` dispatch
/// and the `Future` (reached through `IntoFuture`), with no allocation beyond the buffer and
/// no `dyn`. `R` and `W` are `Unpin` sockets (or `&TcpStream`), so no field needs `#[pin]`.
#[derive(StateMachine)]
#[machine(output = io::Result<u64>, start = read, steps(read, write, close))]
pub(crate) struct Copy<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    pub(crate) reader: R,
    pub(crate) writer: W,
    pub(crate) buf: Box<[u8]>,
    /// `buf[written..filled]` is still to be written.
    pub(crate) filled: usize,
    pub(crate) written: usize,
    pub(crate) total: u64,
}

impl<R, W> Copy<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    pub(crate) fn new(reader: R, writer: W, buffer: usize) -> Self {
        Copy {
            reader,
            writer,
            buf: vec![0; buffer].into_boxed_slice(),
            filled: 0,
            written: 0,
            total: 0,
        }
    }

    fn read(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        match Pin::new(this.reader).poll_read(cx, this.buf) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(Err(error)) => Transition::Done(Err(error)),
            Poll::Ready(Ok(0)) => Transition::Next(CopyStep::Close),
            Poll::Ready(Ok(n)) => {
                *this.filled = n;
                *this.written = 0;
                Transition::Next(CopyStep::Write)
            }
        }
    }

    fn write(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        while *this.written < *this.filled {
            let chunk = &this.buf[*this.written..*this.filled];
            match Pin::new(&mut *this.writer).poll_write(cx, chunk) {
                Poll::Pending => return Transition::Pending,
                Poll::Ready(Err(error)) => return Transition::Done(Err(error)),
                Poll::Ready(Ok(0)) => {
                    return Transition::Done(Err(io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => {
                    *this.written += n;
                    *this.total += n as u64;
                }
            }
        }
        Transition::Next(CopyStep::Read)
    }

    fn close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        match Pin::new(this.writer).poll_close(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(Err(error)) => Transition::Done(Err(error)),
            Poll::Ready(Ok(())) => Transition::Done(Ok(*this.total)),
        }
    }
}
