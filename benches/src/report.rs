//! Statistics, verdicts and output formats for the `compare` binary.
//!
//! Design: `compare` records raw [`Round`]s (iterations, wall time, `getrusage` deltas, park
//! counters) and one allocation count per side; everything derived (per-iteration times,
//! per-op figures, medians, the verdict) is computed here, so the markdown table, the JSON file
//! and the unit tests below all use the same arithmetic.
//!
//! Verdict rule (also printed into `BENCHMARKS.md`, see [`VERDICT_RULE`]), in this order:
//! 1. a failed self-check on either side: `FAILED`;
//! 2. both medians under [`FLOOR_NS_PER_OP`] per op: `at floor`;
//! 3. the min–max ranges of the two sides overlap: `tie`;
//! 4. otherwise the ratio of medians decides: `blitz-io N× faster` or `blitz-io N× slower`;
//!    a faster blitz-io whose median CPU per op exceeds Tokio's by more than
//!    [`CPU_TOLERANCE`] is marked `faster but more CPU`.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use crate::alloc::AllocCount;
use crate::measure::Usage;
use crate::memory::Memory;
use crate::workloads::Workload;

/// Below this many nanoseconds per op on both sides, differences are measurement noise.
pub const FLOOR_NS_PER_OP: f64 = 2.0;
/// Relative CPU excess tolerated before a faster result is flagged "more CPU".
pub const CPU_TOLERANCE: f64 = 0.05;

/// The verdict rule in words, for reports.
pub const VERDICT_RULE: &str = "Ratio = blitz-io median / Tokio median of the time per \
iteration (below 1: blitz-io is faster). Verdicts, first match wins: **FAILED** when either \
side's own result check failed (the run exits non-zero); **at floor** when both medians are \
under 2 ns per op; **tie** when the min–max ranges of the two sides overlap; otherwise \
**blitz-io N× faster** or **blitz-io N× slower** (N from the ratio of medians), with a faster \
result marked **but more CPU** when blitz-io's median CPU time per op exceeds Tokio's by more \
than 5 %. A ratio never makes the run fail.";

/// One timed round of one side: a fresh runtime, `iters` iterations measured together.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    /// Iterations timed.
    pub iters: u64,
    /// Wall time of the timed iterations.
    pub wall: Duration,
    /// Process CPU time and context switches during the timed iterations.
    pub usage: Usage,
    /// Worker parks during the timed iterations, when the runtime reports them.
    pub parks: Option<u64>,
    /// Parks that really slept in the OS (blitz-io only).
    pub sleeps: Option<u64>,
}

/// Everything measured for one runtime on one workload.
#[derive(Debug, Clone, Default)]
pub struct SideResult {
    /// Timed rounds, in the order they ran.
    pub rounds: Vec<Round>,
    /// Allocations of the untimed pass and how many iterations it ran.
    pub allocs: Option<(AllocCount, u64)>,
    /// The self-check failure (panic message), if any.
    pub failure: Option<String>,
}

/// Median, minimum and maximum of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// Summarises `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }

    fn json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// Per-side figures derived from the rounds.
#[derive(Debug, Clone, Copy)]
pub struct SideStats {
    /// Wall time per iteration, in ns.
    pub time_per_iter: Summary,
    /// Process CPU time per op, in ns.
    pub cpu_per_op: Summary,
    /// Worker parks per op (`None`: not reported by the runtime).
    pub parks_per_op: Option<Summary>,
    /// OS sleeps per op (blitz-io only).
    pub sleeps_per_op: Option<Summary>,
    /// Voluntary context switches per op.
    pub vcsw_per_op: Summary,
    /// Involuntary context switches per op.
    pub ivcsw_per_op: Summary,
    /// Allocations per op (untimed pass).
    pub allocs_per_op: Option<f64>,
    /// Bytes allocated per op (untimed pass).
    pub bytes_per_op: Option<f64>,
}

