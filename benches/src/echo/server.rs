//! The echo servers behind `echo_server`: the same program on each runtime, so the only
//! difference between two rows of the echo table is the runtime underneath.
//!
//! Each server: a multi-thread runtime with `workers` workers; the accept loop is itself a
//! spawned task (so `block_on`'s thread only waits and every request is served by a worker);
//! one task per connection with `TCP_NODELAY` and a 16 KiB buffer, `read` then `write_all` of
//! what was read, until EOF or an error. The accept loop and the trait-based connection body
//! are macros instantiated for each runtime, so both run the same code. blitz-io also has
//! `--api owned`: the same loop with `read_owned` / `write_all_owned`, the buffer moving into
//! each operation (on io_uring the kernel fills and drains it directly). Start-up prints one `listening ADDR ...` line on stdout
//! (the runner reads the address from it).
//!
//! Stopping: the server runs until its standard input reaches EOF (the runner holds a pipe
//! and closes it; at a terminal, Ctrl-D). A plain thread waits for that, then prints the
//! process's own CPU time (`getrusage(RUSAGE_SELF)`, user + system over all threads, the whole
//! life of the process) as `server_cpu_us=... user_us=... sys_us=...` (blitz-io adds its I/O
//! driver's counters: `io_driver_turns=... io_uring_enters=... io_uring_submit_enters=...`,
//! the last two zero on mio, then its scheduler's: `polls= parks= sleeps= steals=
//! remote_schedules= io_ready=`; Tokio adds its workers' `parks=`) and exits. Stdin rather
//! than a signal because it needs no signal support from either runtime, works the same for
//! both, and a server whose runner died stops by itself.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// Bytes each connection reads at most per `read`.
pub const BUFFER: usize = 16 * 1024;

/// Which runtime serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// blitz-io.
    Blitz,
    /// Tokio.
    Tokio,
}

/// The blitz-io I/O backend to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// Let blitz-io choose (io_uring when usable, else mio).
    Auto,
    /// io_uring.
    IoUring,
    /// mio (epoll).
    Mio,
}

/// How connections move bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `AsyncRead::read` into a borrowed buffer, `AsyncWrite::write_all` from it.
    Traits,
    /// blitz-io's owned-buffer `read_owned` / `write_all_owned`.
    Owned,
}

/// A server to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (port 0: any free port).
    pub addr: SocketAddr,
    /// Runtime.
    pub runtime: Runtime,
    /// blitz-io backend (ignored for Tokio).
    pub backend: BackendChoice,
    /// Worker threads.
    pub workers: usize,
    /// Byte-moving API.
    pub api: Api,
}

/// CPU time of this process so far: (user, system).
pub fn own_cpu() -> (Duration, Duration) {
    let mut raw = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `raw` is a valid, writable `rusage` buffer and `RUSAGE_SELF` a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, raw.as_mut_ptr()) };
    if rc != 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    // SAFETY: zero-initialised and then filled in by a successful `getrusage`.
    let raw = unsafe { raw.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (tv(raw.ru_utime), tv(raw.ru_stime))
}

/// The blitz-io runtime's counters, printed beside the CPU time at exit.
static BLITZ_METRICS: std::sync::OnceLock<blitz_io::runtime::RuntimeMetrics> =
    std::sync::OnceLock::new();

/// Tokio's stable counters (worker parks), printed beside the CPU time at exit.
static TOKIO_METRICS: std::sync::OnceLock<tokio::runtime::RuntimeMetrics> =
    std::sync::OnceLock::new();

/// Starts the thread that waits for EOF on stdin, then prints the CPU line and exits the
/// process with status 0.
pub fn exit_when_stdin_closes() -> io::Result<()> {
    std::thread::Builder::new()
        .name("echo-stdin".to_owned())
        .spawn(|| {
            let stdin = io::stdin();
            let mut line = String::new();
            while matches!(stdin.lock().read_line(&mut line), Ok(n) if n > 0) {
                line.clear();
            }
            let (user, sys) = own_cpu();
            let mut out = io::stdout().lock();
            let _ = write!(
                out,
                "server_cpu_us={} user_us={} sys_us={}",
                (user + sys).as_micros(),
                user.as_micros(),
                sys.as_micros()
            );
            if let Some(metrics) = BLITZ_METRICS.get() {
                let _ = write!(
                    out,
                    " io_driver_turns={} io_uring_enters={} io_uring_submit_enters={}",
                    metrics.io_driver_turn_count(),
                    metrics.io_uring_enter_count(),
                    metrics.io_uring_submit_enter_count()
                );
                type PerWorker = fn(&blitz_io::runtime::RuntimeMetrics, usize) -> u64;
                let sum = |per_worker: PerWorker| {
                    (0..metrics.num_workers())
                        .map(|w| per_worker(metrics, w))
                        .sum::<u64>()
                };
                let _ = write!(
                    out,
                    " polls={} parks={} sleeps={} steals={} remote_schedules={} io_ready={}",
                    metrics.total_poll_count(),
                    metrics.total_park_count(),
                    sum(blitz_io::runtime::RuntimeMetrics::worker_sleep_count),
                    sum(blitz_io::runtime::RuntimeMetrics::worker_steal_count),
                    metrics.remote_schedule_count(),
                    metrics.io_driver_ready_count()
                );
            }
            if let Some(metrics) = TOKIO_METRICS.get() {
                let parks: u64 = (0..metrics.num_workers())
                    .map(|w| metrics.worker_park_count(w))
                    .sum();
                let _ = write!(out, " parks={parks}");
            }
            let _ = writeln!(out);
            let _ = out.flush();
            std::process::exit(0);
        })?;
    Ok(())
}

