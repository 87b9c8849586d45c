//! A TCP echo server: an accept loop, one task per connection, and a graceful stop on Ctrl-C.
//!
//! ```text
//! cargo run -p blitz-io-examples --example echo_server -- [ADDR]    (default 127.0.0.1:7878)
//! nc 127.0.0.1 7878                                                 (each line comes back)
//! ```
//!
//! Design: the accept loop and every connection task watch one `CancellationToken`. Ctrl-C
//! (`blitz_io::signal::ctrl_c()`) cancels it: the accept loop stops taking connections and
//! drops the listener, each connection finishes the echo it is writing (it only stops while
//! waiting to read, never halfway through a `write_all`) and closes, and the server waits for
//! all of them through its `JoinSet` before it exits, reporting how many it served.
//!
//! `--check` instead serves on a free port, drives it from clients in the same process (several
//! connections, messages of several sizes, every echoed byte compared; plus one idle connection
//! that the stop must close), stops it the same way Ctrl-C would, and exits non-zero on any
//! mismatch: a smoke test of the example itself.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
use blitz_io::net::{TcpListener, TcpStream};
use blitz_io::sync::CancellationToken;
use blitz_io::task::JoinSet;

/// Connections served, bytes they echoed, and connections that ended in an error.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Served {
    connections: usize,
    bytes: u64,
    failed: usize,
}

impl Served {
    fn add(&mut self, done: Result<io::Result<u64>, blitz_io::task::JoinError>) {
        self.connections += 1;
        match done {
            Ok(Ok(n)) => self.bytes += n,
            Ok(Err(e)) => {
                self.failed += 1;
                eprintln!("echo_server: connection: {e}");
            }
            Err(e) => {
                self.failed += 1;
                eprintln!("echo_server: connection task: {e}");
            }
        }
    }
}

/// Accepts until `stop` is cancelled, then waits for every connection to finish.
async fn serve(listener: TcpListener, stop: CancellationToken) -> Served {
    let mut connections = JoinSet::new();
    let mut served = Served::default();
    loop {
        blitz_io::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(echo(stream, stop.clone()));
                }
                // Out of file descriptors, a connection reset before it was accepted, ...:
                // the listener itself is fine, so keep accepting.
                Err(e) => eprintln!("echo_server: accept: {e}"),
            },
            () = stop.cancelled() => break,
        }
        // Reap connections that already ended, so the set does not grow without bound.
        while let Some(done) = connections.try_join_next() {
            served.add(done);
        }
    }
    drop(listener);
    while let Some(done) = connections.join_next().await {
        served.add(done);
    }
    served
}

/// Echoes everything `stream` sends until EOF, an error, or `stop`; returns the bytes echoed.
async fn echo(mut stream: TcpStream, stop: CancellationToken) -> io::Result<u64> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut echoed = 0;
    loop {
        // A read dropped by the stop branch loses no bytes (blitz-io's stream reads are
        // cancel-safe), and the stop is only looked at between two echoes.
        let n = blitz_io::select! {
            read = stream.read(&mut buf) => read?,
            () = stop.cancelled() => return Ok(echoed),
        };
        if n == 0 {
            return Ok(echoed);
        }
        stream.write_all(&buf[..n]).await?;
        echoed += n as u64;
    }
}

/// One client of `--check`: `rounds` messages of `size` bytes, each checked on return.
async fn client(addr: SocketAddr, id: u8, size: usize, rounds: usize) -> io::Result<u64> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut back = vec![0u8; size];
    for round in 0..rounds {
        let msg: Vec<u8> = (0..size)
            .map(|i| (i as u8).wrapping_mul(31) ^ id ^ round as u8)
            .collect();
        stream.write_all(&msg).await?;
        stream.read_exact(&mut back).await?;
        if back != msg {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "echo differs"));
        }
    }
    Ok((size * rounds) as u64)
}

async fn check() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stop = CancellationToken::new();
    let server = blitz_io::spawn(serve(listener, stop.clone()));

    // An idle connection, open across the stop: the server must close it.
    let mut idle = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;

    let mut clients = JoinSet::new();
    // The largest is over the server's 16 KiB buffer (several reads per echo) yet small enough to
    // sit in loopback socket buffers while the client writes it all before reading.
    let sizes = [1, 64, 1024, 16 * 1024, 40_000];
    for (id, &size) in sizes.iter().enumerate() {
        clients.spawn(client(addr, id as u8, size, 20));
    }
    let mut sent = 0;
    while let Some(done) = clients.join_next().await {
        sent += done
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }

    stop.cancel();
    let served = server.await.map_err(|e| e.to_string())?;
    let mut byte = [0u8; 1];
    let after_stop = idle.read(&mut byte).await.map_err(|e| e.to_string())?;

    println!(
        "served {} connection(s), echoed {} bytes; the idle one got EOF",
        served.connections, served.bytes
    );
    if served.connections != sizes.len() + 1
        || served.bytes != sent
        || served.failed != 0
        || after_stop != 0
    {
        return Err(format!(
            "expected {} connections, {sent} bytes, no failed connection ({} failed), and EOF \
             on the idle one (read {after_stop})",
            sizes.len() + 1,
            served.failed
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--check") {
        return match blitz_io::run(check()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("echo_server --check: FAILED: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let addr = arg.unwrap_or_else(|| "127.0.0.1:7878".to_owned());
    let result = blitz_io::run(async move {
        let listener = TcpListener::bind(&*addr).await?;
        println!("echo server on {}; Ctrl-C stops it", listener.local_addr()?);
        let stop = CancellationToken::new();
        let server = blitz_io::spawn(serve(listener, stop.clone()));
        blitz_io::signal::ctrl_c().await?;
        println!("stopping: no new connections, waiting for open ones to finish");
        stop.cancel();
        let served = server.await.map_err(io::Error::other)?;
        println!(
            "served {} connection(s), echoed {} bytes",
            served.connections, served.bytes
        );
        io::Result::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_server: {e}");
            ExitCode::FAILURE
        }
    }
}
