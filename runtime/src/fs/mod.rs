//! Asynchronous file-system access: the [`std::fs`] API as futures.
//!
//! # Design
//!
//! Regular files are always "ready" to the kernel's readiness APIs (epoll, kqueue), so they
//! cannot be driven like sockets. Every operation here is therefore an ordinary blocking
//! [`std::fs`] call run on the runtime's blocking pool, the same approach the standard streams
//! ([`io::stdin`](crate::io::stdin) and friends) use:
//!
//! - the free functions ([`read`], [`write()`], [`metadata`], ...) convert their path to an owned
//!   [`PathBuf`] and await one pool job each;
//! - [`ReadDir`] fetches directory entries in batches of 32 per pool job, so a listing costs
//!   one job per batch rather than one per entry;
//! - [`File`] keeps at most one operation in flight. A read or write moves the file's buffer
//!   into the pool job and gets it back with the result; a write is reported done once its
//!   bytes are copied into that buffer, and its outcome is known at the next flush.
//!
//! The io_uring driver this runtime can use for sockets could also serve file reads and writes
//! without a pool thread per operation; that needs owned buffers and care with cancellation
//! (the kernel keeps writing into a buffer after the future is dropped), so it is future work.
//! The pool is portable, and its cost is a thread hand-off per operation: prefer large reads
//! and writes (or [`BufReader`](crate::io::BufReader)/[`BufWriter`](crate::io::BufWriter))
//! over many small ones.
//!
//! Every function must be awaited inside a blitz-io runtime; polling one elsewhere panics, as
//! [`crate::task::spawn_blocking`] does.
//!
//! ```
//! # blitz_io::run(async {
//! let dir = std::env::temp_dir().join(format!("blitz-fs-doc-mod-{}", std::process::id()));
//! blitz_io::fs::create_dir_all(&dir).await?;
//! blitz_io::fs::write(dir.join("greeting.txt"), "hello").await?;
//! assert_eq!(blitz_io::fs::read_to_string(dir.join("greeting.txt")).await?, "hello");
//! blitz_io::fs::remove_dir_all(&dir).await?;
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```

mod file;
mod open_options;
mod read_dir;

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use crate::task::{spawn_blocking, JoinError};

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// Runs `op` on the blocking pool and returns its result.
async fn asyncify<F, T>(op: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking(op)
        .await
        .unwrap_or_else(|e| Err(join_error(e)))
}

/// The error of a pool job that did not return: it panicked (resumed here, std's calls do not
/// panic) or was cancelled because the runtime shut down before it ran.
fn join_error(error: JoinError) -> io::Error {
    if error.is_panic() {
        std::panic::resume_unwind(error.into_panic());
    }
    io::Error::other(error)
}

/// Reads a whole file into a vector; the async form of [`std::fs::read`].
///
/// ```
/// # blitz_io::run(async {
/// let path = std::env::temp_dir().join(format!("blitz-fs-doc-read-{}", std::process::id()));
/// blitz_io::fs::write(&path, [1u8, 2, 3]).await?;
/// assert_eq!(blitz_io::fs::read(&path).await?, [1, 2, 3]);
/// blitz_io::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await
}

/// Reads a whole UTF-8 file into a string; the async form of [`std::fs::read_to_string`].
/// Bytes that are not UTF-8 give an [`InvalidData`](io::ErrorKind::InvalidData) error.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Creates or truncates a file and writes `contents` to it; the async form of
/// [`std::fs::write`]. The bytes are copied once, into the pool job.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies a file's contents and permissions to another path, returning the bytes copied;
/// the async form of [`std::fs::copy`].
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to)).await
}

/// Creates one directory, whose parent must exist; the async form of [`std::fs::create_dir`].
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates a directory and any missing parents; the async form of
/// [`std::fs::create_dir_all`]. A directory that already exists is not an error.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// Removes a file (or a symbolic link); the async form of [`std::fs::remove_file`].
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Removes an empty directory; the async form of [`std::fs::remove_dir`].
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Removes a directory and everything in it, in one pool job; the async form of
/// [`std::fs::remove_dir_all`].
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Renames a file or directory, replacing `to` if the platform allows; the async form of
/// [`std::fs::rename`].
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(from, to)).await
}

/// The metadata of a path, following symbolic links; the async form of
/// [`std::fs::metadata`].
///
/// ```
/// # blitz_io::run(async {
/// let path = std::env::temp_dir().join(format!("blitz-fs-doc-meta-{}", std::process::id()));
/// blitz_io::fs::write(&path, b"12345").await?;
/// assert_eq!(blitz_io::fs::metadata(&path).await?.len(), 5);
/// blitz_io::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// The metadata of a path without following a final symbolic link; the async form of
/// [`std::fs::symlink_metadata`].
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// The absolute form of a path with every link and `.`/`..` resolved; the async form of
/// [`std::fs::canonicalize`].
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Creates a hard link `link` to the file `original`; the async form of
/// [`std::fs::hard_link`].
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// The target a symbolic link points to; the async form of [`std::fs::read_link`].
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// Changes the permissions of a file or directory; the async form of
/// [`std::fs::set_permissions`].
pub async fn set_permissions(path: impl AsRef<Path>, permissions: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, permissions)).await
}

/// Whether a path exists: `Ok(false)` for a path that is not there (or a broken symbolic
/// link), an error when that cannot be told (permission denied on a parent, ...); the async
/// form of [`Path::try_exists`].
///
/// ```
/// # blitz_io::run(async {
/// let missing = std::env::temp_dir().join("blitz-fs-doc-surely-missing-0d1f7a");
/// assert!(!blitz_io::fs::try_exists(&missing).await?);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || path.try_exists()).await
}
