//! The Unix-domain API beyond the basic echo (`net_udp_unix.rs`): split halves, peer
//! credentials, `SocketAddr` binds (abstract on Linux), `into_std`, `poll_accept`, the
//! datagram try-ops and the fd traits, each on both I/O backends.
#![cfg(unix)]

mod common;

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::SocketAddr;

use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
use blitz_io::net::{UnixDatagram, UnixListener, UnixStream};
use common::on_each_backend;

fn socket_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("blitz-io-unix-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Owned halves move to two tasks, talk at once, and come back together; the write half's
/// drop is a half-close; halves of different streams refuse to reunite.
#[test]
fn unix_stream_owned_halves_run_in_two_tasks_and_reunite() {
    on_each_backend(|_| async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (mut read, mut write) = a.into_split();
        let writer = blitz_io::spawn(async move {
            write.write_all(&[1u8; 100_000]).await.unwrap();
            write
        });
        let reader = blitz_io::spawn(async move {
            let mut got = [0u8; 5];
            read.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"hello");
            read
        });
        // The peer writes while the writer task's 100 kB are still coming in.
        b.write_all(b"hello").await.unwrap();
        let mut bulk = vec![0u8; 100_000];
        b.read_exact(&mut bulk).await.unwrap();
        assert!(bulk.iter().all(|&byte| byte == 1));
        let (read, write) = (reader.await.unwrap(), writer.await.unwrap());

        let (c, _d) = UnixStream::pair().unwrap();
        let (other_read, other_write) = c.into_split();
        let error = read.reunite(other_write).unwrap_err();
        assert!(error.to_string().contains("UnixStream"), "{error}");
        let (read, other_write) = (error.0, error.1);
        drop((other_read, other_write));

        let whole = write.reunite(read).unwrap();
        let (read, write) = whole.into_split();
        drop(write); // shuts down the write side: the peer reads end of stream
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        drop(read);
    });
}

/// The borrowed halves read and write one stream at once inside one task.
#[test]
fn unix_stream_borrowed_halves_read_and_write_together() {
    on_each_backend(|_| async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let (mut read, mut write) = a.split_mut();
        let echo = async {
            let mut buf = [0u8; 4];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
        };
        let talk = async {
            write.write_all(b"ping").await.unwrap();
            let mut buf = [0u8; 4];
            read.read_exact(&mut buf).await.unwrap();
            buf
        };
        let ((), got) = futures_util::join!(echo, talk);
        assert_eq!(&got, b"ping");
        assert_eq!(read.as_stream().as_raw_fd(), write.as_stream().as_raw_fd());
    });
}

