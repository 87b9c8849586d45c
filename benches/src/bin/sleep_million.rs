//! `sleep_million`: a million tasks asleep at once, blitz-io beside Tokio.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin sleep_million [-- --count N] [--rounds R] [--write]
//! ```
//!
//! Every run is a child process (this binary again, with `--side blitz-io|tokio`), so its peak
//! resident set belongs to one runtime alone. Sides alternate, each runs `--rounds` times
//! (default 3), and the table gives each measure's median over a side's runs. `--write` saves
//! the table to `benches/results/sleep_million.md`, which `compare` copies into
//! `BENCHMARKS.md`.
//!
//! In a child: a 2-worker multi-thread runtime; one task spawns N (default 1 000 000) tasks,
//! each of which sleeps until 2 s + (i mod 1000) ms after its own start, far enough ahead that
//! all of them are asleep before the first deadline. Measured:
//! - **set-up**: from the first spawn until every task has created its timer and is about to
//!   await it (a counter each task bumps), per task: spawn, first poll and timer insert;
//! - **drain**: from the latest deadline until the last task has finished: how far firing and
//!   waking a million timers trails their deadlines;
//! - **CPU**: user + system time of the whole child over the whole run, per task;
//! - **memory**: peak resident set (`VmHWM`) minus the resident set before the runtime was
//!   built, per task: task, future and timer entry, plus whatever the allocator keeps.
//!
//! A task that wakes before its deadline fails the run.

use std::fmt::Write as _;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use blitz_io_benches::measure::Usage;
use blitz_io_benches::report::results::save_table;
use blitz_io_benches::report::Summary;
use blitz_io_benches::{runtimes, Flavor};

const DEFAULT_COUNT: usize = 1_000_000;
const WORKERS: usize = 2;

/// Shared by every sleeping task of one run.
struct Sleepers {
    base: Instant,
    count: usize,
    asleep: AtomicUsize,
    remaining: AtomicUsize,
    early: AtomicUsize,
    /// The latest deadline, in nanoseconds after `base`.
    latest_deadline: AtomicU64,
    all_asleep: mpsc::SyncSender<Instant>,
    all_done: mpsc::SyncSender<Instant>,
}

impl Sleepers {
    /// The deadline of task `i`, recorded as a candidate for the latest one.
    fn deadline(&self, i: usize) -> Instant {
        let deadline =
            Instant::now() + Duration::from_secs(2) + Duration::from_millis((i % 1000) as u64);
        let nanos = deadline.duration_since(self.base).as_nanos() as u64;
        self.latest_deadline.fetch_max(nanos, Relaxed);
        deadline
    }

    /// Task `i` is about to await its timer.
    fn asleep(&self) {
        if self.asleep.fetch_add(1, Relaxed) + 1 == self.count {
            let _ = self.all_asleep.send(Instant::now());
        }
    }

    /// A task woke from its sleep until `deadline`.
    fn woke(&self, deadline: Instant) {
        if Instant::now() < deadline {
            self.early.fetch_add(1, Relaxed);
        }
        if self.remaining.fetch_sub(1, AcqRel) == 1 {
            let _ = self.all_done.send(Instant::now());
        }
    }
}

/// Spawns the sleepers from one task with `$spawn`, each sleeping with `$sleep_until` (which
/// takes a `std::time::Instant`).
macro_rules! spawn_sleepers {
    ($spawn:path, $sleep_until:expr, $sleepers:expr) => {{
        let sleepers: Arc<Sleepers> = $sleepers;
        drop($spawn(async move {
            for i in 0..sleepers.count {
                let sleepers = sleepers.clone();
                drop($spawn(async move {
                    let deadline = sleepers.deadline(i);
                    let sleep = $sleep_until(deadline);
                    sleepers.asleep();
                    sleep.await;
                    sleepers.woke(deadline);
                }));
            }
        }));
    }};
}

