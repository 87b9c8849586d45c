//! [`File`]: an open file whose reads, writes and seeks run on the blocking pool.
//!
//! The file is an `Arc<std::fs::File>` shared with the one pool job in flight, and a small
//! state machine ([`inner`]) under an async [`Mutex`](crate::sync::Mutex): the `futures-io`
//! trait methods take `&mut self` and reach it without locking, the `&self` methods
//! (`sync_all`, `set_len`, `metadata`, ...) lock it so that they run after the operation in
//! flight and not beside it.

mod inner;

use std::fmt;
use std::fs::{File as StdFile, Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use self::inner::{Inner, Operation};
use super::OpenOptions;
use crate::sync::Mutex;

/// An open file, read and written on the runtime's blocking pool; the async counterpart of
/// [`std::fs::File`], used through the `futures-io` traits ([`AsyncRead`], [`AsyncWrite`],
/// [`AsyncSeek`]) and their extension traits in [`blitz_io::io`](crate::io).
///
/// One operation is in flight at a time, and each moves up to 2 MiB:
///
/// - a read asks the pool for at most the caller's buffer length (capped at 2 MiB); bytes it
///   returns beyond what the caller took serve the next reads;
/// - a write copies up to 2 MiB into the file's buffer, starts a pool job that writes it and
///   returns at once: the bytes are then on their way, not yet in the file. **Call
///   [`flush`](crate::io::AsyncWriteExt::flush) (or [`sync_all`](Self::sync_all)) before
///   dropping the file to learn whether the write succeeded.** A failed write is reported by
///   the next operation on the file, whichever it is;
/// - a file dropped with a write in flight lets that write finish on the pool (its error is
///   then lost), and the runtime's shutdown waits for it, so the bytes are in the file once
///   the runtime is dropped ([`shutdown_background`](crate::Runtime::shutdown_background)
///   waits for nothing: the write then finishes on its own).
///
/// Dropping a read or seek future does not stop its job; a seek may then still take effect.
///
/// ```
/// use blitz_io::fs::File;
/// use blitz_io::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # blitz_io::run(async {
/// let path = std::env::temp_dir().join(format!("blitz-fs-doc-file-{}", std::process::id()));
/// let mut file = File::options().read(true).write(true).create(true).open(&path).await?;
/// file.write_all(b"hello, file").await?;
/// file.flush().await?;
///
/// file.seek(SeekFrom::Start(7)).await?;
/// let mut rest = String::new();
/// file.read_to_string(&mut rest).await?;
/// assert_eq!(rest, "file");
/// blitz_io::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct File {
    std: Arc<StdFile>,
    inner: Mutex<Inner>,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .finish_non_exhaustive()
    }
}