/// What a server reports once it listens: the bound address and the active backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    /// The bound address (the real port when asked for port 0).
    pub addr: SocketAddr,
    /// The I/O backend actually serving (`epoll` for Tokio).
    pub backend: String,
    /// The byte-moving API in use.
    pub api: Api,
}

impl Listening {
    /// Prints the start-up line the runner waits for.
    pub fn announce(&self, runtime: &str, workers: usize) {
        let api = match self.api {
            Api::Traits => "traits",
            Api::Owned => "owned",
        };
        let mut out = io::stdout().lock();
        let _ = writeln!(
            out,
            "listening {} runtime={runtime} backend={} workers={workers} api={api}",
            self.addr, self.backend
        );
        let _ = out.flush();
    }
}

/// The accept loop, written once for both runtimes: `$spawn` is the runtime's `spawn`, and
/// each accepted connection (`TCP_NODELAY` set) becomes a detached task running `$body` with
/// the stream bound to `$conn`. Evaluates to the loop's future, which ends only with an accept
/// error.
macro_rules! accept_loop {
    ($listener:expr, $spawn:path, |$conn:ident| $body:expr) => {
        async move {
            let listener = $listener;
            loop {
                // `mut` for the trait methods (`&mut self`); the owned-buffer ones take `&self`.
                #[allow(unused_mut)]
                let (mut $conn, _) = listener.accept().await?;
                $conn.set_nodelay(true)?;
                // Detached: a connection task ends with its connection.
                drop($spawn(async move { $body }));
            }
        }
    };
}

/// The per-connection echo through the read/write extension traits in scope at the call site
/// (Tokio's or futures-util's): `read` into a borrowed 16 KiB buffer, `write_all` of what was
/// read, until EOF or an error.
macro_rules! echo_with_traits {
    ($stream:ident) => {{
        let mut buf = vec![0u8; BUFFER];
        loop {
            let n = match $stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if $stream.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    }};
}

/// Serves with Tokio until the process exits (or the runtime fails); `ready` is called once
/// the listener is bound.
pub fn run_tokio(
    config: &ServerConfig,
    ready: impl FnOnce(Listening) + Send + 'static,
) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    if config.api != Api::Traits {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "Tokio has no owned-buffer API (tokio-uring is a separate runtime): use --api traits",
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .enable_io()
        .build()?;
    let _ = TOKIO_METRICS.set(rt.metrics());
    let addr = config.addr;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(Listening {
            addr: listener.local_addr()?,
            backend: "epoll".to_owned(),
            api: Api::Traits,
        });
        let accept = tokio::spawn(accept_loop!(listener, tokio::spawn, |stream| {
            echo_with_traits!(stream)
        }));
        accept.await.map_err(io::Error::other)?
    })
}

/// Serves with blitz-io until the process exits (or the runtime fails); `ready` is called
/// once the listener is bound, with the backend the runtime actually uses. A fallback from the
/// requested backend (only possible with `--backend auto`) is explained on stderr.
///
/// ```no_run
/// use blitz_io_benches::echo::server::{run_blitz, Api, BackendChoice, Runtime, ServerConfig};
///
/// let config = ServerConfig {
///     addr: "127.0.0.1:0".parse().unwrap(),
///     runtime: Runtime::Blitz,
///     backend: BackendChoice::Mio,
///     workers: 2,
///     api: Api::Traits,
/// };
/// // Serves until the process exits; prints the `listening ...` line once bound.
/// run_blitz(&config, |listening| listening.announce("blitz", 2)).unwrap();
/// ```
pub fn run_blitz(
    config: &ServerConfig,
    ready: impl FnOnce(Listening) + Send + 'static,
) -> io::Result<()> {
    use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
    use blitz_io::runtime::{Backend, Builder};

    let backend = match config.backend {
        BackendChoice::Auto => Backend::Auto,
        BackendChoice::IoUring => Backend::IoUring,
        BackendChoice::Mio => Backend::Mio,
    };
    let rt = Builder::new_multi_thread()
        .worker_threads(config.workers)
        .backend(backend)
        .build()
        .map_err(|e| match e {
            blitz_io::runtime::BuildError::BackendUnavailable { .. } => {
                io::Error::new(io::ErrorKind::Unsupported, e.to_string())
            }
            e => io::Error::other(e.to_string()),
        })?;
    let _ = BLITZ_METRICS.set(rt.metrics());
    let active = rt.handle().backend();
    if let Some(why) = rt.handle().backend_fallback_reason() {
        eprintln!("echo_server: blitz-io fell back to {active}: {why}");
    }
    let addr = config.addr;
    let api = config.api;
    rt.block_on(async move {
        let listener = blitz_io::net::TcpListener::bind(addr).await?;
        ready(Listening {
            addr: listener.local_addr()?,
            backend: active.to_string(),
            api,
        });
        let accept = match api {
            Api::Traits => blitz_io::spawn(accept_loop!(listener, blitz_io::spawn, |stream| {
                echo_with_traits!(stream)
            })),
            // The buffer moves into each operation and comes back with its result; on
            // io_uring the kernel reads into and writes from it directly.
            Api::Owned => blitz_io::spawn(accept_loop!(listener, blitz_io::spawn, |stream| {
                let mut buf = Vec::with_capacity(BUFFER);
                loop {
                    let (read, back) = stream.read_owned(buf).await;
                    buf = back;
                    if !matches!(read, Ok(1..)) {
                        break;
                    }
                    let (written, back) = stream.write_all_owned(buf).await;
                    buf = back;
                    if written.is_err() {
                        break;
                    }
                    buf.clear();
                }
            })),
        };
        accept.await.map_err(io::Error::other)?
    })
}
