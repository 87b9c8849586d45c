//! The closed-loop echo client behind `echo_load`.
//!
//! Design: all connections are opened first (blocking `connect`, `TCP_NODELAY`), then handed
//! round-robin to a few client threads (`--threads`, default 1), each of which drives its
//! share from one `mio` poll loop (edge-triggered epoll on Linux). A connection has exactly one
//! request in flight: it writes a whole message, reads until the whole echo is back, checks
//! every chunk against the bytes it sent (see [`pattern`]), records the
//! round-trip time, and only then builds and sends the next message. An epoll loop costs the
//! client about what the server spends per request (one `write`, one `read`, a share of an
//! `epoll_wait`), where a thread per connection would add a context switch per request on the
//! client side; the report still measures the client's own CPU so a run where the client was
//! the bottleneck is flagged rather than trusted.
//!
//! Timing: the run is `warmup` then `duration`, both measured from when the threads start.
//! Requests that complete during the warm-up are counted apart; requests/s and the latency
//! histogram cover only the measured window, and the client's CPU time (`getrusage`, all its
//! threads) is read at the window's two ends. Any I/O error, early close or content mismatch
//! fails the whole run: a load generator that silently does less work would flatter the server.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::histogram::Histogram;
use super::pattern;
use crate::measure::{self, SystemCpu, Usage};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The echo server.
    pub addr: SocketAddr,
    /// Connections, each with one request in flight.
    pub connections: usize,
    /// Bytes per message (at most [`pattern::MAX_MESSAGE`]).
    pub size: usize,
    /// Time before the measured window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// Client threads (each runs its own poll loop over a share of the connections).
    pub threads: usize,
    /// The server's process id, to read its CPU time over the window from `/proc` for the
    /// other-load figure; `None` leaves that figure out.
    pub server_pid: Option<u32>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Requests completed inside the measured window.
    pub requests: u64,
    /// Requests completed in the whole run (warm-up and the last moments included): the
    /// divisor for the server's CPU time over its whole life.
    pub all_requests: u64,
    /// Echoed bytes received and checked over the whole run.
    pub bytes_checked: u64,
    /// Length of the measured window.
    pub window: Duration,
    /// The client's own CPU time (user + system, all threads) over the window.
    pub client_cpu: Duration,
    /// Wall time over which `client_cpu` was read.
    pub cpu_wall: Duration,
    /// Client threads used.
    pub threads: usize,
    /// CPUs this process may run on (`sched_getaffinity`).
    pub allowed_cpus: usize,
    /// Round-trip time of each request of the window, in nanoseconds.
    pub latency: Histogram,
    /// The server's CPU time over the window (`/proc`, clock-tick resolution), when its pid
    /// was given.
    pub server_window_cpu: Option<Duration>,
    /// Busy time of the whole machine over the window (`/proc/stat`).
    pub machine_busy: Option<Duration>,
    /// CPUs online in the machine.
    pub machine_cpus: usize,
}

impl LoadReport {
    /// Requests per second over the measured window.
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// The client's CPU time as a share of what it could use: `min(threads, allowed CPUs)`
    /// cores over the window (1.0 = every usable core busy all the time).
    pub fn client_cpu_share(&self) -> f64 {
        let cores = self.threads.min(self.allowed_cpus).max(1) as f64;
        self.client_cpu.as_secs_f64() / (self.cpu_wall.as_secs_f64().max(1e-9) * cores)
    }

    /// Whether the client used at least 95 % of the cores it could use: the figures then
    /// measure the client as much as the server.
    pub fn client_saturated(&self) -> bool {
        self.client_cpu_share() >= 0.95
    }

    /// The share of the machine's CPU capacity that other processes (neither this client nor
    /// the server) used over the window: machine busy time minus both CPU times, over
    /// `CPUs x window`. `None` without the server's pid or `/proc`.
    pub fn other_load(&self) -> Option<f64> {
        let busy = self.machine_busy?.as_secs_f64();
        let ours = self.client_cpu.as_secs_f64() + self.server_window_cpu?.as_secs_f64();
        let capacity = self.cpu_wall.as_secs_f64() * self.machine_cpus.max(1) as f64;
        (capacity > 0.0).then(|| ((busy - ours) / capacity).clamp(0.0, 1.0))
    }
}

