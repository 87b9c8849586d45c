//! The state machine behind [`File`](super::File): one pool job at a time, with its buffer.
//!
//! `Idle` holds the buffer; `Busy` holds the `JoinHandle` of the job in flight, which owns the
//! buffer (and a clone of the file's `Arc`) until it hands both back with its [`Operation`]
//! result. Whoever polls next takes that result: the operation that started the job if it
//! is still waiting, or the next one if that caller went away. A failed write (or
//! `set_len`) is never dropped silently: the next operation to see it returns it.
//!
//! The buffer may hold bytes read ahead of the caller (`bytes[pos..]`), so the file's real
//! position is ahead of the position the caller sees by that many bytes. A write, a seek or
//! `set_len` first discards them and moves the real position back to match.

use std::fs::{File as StdFile, Metadata};
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::fs::join_error;
use crate::io::blocking_buf::BlockingBuf;
use crate::task::{coop, poll_proceed, spawn_blocking, spawn_mandatory_blocking, JoinHandle};

/// The most bytes one pool job reads or writes.
pub(super) const MAX_BUF: usize = 2 * 1024 * 1024;

/// What a pool job did, with its result.
pub(super) enum Operation {
    Read(io::Result<usize>),
    /// A write or `set_len`: a change the caller may no longer be waiting for.
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// `sync_all`, `sync_data`, `set_permissions`.
    Unit(io::Result<()>),
    Metadata(io::Result<Metadata>),
    Clone(io::Result<StdFile>),
}

#[derive(Debug)]
pub(super) struct Inner {
    state: State,
    /// The target of the seek in flight, to tell its caller's retry from a new seek.
    seeking: Option<SeekFrom>,
}

#[derive(Debug)]
enum State {
    Idle(BlockingBuf),
    Busy(JoinHandle<(Operation, BlockingBuf)>),
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Operation")
    }
}

/// The (non-positive) offset that moves the file's position back over `unread` bytes read
/// ahead, to where the caller believes it is.
fn back_offset(unread: usize) -> i64 {
    // A buffer holds at most MAX_BUF bytes, far below i64::MAX.
    -(unread as i64)
}

/// Moves the position back by `-offset` bytes first, if needed.
pub(super) fn seek_back(std: &StdFile, offset: i64) -> io::Result<()> {
    if offset != 0 {
        let mut std = std;
        std.seek(SeekFrom::Current(offset))?;
    }
    Ok(())
}

impl Inner {
    pub(super) fn new() -> Inner {
        Inner {
            state: State::Idle(BlockingBuf::default()),
            seeking: None,
        }
    }

    fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle(_))
    }

    /// Idle, with no bytes read ahead: the std file's position is the caller's.
    pub(super) fn is_idle_and_in_step(&self) -> bool {
        matches!(&self.state, State::Idle(buf) if buf.unread() == 0)
    }

    /// Waits for the job in flight, if any, takes the buffer back and returns its result.
    pub(super) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Option<Operation>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(None);
        };
        // The trait methods already spent the budget unit for this poll.
        let joined = ready!(coop::without_budget(|| Pin::new(job).poll(cx)));
        let (operation, buf) = match joined {
            Ok(done) => done,
            // Cancelled because the runtime shut down before the job ran: report it as a
            // failed change, so a write reported done does not vanish without an error.
            Err(error) => (
                Operation::Write(Err(join_error(error))),
                BlockingBuf::default(),
            ),
        };
        self.state = State::Idle(buf);
        Poll::Ready(Some(operation))
    }

    /// Waits until idle; a failed write found on the way is the error.
    pub(super) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(self.poll_idle(cx)) {
            Some(Operation::Write(Err(error))) => Poll::Ready(Err(error)),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn idle_buf(&mut self) -> &mut BlockingBuf {
        match &mut self.state {
            State::Idle(buf) => buf,
            State::Busy(_) => unreachable!("the file's state machine started a job while busy"),
        }
    }

    /// Starts `job` once idle (the caller waited): `discard` drops the bytes read ahead and
    /// hands the job the offset that moves the position back; `mandatory` jobs run even if
    /// the runtime starts shutting down while they are queued.
    pub(super) fn start<F>(&mut self, std: &Arc<StdFile>, discard: bool, mandatory: bool, job: F)
    where
        F: FnOnce(&StdFile, i64) -> Operation + Send + 'static,
    {
        let buf = self.idle_buf();
        let back = if discard {
            back_offset(buf.discard_unread())
        } else {
            0
        };
        let buf = std::mem::take(buf);
        let std = Arc::clone(std);
        let run = move || (job(&std, back), buf);
        self.state = State::Busy(if mandatory {
            spawn_mandatory_blocking(run)
        } else {
            spawn_blocking(run)
        });
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        loop {
            if !self.is_idle() {
                match ready!(self.poll_idle(cx)) {
                    // End of file: report it rather than read again.
                    Some(Operation::Read(Ok(0))) => {
                        coop.made_progress();
                        return Poll::Ready(Ok(0));
                    }
                    Some(Operation::Read(Err(error)) | Operation::Write(Err(error))) => {
                        coop.made_progress();
                        return Poll::Ready(Err(error));
                    }
                    _ => continue,
                }
            }
            let buf = self.idle_buf();
            if buf.unread() > 0 || out.is_empty() {
                coop.made_progress();
                return Poll::Ready(Ok(buf.copy_out(out)));
            }
            let mut buf = std::mem::take(buf);
            let want = out.len().min(MAX_BUF);
            let std = Arc::clone(std);
            self.state = State::Busy(spawn_blocking(move || {
                let result = buf.read_with(want, |bytes| (&*std).read(bytes));
                (Operation::Read(result), buf)
            }));
        }
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(poll_proceed(cx));
        let previous = ready!(self.poll_complete(cx));
        // Reporting the previous write's error is progress too.
        coop.made_progress();
        previous?;
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = data.len().min(MAX_BUF);
        let buf = self.idle_buf();
        let back = back_offset(buf.discard_unread());
        buf.set(&data[..n]);
        let mut buf = std::mem::take(buf);
        let std = Arc::clone(std);
        self.state = State::Busy(spawn_mandatory_blocking(move || {
            let result = seek_back(&std, back).and_then(|()| (&*std).write_all(buf.bytes()));
            buf.discard_unread();
            (Operation::Write(result), buf)
        }));
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let coop = ready!(poll_proceed(cx));
        let result = ready!(self.poll_complete(cx));
        coop.made_progress();
        Poll::Ready(result)
    }

    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<StdFile>,
        target: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let coop = ready!(poll_proceed(cx));
        loop {
            if !self.is_idle() {
                let done = ready!(self.poll_idle(cx));
                let seeking = self.seeking.take();
                match done {
                    Some(Operation::Seek(result)) if seeking == Some(target) => {
                        coop.made_progress();
                        return Poll::Ready(result);
                    }
                    Some(Operation::Write(Err(error))) => {
                        coop.made_progress();
                        return Poll::Ready(Err(error));
                    }
                    _ => continue,
                }
            }
            // A position relative to the caller's, which is behind the file's real one by
            // the bytes read ahead: the job first moves back by those.
            self.seeking = Some(target);
            self.start(std, true, false, move |std, back| {
                let relative = matches!(target, SeekFrom::Current(_));
                let back = if relative { back } else { 0 };
                let result = seek_back(std, back).and_then(|()| {
                    let mut std = std;
                    std.seek(target)
                });
                Operation::Seek(result)
            });
        }
    }
}