impl SideResult {
    /// Derived figures; `None` when no round completed.
    pub fn stats(&self, ops_per_iter: u64) -> Option<SideStats> {
        let per_op = |f: &dyn Fn(&Round) -> f64| -> Vec<f64> {
            self.rounds
                .iter()
                .map(|r| f(r) / (r.iters * ops_per_iter) as f64)
                .collect()
        };
        let time: Vec<f64> = self
            .rounds
            .iter()
            .map(|r| r.wall.as_nanos() as f64 / r.iters as f64)
            .collect();
        let optional = |f: &dyn Fn(&Round) -> Option<u64>| -> Option<Summary> {
            if self.rounds.iter().all(|r| f(r).is_some()) {
                Summary::of(&per_op(&|r| f(r).unwrap_or(0) as f64))
            } else {
                None
            }
        };
        let ops = |count: u64, iters: u64| count as f64 / (iters * ops_per_iter) as f64;
        Some(SideStats {
            time_per_iter: Summary::of(&time)?,
            cpu_per_op: Summary::of(&per_op(&|r| r.usage.cpu.as_nanos() as f64))?,
            parks_per_op: optional(&|r| r.parks),
            sleeps_per_op: optional(&|r| r.sleeps),
            vcsw_per_op: Summary::of(&per_op(&|r| r.usage.voluntary_switches as f64))?,
            ivcsw_per_op: Summary::of(&per_op(&|r| r.usage.involuntary_switches as f64))?,
            allocs_per_op: self.allocs.map(|(a, iters)| ops(a.allocs, iters)),
            bytes_per_op: self.allocs.map(|(a, iters)| ops(a.bytes, iters)),
        })
    }
}

/// Both sides of one workload.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The workload.
    pub workload: Workload,
    /// Iterations per timed round (the same on both sides).
    pub iters_per_round: u64,
    /// blitz-io's measurements.
    pub blitz: SideResult,
    /// Tokio's measurements.
    pub tokio: SideResult,
    /// Share of the machine's CPU capacity used by other processes while this workload was
    /// measured (see [`crate::measure::foreign_load`]); `None` when unknown.
    pub foreign_load: Option<f64>,
}

impl Comparison {
    /// Whether both sides passed their self-checks.
    pub fn passed(&self) -> bool {
        self.blitz.failure.is_none() && self.tokio.failure.is_none()
    }

    /// blitz-io median / Tokio median of the time per iteration.
    pub fn ratio(&self) -> Option<f64> {
        let ops = self.workload.ops_per_iter;
        let b = self.blitz.stats(ops)?;
        let t = self.tokio.stats(ops)?;
        Some(b.time_per_iter.median / t.time_per_iter.median)
    }

    /// The verdict, by the rule in the module documentation.
    pub fn verdict(&self) -> String {
        if let Some(failure) = &self.blitz.failure {
            return format!("FAILED (blitz-io): {}", one_line(failure));
        }
        if let Some(failure) = &self.tokio.failure {
            return format!("FAILED (tokio): {}", one_line(failure));
        }
        let ops = self.workload.ops_per_iter;
        let (Some(b), Some(t)) = (self.blitz.stats(ops), self.tokio.stats(ops)) else {
            return "no data".to_owned();
        };
        verdict(&b, &t, ops)
    }
}