/// CPUs the calling thread may run on.
pub fn allowed_cpus() -> usize {
    // SAFETY: `cpu_set_t` is plain data, valid when zeroed.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable `cpu_set_t` of the size passed; pid 0 is this thread.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return std::thread::available_parallelism().map_or(1, |n| n.get());
    }
    // SAFETY: `set` was filled in by a successful `sched_getaffinity`.
    (unsafe { libc::CPU_COUNT(&set) }).max(1) as usize
}

/// Counts one client thread gathered.
#[derive(Default)]
struct Tally {
    requests: u64,
    all_requests: u64,
    bytes_checked: u64,
    latency: Histogram,
}

/// One connection's request in flight.
struct Conn {
    id: u64,
    stream: TcpStream,
    req: u64,
    msg: Vec<u8>,
    written: usize,
    received: usize,
    started: Instant,
    done: bool,
}

/// The phase boundaries every thread uses.
#[derive(Clone, Copy)]
struct Window {
    warmup_end: Instant,
    end: Instant,
}

fn invalid(conn: &Conn, what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("connection {} request {}: {what}", conn.id, conn.req),
    )
}

impl Conn {
    fn begin(&mut self, now: Instant) {
        pattern::fill(&mut self.msg, self.id, self.req);
        self.written = 0;
        self.received = 0;
        self.started = now;
    }

    /// Writes what is left of the message until done or the socket would block.
    fn write_pending(&mut self) -> io::Result<()> {
        while self.written < self.msg.len() {
            match self.stream.write(&self.msg[self.written..]) {
                Ok(0) => return Err(invalid(self, "write returned 0".to_owned())),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Handles a readiness event: finishes writing, then reads until the socket would block
    /// (edge-triggered readiness needs it drained) or the echo is complete. A completed
    /// request is recorded and the next one written at once, without a read attempt: its echo
    /// cannot be there yet, and its arrival raises a new edge. That saves the client one
    /// syscall per request, so it stays cheaper per request than the servers it drives.
    fn progress(&mut self, scratch: &mut [u8], win: Window, tally: &mut Tally) -> io::Result<()> {
        let size = self.msg.len();
        self.write_pending()?;
        loop {
            let want = size - self.received;
            let n = match self.stream.read(&mut scratch[..want]) {
                Ok(0) => {
                    let what = format!("server closed after {} of {size} bytes", self.received);
                    return Err(invalid(self, what));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if self.received + n > self.written {
                let what = format!(
                    "{} bytes echoed but only {} sent",
                    self.received + n,
                    self.written
                );
                return Err(invalid(self, what));
            }
            let sent = &self.msg[self.received..self.received + n];
            if sent != &scratch[..n] {
                let at = sent.iter().zip(&scratch[..n]).position(|(a, b)| a != b);
                let what = format!(
                    "echo differs from what was sent at byte {}",
                    self.received + at.unwrap_or(0)
                );
                return Err(invalid(self, what));
            }
            self.received += n;
            tally.bytes_checked += n as u64;
            if self.received < size {
                // Part of the echo: keep reading until the socket would block.
                if self.written < size {
                    self.write_pending()?;
                }
                continue;
            }
            let now = Instant::now();
            tally.all_requests += 1;
            if now >= win.warmup_end && now < win.end {
                tally.requests += 1;
                tally.latency.record((now - self.started).as_nanos() as u64);
            }
            if now >= win.end {
                self.done = true;
                return Ok(());
            }
            self.req += 1;
            self.begin(now);
            return self.write_pending();
        }
    }
}

/// Drives one share of the connections until the window ends.
fn drive(streams: Vec<(u64, TcpStream)>, size: usize, win: Window) -> io::Result<Tally> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut conns = Vec::with_capacity(streams.len());
    let now = Instant::now();
    for (i, (id, mut stream)) in streams.into_iter().enumerate() {
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            id,
            stream,
            req: 0,
            msg: vec![0; size],
            written: 0,
            received: 0,
            started: now,
            done: false,
        });
    }
    let mut scratch = vec![0u8; size.max(1)];
    let mut tally = Tally::default();
    for conn in &mut conns {
        conn.begin(Instant::now());
        conn.write_pending()?;
    }
    loop {
        // A connection is only ever done once the window is over, so this is the one exit.
        let now = Instant::now();
        if now >= win.end {
            return Ok(tally);
        }
        match poll.poll(&mut events, Some(win.end - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            if !conn.done {
                conn.progress(&mut scratch, win, &mut tally)?;
            }
        }
    }
}

/// Runs the load described by `config` and returns what it measured; fails on the first
/// I/O error, early close or wrong byte of any connection.
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use blitz_io_benches::echo::client::{run, LoadConfig};
///
/// // A one-connection echo server on a plain thread.
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// std::thread::spawn(move || {
///     let (mut s, _) = listener.accept().unwrap();
///     let mut buf = [0u8; 4096];
///     while let Ok(n @ 1..) = s.read(&mut buf) {
///         s.write_all(&buf[..n]).unwrap();
///     }
/// });
///
/// let report = run(&LoadConfig {
///     addr,
///     connections: 1,
///     size: 64,
///     warmup: Duration::from_millis(20),
///     duration: Duration::from_millis(100),
///     threads: 1,
///     server_pid: None,
/// })
/// .unwrap();
/// assert!(report.requests > 0);
/// assert!(report.bytes_checked >= report.all_requests * 64);
/// ```
pub fn run(config: &LoadConfig) -> io::Result<LoadReport> {
    if config.size == 0 || config.size > pattern::MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("size must be 1..={} bytes", pattern::MAX_MESSAGE),
        ));
    }
    let threads = config.threads.clamp(1, config.connections.max(1));
    let mut shares: Vec<Vec<(u64, TcpStream)>> = (0..threads).map(|_| Vec::new()).collect();
    for id in 0..config.connections {
        let stream = std::net::TcpStream::connect(config.addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        shares[id % threads].push((id as u64, TcpStream::from_std(stream)));
    }

    let start = Instant::now();
    let win = Window {
        warmup_end: start + config.warmup,
        end: start + config.warmup + config.duration,
    };
    let size = config.size;
    let handles: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(i, share)| {
            std::thread::Builder::new()
                .name(format!("echo-load-{i}"))
                .spawn(move || drive(share, size, win))
        })
        .collect::<io::Result<_>>()?;

