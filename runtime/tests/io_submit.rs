//! Who submits owned-buffer operations, and when (io_uring batches them; the liveness checks
//! run on both backends): a runtime's own scheduler threads leave their entries for the
//! driver's next turn, every other thread submits at once, and an entry pushed by a busy worker
//! reaches the kernel even while another worker waits inside the ring.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use blitz_io::io::AsyncWriteExt;
use blitz_io::net::{TcpListener, TcpStream};
use blitz_io::runtime::{Backend, Builder, Runtime};
use common::{empty_buf, io_backends, io_backends_under_valgrind, tcp_pair};

/// Polls `future` on this plain thread, parking it between polls: no runtime loop here.
fn block_on_plain<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Runs `f` on a new thread and fails the test if it has not finished within 10 s (a stranded
/// submission would hang it).
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what}: no progress in 10 s (an entry was never submitted?)"))
}

/// A current-thread runtime on io_uring, or `None` where io_uring cannot run this test (no
/// ring on this machine, or valgrind: see `common::io_backends_under_valgrind`).
fn current_thread_uring() -> Option<Runtime> {
    if !io_backends_under_valgrind(true).contains(&Backend::IoUring) {
        return None;
    }
    Some(
        Builder::new_current_thread()
            .backend(Backend::IoUring)
            .build()
            .unwrap(),
    )
}