/// The verdict for two sides' statistics (see the module documentation).
pub fn verdict(b: &SideStats, t: &SideStats, ops_per_iter: u64) -> String {
    let ops = ops_per_iter as f64;
    let (bt, tt) = (b.time_per_iter, t.time_per_iter);
    if bt.median / ops < FLOOR_NS_PER_OP && tt.median / ops < FLOOR_NS_PER_OP {
        return "at floor".to_owned();
    }
    if bt.min <= tt.max && tt.min <= bt.max {
        return "tie".to_owned();
    }
    let ratio = bt.median / tt.median;
    if ratio < 1.0 {
        let more_cpu = b.cpu_per_op.median > t.cpu_per_op.median * (1.0 + CPU_TOLERANCE);
        let speedup = 1.0 / ratio;
        if more_cpu {
            format!("blitz-io {speedup:.2}× faster but more CPU")
        } else {
            format!("blitz-io {speedup:.2}× faster")
        }
    } else {
        format!("blitz-io {ratio:.2}× slower")
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut short: String = line.chars().take(160).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short.replace('|', "\\|")
}

/// A duration in nanoseconds, with three significant digits and a unit.
pub fn fmt_ns(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", sig3(value))
}

/// A count per op: three significant digits, `0` for zero, scientific below 0.001.
pub fn fmt_count(x: f64) -> String {
    if x == 0.0 {
        "0".to_owned()
    } else if x < 0.001 {
        format!("{x:.1e}")
    } else {
        sig3(x)
    }
}

fn sig3(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn range(s: Summary) -> String {
    format!("{} ({}–{})", fmt_ns(s.median), fmt_ns(s.min), fmt_ns(s.max))
}

fn pair(b: Option<String>, t: Option<String>) -> String {
    let na = || "n/a".to_owned();
    format!("{} / {}", b.unwrap_or_else(na), t.unwrap_or_else(na))
}

/// The results table in markdown, one row per workload.
pub fn markdown_table(rows: &[Comparison]) -> String {
    let mut out = String::new();
    out.push_str(
        "| workload | class | workers | ops/iter | blitz-io time/iter: median (min–max) \
         | tokio time/iter: median (min–max) | ratio b/t | CPU/op b / t \
         | parks/op b (OS sleeps) / t \
         | vcsw/op b / t | allocs/op b / t | bytes/op b / t | verdict |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for row in rows {
        let w = &row.workload;
        let ops = w.ops_per_iter;
        let b = row.blitz.stats(ops);
        let t = row.tokio.stats(ops);
        let time = |s: &Option<SideStats>| {
            s.map(|s| range(s.time_per_iter))
                .unwrap_or_else(|| "n/a".to_owned())
        };
        let ratio = row
            .ratio()
            .map(|r| format!("{r:.2}"))
            .unwrap_or_else(|| "n/a".to_owned());
        let field = |f: &dyn Fn(&SideStats) -> Option<String>| {
            pair(b.as_ref().and_then(f), t.as_ref().and_then(f))
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            w.name,
            w.class.label(),
            w.flavor.workers_label(),
            ops,
            time(&b),
            time(&t),
            ratio,
            field(&|s| Some(fmt_ns(s.cpu_per_op.median))),
            field(&|s| {
                s.parks_per_op.map(|p| match s.sleeps_per_op {
                    Some(sleeps) => format!(
                        "{} ({} slept)",
                        fmt_count(p.median),
                        fmt_count(sleeps.median)
                    ),
                    None => fmt_count(p.median),
                })
            }),
            field(&|s| Some(fmt_count(s.vcsw_per_op.median))),
            field(&|s| s.allocs_per_op.map(fmt_count)),
            field(&|s| s.bytes_per_op.map(fmt_count)),
            row.verdict(),
        );
    }
    out
}

/// Where and with what the numbers were taken.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs available (`nproc`).
    pub nproc: usize,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// `rustc -V` of the compiler that built this binary.
    pub rustc: String,
    /// Tokio version from `Cargo.lock`.
    pub tokio: String,
    /// Cargo profile this binary was built with.
    pub profile: String,
    /// Commit of the workspace (with `-dirty` when the tree had changes).
    pub commit: String,
    /// When the run finished (UTC).
    pub date: String,
    /// `/proc/loadavg` (1, 5, 15 min) when the run started and when it finished: other work
    /// on the machine shows up here.
    pub load: String,
}

impl Machine {
    /// Reads the machine's description; `load_at_start` from [`load_average`] when the run
    /// began.
    pub fn detect(load_at_start: &str) -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            kernel,
            rustc: env!("BENCH_RUSTC_VERSION").to_owned(),
            tokio: env!("BENCH_TOKIO_VERSION").to_owned(),
            profile: env!("BENCH_PROFILE").to_owned(),
            commit: git_commit(),
            date: utc_now(),
            load: format!("{load_at_start} at start, {} at the end", load_average()),
        }
    }

    fn json(&self) -> Value {
        json!({
            "nproc": self.nproc,
            "cpu_model": self.cpu_model,
            "kernel": self.kernel,
            "rustc": self.rustc,
            "tokio": self.tokio,
            "profile": self.profile,
            "commit": self.commit,
            "date": self.date,
            "load_average": self.load,
        })
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn git_commit() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}-dirty")
            } else {
                hash
            }
        }
        None => "unknown".to_owned(),
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// How the run was configured.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Timed rounds per side and workload.
    pub rounds: usize,
    /// Untimed warm-up rounds per side and workload (after calibration).
    pub warmup_rounds: usize,
    /// Wall time a timed round aims at (iterations are calibrated to it).
    pub target_round: Duration,
    /// Whether `--quick` was given.
    pub quick: bool,
}

