//! `ring_cost`: what one socket operation costs through io_uring against a plain syscall, on
//! this machine. It bounds what any io_uring design can save on the echo benchmark.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin ring_cost [-- --ops N] [--rounds R] [--write]
//! ```
//!
//! One thread, `batch` loopback TCP pairs (64-byte messages), no runtime:
//! - **recv**: the peers each write one message (not timed), then the measured side reads
//!   each pair's message: `recv(2)` per socket, or one `RECV` entry per socket submitted and
//!   reaped with a single `io_uring_enter`;
//! - **send**: the measured side sends one message per socket (`send(2)` each, or `SEND`
//!   entries in one enter), then the peers read them (not timed).
//!
//! The figure is the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) in the measured part per
//! operation, median over `--rounds` (default 5) rounds in which the two paths alternate.
//! On loopback the kernel's TCP work (for a send, delivery into the peer's socket; for a
//! receive, the window update) is most of either figure: io_uring saves the syscall entry and
//! exit per operation once a batch shares an enter, and costs more than a syscall when it does
//! not. `--write` saves the table to `benches/results/ring_cost.md`, which `compare` copies
//! into `BENCHMARKS.md` below the echo table.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("ring_cost measures io_uring, which only Linux has");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fmt::Write as _;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::process::ExitCode;

    use blitz_io_benches::report::results::save_table;
    use blitz_io_benches::report::Summary;
    use io_uring::{opcode, types, IoUring};

    const MESSAGE: usize = 64;
    const BATCHES: [usize; 4] = [1, 4, 16, 64];

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Op {
        Recv,
        Send,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Path {
        Syscall,
        Ring,
    }

    struct Pairs {
        /// (peer, measured side) per pair; the measured side is non-blocking.
        pairs: Vec<(TcpStream, TcpStream)>,
        buffers: Vec<[u8; MESSAGE]>,
        ring: IoUring,
        /// `recv(2)` calls that found nothing yet and waited in `poll(2)`.
        not_ready: u64,
    }

    fn thread_cpu_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes into a live timespec; this clock always exists on Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    impl Pairs {
        fn new(batch: usize) -> std::io::Result<Pairs> {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let mut pairs = Vec::with_capacity(batch);
            for _ in 0..batch {
                let peer = TcpStream::connect(listener.local_addr()?)?;
                let (measured, _) = listener.accept()?;
                peer.set_nodelay(true)?;
                measured.set_nodelay(true)?;
                measured.set_nonblocking(true)?;
                pairs.push((peer, measured));
            }
            Ok(Pairs {
                pairs,
                buffers: vec![[0; MESSAGE]; batch],
                ring: IoUring::new(256)?,
                not_ready: 0,
            })
        }

        /// One step: every pair moves one message; returns the measured part's CPU time.
        fn step(&mut self, op: Op, path: Path) -> std::io::Result<u64> {
            let message = [7u8; MESSAGE];
            if op == Op::Recv {
                for (peer, _) in &mut self.pairs {
                    peer.write_all(&message)?;
                }
            }
            let start = thread_cpu_ns();
            match path {
                Path::Syscall => self.syscalls(op, &message)?,
                Path::Ring => self.ring(op, &message)?,
            }
            let spent = thread_cpu_ns() - start;
            if op == Op::Send {
                let mut sink = [0u8; MESSAGE];
                for (peer, _) in &mut self.pairs {
                    peer.read_exact(&mut sink)?;
                }
            }
            Ok(spent)
        }

        fn syscalls(&mut self, op: Op, message: &[u8; MESSAGE]) -> std::io::Result<()> {
            for (index, (_, measured)) in self.pairs.iter().enumerate() {
                let fd = measured.as_raw_fd();
                loop {
                    let done = match op {
                        // SAFETY: the buffer is live and MESSAGE bytes long.
                        Op::Recv => unsafe {
                            libc::recv(fd, self.buffers[index].as_mut_ptr().cast(), MESSAGE, 0)
                        },
                        // SAFETY: `message` is live and MESSAGE bytes long.
                        Op::Send => unsafe {
                            libc::send(fd, message.as_ptr().cast(), MESSAGE, libc::MSG_NOSIGNAL)
                        },
                    };
                    if done == MESSAGE as isize {
                        break;
                    }
                    let error = std::io::Error::last_os_error();
                    if done >= 0 || error.kind() != std::io::ErrorKind::WouldBlock {
                        return Err(std::io::Error::other(format!(
                            "short or failed op: {error}"
                        )));
                    }
                    // Loopback delivery is normally done by the time the peer's write returns;
                    // wait for it if not.
                    self.not_ready += 1;
                    let mut poll = libc::pollfd {
                        fd,
                        events: libc::POLLIN | libc::POLLOUT,
                        revents: 0,
                    };
                    // SAFETY: one live pollfd.
                    unsafe { libc::poll(&mut poll, 1, -1) };
                }
            }
            Ok(())
        }

        fn ring(&mut self, op: Op, message: &[u8; MESSAGE]) -> std::io::Result<()> {
            for (index, (_, measured)) in self.pairs.iter().enumerate() {
                let fd = types::Fd(measured.as_raw_fd());
                let entry = match op {
                    Op::Recv => {
                        opcode::Recv::new(fd, self.buffers[index].as_mut_ptr(), MESSAGE as u32)
                            .build()
                    }
                    Op::Send => opcode::Send::new(fd, message.as_ptr(), MESSAGE as u32)
                        .flags(libc::MSG_NOSIGNAL)
                        .build(),
                };
                // SAFETY: the buffers outlive the op: this function reaps every completion
                // before it returns. The ring has room: a batch is at most 64 entries.
                unsafe { self.ring.submission().push(&entry.user_data(index as u64)) }
                    .map_err(|_| std::io::Error::other("submission queue full"))?;
            }
            let batch = self.pairs.len();
            let mut reaped = 0;
            // Everything goes in with one enter; a `RECV` whose data was late completes later
            // and is waited for by the same loop.
            self.ring.submit_and_wait(batch)?;
            while reaped < batch {
                for cqe in self.ring.completion() {
                    if cqe.result() != MESSAGE as i32 {
                        return Err(std::io::Error::other(format!(
                            "op on pair {} completed with {}",
                            cqe.user_data(),
                            cqe.result()
                        )));
                    }
                    reaped += 1;
                }
                if reaped < batch {
                    self.ring.submit_and_wait(1)?;
                }
            }
            Ok(())
        }
    }

    /// CPU ns per op for one cell, `ops` operations.
    fn measure(pairs: &mut Pairs, op: Op, path: Path, ops: usize) -> std::io::Result<f64> {
        let batch = pairs.pairs.len();
        let steps = ops.div_ceil(batch);
        for _ in 0..steps.min(100) {
            pairs.step(op, path)?; // warm-up
        }
        let mut spent = 0u64;
        for _ in 0..steps {
            spent += pairs.step(op, path)?;
        }
        Ok(spent as f64 / (steps * batch) as f64)
    }

    struct Args {
        ops: usize,
        rounds: usize,
        write: bool,
    }

    fn parse_args() -> Result<Args, String> {
        let mut args = Args {
            ops: 50_000,
            rounds: 5,
            write: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut number = |name: &str| -> Result<usize, String> {
                it.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&v| v > 0)
                    .ok_or(format!("{name} takes a positive number"))
            };
            match arg.as_str() {
                "--ops" => args.ops = number("--ops")?,
                "--rounds" => args.rounds = number("--rounds")?,
                "--write" => args.write = true,
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(args)
    }

    pub(super) fn main() -> ExitCode {
        let args = match parse_args() {
            Ok(args) => args,
            Err(error) => {
                eprintln!("ring_cost: {error}");
                return ExitCode::from(2);
            }
        };
        match run(&args) {
            Ok(table) => {
                print!("{table}");
                if args.write && !save_table("ring_cost", "ring_cost.md", &table) {
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("ring_cost: {error}");
                ExitCode::FAILURE
            }
        }
    }

    fn run(args: &Args) -> std::io::Result<String> {
        let mut table = format!(
            "io_uring against syscalls (`ring_cost --ops {} --rounds {}`): thread CPU per \
             64-byte operation on loopback TCP, median of {} rounds; one `io_uring_enter` per \
             batch.\n\n\
             | op | batch | syscall (ns/op) | io_uring (ns/op) | io_uring / syscall |\n\
             |---|---|---|---|---|\n",
            args.ops, args.rounds, args.rounds
        );
        let mut not_ready = 0;
        for op in [Op::Recv, Op::Send] {
            for batch in BATCHES {
                let mut pairs = Pairs::new(batch)?;
                let (mut syscall, mut ring) = (Vec::new(), Vec::new());
                for round in 0..args.rounds {
                    let order = if round % 2 == 0 {
                        [Path::Syscall, Path::Ring]
                    } else {
                        [Path::Ring, Path::Syscall]
                    };
                    for path in order {
                        let ns = measure(&mut pairs, op, path, args.ops)?;
                        match path {
                            Path::Syscall => syscall.push(ns),
                            Path::Ring => ring.push(ns),
                        }
                    }
                }
                not_ready += pairs.not_ready;
                let median = |values: &[f64]| Summary::of(values).map_or(f64::NAN, |s| s.median);
                let (syscall, ring) = (median(&syscall), median(&ring));
                let name = if op == Op::Recv { "recv" } else { "send" };
                let _ = writeln!(
                    table,
                    "| {name} | {batch} | {syscall:.0} | {ring:.0} | {:.2} |",
                    ring / syscall
                );
            }
        }
        if not_ready > 0 {
            eprintln!("({not_ready} recv(2) calls found their data late and waited in poll)");
        }
        Ok(table)
    }
}