/// `peer_cred` names this process's user (both ends are ours), and its pid on Linux, for a
/// pair and for a connection through a listener.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
#[test]
fn peer_cred_names_this_process() {
    on_each_backend(|backend| async move {
        // SAFETY: `geteuid` and `getegid` take no arguments and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let (a, b) = UnixStream::pair().unwrap();
        let dir = socket_dir(&format!("cred-{backend}"));
        let path = dir.join("cred.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        for stream in [&a, &b, &client, &server] {
            let cred = stream.peer_cred().unwrap();
            assert_eq!((cred.uid(), cred.gid()), (uid, gid));
            if cfg!(any(target_os = "linux", target_os = "android")) {
                assert_eq!(cred.pid(), Some(std::process::id() as libc::pid_t));
            } else {
                assert_eq!(cred.pid(), None);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// Abstract addresses: a listener and a datagram socket bind with no file behind them, and a
/// stream connects by the same name.
#[cfg(target_os = "linux")]
#[test]
fn abstract_addresses_bind_and_connect() {
    use std::os::linux::net::SocketAddrExt;

    on_each_backend(|backend| async move {
        let name = format!("blitz-io-test-{}-{backend}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixListener::bind_addr(&addr).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(name.as_bytes())
        );
        let mut client = UnixStream::connect_addr(&addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"abstract").await.unwrap();
        let mut got = [0u8; 8];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abstract");

        let dgram_name = format!("{name}-dgram");
        let dgram_addr = SocketAddr::from_abstract_name(dgram_name.as_bytes()).unwrap();
        let dgram = UnixDatagram::bind_addr(&dgram_addr).unwrap();
        assert_eq!(
            dgram.local_addr().unwrap().as_abstract_name(),
            Some(dgram_name.as_bytes())
        );
        // A second bind of a live abstract name fails, as a path would.
        let again = UnixListener::bind_addr(&addr).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AddrInUse);
    });
}

/// `bind_addr` with a path address behaves as `bind(path)`, and a datagram sent to that path
/// arrives; `try_send_to` / `try_recv_from` report `WouldBlock` until readiness says
/// otherwise.
#[test]
fn datagram_path_addresses_and_try_ops() {
    on_each_backend(|backend| async move {
        let dir = socket_dir(&format!("dgram-try-{backend}"));
        let path = dir.join("rx.sock");
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_pathname(&path).unwrap()).unwrap();
        let tx_path = dir.join("tx.sock");
        let tx = UnixDatagram::bind(&tx_path).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            rx.try_recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        tx.writable().await.unwrap();
        assert_eq!(tx.try_send_to(b"try", &path).unwrap(), 3);
        rx.readable().await.unwrap();
        let (n, from) = rx.try_recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"try");
        assert_eq!(from.as_pathname(), Some(tx_path.as_path()));

        tx.connect(&path).unwrap();
        tx.shutdown(std::net::Shutdown::Write).unwrap();
        let error = tx.send(b"late").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// `into_std` hands back working, non-blocking std sockets; `from_std` takes them again.
#[test]
fn unix_sockets_go_to_std_and_back() {
    on_each_backend(|backend| async move {
        let dir = socket_dir(&format!("std-{backend}"));
        let path = dir.join("std.sock");
        let listener = UnixListener::bind(&path).unwrap().into_std().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            listener.accept().unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "still non-blocking"
        );
        let listener = UnixListener::from_std(listener).unwrap();
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut std_client = client.into_std().unwrap();
        assert_eq!(
            io::Read::read(&mut std_client, &mut buf)
                .unwrap_err()
                .kind(),
            io::ErrorKind::WouldBlock
        );
        io::Write::write_all(&mut std_client, b"std").unwrap();
        let mut server = server;
        server.read_exact(&mut buf[..3]).await.unwrap();
        assert_eq!(&buf[..3], b"std");

        let (x, y) = UnixDatagram::pair().unwrap();
        let x = x.into_std().unwrap();
        x.send(b"dg").unwrap();
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"dg");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// `poll_accept` pends until a client connects, then hands over the connection.
#[test]
fn unix_listener_poll_accept_wakes_on_a_connection() {
    on_each_backend(|backend| async move {
        let dir = socket_dir(&format!("poll-accept-{backend}"));
        let path = dir.join("accept.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let mut polls = 0;
        let accepting = poll_fn(|cx| {
            polls += 1;
            listener.poll_accept(cx)
        });
        let connecting = async {
            blitz_io::task::yield_now().await;
            UnixStream::connect(&path).await.unwrap()
        };
        let (accepted, mut client) = futures_util::join!(accepting, connecting);
        let (mut server, _) = accepted.unwrap();
        assert!(polls >= 2, "the first poll found no connection");
        client.write_all(b"!").await.unwrap();
        server.read_exact(&mut [0u8]).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// Vectored try-ops move every slice, and the fd traits expose the socket to other crates.
#[test]
fn unix_stream_vectored_try_ops_and_fd_traits() {
    on_each_backend(|backend| async move {
        let (a, b) = UnixStream::pair().unwrap();
        a.writable().await.unwrap();
        let written = a
            .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
            .unwrap();
        assert_eq!(written, 4);
        b.readable().await.unwrap();
        let (mut first, mut second) = ([0u8; 1], [0u8; 3]);
        let read = b
            .try_read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)])
            .unwrap();
        assert_eq!((read, &first, &second), (4, b"a", b"bcd"));

        let dir = socket_dir(&format!("fd-{backend}"));
        let listener = UnixListener::bind(dir.join("fd.sock")).unwrap();
        let dgram = UnixDatagram::unbound().unwrap();
        for fd in [a.as_fd(), listener.as_fd(), dgram.as_fd()] {
            assert_eq!(
                socket2::SockRef::from(&fd).local_addr().unwrap().domain(),
                socket2::Domain::UNIX
            );
        }
        assert_eq!(
            socket2::SockRef::from(&dgram).r#type().unwrap(),
            socket2::Type::DGRAM
        );
        assert_eq!(
            socket2::SockRef::from(&a).r#type().unwrap(),
            socket2::Type::STREAM
        );
        assert_ne!(a.as_raw_fd(), b.as_raw_fd());
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