impl Settings {
    fn json(&self) -> Value {
        json!({
            "rounds": self.rounds,
            "warmup_rounds": self.warmup_rounds,
            "target_round_ms": self.target_round.as_secs_f64() * 1e3,
            "quick": self.quick,
        })
    }
}

fn side_json(side: &SideResult, ops: u64) -> Value {
    let stats = side.stats(ops);
    let rounds: Vec<Value> = side
        .rounds
        .iter()
        .map(|r| {
            json!({
                "iters": r.iters,
                "wall_ns": r.wall.as_nanos() as u64,
                "cpu_ns": r.usage.cpu.as_nanos() as u64,
                "vcsw": r.usage.voluntary_switches,
                "ivcsw": r.usage.involuntary_switches,
                "parks": r.parks,
                "sleeps": r.sleeps,
            })
        })
        .collect();
    json!({
        "failure": side.failure,
        "time_per_iter_ns": stats.map(|s| s.time_per_iter.json()),
        "cpu_ns_per_op": stats.map(|s| s.cpu_per_op.json()),
        "parks_per_op": stats.and_then(|s| s.parks_per_op.map(Summary::json)),
        "sleeps_per_op": stats.and_then(|s| s.sleeps_per_op.map(Summary::json)),
        "vcsw_per_op": stats.map(|s| s.vcsw_per_op.json()),
        "ivcsw_per_op": stats.map(|s| s.ivcsw_per_op.json()),
        "allocs_per_op": stats.and_then(|s| s.allocs_per_op),
        "bytes_per_op": stats.and_then(|s| s.bytes_per_op),
        "alloc_pass_iters": side.allocs.map(|(_, iters)| iters),
        "rounds": rounds,
    })
}

/// The whole run as JSON (`benches/results/latest.json`).
pub fn json_report(
    machine: &Machine,
    settings: &Settings,
    rows: &[Comparison],
    memory: Option<&Memory>,
) -> Value {
    let workloads: Vec<Value> = rows
        .iter()
        .map(|row| {
            let w = &row.workload;
            json!({
                "id": w.id(),
                "name": w.name,
                "class": w.class.label(),
                "workers": w.flavor.workers_label(),
                "ops_per_iter": w.ops_per_iter,
                "op": w.op,
                "tokio_origin": w.origin,
                "tokio_enable_all": w.tokio_enable_all,
                "iters_per_round": row.iters_per_round,
                "blitz": side_json(&row.blitz, w.ops_per_iter),
                "tokio": side_json(&row.tokio, w.ops_per_iter),
                "foreign_load": row.foreign_load,
                "ratio": row.ratio(),
                "verdict": row.verdict(),
            })
        })
        .collect();
    json!({
        "machine": machine.json(),
        "settings": settings.json(),
        "verdict_rule": VERDICT_RULE,
        "workloads": workloads,
        "memory": memory.map(Memory::json),
    })
}

