//! The echo load generator against the real servers (the blitz-io server on each backend and
//! the Tokio server, in this process; the `echo_server` binary as its own process) and against
//! broken servers it must catch: one that corrupts a byte, one that echoes a stale message,
//! one that closes mid-echo, one that sends more than it received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use blitz_io_benches::echo::client::{self, LoadConfig};
use blitz_io_benches::echo::server::{self, Api, BackendChoice, Runtime, ServerConfig};

fn load(addr: SocketAddr, connections: usize, size: usize) -> LoadConfig {
    LoadConfig {
        addr,
        connections,
        size,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(300),
        threads: 2,
        server_pid: None,
    }
}

fn config(runtime: Runtime, backend: BackendChoice) -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        runtime,
        backend,
        workers: 2,
        api: Api::Traits,
    }
}

/// Starts an echo server on a thread of this process (it lives until the test binary exits)
/// and returns what it announced.
fn start(config: ServerConfig) -> server::Listening {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = move |l| tx.send(l).unwrap();
        match config.runtime {
            Runtime::Tokio => server::run_tokio(&config, ready),
            Runtime::Blitz => server::run_blitz(&config, ready),
        }
        .unwrap();
    });
    rx.recv().expect("server bound")
}

fn tokio_server() -> SocketAddr {
    start(config(Runtime::Tokio, BackendChoice::Auto)).addr
}

/// Runs cells of every shape against `addr` and checks the counts add up.
fn counted_and_checked(addr: SocketAddr) {
    for (connections, size) in [(1, 64), (8, 1024), (16, 16 * 1024), (3, 60_000)] {
        let report = client::run(&load(addr, connections, size)).unwrap();
        assert!(report.requests > 0, "{connections} x {size}: no requests");
        assert!(report.all_requests >= report.requests);
        // Every completed request's bytes, plus at most one partial echo per connection.
        let full = report.all_requests * size as u64;
        assert!(report.bytes_checked >= full, "{report:?}");
        assert!(
            report.bytes_checked < full + (connections * size) as u64,
            "{report:?}"
        );
        assert_eq!(report.latency.len(), report.requests);
        assert!(report.latency.quantile(0.5) <= report.latency.quantile(0.99));
        assert!(report.latency.quantile(0.5) > 0);
    }
}

#[test]
fn tokio_server_every_request_is_counted_and_checked() {
    counted_and_checked(tokio_server());
}

#[test]
fn blitz_server_on_mio() {
    let listening = start(config(Runtime::Blitz, BackendChoice::Mio));
    assert_eq!(listening.backend, "mio");
    counted_and_checked(listening.addr);
}

#[test]
fn blitz_server_owned_buffers_on_both_backends() {
    for backend in [BackendChoice::Mio, BackendChoice::Auto] {
        let listening = start(ServerConfig {
            api: Api::Owned,
            ..config(Runtime::Blitz, backend)
        });
        assert_eq!(listening.api, Api::Owned);
        counted_and_checked(listening.addr);
    }
}

#[test]
fn blitz_server_on_io_uring_or_its_fallback() {
    // Auto: io_uring where this kernel allows it, else mio (the server says which).
    let listening = start(config(Runtime::Blitz, BackendChoice::Auto));
    assert!(
        ["io_uring", "mio"].contains(&listening.backend.as_str()),
        "{}",
        listening.backend
    );
    counted_and_checked(listening.addr);
}

#[test]
fn rejects_bad_sizes() {
    let addr = tokio_server();
    assert!(client::run(&load(addr, 1, 0)).is_err());
    assert!(client::run(&load(addr, 1, 1 << 20)).is_err());
}

/// A one-connection-at-a-time std server whose echo `mangle` may alter, given the request
/// number and the bytes of one whole request.
fn broken_server(size: usize, mangle: fn(u64, &mut Vec<u8>) -> bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut req = 0;
                loop {
                    let mut msg = vec![0; size];
                    if stream.read_exact(&mut msg).is_err() {
                        return;
                    }
                    let keep_open = mangle(req, &mut msg);
                    if stream.write_all(&msg).is_err() || !keep_open {
                        return;
                    }
                    req += 1;
                }
            });
        }
    });
    addr
}

fn expect_failure(addr: SocketAddr, size: usize, needle: &str) {
    let err = client::run(&load(addr, 2, size)).expect_err("the client must fail");
    assert!(err.to_string().contains(needle), "{err}");
}

#[test]
fn catches_a_corrupted_byte() {
    let addr = broken_server(1024, |req, msg| {
        if req == 5 {
            msg[700] ^= 1;
        }
        true
    });
    expect_failure(addr, 1024, "differs from what was sent at byte 700");
}

#[test]
fn catches_a_stale_echo() {
    // Echoes request 3's bytes again for request 4: the per-request pattern tells them apart.
    static LAST: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
    let addr = broken_server(64, |req, msg| {
        let mut last = LAST.lock().unwrap();
        if req == 4 && !last.is_empty() {
            msg.clone_from(&last);
        }
        last.clone_from(msg);
        true
    });
    let err = client::run(&LoadConfig {
        connections: 1,
        ..load(addr, 1, 64)
    })
    .expect_err("the client must fail");
    assert!(err.to_string().contains("request 4"), "{err}");
}

#[test]
fn catches_an_early_close() {
    let addr = broken_server(1024, |req, msg| {
        if req == 3 {
            msg.truncate(500);
            return false;
        }
        true
    });
    expect_failure(addr, 1024, "server closed after 500 of 1024 bytes");
}

#[test]
fn catches_extra_bytes() {
    let addr = broken_server(64, |req, msg| {
        if req == 2 {
            msg.extend_from_slice(b"extra");
        }
        true
    });
    // The extra bytes arrive ahead of the next request's echo: either more bytes than were
    // sent so far, or a mismatch at the start of that request.
    let err = client::run(&load(addr, 1, 64)).expect_err("the client must fail");
    let text = err.to_string();
    assert!(
        text.contains("but only") || text.contains("differs"),
        "{text}"
    );
}

/// The whole protocol the runner relies on: the `echo_server` binary prints its address,
/// serves, and prints its CPU time once stdin closes.
#[test]
fn server_binary_reports_cpu_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echo_server"))
        .args(["--runtime", "tokio", "--workers", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .strip_prefix("listening ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    assert!(
        line.contains("runtime=tokio") && line.contains("workers=1"),
        "{line}"
    );

    let report = client::run(&LoadConfig {
        server_pid: Some(child.id()),
        ..load(addr, 4, 512)
    })
    .unwrap();
    assert!(report.requests > 0);
    // The server's CPU over the window comes from /proc, and with it the other-load share.
    assert!(report.server_window_cpu.is_some());
    let other = report
        .other_load()
        .expect("other load with the server's pid");
    assert!((0.0..=1.0).contains(&other), "{other}");

    drop(child.stdin.take());
    line.clear();
    out.read_line(&mut line).unwrap();
    let cpu_us: u64 = line
        .strip_prefix("server_cpu_us=")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected last line {line:?}"))
        .parse()
        .unwrap();
    assert!(cpu_us > 0, "{line}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn server_binary_rejects_bad_flags() {
    for args in [
        &["--runtime", "nope"][..],
        &["--runtime", "tokio", "--backend", "mio"],
        &["--runtime", "tokio", "--workers", "0"],
        &["--bogus", "1"],
    ] {
        let status = Command::new(env!("CARGO_BIN_EXE_echo_server"))
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}
