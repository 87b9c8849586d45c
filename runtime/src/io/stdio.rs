//! Async standard input, output and error: [`stdin`], [`stdout`], [`stderr`].
//!
//! The process's standard streams may be terminals, files or pipes, and only some of those
//! can be polled for readiness, so every operation is a blocking call handed to the runtime's
//! blocking pool ([`spawn_blocking`](crate::task::spawn_blocking)), as Tokio does. Each handle
//! is a small state machine, [`Blocking`]: `Idle` holds its buffer, `Busy` holds the
//! `JoinHandle` of the one operation in flight, which owns the buffer until it comes back.
//!
//! - A read asks the pool to read up to `min(len, MAX_BUF)` bytes into the buffer, then copies
//!   them out; bytes left over serve the next reads before another pool read starts.
//! - A write copies up to `MAX_BUF` bytes into the buffer, starts a pool job that writes them
//!   all and flushes std's handle, and reports them written at once; the next write or flush
//!   first waits for that job and returns its error, if any. So data is in flight, not yet
//!   on the descriptor, until a flush (or the next write) completes.
//!
//! A read in flight cannot be cancelled: dropping the handle (or the future polling it) leaves
//! the pool thread blocked until input arrives, and the bytes it then reads are lost.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::blocking_buf::BlockingBuf;
use crate::task::{coop, poll_proceed, spawn_blocking, JoinHandle};

/// The most bytes one pool operation moves.
const MAX_BUF: usize = 64 * 1024;

/// An async handle to the process's standard input; see [`stdin`].
#[derive(Debug)]
pub struct Stdin(Blocking);

/// An async handle to the process's standard output; see [`stdout`].
#[derive(Debug)]
pub struct Stdout(Blocking);

/// An async handle to the process's standard error; see [`stderr`].
#[derive(Debug)]
pub struct Stderr(Blocking);

/// A handle to standard input that reads on the runtime's blocking pool.
///
/// Each read that finds nothing buffered starts one blocking read of the underlying
/// [`std::io::Stdin`] on the pool; only one is in flight at a time. A read in flight cannot be
/// cancelled: if the handle is dropped meanwhile, the pool thread still waits for input and
/// the bytes it reads are discarded. Prefer one long-lived handle over many short ones.
///
/// # Panics
///
/// Polling a read outside a runtime panics, as [`spawn_blocking`] does.
///
/// ```no_run
/// use blitz_io::io::{stdin, AsyncBufReadExt, BufReader};
///
/// # blitz_io::run(async {
/// let mut line = String::new();
/// BufReader::new(stdin()).read_line(&mut line).await?;
/// println!("read {line:?}");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn stdin() -> Stdin {
    Stdin(Blocking::new())
}

/// A handle to standard output that writes on the runtime's blocking pool.
///
/// A write copies the bytes (up to 64 KiB) into the handle and returns at once while a pool
/// thread writes and flushes them; the next write or flush waits for that and reports its
/// error. Call [`flush`](super::AsyncWriteExt::flush) to know that the bytes reached the
/// descriptor. Writes from different handles, or from `println!`, are not ordered with each
/// other except by such flushes.
///
/// # Panics
///
/// Polling a write outside a runtime panics, as [`spawn_blocking`] does.
///
/// ```
/// use blitz_io::io::{stdout, AsyncWriteExt};
///
/// # blitz_io::run(async {
/// let mut out = stdout();
/// out.write_all(b"hello from the blocking pool\n").await?;
/// out.flush().await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout(Blocking::new())
}

/// A handle to standard error that writes on the runtime's blocking pool; it behaves as
/// [`stdout`] does (buffered until the pool write completes or a flush waits for it).
///
/// ```
/// use blitz_io::io::{stderr, AsyncWriteExt};
///
/// # blitz_io::run(async {
/// let mut err = stderr();
/// err.write_all(b"warning: example\n").await?;
/// err.flush().await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn stderr() -> Stderr {
    Stderr(Blocking::new())
}

/// One blocking operation at a time, with its buffer.
#[derive(Debug)]
struct Blocking {
    state: State,
}

#[derive(Debug)]
enum State {
    Idle(BlockingBuf),
    /// The pool job owns the buffer; it comes back with the job's result.
    Busy(JoinHandle<(io::Result<usize>, BlockingBuf)>),
}

impl Blocking {
    fn new() -> Blocking {
        Blocking {
            state: State::Idle(BlockingBuf::default()),
        }
    }

    /// Waits for the operation in flight, if any, and puts its buffer back.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(Ok(0));
        };
        // The caller already spent the budget unit for this poll.
        let joined = ready!(coop::without_budget(|| Pin::new(job).poll(cx)));
        let (result, buf) = match joined {
            Ok(done) => done,
            // The runtime shut down before the job ran, or the job panicked (std's handles do
            // not): the bytes are lost, the handle stays usable.
            Err(error) => (Err(io::Error::other(error)), BlockingBuf::default()),
        };
        self.state = State::Idle(buf);
        Poll::Ready(result)
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
        read: fn(&mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        loop {
            let buf = match &mut self.state {
                State::Busy(_) => {
                    let n = ready!(self.poll_idle(cx))?;
                    if n == 0 {
                        // End of input: report it rather than start another read.
                        coop.made_progress();
                        return Poll::Ready(Ok(0));
                    }
                    continue;
                }
                State::Idle(buf) => buf,
            };
            if buf.unread() > 0 || out.is_empty() {
                coop.made_progress();
                return Poll::Ready(Ok(buf.copy_out(out)));
            }
            let mut buf = std::mem::take(buf);
            let want = out.len().min(MAX_BUF);
            self.state = State::Busy(spawn_blocking(move || {
                let result = buf.read_with(want, read);
                (result, buf)
            }));
        }
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
        write: fn(&[u8]) -> io::Result<()>,
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        ready!(self.poll_idle(cx))?;
        let State::Idle(buf) = &mut self.state else {
            unreachable!("poll_idle returned Ready with a job still in flight")
        };
        coop.made_progress();
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut buf = std::mem::take(buf);
        let n = data.len().min(MAX_BUF);
        buf.set(&data[..n]);
        self.state = State::Busy(spawn_blocking(move || {
            let result = write(buf.bytes()).map(|()| n);
            (result, buf)
        }));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let coop = ready!(poll_proceed(cx));
        ready!(self.poll_idle(cx))?;
        coop.made_progress();
        Poll::Ready(Ok(()))
    }
}

fn read_stdin(buf: &mut [u8]) -> io::Result<usize> {
    io::stdin().read(buf)
}

fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

fn write_stderr(bytes: &[u8]) -> io::Result<()> {
    let mut err = io::stderr().lock();
    err.write_all(bytes)?;
    err.flush()
}

impl AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf, read_stdin)
    }
}

macro_rules! impl_async_write {
    ($ty:ty, $write:expr) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write(cx, buf, $write)
            }

            /// Waits for the write in flight and returns its error, if any.
            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.poll_flush(cx)
            }

            /// Flushes; the process's stream itself stays open.
            fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.poll_flush(cx)
            }
        }
    };
}

impl_async_write!(Stdout, write_stdout);
impl_async_write!(Stderr, write_stderr);
