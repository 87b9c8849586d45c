//! TCP on both I/O backends: echo, many connections, half-close, reset, refused connects,
//! cancelled reads, try-ops, readiness and splits.

mod common;

use std::io;
use std::time::Duration;

use blitz_io::io::{AsyncReadExt, AsyncWriteExt, Interest};
use blitz_io::net::{TcpListener, TcpSocket, TcpStream};
use common::{on_each_backend, tcp_pair};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn echo_round_trips_of_every_size_arrive_intact() {
    on_each_backend(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = blitz_io::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let mut total = 0usize;
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    socket.close().await.unwrap();
                    return total;
                }
                socket.write_all(&buf[..n]).await.unwrap();
                total += n;
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        let mut sent = 0;
        // 4 MiB outruns the socket buffers, so writes see WouldBlock and wait for readiness.
        for (round, len) in [1usize, 64, 1024, 16 * 1024, 4 * 1024 * 1024]
            .into_iter()
            .enumerate()
        {
            let message = pattern(len, round as u8);
            let (mut read, mut write) = client.split_mut();
            let writing = async {
                write.write_all(&message).await.unwrap();
            };
            let mut echoed = vec![0u8; len];
            let reading = async {
                read.read_exact(&mut echoed).await.unwrap();
            };
            futures_util::join!(writing, reading);
            assert!(
                echoed == message,
                "round {round}: {len} bytes came back changed"
            );
            sent += len;
        }
        client.close().await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        assert_eq!(server.await.unwrap(), sent);
    });
}

#[test]
fn a_thousand_concurrent_connections_each_echo_their_own_bytes() {
    let connections = common::scaled(1000);
    common::raise_fd_limit(2 * connections as u64 + 200);
    on_each_backend(move |_| async move {
        // A backlog above the number of connections: with `bind`'s 1024 the kernel's SYN
        // queue filled on a loaded machine and it answered with SYN cookies, and a cookie that
        // failed to validate reset a client (seen once in CI). That is the kernel shedding a
        // SYN flood, not the runtime; the backlog keeps the test about the runtime.
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(4 * connections as u32).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = blitz_io::spawn(async move {
            for _ in 0..connections {
                let (mut socket, _) = listener.accept().await.unwrap();
                let _connection = blitz_io::spawn(async move {
                    let mut buf = [0u8; 8];
                    socket.read_exact(&mut buf).await.unwrap();
                    socket.write_all(&buf).await.unwrap();
                });
            }
        });
        let clients: Vec<_> = (0..connections as u64)
            .map(|i| {
                blitz_io::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    stream.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut back = [0u8; 8];
                    stream.read_exact(&mut back).await.unwrap();
                    u64::from_le_bytes(back)
                })
            })
            .collect();
        let mut sum = 0;
        for (i, client) in clients.into_iter().enumerate() {
            let echoed = client.await.unwrap();
            assert_eq!(echoed, i as u64);
            sum += echoed;
        }
        assert_eq!(sum, (connections as u64 - 1) * connections as u64 / 2);
        server.await.unwrap();
    });
}

#[test]
fn half_close_lets_the_peer_read_to_the_end_and_still_reply() {
    on_each_backend(|_| async {
        let (mut client, mut server) = tcp_pair().await;
        client.write_all(b"request").await.unwrap();
        client.close().await.unwrap();
        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"request");
        server.write_all(b"reply").await.unwrap();
        drop(server);
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"reply");
    });
}

