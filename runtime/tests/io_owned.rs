//! Owned-buffer operations on both backends: round trips, explicit cancel, buffers kept alive
//! while the kernel may write into them, shutdown with operations in flight.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blitz_io::io::{AsyncReadExt, AsyncWriteExt, Cancelled, IoBuf, IoBufMut};
use blitz_io::runtime::{Backend, Builder};
use common::{empty_buf, io_backends, io_backends_under_valgrind, on_each_backend, tcp_pair};

/// A buffer that records when it is dropped.
struct TrackedBuf {
    bytes: Vec<u8>,
    dropped: Arc<AtomicBool>,
}

impl Drop for TrackedBuf {
    fn drop(&mut self) {
        assert!(!self.dropped.swap(true, SeqCst), "dropped twice");
    }
}

// SAFETY: forwards to the Vec, whose heap storage does not move with the wrapper.
unsafe impl IoBuf for TrackedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.bytes.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.bytes.len()
    }
}

// SAFETY: as above.
unsafe impl IoBufMut for TrackedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.bytes.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.bytes.capacity()
    }
    unsafe fn set_init(&mut self, len: usize) {
        // SAFETY: forwarded from the caller.
        unsafe { self.bytes.set_len(len) };
    }
}

fn tracked(capacity: usize) -> (TrackedBuf, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let buf = TrackedBuf {
        bytes: Vec::with_capacity(capacity),
        dropped: dropped.clone(),
    };
    (buf, dropped)
}

/// Yields to the runtime until `done` holds (the driver turns meanwhile), for at most 10 s.
async fn until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "condition never held"
        );
        blitz_io::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn owned_reads_and_writes_round_trip() {
    on_each_backend(|_| async {
        let (client, server) = tcp_pair().await;
        let message: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let writer = blitz_io::spawn(async move {
            let (result, buf) = client.write_all_owned(message).await;
            result.unwrap();
            (client, buf)
        });
        let mut received = Vec::new();
        let mut buf = empty_buf(8192);
        while received.len() < 100_000 {
            let (result, back) = server.read_owned(buf).await;
            let n = result.unwrap();
            assert!(n > 0 && back.len() == n);
            received.extend_from_slice(&back);
            buf = back;
        }
        let (_client, sent) = writer.await.unwrap();
        assert!(received == sent);
    });
}

#[test]
fn cancelling_a_read_loses_nothing() {
    on_each_backend(|backend| async move {
        let (mut client, server) = tcp_pair().await;
        // Nothing sent yet: the read waits; cancelling hands the buffer back unchanged.
        let mut op = server.read_owned(empty_buf(64));
        assert!(futures_util::poll!(&mut op).is_pending());
        match op.cancel().await {
            Cancelled::Cancelled(buf) => assert!(buf.is_empty()),
            Cancelled::Completed(result, _) => panic!("{backend}: completed with {result:?}"),
        }
        // Data arrives while a read is in flight, then the read is cancelled before it is
        // polled again: either the read completed (and hands the bytes over) or the bytes are
        // still in the socket.
        let mut op = server.read_owned(empty_buf(64));
        assert!(futures_util::poll!(&mut op).is_pending());
        client.write_all(b"precious").await.unwrap();
        blitz_io::time::sleep(Duration::from_millis(20)).await;
        let mut got = match op.cancel().await {
            Cancelled::Completed(result, buf) => {
                assert_eq!(result.unwrap(), buf.len());
                buf
            }
            Cancelled::Cancelled(_) => Vec::new(),
        };
        while got.len() < 8 {
            let (result, buf) = server.read_owned(empty_buf(64)).await;
            result.unwrap();
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, b"precious");
    });
}

#[test]
fn a_dropped_read_keeps_its_buffer_until_the_kernel_is_done() {
    for backend in io_backends_under_valgrind(true) {
        let rt = Builder::new_current_thread()
            .backend(backend)
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut client, server) = tcp_pair().await;
            if backend == Backend::IoUring {
                // A read waits for readiness before it submits anything: make the socket
                // readable, so that the first poll submits a `RECV` (which completes only
                // once a turn reaps it, so the poll is still pending).
                client.write_all(b"into a dropped read").await.unwrap();
                server.readable().await.unwrap();
            }
            let (buf, dropped) = tracked(64);
            let mut op = server.read_owned(buf);
            assert!(futures_util::poll!(&mut op).is_pending());
            drop(op);
            if backend == Backend::IoUring {
                // No driver turn since the poll (one thread, no await): the `RECV` was
                // pushed but neither its completion nor its cancel's can have been reaped,
                // so the buffer must still be alive.
                assert!(
                    !dropped.load(SeqCst),
                    "freed while the kernel may still write"
                );
            }
            until(|| dropped.load(SeqCst)).await;
        });
        assert_eq!(rt.metrics().io_ops_leaked_count(), 0);
    }
}