    // The window's CPU time: read the process's counters at its two ends. This thread only
    // waits meanwhile, so the delta is the client threads' work.
    // The machine's busy time and the server's CPU time are read alongside, for the share
    // of the machine other processes took meanwhile.
    let server_cpu = || config.server_pid.and_then(measure::process_cpu);
    std::thread::sleep(win.warmup_end.saturating_duration_since(Instant::now()));
    let (cpu_start, wall_start) = (Usage::now(), Instant::now());
    let (machine_start, server_start) = (SystemCpu::now(), server_cpu());
    std::thread::sleep(win.end.saturating_duration_since(Instant::now()));
    let (cpu_end, wall_end) = (Usage::now(), Instant::now());
    let (machine_end, server_end) = (SystemCpu::now(), server_cpu());

    let mut total = Tally::default();
    for handle in handles {
        let tally = handle
            .join()
            .map_err(|_| io::Error::other("a client thread panicked"))??;
        total.requests += tally.requests;
        total.all_requests += tally.all_requests;
        total.bytes_checked += tally.bytes_checked;
        total.latency.merge(&tally.latency);
    }
    Ok(LoadReport {
        requests: total.requests,
        all_requests: total.all_requests,
        bytes_checked: total.bytes_checked,
        window: config.duration,
        client_cpu: cpu_end.since(cpu_start).cpu,
        cpu_wall: wall_end - wall_start,
        threads,
        allowed_cpus: allowed_cpus(),
        latency: total.latency,
        server_window_cpu: server_start
            .zip(server_end)
            .map(|(a, b)| b.saturating_sub(a)),
        machine_busy: machine_start
            .zip(machine_end)
            .map(|(a, b)| b.busy().saturating_sub(a.busy())),
        machine_cpus: measure::online_cpus(),
    })
}
