//! `blitz_io::fs`: round trips through the free functions, directory listings across several
//! batches (and a listing future dropped mid-batch), renames and removals, `File` reads, writes and seeks (including bytes read ahead
//! of the caller), writes larger than one pool job, real errors, and a write left in flight
//! by a dropped `File` that still lands when the runtime shuts down.

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use blitz_io::fs::{self, File, OpenOptions};
use blitz_io::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use blitz_io::runtime::Builder;
use blitz_io::{task, Runtime};

/// The most bytes one pool job moves (`File`'s documented cap).
const CAP: usize = 2 * 1024 * 1024;

/// A fresh directory under the system's temp dir, removed (with its contents) on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("blitz-io-fs-{}-{test}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A runtime whose blocking pool has one thread, so a job can be made to wait behind another.
fn one_pool_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap()
}

/// Bytes that differ from one position to the next, so a misplaced chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn write_then_read_round_trips() {
    let dir = TempDir::new("round-trip");
    blitz_io::run(async {
        let path = dir.join("data.bin");
        fs::write(&path, b"some bytes\xff").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"some bytes\xff");
        // Not UTF-8: a typed error, not a panic or lossy text.
        let error = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);

        fs::write(&path, "text").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "text");
        assert_eq!(fs::metadata(&path).await.unwrap().len(), 4);
        let copied = dir.join("copy.txt");
        assert_eq!(fs::copy(&path, &copied).await.unwrap(), 4);
        assert_eq!(fs::read_to_string(&copied).await.unwrap(), "text");
    });
}

#[test]
fn read_dir_lists_exact_names_across_batches() {
    let dir = TempDir::new("read-dir");
    blitz_io::run(async {
        let root = dir.join("a/b/c");
        fs::create_dir_all(&root).await.unwrap();
        // Twice: an existing directory is not an error.
        fs::create_dir_all(&root).await.unwrap();
        fs::create_dir(root.join("sub")).await.unwrap();
        // 70 files and a directory: three batches of 32.
        let mut expected: Vec<String> = (0..70).map(|i| format!("file-{i:02}")).collect();
        for name in &expected {
            fs::write(root.join(name), name).await.unwrap();
        }
        expected.push("sub".to_owned());

        let mut entries = fs::read_dir(&root).await.unwrap();
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), root.join(&name));
            let file_type = entry.file_type().await.unwrap();
            assert_eq!(file_type.is_dir(), name == "sub", "{name}");
            if name != "sub" {
                assert_eq!(entry.metadata().await.unwrap().len(), name.len() as u64);
            }
            names.push(name);
        }
        // The end stays the end.
        assert!(entries.next_entry().await.unwrap().is_none());
        names.sort();
        assert_eq!(names, expected);
    });
}

#[test]
fn next_entry_dropped_while_loading_loses_no_entry() {
    let dir = TempDir::new("read-dir-cancel");
    for name in ["x", "y", "z"] {
        std::fs::write(dir.join(name), name).unwrap();
    }
    one_pool_thread().block_on(async {
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        // Hold the one pool thread: the batch's loading job waits behind it.
        let (release, held) = mpsc::channel::<()>();
        let hold = task::spawn_blocking(move || held.recv());
        {
            let mut next = std::pin::pin!(entries.next_entry());
            poll_fn(|cx| {
                assert!(next.as_mut().poll(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
        }
        release.send(()).unwrap();
        hold.await.unwrap().unwrap();

        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            names.push(entry.file_name().into_string().unwrap());
        }
        names.sort();
        assert_eq!(names, ["x", "y", "z"]);
    });
}

#[test]
fn rename_link_and_remove() {
    let dir = TempDir::new("rename");
    blitz_io::run(async {
        let (old, new) = (dir.join("old"), dir.join("new"));
        fs::write(&old, "x").await.unwrap();
        fs::rename(&old, &new).await.unwrap();
        assert!(!fs::try_exists(&old).await.unwrap());
        assert!(fs::try_exists(&new).await.unwrap());

        let link = dir.join("hard");
        fs::hard_link(&new, &link).await.unwrap();
        assert_eq!(fs::read_to_string(&link).await.unwrap(), "x");
        let canonical = fs::canonicalize(dir.join(".").join("new")).await.unwrap();
        assert_eq!(canonical, std::fs::canonicalize(&new).unwrap());
        #[cfg(unix)]
        {
            let symlink = dir.join("symlink");
            std::os::unix::fs::symlink(&new, &symlink).unwrap();
            assert_eq!(fs::read_link(&symlink).await.unwrap(), new);
            let meta = fs::symlink_metadata(&symlink).await.unwrap();
            assert!(meta.file_type().is_symlink());
            fs::remove_file(&symlink).await.unwrap();
        }
        let mut permissions = fs::metadata(&new).await.unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&new, permissions).await.unwrap();
        assert!(fs::metadata(&new).await.unwrap().permissions().readonly());

        fs::remove_file(&new).await.unwrap();
        fs::remove_file(&link).await.unwrap();
        let error = fs::remove_file(&new).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);

        let sub = dir.join("sub");
        fs::create_dir(&sub).await.unwrap();
        let error = fs::create_dir(&sub).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyExists);
        fs::write(sub.join("inner"), "y").await.unwrap();
        assert!(fs::remove_dir(&sub).await.is_err(), "not empty");
        fs::remove_dir_all(&sub).await.unwrap();
        assert!(!fs::try_exists(&sub).await.unwrap());
    });
}

