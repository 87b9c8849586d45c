//! [`read_dir`]: a directory listing fetched in batches on the blocking pool.
//!
//! [`ReadDir`] owns the [`std::fs::ReadDir`] iterator while it is idle; when its batch of
//! entries runs out it moves the iterator into a pool job that collects up to [`BATCH`]
//! entries (with their file types, usually free from the directory entry itself) and hands
//! both back. So a listing costs one pool job per batch, and a `next_entry` future dropped
//! while a batch is loading loses nothing: the next call picks the batch up.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::{asyncify, join_error};
use crate::task::{spawn_blocking, JoinHandle};

/// How many entries one pool job collects.
const BATCH: usize = 32;

/// Opens a directory for listing; the async form of [`std::fs::read_dir`].
///
/// The entries come from [`ReadDir::next_entry`] in the order the platform returns them, not
/// sorted, without `.` and `..`.
///
/// ```
/// # blitz_io::run(async {
/// let dir = std::env::temp_dir().join(format!("blitz-fs-doc-read-dir-{}", std::process::id()));
/// blitz_io::fs::create_dir_all(dir.join("sub")).await?;
/// blitz_io::fs::write(dir.join("a.txt"), "a").await?;
///
/// let mut names = Vec::new();
/// let mut entries = blitz_io::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// names.sort();
/// assert_eq!(names, ["a.txt", "sub"]);
/// blitz_io::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Some(Batch {
            entries: VecDeque::with_capacity(BATCH),
            std: Box::new(std),
            done: false,
        })),
    })
}

/// The entries of a directory; see [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

#[derive(Debug)]
enum State {
    /// `None` only after a loading job failed to come back (runtime shutdown).
    Idle(Option<Batch>),
    Loading(JoinHandle<Batch>),
}

#[derive(Debug)]
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    /// Boxed: on Windows the iterator holds a whole `WIN32_FIND_DATAW` (~600 bytes), which
    /// would make every `ReadDir` that large.
    std: Box<std::fs::ReadDir>,
    /// The iterator returned `None`: no more jobs.
    done: bool,
}

impl Batch {
    fn load(mut self) -> Batch {
        while self.entries.len() < BATCH {
            let Some(entry) = self.std.next() else {
                self.done = true;
                break;
            };
            self.entries.push_back(entry.map(|std| DirEntry {
                file_type: std.file_type().ok(),
                std: Arc::new(std),
            }));
        }
        self
    }
}

impl ReadDir {
    /// The next entry, `Ok(None)` at the end. An error for one entry is returned once, and
    /// the listing goes on after it.
    ///
    /// Cancel safe: dropping the future loses no entry.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// The poll form of [`next_entry`](Self::next_entry), for hand-written futures: on
    /// `Pending`, the waker of `cx` is woken when a batch has loaded.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(Ok(None)),
                State::Idle(Some(batch)) => {
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if batch.done {
                        return Poll::Ready(Ok(None));
                    }
                    let Some(batch) = self.take_idle() else {
                        unreachable!("the state is Idle(Some) here")
                    };
                    self.state = State::Loading(spawn_blocking(move || batch.load()));
                }
                State::Loading(job) => {
                    let loaded = ready!(Pin::new(job).poll(cx));
                    match loaded {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(error) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Err(join_error(error)));
                        }
                    }
                }
            }
        }
    }

    fn take_idle(&mut self) -> Option<Batch> {
        match &mut self.state {
            State::Idle(batch) => batch.take(),
            State::Loading(_) => None,
        }
    }
}

/// One entry of a [`ReadDir`] listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read while the batch loaded; `None` if that failed, and `file_type` asks again.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The entry's full path: the listed directory's path joined with the file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata, not following a symbolic link (as [`std::fs::DirEntry::metadata`]
    /// does); one pool job.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        asyncify(move || std.metadata()).await
    }

    /// The entry's file type, not following a symbolic link. Usually known from the listing
    /// itself, so no pool job is needed.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let dir = std::env::temp_dir().join(format!("blitz-fs-doc-type-{}", std::process::id()));
    /// blitz_io::fs::create_dir_all(dir.join("sub")).await?;
    /// let mut entries = blitz_io::fs::read_dir(&dir).await?;
    /// let entry = entries.next_entry().await?.expect("one entry");
    /// assert!(entry.file_type().await?.is_dir());
    /// blitz_io::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        asyncify(move || std.file_type()).await
    }
}
