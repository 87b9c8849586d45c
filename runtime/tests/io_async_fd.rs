//! `io::unix::AsyncFd` over descriptors the crate does not wrap (std's Unix sockets), on both
//! I/O backends: readiness waits, `try_io` clearing a stale readiness, `async_io`, the poll
//! forms, deregistration by `into_inner`, and the poller's refusals as errors (`try_new`
//! handing the value back).
#![cfg(unix)]

mod common;

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use blitz_io::io::unix::AsyncFd;
use blitz_io::io::Interest;
use common::{on_each_backend, pends_until};

fn nonblocking_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Readable only after the peer writes; `try_io` reads; a `try_io` that finds nothing clears
/// the readiness, so the next wait pends until new data; `async_io` waits and reads.
#[test]
fn readiness_try_io_and_async_io() {
    on_each_backend(|_| async {
        let (local, mut peer) = nonblocking_pair();
        let fd = AsyncFd::new(local).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            fd.try_io(Interest::READABLE, |mut s| s.read(&mut buf))
                .unwrap_err()
                .kind(),
            io::ErrorKind::WouldBlock
        );
        pends_until(|cx| fd.poll_read_ready(cx), async {
            peer.write_all(b"one").unwrap();
        })
        .await
        .unwrap();
        let n = fd
            .try_io(Interest::READABLE, |mut s| s.read(&mut buf))
            .unwrap();
        assert_eq!(&buf[..n], b"one");
        // Nothing left: this clears the readiness...
        let error = fd
            .try_io(Interest::READABLE, |mut s| s.read(&mut buf))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        // ...so the next wait pends until the peer writes again.
        pends_until(|cx| fd.poll_read_ready(cx), async {
            peer.write_all(b"two").unwrap();
        })
        .await
        .unwrap();
        fd.readable().await.unwrap();
        let n = fd
            .async_io(Interest::READABLE, |mut s| s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"two");

        // async_io waits by itself.
        let reader = async {
            let mut buf = [0u8; 5];
            let n = fd
                .async_io(Interest::READABLE, |mut s| s.read(&mut buf))
                .await
                .unwrap();
            buf[..n].to_vec()
        };
        let writer = async {
            blitz_io::task::yield_now().await;
            peer.write_all(b"three").unwrap();
        };
        let (got, ()) = futures_util::join!(reader, writer);
        assert_eq!(got, b"three");

        fd.writable().await.unwrap();
        poll_fn(|cx| fd.poll_write_ready(cx)).await.unwrap();
        let ready = fd.ready(Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable());
        let written = fd
            .try_io(Interest::WRITABLE, |mut s| s.write(b"back"))
            .unwrap();
        assert_eq!(written, 4);
        let mut back = [0u8; 4];
        peer.set_nonblocking(false).unwrap();
        peer.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"back");
    });
}

/// `into_inner` deregisters: the same descriptor registers again afterwards, while a second
/// registration of a live one is refused (`AlreadyExists`), as is a regular file.
#[test]
fn into_inner_deregisters_and_refusals_are_errors() {
    on_each_backend(|backend| async move {
        let (local, _peer) = nonblocking_pair();
        let raw = local.as_raw_fd();
        let fd = AsyncFd::with_interest(local, Interest::READABLE).unwrap();
        assert_eq!(fd.as_raw_fd(), raw);
        let duplicate = AsyncFd::new(fd.get_ref().try_clone().unwrap());
        // A dup is another descriptor for the same file: epoll accepts it as a new entry.
        assert!(duplicate.is_ok());
        let twice = AsyncFd::new(Borrowed(raw)).unwrap_err();
        assert_eq!(twice.kind(), io::ErrorKind::AlreadyExists);
        let local = fd.into_inner();
        let again = AsyncFd::new(local).unwrap();
        assert_eq!(again.as_raw_fd(), raw);

        let path =
            std::env::temp_dir().join(format!("blitz-io-asyncfd-{}-{backend}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let refused = AsyncFd::new(file).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::EPERM));
        std::fs::remove_file(&path).unwrap();
    });
}

/// A raw descriptor number, owned by someone else.
#[derive(Debug)]
struct Borrowed(std::os::fd::RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0
    }
}

/// `try_new` and `try_with_interest` hand a refused value back intact with the poller's error
/// (a regular file: `EPERM`; a descriptor registered already: `AlreadyExists`), and the error
/// type reports that error as its source and converts into it. Accepted values work as with
/// `new`.
#[test]
fn try_new_hands_a_refused_value_back() {
    use std::error::Error as _;
    use std::io::{Seek, SeekFrom};

    on_each_backend(|backend| async move {
        let path = std::env::temp_dir().join(format!(
            "blitz-io-asyncfd-try-{}-{backend}",
            std::process::id()
        ));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        file.write_all(b"kept").unwrap();
        let raw = file.as_raw_fd();
        let refused = AsyncFd::try_new(file).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the I/O driver refused to register the descriptor"
        );
        let source = refused.source().expect("the poller's error is the source");
        let source = source.downcast_ref::<io::Error>().unwrap();
        assert_eq!(source.raw_os_error(), Some(libc::EPERM));
        assert!(format!("{refused:?}").contains("cause"), "{refused:?}");
        let (mut file, error) = refused.into_parts();
        assert_eq!(error.raw_os_error(), Some(libc::EPERM));
        // The same open file, not closed: it still reads back what was written.
        assert_eq!(file.as_raw_fd(), raw);
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut contents = String::new();
        file.read_to_string(&mut contents).unwrap();
        assert_eq!(contents, "kept");
        let refused = AsyncFd::try_with_interest(file, Interest::READABLE).unwrap_err();
        let as_io: io::Error = refused.into();
        assert_eq!(as_io.raw_os_error(), Some(libc::EPERM));
        std::fs::remove_file(&path).unwrap();

        // Accepted: works as `new`; a second registration of the live descriptor is refused
        // and hands its value back.
        let (local, mut peer) = nonblocking_pair();
        let fd = AsyncFd::try_with_interest(local, Interest::READABLE).unwrap();
        let raw = fd.as_raw_fd();
        let (borrowed, error) = AsyncFd::try_new(Borrowed(raw)).unwrap_err().into_parts();
        assert_eq!(
            (borrowed.0, error.kind()),
            (raw, io::ErrorKind::AlreadyExists)
        );
        peer.write_all(b"ok").unwrap();
        let mut buf = [0u8; 2];
        let n = fd
            .async_io(Interest::READABLE, |mut s| s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(
            &buf[..n],
            b"ok",
            "the refused duplicate left the first registration"
        );
    });
}