#[test]
fn a_reset_is_an_error_not_end_of_stream() {
    on_each_backend(|_| async {
        let (mut client, server) = tcp_pair().await;
        // Linger 0: closing sends RST instead of FIN.
        server.set_linger(Some(Duration::ZERO)).unwrap();
        drop(server);
        let mut buf = [0u8; 16];
        let error = client
            .read(&mut buf)
            .await
            .expect_err("a reset must not read as Ok");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    on_each_backend(|_| async {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let error = TcpStream::connect(addr)
            .await
            .expect_err("nobody listens there");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn a_dropped_read_loses_no_bytes() {
    on_each_backend(|_| async {
        let (mut client, mut server) = tcp_pair().await;
        let mut buf = [0u8; 64];
        {
            // Poll a read once (nothing to read yet: it waits), then drop it.
            let read = server.read(&mut buf);
            let outcome = futures_util::poll!(Box::pin(read));
            assert!(outcome.is_pending());
        }
        client.write_all(b"kept").await.unwrap();
        let mut got = [0u8; 4];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"kept");
    });
}

#[test]
fn try_ops_and_readiness_follow_the_socket_state() {
    on_each_backend(|_| async {
        let (client, server) = tcp_pair().await;
        let mut buf = [0u8; 8];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"abc").unwrap(), 3);
        let ready = server.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable());
        let mut peeked = [0u8; 3];
        assert_eq!(server.peek(&mut peeked).await.unwrap(), 3);
        assert_eq!(&peeked, b"abc");
        // try_read may race the readiness report on some backends: retry through readable().
        let n = loop {
            match server.try_read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => server.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"abc");
    });
}

/// Operations that hit `WouldBlock` outside the stream's own read methods — a custom
/// `try_io`/`async_io` closure and the owned-buffer read — are still woken by the next data.
/// On Windows this holds only because they run inside mio's `try_io`: IOCP re-arms a socket's
/// poll only after a `WouldBlock` seen through it (without that, the last wait never ends).
#[test]
fn operations_that_hit_would_block_are_woken_by_the_next_data() {
    use std::io::Read;
    let within = Duration::from_secs(10);
    on_each_backend(move |_| async move {
        let (client, mut server) = tcp_pair().await;
        // A plain `recv` on the borrowed socket: something the runtime does not know about.
        let custom_read = |buf: &mut [u8]| (&*socket2::SockRef::from(&client)).read(buf);
        let mut buf = [0u8; 8];
        server.write_all(b"a").await.unwrap();
        let n = client
            .async_io(Interest::READABLE, || custom_read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"a");
        // The socket is drained: the closure hits WouldBlock.
        let error = client
            .try_io(Interest::READABLE, || custom_read(&mut buf))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        server.write_all(b"b").await.unwrap();
        let waited = blitz_io::time::timeout(
            within,
            client.async_io(Interest::READABLE, || custom_read(&mut buf)),
        );
        let n = waited.await.expect("woken by the second byte").unwrap();
        assert_eq!(&buf[..n], b"b");

        // The owned-buffer read: its first poll finds nothing and waits. (Initialised
        // capacity: valgrind cannot see io_uring's kernel writes, see io_owned.rs.)
        let mut owned = vec![0u8; 8];
        owned.clear();
        let mut read = client.read_owned(owned);
        assert!(futures_util::poll!(&mut read).is_pending());
        server.write_all(b"c").await.unwrap();
        let (n, got) = blitz_io::time::timeout(within, read)
            .await
            .expect("woken by the third byte");
        assert_eq!((n.unwrap(), &got[..]), (1, &b"c"[..]));
    });
}

/// A read shorter than its buffer, or a write shorter than its data, clears the socket's
/// readiness (no `WouldBlock` syscall before the next wait); the next data, or the peer
/// draining the send buffer, must still wake the waiting operation.
#[test]
fn short_reads_and_writes_still_wake_on_the_next_event() {
    let within = Duration::from_secs(10);
    on_each_backend(move |_| async move {
        let (mut client, mut server) = tcp_pair().await;
        let mut buf = [0u8; 8];
        for byte in [b'a', b'b', b'c'] {
            server.write_all(&[byte]).await.unwrap();
            let n = blitz_io::time::timeout(within, client.read(&mut buf))
                .await
                .expect("woken by the next byte after a short read")
                .unwrap();
            assert_eq!(&buf[..n], &[byte]);
        }

        // Fill the send buffer until a write comes back short.
        let chunk = vec![7u8; 256 * 1024];
        let mut written = 0usize;
        loop {
            let n = client.write(&chunk).await.unwrap();
            written += n;
            if n < chunk.len() {
                break;
            }
        }
        // The peer drains everything; the writer's next write must be woken by the room.
        let mut sink = vec![0u8; 64 * 1024];
        let mut drained = 0usize;
        let drain = async {
            while drained < written {
                drained += server.read(&mut sink).await.unwrap();
            }
        };
        let write_more = async {
            blitz_io::time::timeout(within, client.write(&chunk[..1024]))
                .await
                .expect("woken by the room the peer made after a short write")
                .unwrap()
        };
        let ((), more) = futures_util::join!(drain, write_more);
        assert!(more > 0);
    });
}

#[test]
fn owned_halves_move_to_tasks_and_reunite() {
    on_each_backend(|_| async {
        let (client, mut server) = tcp_pair().await;
        let (mut read, mut write) = client.into_split();
        let writer = blitz_io::spawn(async move {
            write.write_all(b"from the write half").await.unwrap();
            write
        });
        let mut got = [0u8; 19];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"from the write half");
        server.write_all(b"back").await.unwrap();
        let mut back = [0u8; 4];
        read.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"back");
        let write = writer.await.unwrap();
        let (other, _other_server) = tcp_pair().await;
        let (other_read, other_write) = other.into_split();
        let error = read
            .reunite(other_write)
            .expect_err("halves of two streams");
        let (read, _) = (error.0, error.1);
        read.reunite(write).expect("halves of one stream");
        drop(other_read);
    });
}

