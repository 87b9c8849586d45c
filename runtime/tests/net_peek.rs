//! Peeks that leave the datagram queued, on both I/O backends: `UdpSocket::peek_sender` in
//! its three forms, and the `UnixDatagram` peeks (Unix only).

mod common;

use std::future::poll_fn;
use std::io;

use blitz_io::net::UdpSocket;
use common::{on_each_backend, pends_until};

/// `peek_sender` names the sender of the datagram at the head of the queue and takes nothing:
/// a datagram much longer than the zero-byte peek is neither an error nor cut, a zero-byte
/// datagram is seen too, and the queue order is kept across two senders.
#[test]
fn udp_peek_sender_leaves_the_datagram_whole() {
    on_each_backend(|_| async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr, c_addr) = (
            a.local_addr().unwrap(),
            b.local_addr().unwrap(),
            c.local_addr().unwrap(),
        );
        assert_eq!(
            b.try_peek_sender().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );

        let long: Vec<u8> = (0..1200u32).map(|i| i as u8).collect();
        let sender = pends_until(|cx| b.poll_peek_sender(cx), async {
            a.send_to(&long, b_addr).await.unwrap();
        })
        .await
        .unwrap();
        assert_eq!(sender, a_addr);
        c.send_to(b"", b_addr).await.unwrap();
        // Peeking again, in each form, still sees the first datagram.
        assert_eq!(b.try_peek_sender().unwrap(), a_addr);
        assert_eq!(b.peek_sender().await.unwrap(), a_addr);
        let mut buf = [0u8; 2048];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&long[..], a_addr),
            "the peek took nothing"
        );

        // Next in the queue: c's empty datagram.
        assert_eq!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), c_addr);
        assert_eq!(b.recv_from(&mut buf).await.unwrap(), (0, c_addr));
        assert_eq!(
            b.try_peek_sender().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

/// The `UnixDatagram` peeks copy the head datagram and take nothing, in every form: the
/// receive that follows gets the same bytes, whole even after a short peek. `peek_from` names
/// the sender as the receive would: unnamed, by path, or (Linux) by abstract name.
#[cfg(unix)]
#[test]
fn unix_datagram_peeks_take_nothing() {
    use blitz_io::net::UnixDatagram;

    on_each_backend(|backend| async move {
        let (x, y) = UnixDatagram::pair().unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            y.try_peek(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(
            y.try_peek_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        let (n, from) = pends_until(|cx| y.poll_peek_from(cx, &mut buf), async {
            x.send(b"first").await.unwrap();
        })
        .await
        .unwrap();
        assert_eq!(&buf[..n], b"first");
        assert!(from.is_unnamed(), "{from:?}");
        x.send(b"second").await.unwrap();
        let mut short = [0u8; 3];
        assert_eq!(y.try_peek(&mut short).unwrap(), 3);
        assert_eq!(&short, b"fir");
        let n = y.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
        let mut got = [0u8; 16];
        let n = y.recv(&mut got).await.unwrap();
        assert_eq!(&got[..n], b"first", "the peeks took nothing");
        let n = y.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        let n = y.recv(&mut got).await.unwrap();
        assert_eq!(&got[..n], b"second");

        // A sender bound to a path: peek_from and recv_from agree on it.
        let dir =
            std::env::temp_dir().join(format!("blitz-io-peek-{}-{backend}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (a_path, b_path) = (dir.join("a.sock"), dir.join("b.sock"));
        let a = UnixDatagram::bind(&a_path).unwrap();
        let b = UnixDatagram::bind(&b_path).unwrap();
        b.send_to(b"from b", &a_path).await.unwrap();
        let (n, from) = a.peek_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"from b");
        assert_eq!(from.as_pathname(), Some(b_path.as_path()));
        let (n, from) = a.try_peek_from(&mut buf).unwrap();
        assert_eq!(
            (&buf[..n], from.as_pathname()),
            (&b"from b"[..], Some(b_path.as_path()))
        );
        let (n, from) = a.recv_from(&mut got).await.unwrap();
        assert_eq!(
            (&got[..n], from.as_pathname()),
            (&b"from b"[..], Some(b_path.as_path()))
        );

        // A sender bound to an abstract name (Linux only).
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;

            let name = format!("blitz-io-peek-{}-{backend}", std::process::id());
            let named = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
            let sender = UnixDatagram::bind_addr(&named).unwrap();
            sender.send_to(b"abstract", &a_path).await.unwrap();
            let (n, from) = a.peek_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"abstract");
            assert_eq!(from.as_abstract_name(), Some(name.as_bytes()));
            let (_, from) = a.recv_from(&mut got).await.unwrap();
            assert_eq!(from.as_abstract_name(), Some(name.as_bytes()));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
