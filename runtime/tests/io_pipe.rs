//! `io::duplex` and `io::simplex`: round trips, backpressure at the bound, end of stream on
//! close and on drop, `BrokenPipe` towards a dropped reader, wake-ups of a waiting end by the
//! other end's progress or departure, the cooperative budget, and a ping-pong across threads.

mod common;

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use blitz_io::io::{duplex, simplex, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (counter.clone(), Waker::from(counter))
}

#[test]
fn duplex_round_trip_both_ways() {
    common::current().block_on(async {
        let (mut a, mut b) = duplex(64);
        a.write_all(b"from a").await.unwrap();
        b.write_all(b"from b").await.unwrap();
        let mut buf = [0u8; 6];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from a");
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from b");
    });
}

/// A write larger than the bound moves only what fits; the next write pends until the peer
/// reads, and that read wakes the writer.
#[test]
fn writer_waits_at_the_bound_until_the_reader_reads() {
    let (mut a, mut b) = duplex(4);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let poll = Pin::new(&mut a).poll_write(&mut cx, b"0123456789");
    assert!(matches!(poll, Poll::Ready(Ok(4))), "{poll:?}");
    assert!(Pin::new(&mut a).poll_write(&mut cx, b"456789").is_pending());
    assert_eq!(wakes.0.load(SeqCst), 0);

    let mut two = [0u8; 2];
    let poll = Pin::new(&mut b).poll_read(&mut cx, &mut two);
    assert!(matches!(poll, Poll::Ready(Ok(2))), "{poll:?}");
    assert_eq!(&two, b"01");
    assert_eq!(wakes.0.load(SeqCst), 1, "the read did not wake the writer");

    let poll = Pin::new(&mut a).poll_write(&mut cx, b"456789");
    assert!(matches!(poll, Poll::Ready(Ok(2))), "{poll:?}");
    let mut rest = [0u8; 8];
    let poll = Pin::new(&mut b).poll_read(&mut cx, &mut rest);
    assert!(matches!(poll, Poll::Ready(Ok(4))), "{poll:?}");
    assert_eq!(&rest[..4], b"2345");
}

/// A reader waiting on an empty pipe is woken by a write.
#[test]
fn reader_waits_until_the_writer_writes() {
    let (mut reader, mut writer) = simplex(8);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 8];
    assert!(Pin::new(&mut reader)
        .poll_read(&mut cx, &mut buf)
        .is_pending());
    assert!(matches!(
        Pin::new(&mut writer).poll_write(&mut cx, b"x"),
        Poll::Ready(Ok(1))
    ));
    assert_eq!(wakes.0.load(SeqCst), 1, "the write did not wake the reader");
    assert!(matches!(
        Pin::new(&mut reader).poll_read(&mut cx, &mut buf),
        Poll::Ready(Ok(1))
    ));
}

/// Dropping one end: the peer drains what was buffered, then reads end of stream, and its
/// writes fail with `BrokenPipe`. A read already waiting is woken by the drop.
#[test]
fn dropping_a_duplex_end_gives_eof_then_broken_pipe() {
    let rt = common::multi(2);
    rt.block_on(async {
        let (mut a, mut b) = duplex(64);
        a.write_all(b"last words").await.unwrap();
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        let err = b.write_all(b"anyone?").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);

        let (a, mut b) = duplex(64);
        let (started_tx, started_rx) = blitz_io::channel::oneshot::channel();
        let reader = blitz_io::spawn(async move {
            let mut buf = [0u8; 4];
            let mut first = Some(started_tx);
            // Tell the test the read is about to wait, then wait.
            poll_fn(|cx| {
                let poll = Pin::new(&mut b).poll_read(cx, &mut buf);
                if let Some(tx) = first.take() {
                    assert!(poll.is_pending(), "nothing was written yet");
                    let _ = tx.send(());
                }
                poll
            })
            .await
        });
        started_rx.await.unwrap();
        drop(a);
        assert_eq!(reader.await.unwrap().unwrap(), 0);
    });
}

/// `close` ends only the closing side's direction: the peer drains and reads end of stream,
/// the closed side can still read, and its own later writes fail.
#[test]
fn close_is_a_half_close() {
    common::current().block_on(async {
        let (mut a, mut b) = duplex(64);
        a.write_all(b"request").await.unwrap();
        a.close().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"request");

        b.write_all(b"reply").await.unwrap();
        b.close().await.unwrap();
        let mut got = Vec::new();
        a.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"reply");

        let err = a.write_all(b"more").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn simplex_close_and_drop_end_the_stream() {
    common::current().block_on(async {
        let (mut reader, mut writer) = simplex(16);
        writer.write_all(b"abc").await.unwrap();
        writer.close().await.unwrap();
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"abc");

        let (mut reader, mut writer) = simplex(16);
        writer.write_all(b"def").await.unwrap();
        drop(writer);
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"def");
    });
}

/// A writer waiting on a full pipe is woken by the reader's drop and gets `BrokenPipe`.
#[test]
fn dropping_the_reader_fails_a_waiting_writer() {
    let (reader, mut writer) = simplex(2);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(matches!(
        Pin::new(&mut writer).poll_write(&mut cx, b"ab"),
        Poll::Ready(Ok(2))
    ));
    assert!(Pin::new(&mut writer).poll_write(&mut cx, b"c").is_pending());
    drop(reader);
    assert_eq!(wakes.0.load(SeqCst), 1, "the drop did not wake the writer");
    match Pin::new(&mut writer).poll_write(&mut cx, b"c") {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected BrokenPipe, got {other:?}"),
    }
}

#[test]
#[should_panic(expected = "max_buf_size must be at least 1")]
fn a_zero_bound_is_refused() {
    let _ = duplex(0);
}

/// A task that only ever finds its pipe ready still yields: each poll spends budget, so a
/// task spawned beside it on a current-thread runtime gets to run.
#[test]
fn always_ready_pipes_spend_the_budget() {
    common::current().block_on(async {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = flag.clone();
        let busy = blitz_io::spawn(async move {
            let (mut a, mut b) = duplex(16);
            let mut byte = [0u8; 1];
            for round in 0..100_000u32 {
                if flag.load(SeqCst) {
                    return Some(round);
                }
                a.write_all(b"x").await.unwrap();
                b.read_exact(&mut byte).await.unwrap();
            }
            None
        });
        let set = blitz_io::spawn(async move { setter.store(true, SeqCst) });
        let rounds = busy.await.unwrap();
        set.await.unwrap();
        assert!(rounds.is_some(), "the looping task never yielded");
    });
}

/// Two tasks on a two-worker runtime exchange counters through a small duplex pair.
#[test]
fn ping_pong_across_threads() {
    const ROUNDS: u32 = 2_000;
    common::multi(2).block_on(async {
        let (mut client, mut server) = duplex(8);
        let echo = blitz_io::spawn(async move {
            let mut buf = [0u8; 4];
            loop {
                match server.read_exact(&mut buf).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return,
                    Err(e) => panic!("server read: {e}"),
                }
                let n = u32::from_le_bytes(buf) + 1;
                server.write_all(&n.to_le_bytes()).await.unwrap();
            }
        });
        let pinger = blitz_io::spawn(async move {
            let mut n = 0u32;
            let mut buf = [0u8; 4];
            for _ in 0..ROUNDS {
                client.write_all(&n.to_le_bytes()).await.unwrap();
                client.read_exact(&mut buf).await.unwrap();
                n = u32::from_le_bytes(buf);
            }
            n
        });
        assert_eq!(pinger.await.unwrap(), ROUNDS);
        echo.await.unwrap();
    });
}
