//! UDP and Unix-domain sockets on both I/O backends. The Unix-domain tests are Unix only; the
//! UDP ones run everywhere (Windows included).

mod common;

use std::io;

use blitz_io::net::UdpSocket;
#[cfg(unix)]
use blitz_io::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{UnixDatagram, UnixListener, UnixStream},
};
use common::on_each_backend;

#[cfg(unix)]
fn socket_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("blitz-io-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn udp_datagrams_echo_to_their_senders() {
    on_each_backend(|_| async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let echo = blitz_io::spawn(async move {
            let mut buf = [0u8; 1500];
            for _ in 0..20 {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(server_addr).await.unwrap();
        assert_eq!(client.peer_addr().unwrap(), server_addr);
        for i in 0..20u32 {
            let message = i.to_le_bytes().repeat(i as usize + 1);
            assert_eq!(client.send(&message).await.unwrap(), message.len());
            let mut buf = [0u8; 1500];
            let mut peeked = [0u8; 4];
            match client.peek(&mut peeked).await {
                Ok(n) => assert_eq!(n, 4),
                // Windows fills the buffer but reports a longer datagram as WSAEMSGSIZE.
                Err(error) if cfg!(windows) && error.raw_os_error() == Some(10040) => {
                    assert!(message.len() > peeked.len());
                }
                Err(error) => panic!("peek: {error}"),
            }
            assert_eq!(peeked, i.to_le_bytes());
            let n = client.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &message[..]);
        }
        echo.await.unwrap();
    });
}

#[test]
fn udp_try_ops_report_would_block_and_options_stick() {
    on_each_backend(|_| async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
        a.set_ttl(17).unwrap();
        assert_eq!(a.ttl().unwrap(), 17);
        a.writable().await.unwrap();
        a.try_send_to(b"now", b.local_addr().unwrap()).unwrap();
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"now"[..], a.local_addr().unwrap()));
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"now");
    });
}

#[cfg(unix)]
#[test]
fn unix_streams_echo_through_a_listener_and_as_a_pair() {
    on_each_backend(|backend| async move {
        let dir = socket_dir(&format!("stream-{backend}"));
        let path = dir.join("echo.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = blitz_io::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            socket.read_to_end(&mut buf).await.unwrap();
            socket.write_all(&buf).await.unwrap();
        });
        let mut client = UnixStream::connect(&path).await.unwrap();
        let message = vec![7u8; 300_000];
        client.write_all(&message).await.unwrap();
        client.close().await.unwrap();
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).await.unwrap();
        assert!(echoed == message);
        server.await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let (a, b) = UnixStream::pair().unwrap();
        let (result, _) = a.write_all_owned(b"pair".to_vec()).await;
        result.unwrap();
        // Initialised capacity: valgrind cannot see io_uring's kernel writes (see io_owned.rs).
        let mut buf = vec![0u8; 16];
        buf.clear();
        let (result, got) = b.read_owned(buf).await;
        assert_eq!(result.unwrap(), 4);
        assert_eq!(got, b"pair");
    });
}

#[cfg(unix)]
#[test]
fn unix_datagrams_travel_between_paths_and_pairs() {
    on_each_backend(|backend| async move {
        let dir = socket_dir(&format!("dgram-{backend}"));
        let a_path = dir.join("a.sock");
        let a = UnixDatagram::bind(&a_path).unwrap();
        let b = UnixDatagram::unbound().unwrap();
        b.send_to(b"hello", &a_path).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(
            a.try_recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let (x, y) = UnixDatagram::pair().unwrap();
        x.send(b"one").await.unwrap();
        x.send(b"two").await.unwrap();
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
    });
}

#[cfg(unix)]
#[test]
fn a_blitz_stream_works_where_tokio_io_traits_are_required() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_util::compat::FuturesAsyncReadCompatExt;

    on_each_backend(|_| async {
        let (a, b) = UnixStream::pair().unwrap();
        // `compat()` turns a futures-io stream into a tokio::io one.
        let mut a = a.compat();
        let mut b = b.compat();
        a.write_all(b"through tokio's traits").await.unwrap();
        a.shutdown().await.unwrap();
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through tokio's traits");
    });
}

/// A connected UDP socket whose datagram hit a closed port reports the ICMP error as an
/// `EPOLLERR` event; the next receive returns it (`ConnectionRefused`) and the error is gone.
/// A receive after that must wait for a datagram, not find the socket "ready" forever and
/// retry `recv` in a loop. Unix only: Windows reports the ICMP error differently
/// (`WSAECONNRESET`, and only with `SIO_UDP_CONNRESET`), and wine never delivers it.
#[cfg(unix)]
#[test]
fn udp_receive_waits_after_a_socket_error_was_consumed() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::Duration;

    on_each_backend(|backend| async move {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(closed_addr).await.unwrap();
        socket.send(b"x").await.unwrap();
        let mut buf = [0u8; 16];
        let error = socket.recv(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{backend}");

        let calls = AtomicUsize::new(0);
        let waited = blitz_io::time::timeout(
            Duration::from_millis(200),
            socket.async_io(blitz_io::io::Interest::READABLE, || {
                calls.fetch_add(1, SeqCst);
                socket2::SockRef::from(&socket).recv(unsafe_uninit(&mut buf))
            }),
        )
        .await;
        assert!(
            waited.is_err(),
            "{backend}: nothing was sent, yet {waited:?}"
        );
        let calls = calls.load(SeqCst);
        assert!(
            calls <= 2,
            "{backend}: recv was retried {calls} times in 200 ms with nothing to read"
        );
    });
}

#[cfg(unix)]
fn unsafe_uninit(buf: &mut [u8]) -> &mut [std::mem::MaybeUninit<u8>] {
    // SAFETY: initialised bytes are valid `MaybeUninit<u8>`s, and `recv` only writes bytes.
    unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) }
}