/// The text of `BENCHMARKS.md`.
/// The Timers section: what the timer rows measure, and the real-clock lateness table that
/// the `lateness` binary writes to `benches/results/lateness.md` (copied when present).
fn timers_section() -> String {
    let mut out = String::from(
        "## Timers\n\n\
         - `timeout_ready` (current-thread): `timeout(1 s, async {})` created, polled once and \
         dropped, 10 000 per iteration: the create+drop cost of a timeout that never fires and \
         is never registered. Both runtimes read the monotonic clock once per timeout (the \
         deadline); on this VM that read is most of the cost.\n\
         - `timeout_cancel` (current-thread): `timeout(1 s, yield_now())`: the timer is \
         inserted into the wheel on the first (pending) poll, then unlinked by the drop.\n\
         - `sleep_fire` (2 workers): 1 000 tasks each `sleep(1 ms)`; each checks it did not wake \
         early. Mostly the wait itself.\n\
         - `sleep_many` (2 workers): 200 000 tasks sleeping 10-59 ms at once. All are alive at \
         the peak, so the allocation pass's bytes/op is the heap cost of one sleeping task \
         (task + timer); its allocs/op shows the timer itself allocates nothing (one allocation \
         per task, the task).\n\n\
         Real-clock lateness (`cargo run --release -p blitz-io-benches --bin lateness -- \
         --write`): one task sleeping in a loop, lateness = measured sleep minus requested. Both \
         runtimes round a deadline up to their 1 ms tick, and a task that sleeps again right \
         after waking sits just after a tick edge, so ~1 ms is the expected median for both.\n\n",
    );
    let lateness = concat!(env!("CARGO_MANIFEST_DIR"), "/results/lateness.md");
    match std::fs::read_to_string(lateness) {
        Ok(text) => {
            out.push_str(&text);
            out.push('\n');
        }
        Err(_) => out.push_str("(no `benches/results/lateness.md` yet: run the binary)\n\n"),
    }
    out
}