#[test]
fn tcp_socket_builder_sets_options_then_listens_and_connects() {
    on_each_backend(|_| async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        #[cfg(unix)]
        socket.set_reuseport(true).unwrap();
        socket.set_send_buffer_size(32 * 1024).unwrap();
        socket.set_keepalive(Some(Duration::from_secs(30))).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(64).unwrap();
        let client = TcpSocket::new_v4().unwrap();
        client.set_nodelay(true).unwrap();
        let stream = client
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
        let (accepted, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
        assert_eq!(accepted.peer_addr().unwrap(), stream.local_addr().unwrap());
    });
}

#[test]
fn std_sockets_convert_both_ways() {
    on_each_backend(|_| async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let addr = listener.local_addr().unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut std_server = server.into_std().unwrap();
        std_server.set_nonblocking(false).unwrap();
        client.write_all(b"x").await.unwrap();
        let mut byte = [0u8];
        std::io::Read::read_exact(&mut std_server, &mut byte).unwrap();
        assert_eq!(&byte, b"x");
        let _ = listener.into_std().unwrap();
    });
}

#[test]
fn lookup_host_resolves_names_on_the_blocking_pool() {
    on_each_backend(|_| async {
        let addrs: Vec<_> = blitz_io::net::lookup_host("localhost:4242")
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs
            .iter()
            .all(|a| a.port() == 4242 && a.ip().is_loopback()));
        let listener = TcpListener::bind(("localhost", 0)).await.unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    });
}

