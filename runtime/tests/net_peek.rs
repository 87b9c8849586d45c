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