/// `memory` is the Memory section's data; `None` leaves the section out.
pub fn benchmarks_md(
    machine: &Machine,
    settings: &Settings,
    rows: &[Comparison],
    memory: Option<&Memory>,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "# Benchmarks: blitz-io against Tokio\n\n\
         Generated by `cargo run --release -p blitz-io-benches --bin compare` on {date}; \
         do not edit by hand (rerun it). Raw data: `benches/results/latest.json`.\n\n\
         ## Machine\n\n\
         - CPUs (`nproc`): {nproc}\n\
         - CPU model: {cpu}\n\
         - kernel: {kernel}\n\
         - rustc: {rustc}\n\
         - Tokio: {tokio} (from `Cargo.lock`); blitz-io: commit {commit}\n\
         - profile: `{profile}`\n\
         - load average (1/5/15 min): {load}\n\n",
        date = machine.date,
        nproc = machine.nproc,
        cpu = machine.cpu_model,
        kernel = machine.kernel,
        rustc = machine.rustc,
        tokio = machine.tokio,
        commit = machine.commit,
        profile = machine.profile,
        load = machine.load,
    );
    let _ = write!(
        out,
        "## Method\n\n\
         - Workloads reproduce Tokio's own scheduler benchmarks (`benches/rt_multi_threaded.rs`, \
         `benches/rt_current_thread.rs`, `benches/spawn.rs`) with Tokio's parameters; each \
         workload body is written once and instantiated for both runtimes \
         (`benches/src/workloads/`). The `sync_*` rows instead reproduce the single-thread \
         sync cases of the Zig blitz-io harness (`bench/rust_bench/src/main.rs` there) at its \
         parameters (1 000 000 ops per iteration on one thread, a new primitive per op where it \
         does so; the awaited ones inside `block_on` on a current-thread runtime), against \
         `tokio::sync`. Multi-thread workloads run at 4 workers (Tokio's \
         parameter) and 2 (this machine's cores). Where Tokio's benchmark signals completion \
         with `std::sync::mpsc` both sides use it; `ping_pong` uses `tokio::sync::oneshot` on \
         both sides. The `chan_*` rows compare the channels themselves: blitz-io's \
         `channel::mpmc` and `channel::oneshot` against `tokio::sync::mpsc` and \
         `tokio::sync::oneshot` (Tokio has no MPMC channel: `chan_mpmc_4p4c` shares one mpsc \
         receiver behind a `tokio::sync::Mutex` on the Tokio side, and \
         `chan_mpmc_4p4c_async_channel` runs the same case with the `async-channel` crate, a \
         real MPMC channel, on Tokio's runtime in the Tokio columns), on the Zig original's \
         channel cases and Tokio's `benches/sync_mpsc.rs` and `benches/sync_mpsc_oneshot.rs` \
         (`request_reply`; its parks/op column is the number to watch). Their allocation \
         columns include creating the channel once per iteration. Tokio runtimes are built as in Tokio's \
         benchmark (`enable_all()` for the `rt_multi_threaded.rs` cases, which with this \
         workspace's features enables the I/O and time drivers).\n\
         - The `sync_*` workloads are the Zig original's sync cases at its parameters, each \
         side on its own primitives (`benches/src/workloads/sync_try.rs`, \
         `sync_contended.rs`): 1M `try_lock`/`try_read`/`try_write`/`try_acquire` + release \
         on one thread, 1M uncontended `lock().await` inside `block_on` (current-thread), and \
         `mutex_contended` (4 tasks x 2 500 `lock().await`), `rwlock_contended` (4 readers + \
         2 writers x 2 500) and `semaphore_contended` (8 tasks x 1 250 `acquire().await`, 2 \
         permits) spawned from `block_on` on 4 and 2 workers. The contended rows' allocations \
         are their task spawns (plus the handle `Vec` and the shared `Arc`); the primitives' \
         own allocations are in the Memory section's sync table.\n\
         - Every iteration checks its own result (all tasks ran, all handles joined, all yields \
         done); a failed check marks the workload FAILED and the run exits non-zero.\n\
         - Per workload: iterations per round are calibrated so a round takes about {target} \
         ms on the slower side, the same count on both sides; then {warm} untimed warm-up \
         round(s) per side and {rounds} timed rounds per side, alternating blitz-io and Tokio \
         (the side that goes first alternates too). Every round builds a fresh runtime, starts \
         the background load if any, runs one untimed iteration, times the iterations, stops the \
         background load and shuts the runtime down with its threads joined (blitz-io: drop; \
         Tokio: `shutdown_timeout(1 s)`) before the other side runs.\n\
         - Per round: wall time; process CPU time (user + system) and voluntary context \
         switches from `getrusage(RUSAGE_SELF)` deltas, which cover all threads; worker parks \
         from runtime metrics deltas (blitz-io: `total_park_count()`; Tokio: the sum of \
         `RuntimeMetrics::worker_park_count(i)`, stable in Tokio 1.x on 64-bit targets, no \
         `tokio_unstable` needed). Times are per iteration; CPU, parks and switches are per op \
         (ops/iter column); each shows the median over rounds. The two park counters differ: \
         blitz-io counts every idle transition, including those its pre-sleep spin absorbed, \
         and reports separately the parks that slept in the OS (in parentheses); Tokio does \
         not spin, so its parks are sleeps or immediately satisfied parks.\n\
         - Allocations: a separate, untimed pass per side with a counting global allocator \
         (counting is switched on only during that pass), counting `alloc`/`realloc` calls and \
         requested bytes of every thread, per op. For the `busy` workloads this includes the \
         background load's own spawns during the pass, so it grows with the time an iteration \
         takes.\n\
         - The machine is shared: other builds may run at the same time. The load average \
         above and, per workload, the CPU share other processes used while it was measured \
         (machine busy time from `/proc/stat` minus this process's CPU time, over the \
         workload's whole measurement; last table) show how disturbed a run was. Min–max \
         ranges show the spread within a run.\n\
         - Instructions (not run by `compare`; slow): `benches/callgrind.sh [WORKLOAD...]` \
         builds `benches/src/bin/instructions.rs`, which runs one workload on one runtime \
         single-threaded (`yield_many` and `chained_spawn` on a 1-worker multi-thread runtime, \
         `spawn_many_local`, `timeout_ready` and `timeout_cancel` on current-thread), under `valgrind --tool=callgrind`, twice per \
         side with different iteration counts, and prints instructions per op side by side \
         (the difference of the two totals over the extra ops, so start-up and shutdown cancel \
         out). Needs valgrind; `PROFILE=ci` builds faster. It writes \
         `benches/results/callgrind.md`, which is copied here when present:\n\n",
        target = settings.target_round.as_millis(),
        warm = settings.warmup_rounds,
        rounds = settings.rounds,
    );
    let callgrind = concat!(env!("CARGO_MANIFEST_DIR"), "/results/callgrind.md");
    match std::fs::read_to_string(callgrind) {
        Ok(text) => {
            // Indented: the note belongs to the list item above.
            for line in text.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "  {line}");
                }
            }
            out.push('\n');
        }
        Err(_) => out.push_str("  (no `benches/results/callgrind.md` yet: run the script)\n\n"),
    }
    out.push_str("## Results\n\n");
    out.push_str(&markdown_table(rows));
    out.push_str(
        "\nColumns with `b / t` show blitz-io / Tokio.\n\n\
         ![Time ratio blitz-io / Tokio per workload, log scale, lines at 1.0 and 0.7]\
         (benches/results/ratios.svg)\n\n\
         The chart (`benches/results/ratios.svg`, drawn by `compare` with every report) shows the \
         ratio column: one bar per row from 1.0 to the ratio, on a log scale, with lines at 1.0 \
         (parity) and 0.7 (the target).\n\n",
    );
    let _ = write!(out, "## Verdict rule\n\n{VERDICT_RULE}\n\n");
    if let Some(memory) = memory {
        out.push_str(&memory.markdown());
    }
    out.push_str(&timers_section());
    out.push_str(&crate::echo::section::markdown());
    out.push_str(
        "## Workloads\n\n| workload | workers | op | Tokio original | iters/round \
         | other processes' CPU load |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let w = &row.workload;
        let load = row
            .foreign_load
            .map_or("n/a".to_owned(), |l| format!("{:.0} %", l * 100.0));
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | `{}` | {} | {load} |",
            w.name,
            w.flavor.workers_label(),
            w.op,
            w.origin,
            row.iters_per_round,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(median: f64, min: f64, max: f64, cpu: f64) -> SideStats {
        let s = |m| Summary {
            median: m,
            min: m,
            max: m,
        };
        SideStats {
            time_per_iter: Summary { median, min, max },
            cpu_per_op: s(cpu),
            parks_per_op: None,
            sleeps_per_op: None,
            vcsw_per_op: s(0.0),
            ivcsw_per_op: s(0.0),
            allocs_per_op: None,
            bytes_per_op: None,
        }
    }

    #[test]
    fn summary_median_even_and_odd() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn verdicts() {
        let ops = 1000;
        // Overlapping ranges.
        assert_eq!(
            verdict(
                &stats(100e3, 90e3, 110e3, 50.0),
                &stats(105e3, 100e3, 120e3, 50.0),
                ops
            ),
            "tie"
        );
        // Clearly faster, same CPU.
        assert_eq!(
            verdict(
                &stats(50e3, 45e3, 55e3, 50.0),
                &stats(100e3, 95e3, 105e3, 50.0),
                ops
            ),
            "blitz-io 2.00× faster"
        );
        // Faster but more CPU.
        assert_eq!(
            verdict(
                &stats(50e3, 45e3, 55e3, 80.0),
                &stats(100e3, 95e3, 105e3, 50.0),
                ops
            ),
            "blitz-io 2.00× faster but more CPU"
        );
        // Slower.
        assert_eq!(
            verdict(
                &stats(150e3, 145e3, 155e3, 50.0),
                &stats(100e3, 95e3, 105e3, 50.0),
                ops
            ),
            "blitz-io 1.50× slower"
        );
        // Both under 2 ns per op.
        assert_eq!(
            verdict(
                &stats(1.0e3, 0.9e3, 1.1e3, 1.0),
                &stats(1.5e3, 1.4e3, 1.6e3, 1.0),
                ops
            ),
            "at floor"
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_ns(4_750_000.0), "4.75 ms");
        assert_eq!(fmt_ns(602_000.0), "602 µs");
        assert_eq!(fmt_ns(812.0), "812 ns");
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(0.0001), "1.0e-4");
        assert_eq!(fmt_count(2.5), "2.50");
    }

    #[test]
    fn date_is_plausible() {
        let now = utc_now();
        assert!(now.starts_with("20"), "{now}");
        assert!(now.ends_with("UTC"), "{now}");
    }
}