/// The state letter of thread `tid` of this process (`S`: asleep in a syscall), if `/proc`
/// says.
#[cfg(target_os = "linux")]
fn thread_state(tid: libc::pid_t) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // `pid (comm) STATE ...`: the name may hold spaces, so read after the last ')'.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// A one-worker runtime serving one connection turns its I/O driver once per request: the
/// worker waits in the driver, runs the woken task, and waits again. The peer answers only
/// once the worker sleeps, so a needless turn before the sleep shows in the count. Before a
/// fix, the worker's hand-off of the driver when leaving it could notify the worker itself,
/// and its next park first spent a non-blocking turn consuming that wake: two turns per
/// request.
#[cfg(target_os = "linux")]
#[test]
fn a_lone_worker_turns_the_driver_once_per_request() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    const ROUNDS: u64 = 100;
    for backend in common::io_backends() {
        let worker_tid = Arc::new(Mutex::new(None));
        let rt = {
            let worker_tid = worker_tid.clone();
            blitz_io::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .backend(backend)
                .on_thread_start(move || {
                    // SAFETY: gettid has no preconditions.
                    let tid = unsafe { libc::gettid() };
                    *worker_tid.lock().unwrap() = Some(tid);
                })
                .build()
                .unwrap()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // The peer: a plain thread answering each byte with the same byte, once the worker is
        // asleep (or after 10 s, which fails the test through the count).
        let peer = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            socket.set_nodelay(true).unwrap();
            let tid = worker_tid.lock().unwrap().expect("the worker has started");
            let mut byte = [0u8; 1];
            let mut seen = true;
            while socket.read(&mut byte).unwrap() == 1 {
                let start = std::time::Instant::now();
                while seen && start.elapsed() < Duration::from_secs(10) {
                    match thread_state(tid) {
                        Some('S') => break,
                        Some(_) => std::thread::yield_now(),
                        None => seen = false,
                    }
                }
                socket.write_all(&byte).unwrap();
            }
            seen
        });
        let metrics = rt.metrics();
        let turns = rt
            .block_on(rt.spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut byte = [0u8; 64];
                // One round first: the connection and its registration settle.
                stream.write_all(&[0]).await.unwrap();
                stream.read_exact(&mut byte[..1]).await.unwrap();
                let before = metrics.io_driver_turn_count();
                for round in 0..ROUNDS {
                    stream.write_all(&[round as u8]).await.unwrap();
                    // A short read: the byte, with room for more.
                    let n = stream.read(&mut byte).await.unwrap();
                    assert_eq!(&byte[..n], &[round as u8]);
                }
                metrics.io_driver_turn_count() - before
            }))
            .unwrap();
        if !peer.join().unwrap() {
            eprintln!("skipped: /proc does not show the worker thread's state");
            return;
        }
        assert!(
            turns <= ROUNDS * 3 / 2,
            "{backend}: {turns} driver turns for {ROUNDS} requests"
        );
    }
}

/// The worker that holds the I/O driver wakes for one socket's data and then runs a long poll
/// (the woken task blocks its thread): another idle worker must take the driver over, so a
/// second connection keeps being served meanwhile instead of waiting for that poll to end.
#[test]
fn sockets_are_served_while_the_driver_holder_runs_a_long_poll() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    for backend in common::io_backends() {
        let rt = common::multi_on(2, backend);
        rt.block_on(async {
            let (mut trigger, mut stuck_side) = tcp_pair().await;
            let (mut client, mut server) = tcp_pair().await;
            let stuck_done = Arc::new(AtomicBool::new(false));
            let (woken_tx, woken_rx) = blitz_io::channel::oneshot::channel();
            let stuck = {
                let stuck_done = stuck_done.clone();
                blitz_io::spawn(async move {
                    let mut byte = [0u8];
                    // Woken by the driver: runs on the worker that turned it.
                    stuck_side.read_exact(&mut byte).await.unwrap();
                    woken_tx.send(()).unwrap();
                    // Hold this worker without yielding.
                    std::thread::sleep(Duration::from_millis(800));
                    stuck_done.store(true, SeqCst);
                })
            };
            let echo = blitz_io::spawn(async move {
                let mut byte = [0u8];
                while server.read(&mut byte).await.unwrap() == 1 {
                    server.write_all(&byte).await.unwrap();
                }
            });
            trigger.write_all(b"x").await.unwrap();
            woken_rx.await.unwrap();
            for round in 0..10u8 {
                client.write_all(&[round]).await.unwrap();
                let mut byte = [0u8];
                client.read_exact(&mut byte).await.unwrap();
                assert_eq!(byte[0], round);
            }
            assert!(
                !stuck_done.load(SeqCst),
                "{backend}: the second connection waited for the long poll"
            );
            drop(client);
            echo.await.unwrap();
            stuck.await.unwrap();
        });
    }
}

