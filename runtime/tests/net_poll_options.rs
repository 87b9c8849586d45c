//! The poll forms (`poll_read_ready`, `poll_peek`, `UdpSocket::poll_recv`, ...), the peek
//! try-ops, `into_std`/`from_std_stream`, and the socket-option getters, on both I/O backends.

mod common;

use std::future::poll_fn;
use std::io;

use blitz_io::io::AsyncWriteExt;
use blitz_io::net::{TcpSocket, TcpStream, UdpSocket};
use common::{on_each_backend, pends_until, tcp_pair};

/// `poll_read_ready` waits for data, `poll_peek` returns it without taking it, and
/// `poll_write_ready` is ready on a fresh connection.
#[test]
fn tcp_stream_poll_ready_and_poll_peek() {
    on_each_backend(|_| async {
        let (mut client, server) = tcp_pair().await;
        poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
        let ready = pends_until(|cx| server.poll_read_ready(cx), async {
            client.write_all(b"peek me").await.unwrap();
        });
        ready.await.unwrap();
        let mut buf = [0u8; 7];
        let n = poll_fn(|cx| server.poll_peek(cx, &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], &b"peek me"[..n]);
        let mut all = [0u8; 7];
        let mut got = 0;
        while got < all.len() {
            server.readable().await.unwrap();
            match server.try_read(&mut all[got..]) {
                Ok(n) => got += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("{error}"),
            }
        }
        assert_eq!(&all, b"peek me", "the peek took nothing");

        // A peek that has to wait.
        let mut buf = [0u8; 4];
        let n = pends_until(|cx| server.poll_peek(cx, &mut buf), async {
            client.write_all(b"late").await.unwrap();
        })
        .await
        .unwrap();
        assert!(n > 0 && buf[..n] == b"late"[..n]);
    });
}

/// The UDP poll forms send and receive; `poll_peek_from` and the peek try-ops leave the
/// datagram in place; `poll_recv_ready` waits for one.
#[test]
fn udp_poll_forms_and_peek_try_ops() {
    on_each_backend(|_| async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let mut buf = [0u8; 16];
        assert_eq!(
            b.try_peek_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );

        poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
        pends_until(|cx| b.poll_recv_ready(cx), async {
            let sent = poll_fn(|cx| a.poll_send_to(cx, b"one", b_addr)).await;
            assert_eq!(sent.unwrap(), 3);
        })
        .await
        .unwrap();
        let (n, from) = b.try_peek_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        let (n, from) = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));

        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        let received = pends_until(|cx| b.poll_recv(cx, &mut buf), async {
            let sent = poll_fn(|cx| a.poll_send(cx, b"two")).await;
            assert_eq!(sent.unwrap(), 3);
        })
        .await
        .unwrap();
        assert_eq!(&buf[..received], b"two");

        a.send(b"three").await.unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_peek(&mut buf).unwrap(), 5);
        assert_eq!(b.recv(&mut buf).await.unwrap(), 5, "the peek left it");
        assert_eq!(&buf[..5], b"three");

        let std = b.into_std().unwrap();
        assert_eq!(
            std.recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "handed back non-blocking"
        );
        a.send(b"four").await.unwrap();
        let b = UdpSocket::from_std(std).unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
    });
}

/// Each `TcpSocket` setter is read back by its getter, on v4 and v6.
#[test]
fn tcp_socket_getters_read_back_the_setters() {
    on_each_backend(|_| async {
        for socket in [TcpSocket::new_v4().unwrap(), TcpSocket::new_v6().unwrap()] {
            for on in [true, false] {
                socket.set_reuseaddr(on).unwrap();
                assert_eq!(socket.reuseaddr().unwrap(), on);
                #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
                {
                    socket.set_reuseport(on).unwrap();
                    assert_eq!(socket.reuseport().unwrap(), on);
                }
                socket.set_nodelay(on).unwrap();
                assert_eq!(socket.nodelay().unwrap(), on);
            }
            socket
                .set_keepalive(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            assert!(socket.keepalive().unwrap());
            socket.set_keepalive(None).unwrap();
            assert!(!socket.keepalive().unwrap());
            let linger = Some(std::time::Duration::from_secs(3));
            socket.set_linger(linger).unwrap();
            assert_eq!(socket.linger().unwrap(), linger);
            socket.set_linger(None).unwrap();
            assert_eq!(socket.linger().unwrap(), None);

            // The kernel may round (Linux doubles): the value read back is at least the
            // request and changes with it.
            socket.set_send_buffer_size(64 * 1024).unwrap();
            let big = socket.send_buffer_size().unwrap();
            socket.set_send_buffer_size(8 * 1024).unwrap();
            let small = socket.send_buffer_size().unwrap();
            assert!(big >= 64 * 1024 && small < big, "{small} {big}");
            socket.set_recv_buffer_size(64 * 1024).unwrap();
            let big = socket.recv_buffer_size().unwrap();
            socket.set_recv_buffer_size(8 * 1024).unwrap();
            let small = socket.recv_buffer_size().unwrap();
            assert!(big >= 64 * 1024 && small < big, "{small} {big}");
        }
        // Windows documents `IP_TOS` as unsupported on some versions: checked on Unix.
        #[cfg(unix)]
        {
            let v4 = TcpSocket::new_v4().unwrap();
            v4.set_tos(0x10).unwrap();
            assert_eq!(v4.tos().unwrap(), 0x10);
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            udp.set_tos(0x08).unwrap();
            assert_eq!(udp.tos().unwrap(), 0x08);
        }
        let udp6 = UdpSocket::bind("[::1]:0").await.unwrap();
        for on in [false, true] {
            udp6.set_multicast_loop_v6(on).unwrap();
            assert_eq!(udp6.multicast_loop_v6().unwrap(), on);
        }
    });
}

/// `bind_device` binds to loopback where the process may (root or `CAP_NET_RAW`), and is
/// refused with `PermissionDenied` where it may not; `device` reports what was set.
#[cfg(target_os = "linux")]
#[test]
fn bind_device_to_loopback() {
    on_each_backend(|_| async {
        let socket = TcpSocket::new_v4().unwrap();
        assert_eq!(socket.device().unwrap(), None);
        match socket.bind_device(Some(b"lo")) {
            Ok(()) => {
                assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..]));
                socket.bind_device(None).unwrap();
                assert_eq!(socket.device().unwrap(), None);
            }
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::PermissionDenied),
        }
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(udp.device().unwrap(), None);
        match udp.bind_device(Some(b"lo")) {
            Ok(()) => assert_eq!(udp.device().unwrap().as_deref(), Some(&b"lo"[..])),
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::PermissionDenied),
        }
    });
}

/// A socket made with socket2 and handed over with `from_std_stream` keeps its options and
/// connects without blocking the runtime.
#[test]
fn tcp_socket_from_std_stream_connects() {
    on_each_backend(|_| async {
        let listener = blitz_io::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        raw.set_tcp_nodelay(true).unwrap();
        let socket = TcpSocket::from_std_stream(raw.into()).unwrap();
        assert!(socket.nodelay().unwrap());
        let (client, accepted) = futures_util::join!(
            socket.connect(listener.local_addr().unwrap()),
            listener.accept()
        );
        let client: TcpStream = client.unwrap();
        let (_server, peer) = accepted.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert!(client.nodelay().unwrap());
    });
}