/// One child run: prints `key=value` pairs on one line.
fn child(side: &str, count: usize) -> Result<String, String> {
    let base_kb = status_kb("VmRSS")?;
    let usage = Usage::now();
    let (asleep_tx, asleep_rx) = mpsc::sync_channel(1);
    let (done_tx, done_rx) = mpsc::sync_channel(1);
    let sleepers = Arc::new(Sleepers {
        base: Instant::now(),
        count,
        asleep: AtomicUsize::new(0),
        remaining: AtomicUsize::new(count),
        early: AtomicUsize::new(0),
        latest_deadline: AtomicU64::new(0),
        all_asleep: asleep_tx,
        all_done: done_tx,
    });
    let start = Instant::now();
    let flavor = Flavor::MultiThread(WORKERS);
    let wait = |asleep_rx: mpsc::Receiver<Instant>, done_rx: mpsc::Receiver<Instant>| {
        let limit = Duration::from_secs(120);
        let asleep = asleep_rx
            .recv_timeout(limit)
            .map_err(|_| "never all asleep")?;
        let done = done_rx.recv_timeout(limit).map_err(|_| "never all woken")?;
        Ok::<_, String>((asleep, done))
    };
    let (asleep, done) = match side {
        "blitz-io" => {
            let rt = runtimes::blitz(flavor);
            rt.block_on(async {
                spawn_sleepers!(
                    blitz_io::spawn,
                    |at| blitz_io::time::sleep_until(blitz_io::time::Instant::from_std(at)),
                    sleepers.clone()
                )
            });
            wait(asleep_rx, done_rx)?
        }
        "tokio" => {
            let rt = runtimes::tokio(flavor, true);
            rt.block_on(async {
                spawn_sleepers!(
                    tokio::spawn,
                    |at| tokio::time::sleep_until(tokio::time::Instant::from_std(at)),
                    sleepers.clone()
                )
            });
            let result = wait(asleep_rx, done_rx);
            rt.shutdown_timeout(Duration::from_secs(5));
            result?
        }
        other => return Err(format!("unknown side {other:?}")),
    };
    let cpu = Usage::now().since(usage).cpu;
    let hwm_kb = status_kb("VmHWM")?;
    let early = sleepers.early.load(Relaxed);
    if early != 0 {
        return Err(format!("{early} tasks woke before their deadline"));
    }
    let latest = sleepers.base + Duration::from_nanos(sleepers.latest_deadline.load(Relaxed));
    Ok(format!(
        "setup_ns={} drain_ns={} cpu_ns={} peak_growth_kb={}",
        asleep.duration_since(start).as_nanos(),
        done.saturating_duration_since(latest).as_nanos(),
        cpu.as_nanos(),
        hwm_kb.saturating_sub(base_kb),
    ))
}

/// A `kB` line of `/proc/self/status`.
fn status_kb(key: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {key} in /proc/self/status"))
}

/// One measured child run.
#[derive(Clone, Copy, Default)]
struct Run {
    setup_ns: f64,
    drain_ns: f64,
    cpu_ns: f64,
    peak_growth_kb: f64,
}

fn run_child(side: &str, count: usize) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new(exe)
        .args(["--side", side, "--count", &count.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{side} run failed: {}{}",
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let field = |key: &str| -> Result<f64, String> {
        stdout
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("{side}: no {key} in {stdout:?}"))
    };
    Ok(Run {
        setup_ns: field("setup_ns")?,
        drain_ns: field("drain_ns")?,
        cpu_ns: field("cpu_ns")?,
        peak_growth_kb: field("peak_growth_kb")?,
    })
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = arg(&args, "--count").unwrap_or(DEFAULT_COUNT);
    if let Some(side) = arg::<String>(&args, "--side") {
        return match child(&side, count) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                println!("error={error}");
                ExitCode::FAILURE
            }
        };
    }
    let rounds = arg(&args, "--rounds").unwrap_or(3usize).max(1);
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    let sides = ["blitz-io", "tokio"];
    for round in 0..rounds {
        for k in 0..2 {
            let side = (round + k) % 2;
            eprintln!(
                "sleep_million: round {} {} x{count}",
                round + 1,
                sides[side]
            );
            match run_child(sides[side], count) {
                Ok(run) => runs[side].push(run),
                Err(error) => {
                    eprintln!("sleep_million: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let mut table = format!(
        "| runtime ({WORKERS} workers) | tasks | set-up per task | last wake after last deadline \
         | CPU per task | peak memory growth per task |\n|---|---|---|---|---|---|\n"
    );
    for (side, runs) in sides.iter().zip(&runs) {
        let of = |pick: fn(&Run) -> f64| {
            let values: Vec<f64> = runs.iter().map(pick).collect();
            Summary::of(&values).expect("at least one run").median
        };
        let _ = writeln!(
            table,
            "| {side} | {count} | {:.0} ns | {:.1} ms | {:.2} µs | {:.0} B |",
            of(|r| r.setup_ns) / count as f64,
            of(|r| r.drain_ns) / 1e6,
            of(|r| r.cpu_ns) / count as f64 / 1e3,
            of(|r| r.peak_growth_kb) * 1024.0 / count as f64,
        );
    }
    print!("{table}");
    if args.iter().any(|a| a == "--write")
        && !save_table("sleep_million", "sleep_million.md", &table)
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