impl File {
    /// Opens an existing file for reading; see [`std::fs::File::open`].
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let missing = std::env::temp_dir().join("blitz-fs-doc-no-such-file-6c1e2b");
    /// let error = blitz_io::fs::File::open(&missing).await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it or truncating it; see [`std::fs::File::create`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing, failing if it exists; see
    /// [`std::fs::File::create_new`].
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// Options to open a file with; the same as [`OpenOptions::new`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a file opened by std. Its position is kept.
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner::new()),
        }
    }

    /// Waits for the operation in flight, then runs `job` on the pool as the next one.
    async fn run(
        &self,
        discard: bool,
        mandatory: bool,
        job: impl FnOnce(&StdFile, i64) -> Operation + Send + 'static,
    ) -> io::Result<Operation> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete(cx)).await?;
        inner.start(&self.std, discard, mandatory, job);
        match poll_fn(|cx| inner.poll_idle(cx)).await {
            Some(Operation::Write(Err(error))) => Err(error),
            Some(operation) => Ok(operation),
            None => unreachable!("a job was just started"),
        }
    }

    /// Waits for the write in flight, then flushes the file's data and metadata to the
    /// device; see [`std::fs::File::sync_all`].
    pub async fn sync_all(&self) -> io::Result<()> {
        match self
            .run(false, false, |std, _| Operation::Unit(std.sync_all()))
            .await?
        {
            Operation::Unit(result) => result,
            other => unexpected(other),
        }
    }

    /// As [`sync_all`](Self::sync_all), but metadata only when needed to read the data back;
    /// see [`std::fs::File::sync_data`].
    pub async fn sync_data(&self) -> io::Result<()> {
        match self
            .run(false, false, |std, _| Operation::Unit(std.sync_data()))
            .await?
        {
            Operation::Unit(result) => result,
            other => unexpected(other),
        }
    }

    /// Waits for the operation in flight, then truncates or extends the file to `size`
    /// bytes; see [`std::fs::File::set_len`]. The position is not changed. Once started it
    /// completes even if this future is dropped.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let job = move |std: &StdFile, back| {
            Operation::Write(inner::seek_back(std, back).and_then(|()| std.set_len(size)))
        };
        match self.run(true, true, job).await? {
            Operation::Write(result) => result,
            other => unexpected(other),
        }
    }

    /// The file's metadata once the operation in flight is done (so a flushed write shows in
    /// its length); see [`std::fs::File::metadata`].
    pub async fn metadata(&self) -> io::Result<Metadata> {
        match self
            .run(false, false, |std, _| Operation::Metadata(std.metadata()))
            .await?
        {
            Operation::Metadata(result) => result,
            other => unexpected(other),
        }
    }

    /// Changes the file's permissions; see [`std::fs::File::set_permissions`].
    pub async fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        let job = move |std: &StdFile, _| Operation::Unit(std.set_permissions(permissions));
        match self.run(false, false, job).await? {
            Operation::Unit(result) => result,
            other => unexpected(other),
        }
    }

    /// A second handle to the same open file (sharing its position on most platforms); see
    /// [`std::fs::File::try_clone`]. The new handle has its own buffer and operation in
    /// flight.
    pub async fn try_clone(&self) -> io::Result<File> {
        match self
            .run(false, false, |std, _| Operation::Clone(std.try_clone()))
            .await?
        {
            Operation::Clone(result) => result.map(File::from_std),
            other => unexpected(other),
        }
    }

    /// Waits for the operation in flight, puts the position back where the caller saw it
    /// (bytes read ahead are given up) and returns the std file.
    ///
    /// The result of a write in flight is dropped here: flush first to see it.
    pub async fn into_std(self) -> StdFile {
        // The error is dropped as documented; the seek happens only when reads buffered data.
        let _ = self
            .run(true, false, |std, back| {
                Operation::Unit(inner::seek_back(std, back))
            })
            .await;
        match Arc::try_unwrap(self.std) {
            Ok(std) => std,
            Err(_) => unreachable!("no pool job holds the file once the file is idle"),
        }
    }

    /// The std file, if no operation is in flight and no bytes were read ahead; otherwise
    /// the file back.
    pub fn try_into_std(mut self) -> Result<StdFile, File> {
        if !self.inner.get_mut().is_idle_and_in_step() {
            return Err(self);
        }
        Arc::try_unwrap(self.std).map_err(|std| File {
            std,
            inner: Mutex::new(Inner::new()),
        })
    }
}

#[cold]
fn unexpected<T>(operation: Operation) -> T {
    unreachable!("the file's job returned {operation:?} for another operation")
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.inner.get_mut().poll_read(cx, &this.std, buf)
    }
}

impl AsyncWrite for File {
    /// Copies up to 2 MiB into the file's buffer and starts writing it on the pool; see
    /// [`File`] for when its error shows.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.inner.get_mut().poll_write(cx, &this.std, buf)
    }

    /// Waits for the write in flight and returns its error, if any. The data is then in the
    /// operating system, not necessarily on the device: see [`File::sync_all`].
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// Flushes; the file itself closes when dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        this.inner.get_mut().poll_seek(cx, &this.std, pos)
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}