#[test]
fn missing_files_give_not_found() {
    let dir = TempDir::new("missing");
    blitz_io::run(async {
        let missing = dir.join("missing");
        for error in [
            File::open(&missing).await.unwrap_err(),
            fs::read(&missing).await.unwrap_err(),
            fs::metadata(&missing).await.unwrap_err(),
            fs::read_dir(&missing).await.unwrap_err(),
        ] {
            assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
        }
        fs::write(&missing, "now here").await.unwrap();
        let error = File::create_new(&missing).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyExists);
    });
}

#[test]
fn file_write_flush_seek_read_back() {
    let dir = TempDir::new("file");
    blitz_io::run(async {
        let path = dir.join("file");
        let options = File::options().read(true).write(true).create(true).clone();
        let mut file = options.open(&path).await.unwrap();
        file.write_all(b"hello world").await.unwrap();
        // Not flushed: metadata waits for the write in flight.
        assert_eq!(file.metadata().await.unwrap().len(), 11);
        file.flush().await.unwrap();

        assert_eq!(file.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        let mut word = [0u8; 5];
        file.read_exact(&mut word).await.unwrap();
        assert_eq!(&word, b"world");
        assert_eq!(file.read(&mut word).await.unwrap(), 0, "end of file");

        assert_eq!(file.seek(SeekFrom::End(-5)).await.unwrap(), 6);
        file.write_all(b"there").await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut all = String::new();
        file.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "hello there");

        file.set_len(5).await.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"hello");

        let clone = file.try_clone().await.unwrap();
        assert_eq!(clone.metadata().await.unwrap().len(), 5);
        let std = file.into_std().await;
        assert_eq!(std.metadata().unwrap().len(), 5);
        assert_eq!(File::from(std).metadata().await.unwrap().len(), 5);
    });
}

#[test]
fn bytes_read_ahead_are_given_back_before_a_write_or_seek() {
    let dir = TempDir::new("read-ahead");
    let path = dir.join("file");
    std::fs::write(&path, b"0123456789").unwrap();
    one_pool_thread().block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();
        // Hold the one pool thread, so the read below stays queued behind it.
        let (release, held) = mpsc::channel::<()>();
        let hold = task::spawn_blocking(move || held.recv());
        poll_fn(|cx| {
            let mut ten = [0u8; 10];
            assert!(Pin::new(&mut file).poll_read(cx, &mut ten).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        release.send(()).unwrap();
        hold.await.unwrap().unwrap();

        // That read fetched 10 bytes; this caller takes 4, six are read ahead.
        let mut four = [0u8; 4];
        assert_eq!(file.read(&mut four).await.unwrap(), 4);
        assert_eq!(&four, b"0123");
        assert_eq!(file.stream_position().await.unwrap(), 4);
        file.write_all(b"XY").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"0123XY6789");
    });
}

#[test]
fn writes_and_reads_larger_than_one_job_are_split() {
    let dir = TempDir::new("large");
    blitz_io::run(async {
        let path = dir.join("large");
        let data = pattern(2 * CAP + 12345);
        let mut file = File::create(&path).await.unwrap();
        // One write takes at most one job's worth.
        assert_eq!(file.write(&data).await.unwrap(), CAP);
        file.write_all(&data[CAP..]).await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        assert!(fs::read(&path).await.unwrap() == data, "the bytes differ");

        let mut file = File::open(&path).await.unwrap();
        let mut buf = vec![0u8; 3 * CAP];
        assert_eq!(file.read(&mut buf).await.unwrap(), CAP);
        let mut back = buf[..CAP].to_vec();
        file.read_to_end(&mut back).await.unwrap();
        assert!(back == data, "the bytes read back differ");
    });
}

#[test]
fn a_failed_write_is_reported_once_by_the_next_operation() {
    let dir = TempDir::new("failed-write");
    blitz_io::run(async {
        let path = dir.join("read-only");
        fs::write(&path, "x").await.unwrap();
        let mut file = File::open(&path).await.unwrap();
        // Accepted into the buffer; the pool's write then fails: the file is not writable.
        assert_eq!(file.write(b"y").await.unwrap(), 1);
        assert!(file.flush().await.is_err());
        file.flush().await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"x");
    });
}

#[test]
fn dropped_file_write_lands_before_runtime_shutdown_returns() {
    let dir = TempDir::new("drop-write");
    let path = dir.join("dropped");
    let runtime = one_pool_thread();
    runtime.block_on(async {
        let mut file = File::create(&path).await.unwrap();
        // Hold the one pool thread until shutdown has taken the queue.
        let (started, is_started) = mpsc::channel();
        let (release, held) = mpsc::channel::<()>();
        drop(task::spawn_blocking(move || {
            started.send(()).unwrap();
            // Returns once `release` is dropped: when shutdown cancels the job below.
            let _ = held.recv();
        }));
        is_started.recv().unwrap();
        // Queued behind the held job; reported written at once; never flushed.
        file.write_all(b"still lands").await.unwrap();
        drop(file);
        // An ordinary job, queued after the write: shutdown cancels it, which drops the
        // closure and with it `release`, letting the held job end.
        drop(task::spawn_blocking(move || drop(release)));
    });
    drop(runtime);
    assert_eq!(std::fs::read(&path).unwrap(), b"still lands");
}