#[test]
fn owned_ops_on_a_scheduler_thread_ride_on_the_drivers_turns() {
    let Some(rt) = current_thread_uring() else {
        return;
    };
    let metrics = rt.metrics();
    let connections = 8;
    let rounds = common::scaled(100);
    rt.block_on(async {
        let mut pairs = Vec::new();
        for _ in 0..connections {
            pairs.push(tcp_pair().await);
        }
        let (enters, submit_enters) = (
            metrics.io_uring_enter_count(),
            metrics.io_uring_submit_enter_count(),
        );
        let tasks: Vec<_> = pairs
            .into_iter()
            .enumerate()
            .map(|(c, (client, server))| {
                let echo = blitz_io::spawn(async move {
                    let mut buf = empty_buf(64);
                    loop {
                        let (read, back) = server.read_owned(buf).await;
                        if read.unwrap() == 0 {
                            return;
                        }
                        let (written, back) = server.write_all_owned(back).await;
                        written.unwrap();
                        buf = back;
                        buf.clear();
                    }
                });
                blitz_io::spawn(async move {
                    let mut buf = empty_buf(64);
                    for round in 0..rounds {
                        let message = ((c * 1_000_000 + round) as u64).to_le_bytes();
                        buf.clear();
                        buf.extend_from_slice(&message);
                        let (written, back) = client.write_all_owned(buf).await;
                        written.unwrap();
                        buf = back;
                        assert_eq!(read_exact_owned(&client, 8).await, message);
                    }
                    drop(client);
                    echo.await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // Every op was pushed by this runtime's one scheduler thread: none of them needed an
        // `io_uring_enter` of its own, and with eight connections in step, each of the
        // driver's enters carried several of them.
        assert_eq!(
            metrics.io_uring_submit_enter_count(),
            submit_enters,
            "a scheduler thread entered the ring just to submit"
        );
        let ops = (connections * rounds * 4) as u64;
        let used = metrics.io_uring_enter_count() - enters;
        assert!(used * 2 <= ops, "{used} enters for {ops} owned ops");
    });
}

/// Reads exactly `n` bytes through `read_owned`, one buffer reused for every read.
async fn read_exact_owned(stream: &TcpStream, n: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(n);
    let mut buf = empty_buf(n);
    while got.len() < n {
        buf.clear();
        let (read, back) = stream.read_owned(buf).await;
        assert!(read.unwrap() > 0, "early EOF");
        got.extend_from_slice(&back);
        buf = back;
    }
    assert_eq!(got.len(), n, "more bytes than were sent");
    got
}

#[test]
fn threads_that_do_not_turn_the_driver_submit_at_once() {
    for backend in io_backends() {
        // One idle worker, parked inside the driver with no timer due: it turns only when an
        // event arrives, so an entry left unsubmitted would never complete.
        let rt = common::multi_on(1, backend);
        let (mut client, server) = rt.block_on(tcp_pair());
        let server = Arc::new(server);
        rt.block_on(client.write_all(b"outside")).unwrap();

        // A plain thread inside the runtime's context (an `EnterGuard`).
        let handle = rt.handle().clone();
        let reader = server.clone();
        let before = rt.metrics().io_uring_submit_enter_count();
        let (read, buf) = within_10s("a read from an entered plain thread", move || {
            let _guard = handle.enter();
            block_on_plain(reader.read_owned(empty_buf(7)))
        });
        assert_eq!(read.unwrap(), 7, "{backend}");
        assert_eq!(buf, b"outside");
        if backend == Backend::IoUring {
            assert!(rt.metrics().io_uring_submit_enter_count() > before);
        }

        // A blocking-pool thread.
        rt.block_on(client.write_all(b"pool")).unwrap();
        let reader = server.clone();
        let job = rt.spawn_blocking(move || block_on_plain(reader.read_owned(empty_buf(4))));
        let (read, buf) = within_10s("a read from the blocking pool", move || {
            block_on_plain(job).unwrap()
        });
        assert_eq!(read.unwrap(), 4, "{backend}");
        assert_eq!(buf, b"pool");

        // `block_on` of a multi-thread runtime runs on a thread that is not a worker.
        rt.block_on(client.write_all(b"main")).unwrap();
        let (read, buf) = rt.block_on(server.read_owned(empty_buf(4)));
        assert_eq!(read.unwrap(), 4, "{backend}");
        assert_eq!(buf, b"main");
    }
}

#[test]
fn a_busy_workers_entries_reach_the_kernel_while_another_waits_in_the_ring() {
    for backend in io_backends() {
        let rt = common::multi_on(2, backend);
        let (mut client, server) = rt.block_on(tcp_pair());
        rt.block_on(client.write_all(b"ready")).unwrap();
        let (n, buf) = within_10s("a read pushed by a worker that does not park", move || {
            rt.block_on(async move {
                let busy = blitz_io::spawn(async move {
                    // Spawned from a worker: the reader starts on this worker (unless stolen),
                    // which then does not park while this task keeps yielding: its turns
                    // (which find the driver taken whenever the other worker waits in it) must
                    // hand the entry to the kernel. How often the other worker is in the
                    // driver at that moment depends on timing; the ring's unit tests pin that
                    // case deterministically.
                    let reader = blitz_io::spawn(async move {
                        let (read, buf) = server.read_owned(empty_buf(5)).await;
                        (read.unwrap(), buf)
                    });
                    let start = Instant::now();
                    while !reader.is_finished() {
                        assert!(start.elapsed() < Duration::from_secs(5), "read stranded");
                        blitz_io::task::yield_now().await;
                    }
                    reader.await.unwrap()
                });
                busy.await.unwrap()
            })
        });
        assert_eq!(n, 5, "{backend}");
        assert_eq!(buf, b"ready");
    }
}

#[test]
fn many_connections_echo_owned_across_workers() {
    for backend in io_backends() {
        let rt = common::multi_on(2, backend);
        let connections = 16;
        let rounds = common::scaled(100);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = blitz_io::spawn(async move {
                for _ in 0..connections {
                    let (stream, _) = listener.accept().await.unwrap();
                    // Detached: it ends when its client closes the connection.
                    drop(blitz_io::spawn(async move {
                        let mut buf = empty_buf(256);
                        loop {
                            let (read, back) = stream.read_owned(buf).await;
                            if !matches!(read, Ok(1..)) {
                                return;
                            }
                            let (written, mut back) = stream.write_all_owned(back).await;
                            written.unwrap();
                            back.clear();
                            buf = back;
                        }
                    }));
                }
            });
            let clients: Vec<_> = (0..connections)
                .map(|c| {
                    blitz_io::spawn(async move {
                        let stream = TcpStream::connect(addr).await.unwrap();
                        let mut buf = empty_buf(16);
                        for round in 0..rounds {
                            let message = ((c * 1_000_000 + round) as u64).to_le_bytes();
                            buf.clear();
                            buf.extend_from_slice(&message);
                            let (written, back) = stream.write_all_owned(buf).await;
                            written.unwrap();
                            buf = back;
                            assert_eq!(read_exact_owned(&stream, 8).await, message);
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            server.await.unwrap();
        });
    }
}

#[cfg(target_os = "linux")] // io_uring only
#[test]
fn a_dropped_ops_queued_entry_never_reaches_a_socket_that_reused_its_fd() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    // One thread: the read below is pushed, not submitted, until this thread turns the driver.
    let Some(rt) = current_thread_uring() else {
        return;
    };
    rt.block_on(async {
        let (mut client, server) = tcp_pair().await;
        client.write_all(b"old").await.unwrap();
        server.readable().await.unwrap();
        let fd = server.as_raw_fd();
        let mut op = server.read_owned(empty_buf(16));
        assert!(futures_util::poll!(&mut op).is_pending());
        // Dropped with its `RECV` queued, then the socket closes: the `RECV` names the fd by
        // number, so it must reach the kernel before the number can be reused.
        drop(op);
        drop(server);
        // Open sockets until one gets the closed socket's number (lower free numbers go first).
        let mut held = Vec::new();
        let (mut reused, mut peer) = loop {
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            if a.as_raw_fd() == fd {
                break (a, b);
            }
            if b.as_raw_fd() == fd {
                break (b, a);
            }
            assert!(held.len() < 64, "fd {fd} was never reused");
            held.push((a, b));
        };
        peer.write_all(b"new").unwrap();
        // Park in the driver (its enter submits whatever is queued): a stale `RECV` would now
        // run on `reused`.
        blitz_io::time::sleep(Duration::from_millis(1)).await;
        reused.set_nonblocking(true).unwrap();
        let mut got = [0u8; 8];
        let n = reused
            .read(&mut got)
            .expect("the bytes are still in the socket");
        assert_eq!(&got[..n], b"new");
        drop(client);
    });
}