/// Nothing is ever sent, so on io_uring these reads wait for readiness with no `RECV` in the
/// kernel (a read submits only once the socket is readable); ops the kernel holds at shutdown
/// or after a failed enter are covered by the ring's own unit tests
/// (`io::driver::uring_backend::tests`), where a blocking socket keeps a `RECV` pending.
#[test]
fn shutdown_with_reads_in_flight_neither_hangs_nor_frees_early() {
    for multi_thread in [false, true] {
        for backend in io_backends_under_valgrind(!multi_thread) {
            let builder = if multi_thread {
                Builder::new_multi_thread().worker_threads(2)
            } else {
                Builder::new_current_thread()
            };
            let rt = builder.backend(backend).build().unwrap();
            let handle = rt.handle().clone();
            let (ready_tx, ready_rx) = blitz_io::channel::mpmc::unbounded();
            let drops = Arc::new(AtomicUsize::new(0));
            let flags: Vec<_> = (0..4).map(|_| tracked(256)).collect();
            let (_client, server) = rt.block_on(tcp_pair());
            let server = Arc::new(server);
            let mut dropped_flags = Vec::new();
            for (buf, dropped) in flags {
                dropped_flags.push(dropped);
                let server = server.clone();
                let ready_tx = ready_tx.clone();
                let drops = drops.clone();
                let _reader = rt.spawn(async move {
                    let mut op = server.read_owned(buf);
                    assert!(futures_util::poll!(&mut op).is_pending());
                    ready_tx.try_send(()).unwrap();
                    let _ = op.await;
                    drops.fetch_add(1, SeqCst);
                });
            }
            rt.block_on(async {
                for _ in 0..4 {
                    ready_rx.recv().await.unwrap();
                }
            });
            let started = Instant::now();
            drop(rt);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "shutdown took too long"
            );
            assert_eq!(
                drops.load(SeqCst),
                0,
                "no read can complete: nothing was sent"
            );
            for dropped in &dropped_flags {
                assert!(
                    dropped.load(SeqCst),
                    "{backend}: a buffer was neither freed nor counted"
                );
            }
            assert_eq!(handle.metrics().io_ops_leaked_count(), 0);
        }
    }
}

#[test]
fn io_makes_progress_while_one_worker_is_stuck_in_a_long_poll() {
    for backend in io_backends() {
        let rt = common::multi_on(2, backend);
        rt.block_on(async {
            let (mut client, mut server) = tcp_pair().await;
            let stuck_done = Arc::new(AtomicBool::new(false));
            let (started_tx, started_rx) = blitz_io::channel::oneshot::channel();
            let stuck = {
                let stuck_done = stuck_done.clone();
                blitz_io::spawn(async move {
                    started_tx.send(()).unwrap();
                    // Hold this worker for a while without yielding.
                    std::thread::sleep(Duration::from_millis(500));
                    stuck_done.store(true, SeqCst);
                })
            };
            started_rx.await.unwrap();
            for round in 0..10u8 {
                client.write_all(&[round]).await.unwrap();
                let mut byte = [0u8];
                server.read_exact(&mut byte).await.unwrap();
                assert_eq!(byte[0], round);
            }
            assert!(
                !stuck_done.load(SeqCst),
                "{backend}: I/O waited for the stuck worker"
            );
            stuck.await.unwrap();
        });
    }
}

#[test]
fn a_read_dropped_after_completing_frees_its_buffer_at_once() {
    for backend in io_backends_under_valgrind(true) {
        let rt = Builder::new_current_thread()
            .backend(backend)
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut client, server) = tcp_pair().await;
            let (buf, dropped) = tracked(64);
            let mut op = server.read_owned(buf);
            assert!(futures_util::poll!(&mut op).is_pending());
            client.write_all(b"lost with the future").await.unwrap();
            // Let the driver reap the completion (io_uring) or see the readiness (mio).
            blitz_io::time::sleep(Duration::from_millis(20)).await;
            drop(op);
            // Nothing in flight any more: the buffer goes with the future, not later.
            assert!(
                dropped.load(SeqCst),
                "{backend}: the buffer outlived its future"
            );
        });
        assert_eq!(rt.metrics().io_ops_leaked_count(), 0);
    }
}