/// A waker is foreign code, and this one drops a socket when it is woken (as an executor that
/// polls inline might). The driver must not fire wakes while it holds its socket table's
/// lock, or that drop, which takes the lock again, deadlocks the thread turning the driver.
/// Forty sockets turn readable before one driver turn: more wakes than one wake batch holds,
/// so the turn fires wakes in the middle of its dispatch.
#[test]
fn a_wake_that_drops_a_socket_does_not_deadlock_the_driver() {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{mpsc, Arc, Mutex};
    use std::task::{Context, Wake, Waker};

    const SOCKETS: usize = 40;

    struct DropOnWake {
        victim: Mutex<Option<TcpStream>>,
        woken: AtomicUsize,
    }
    impl Wake for DropOnWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            drop(self.victim.lock().unwrap().take());
            self.woken.fetch_add(1, SeqCst);
        }
    }

    for backend in common::io_backends() {
        let (done_tx, done_rx) = mpsc::channel();
        // On its own thread, so that a deadlock fails the test instead of hanging it.
        std::thread::spawn(move || {
            let rt = blitz_io::runtime::Builder::new_current_thread()
                .backend(backend)
                .build()
                .unwrap();
            let woken = rt.block_on(async {
                let (_victim_peer, victim) = tcp_pair().await;
                let waker_state = Arc::new(DropOnWake {
                    victim: Mutex::new(Some(victim)),
                    woken: AtomicUsize::new(0),
                });
                let waker = Waker::from(waker_state.clone());
                let mut pairs = Vec::new();
                for _ in 0..SOCKETS {
                    pairs.push(tcp_pair().await);
                }
                let mut waits: Vec<_> = pairs
                    .iter()
                    .map(|(_, server)| Box::pin(server.readable()))
                    .collect();
                let mut cx = Context::from_waker(&waker);
                for wait in &mut waits {
                    assert!(wait.as_mut().poll(&mut cx).is_pending());
                }
                for (client, _) in &pairs {
                    assert_eq!(client.try_write(b"x").unwrap(), 1);
                }
                // Each yield goes through the scheduler, which turns the driver.
                while waker_state.woken.load(SeqCst) < SOCKETS {
                    blitz_io::task::yield_now().await;
                }
                waker_state.woken.load(SeqCst)
            });
            let _ = done_tx.send(woken);
        });
        let woken = done_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{backend}: the driver deadlocked while waking"));
        assert_eq!(woken, SOCKETS, "{backend}");
    }
}

/// Dropping an owned write half shuts down the stream's write side, as Tokio's does: the peer
/// reads end of stream while the read half lives on. `reunite` does not shut it down.
#[test]
fn dropping_the_owned_write_half_shuts_down_writing() {
    on_each_backend(|_| async {
        let (client, mut server) = tcp_pair().await;
        let (read, write) = client.into_split();
        drop(write);
        let mut buf = [0u8; 8];
        let n = blitz_io::time::timeout(Duration::from_secs(10), server.read(&mut buf))
            .await
            .expect("the peer saw no end of stream after the write half was dropped")
            .unwrap();
        assert_eq!(n, 0);
        drop(read);

        let (client, mut server) = tcp_pair().await;
        let (read, write) = client.into_split();
        let mut whole = read.reunite(write).unwrap();
        whole.write_all(b"still open").await.unwrap();
        let mut got = [0u8; 10];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"still open");
    });
}

#[test]
fn copy_bidirectional_flushes_a_buffered_writer_while_its_reader_waits() {
    // A proxy whose upstream side is a `BufWriter`: the request must reach the server while
    // the client waits for the reply, not only at end of stream (Tokio flushes when the read
    // side has nothing to give).
    on_each_backend(|_| async {
        let (mut client, mut proxy_in) = tcp_pair().await;
        let (proxy_out, mut server) = tcp_pair().await;
        let proxy = blitz_io::spawn(async move {
            let mut proxy_out = blitz_io::io::BufWriter::new(proxy_out);
            blitz_io::io::copy_bidirectional(&mut proxy_in, &mut proxy_out).await
        });
        let upstream = blitz_io::spawn(async move {
            let mut request = [0u8; 4];
            server.read_exact(&mut request).await.unwrap();
            assert_eq!(&request, b"ping");
            server.write_all(b"pong").await.unwrap();
            server.close().await.unwrap();
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap();
        });
        client.write_all(b"ping").await.unwrap();
        let mut reply = [0u8; 4];
        blitz_io::time::timeout(Duration::from_secs(5), client.read_exact(&mut reply))
            .await
            .expect("the request stayed in the proxy's write buffer")
            .unwrap();
        assert_eq!(&reply, b"pong");
        client.close().await.unwrap();
        upstream.await.unwrap();
        assert_eq!(proxy.await.unwrap().unwrap(), (4, 4));
    });
}