#[test]
fn owned_ops_keep_working_on_a_saturated_cpu() {
    // Busy threads on every core: completions and readiness arrive late and `-EAGAIN`
    // completions (io_uring, non-blocking sockets) become likely; every byte must still
    // arrive once and in order.
    let stop = Arc::new(AtomicBool::new(false));
    // valgrind runs one thread at a time: hogs there would only stretch the run.
    let hog_count = if std::env::var_os("BLITZ_VALGRIND").is_some() {
        0
    } else {
        2
    };
    let hogs: Vec<_> = (0..hog_count)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(SeqCst) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            })
        })
        .collect();
    on_each_backend(|_| async {
        let (client, server) = tcp_pair().await;
        let total = common::scaled(2_000_000);
        let writer = blitz_io::spawn(async move {
            let mut sent = 0usize;
            while sent < total {
                let chunk: Vec<u8> = (sent..(sent + 4096).min(total)).map(|i| i as u8).collect();
                let (result, _) = client.write_all_owned(chunk).await;
                result.unwrap();
                sent = (sent + 4096).min(total);
            }
        });
        let mut received = 0usize;
        let mut buf = empty_buf(16 * 1024);
        while received < total {
            let (result, back) = server.read_owned(buf).await;
            let n = result.unwrap();
            assert!(n > 0);
            for (offset, byte) in back.iter().enumerate() {
                assert_eq!(
                    *byte,
                    (received + offset) as u8,
                    "byte {} changed",
                    received + offset
                );
            }
            received += n;
            buf = back;
        }
        writer.await.unwrap();
    });
    stop.store(true, SeqCst);
    for hog in hogs {
        hog.join().unwrap();
    }
}

#[test]
fn after_a_short_read_the_next_read_sees_new_data_and_then_eof() {
    // A short owned read clears the socket's read readiness on io_uring (the next read then
    // waits for new data instead of submitting a `RECV` bound to fail): data and the peer's
    // close that come later must still wake it.
    on_each_backend(|backend| async move {
        let (mut client, server) = tcp_pair().await;
        for round in 0..3u8 {
            client.write_all(&[round; 3]).await.unwrap();
            let (result, buf) = server.read_owned(empty_buf(64)).await;
            assert_eq!(result.unwrap(), 3, "{backend}: round {round}");
            assert_eq!(buf, [round; 3]);
        }
        let reader = blitz_io::spawn(async move {
            let (result, buf) = server.read_owned(empty_buf(64)).await;
            assert!(buf.is_empty());
            result.unwrap()
        });
        // The read waits (no data); then the peer closes: EOF, not a hang.
        blitz_io::task::yield_now().await;
        drop(client);
        assert_eq!(reader.await.unwrap(), 0, "{backend}");
    });
}

/// Two tasks reading one `&TcpStream` with `read_owned` at once: each is woken by data, neither
/// replaces the other's wake-up (they wait in the same direction's slot).
#[test]
fn two_tasks_reading_one_stream_at_once_are_both_woken() {
    on_each_backend(|_| async {
        let (client, mut server) = tcp_pair().await;
        let client = Arc::new(client);
        let (pending_tx, pending_rx) = blitz_io::channel::mpmc::unbounded::<()>();
        let (done_tx, done_rx) = blitz_io::channel::mpmc::unbounded::<Vec<u8>>();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (client, pending_tx, done_tx) =
                    (client.clone(), pending_tx.clone(), done_tx.clone());
                blitz_io::spawn(async move {
                    let mut read = std::pin::pin!(client.read_owned(empty_buf(8)));
                    let mut told = false;
                    let (n, buf) = std::future::poll_fn(|cx| {
                        let poll = std::future::Future::poll(read.as_mut(), cx);
                        if poll.is_pending() && !told {
                            told = true;
                            pending_tx.try_send(()).unwrap();
                        }
                        poll
                    })
                    .await;
                    assert_eq!(n.unwrap(), 1);
                    done_tx.try_send(buf).unwrap();
                })
            })
            .collect();
        // Both reads wait on the empty socket before any byte is sent.
        for _ in 0..2 {
            pending_rx.recv().await.unwrap();
        }
        let within = Duration::from_secs(10);
        let mut got = Vec::new();
        for byte in [b'a', b'b'] {
            server.write_all(&[byte]).await.unwrap();
            let buf = blitz_io::time::timeout(within, done_rx.recv())
                .await
                .expect("a waiting reader was woken by the byte")
                .unwrap();
            got.extend(buf);
        }
        got.sort_unstable();
        assert_eq!(got, b"ab");
        for reader in readers {
            reader.await.unwrap();
        }
    });
}

/// A socket outlives its runtime: every wait on it ends with an error, as the driver's
/// shutdown promises. An owned write started then must say so too, not hand its `SEND` to a
/// ring that nobody reaps any more and wait forever.
#[test]
fn an_owned_write_after_the_runtime_shut_down_fails_instead_of_hanging() {
    for backend in io_backends_under_valgrind(true) {
        let rt = Builder::new_current_thread()
            .backend(backend)
            .build()
            .unwrap();
        let (client, _server) = rt.block_on(tcp_pair());
        drop(rt);
        let mut op = std::pin::pin!(client.write_owned(b"hello".to_vec()));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let deadline = Instant::now() + Duration::from_secs(1);
        let result = loop {
            if let std::task::Poll::Ready((result, _)) =
                std::future::Future::poll(op.as_mut(), &mut cx)
            {
                break result;
            }
            assert!(
                Instant::now() < deadline,
                "{backend}: the write is still pending 1 s after shutdown"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(result.is_err(), "{backend}: {result:?}");
    }
}
