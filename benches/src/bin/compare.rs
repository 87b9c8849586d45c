//! `compare`: blitz-io and Tokio side by side on the same workloads, in one process.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin compare [-- --quick] [--filter SUBSTR]
//!     [--rounds N] [--write]
//! ```
//!
//! Design:
//! - For each workload of [`blitz_io_benches::all`] (optionally only those whose id contains
//!   `--filter`), both sides are calibrated (iterations per round so that the slower side's
//!   round takes about the target time; both sides then run the same count), warmed up, and
//!   timed for N rounds, ALTERNATING blitz-io and Tokio round by round (the side that goes first
//!   alternates as well). Every round builds a fresh runtime, starts the workload's background
//!   load, runs one untimed iteration, times its iterations, then stops the background load and
//!   shuts the runtime down with its threads joined before the other side runs, so process-wide
//!   counters (`getrusage`) only ever see one runtime.
//! - Allocations are counted in a separate untimed pass per side by the counting global
//!   allocator below, switched on only for that pass. A writing run then makes the untimed
//!   memory pass of [`blitz_io_benches::memory`] (idle-task bytes, handle and future sizes).
//! - A workload whose self-check panics (a runtime did less work than asked, or got stuck for
//!   60 s) is marked FAILED and the process exits with status 1 after printing the table; a
//!   watchdog aborts with status 3 naming the workload if a phase makes no progress for
//!   [`HANG_LIMIT`] (a hang that the workload's own deadline cannot catch, e.g. an awaited
//!   `JoinHandle` that is never woken). A slow ratio never fails the run.
//! - Output: the markdown table on stdout, progress on stderr. A full run (no `--quick`, no
//!   `--filter`, or with `--write`) also writes `benches/results/latest.json`, draws the ratio
//!   chart `benches/results/ratios.svg` and regenerates `BENCHMARKS.md` at the workspace root.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use blitz_io_benches::alloc::{self, AllocCount, CountingAlloc};
use blitz_io_benches::measure::{self, SystemCpu, Usage};
use blitz_io_benches::report::{self, Comparison, Machine, Round, Settings, SideResult};
use blitz_io_benches::{chart, memory};
use blitz_io_benches::{Background, Workload};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// A phase (one round, one calibration, one allocation pass) taking longer than this is a hang.
const HANG_LIMIT: Duration = Duration::from_secs(150);
/// Most iterations the allocation pass runs.
const MAX_ALLOC_ITERS: u64 = 200;

/// The phase in progress and when it started, for the watchdog.
static PHASE: Mutex<Option<(String, Instant)>> = Mutex::new(None);

fn set_phase(label: Option<String>) {
    let mut phase = PHASE.lock().unwrap_or_else(|e| e.into_inner());
    *phase = label.map(|l| (l, Instant::now()));
}

fn start_watchdog() {
    std::thread::Builder::new()
        .name("compare-watchdog".to_owned())
        .spawn(|| loop {
            std::thread::sleep(Duration::from_millis(500));
            let phase = PHASE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((label, since)) = &*phase {
                if since.elapsed() > HANG_LIMIT {
                    eprintln!(
                        "compare: HANG: {label} made no progress for {:?}; aborting",
                        since.elapsed()
                    );
                    std::process::exit(3);
                }
            }
        })
        .expect("start the watchdog thread");
}

/// One runtime under test, behind a common interface.
trait Side {
    const NAME: &'static str;
    type Rt;
    fn build(w: &Workload) -> Self::Rt;
    fn start(w: &Workload, rt: &Self::Rt) -> Background;
    fn run(w: &Workload, rt: &Self::Rt);
    fn parks(rt: &Self::Rt) -> Option<u64>;
    fn sleeps(rt: &Self::Rt) -> Option<u64>;
    fn shutdown(rt: Self::Rt);
}

struct Blitz;
struct Tokio;

impl Side for Blitz {
    const NAME: &'static str = "blitz-io";
    type Rt = blitz_io::Runtime;
    fn build(w: &Workload) -> Self::Rt {
        w.blitz_runtime()
    }
    fn start(w: &Workload, rt: &Self::Rt) -> Background {
        w.start_blitz(rt)
    }
    fn run(w: &Workload, rt: &Self::Rt) {
        w.run_blitz(rt);
    }
    fn parks(rt: &Self::Rt) -> Option<u64> {
        Some(rt.metrics().total_park_count())
    }
    fn sleeps(rt: &Self::Rt) -> Option<u64> {
        let m = rt.metrics();
        Some((0..m.num_workers()).map(|i| m.worker_sleep_count(i)).sum())
    }
    fn shutdown(rt: Self::Rt) {
        // Dropping a blitz-io runtime joins its worker threads.
        drop(rt);
    }
}

impl Side for Tokio {
    const NAME: &'static str = "tokio";
    type Rt = tokio::runtime::Runtime;
    fn build(w: &Workload) -> Self::Rt {
        w.tokio_runtime()
    }
    fn start(w: &Workload, rt: &Self::Rt) -> Background {
        w.start_tokio(rt)
    }
    fn run(w: &Workload, rt: &Self::Rt) {
        w.run_tokio(rt);
    }
    fn parks(rt: &Self::Rt) -> Option<u64> {
        // Stable since Tokio 1.x on targets with 64-bit atomics; no `tokio_unstable` needed.
        let m = rt.metrics();
        Some((0..m.num_workers()).map(|i| m.worker_park_count(i)).sum())
    }
    fn sleeps(_rt: &Self::Rt) -> Option<u64> {
        None
    }
    fn shutdown(rt: Self::Rt) {
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}

/// Builds a fresh runtime, starts the background load, runs one untimed iteration, calls `f`,
/// then stops the load and shuts the runtime down (threads joined).
fn with_runtime<S: Side, R>(w: &Workload, f: impl FnOnce(&S::Rt) -> R) -> R {
    let rt = S::build(w);
    let background = S::start(w, &rt);
    S::run(w, &rt);
    let result = f(&rt);
    background.stop();
    S::shutdown(rt);
    result
}

/// Time per iteration, measured for at least `min_time` (and at least one iteration).
fn calibrate<S: Side>(w: &Workload, min_time: Duration) -> Duration {
    with_runtime::<S, _>(w, |rt| {
        let start = Instant::now();
        let mut iters = 0u32;
        loop {
            S::run(w, rt);
            iters += 1;
            if start.elapsed() >= min_time || iters >= 1_000_000 {
                return start.elapsed() / iters;
            }
        }
    })
}

fn timed_round<S: Side>(w: &Workload, iters: u64) -> Round {
    with_runtime::<S, _>(w, |rt| {
        let parks_before = S::parks(rt);
        let sleeps_before = S::sleeps(rt);
        let usage_before = Usage::now();
        let start = Instant::now();
        for _ in 0..iters {
            S::run(w, rt);
        }
        let wall = start.elapsed();
        let usage = Usage::now().since(usage_before);
        let delta = |after: Option<u64>, before: Option<u64>| {
            after.zip(before).map(|(a, b)| a.saturating_sub(b))
        };
        Round {
            iters,
            wall,
            usage,
            parks: delta(S::parks(rt), parks_before),
            sleeps: delta(S::sleeps(rt), sleeps_before),
        }
    })
}

fn alloc_pass<S: Side>(w: &Workload, iters: u64) -> (AllocCount, u64) {
    with_runtime::<S, _>(w, |rt| {
        let ((), counted) = alloc::count(|| {
            for _ in 0..iters {
                S::run(w, rt);
            }
        });
        (counted, iters)
    })
}

/// Runs `f` with the watchdog armed; a panic becomes `Err(message)`.
fn attempt<R>(label: String, f: impl FnOnce() -> R) -> Result<R, String> {
    set_phase(Some(label));
    let result = catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panic with a non-string payload".to_owned())
    });
    set_phase(None);
    result
}

#[derive(Clone, Copy)]
enum Which {
    Blitz,
    Tokio,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Blitz => Blitz::NAME,
            Which::Tokio => Tokio::NAME,
        }
    }

    fn result(self, row: &mut Comparison) -> &mut SideResult {
        match self {
            Which::Blitz => &mut row.blitz,
            Which::Tokio => &mut row.tokio,
        }
    }

    fn round(self, w: &Workload, iters: u64) -> Round {
        match self {
            Which::Blitz => timed_round::<Blitz>(w, iters),
            Which::Tokio => timed_round::<Tokio>(w, iters),
        }
    }

    fn calibrate(self, w: &Workload, min_time: Duration) -> Duration {
        match self {
            Which::Blitz => calibrate::<Blitz>(w, min_time),
            Which::Tokio => calibrate::<Tokio>(w, min_time),
        }
    }

    fn alloc_pass(self, w: &Workload, iters: u64) -> (AllocCount, u64) {
        match self {
            Which::Blitz => alloc_pass::<Blitz>(w, iters),
            Which::Tokio => alloc_pass::<Tokio>(w, iters),
        }
    }
}

/// Alternating order: even rounds blitz-io first, odd rounds Tokio first.
fn order(round: usize) -> [Which; 2] {
    if round.is_multiple_of(2) {
        [Which::Blitz, Which::Tokio]
    } else {
        [Which::Tokio, Which::Blitz]
    }
}

/// Measures one workload into `row`; stops at the first failed self-check.
fn measure(w: &Workload, settings: &Settings, row: &mut Comparison) {
    let id = w.id();
    let mut per_iter = Duration::ZERO;
    for side in [Which::Blitz, Which::Tokio] {
        let label = format!("{id} {} calibration", side.name());
        match attempt(label, || side.calibrate(w, settings.target_round / 5)) {
            Ok(t) => per_iter = per_iter.max(t),
            Err(e) => {
                side.result(row).failure = Some(e);
                return;
            }
        }
    }
    let iters = (settings.target_round.as_secs_f64() / per_iter.as_secs_f64().max(1e-9))
        .round()
        .clamp(1.0, 1e7) as u64;
    row.iters_per_round = iters;
    let total = settings.warmup_rounds + settings.rounds;
    for r in 0..total {
        let warm = r < settings.warmup_rounds;
        for side in order(r) {
            let label = if warm {
                format!("{id} {} warm-up round {}", side.name(), r + 1)
            } else {
                format!(
                    "{id} {} round {}",
                    side.name(),
                    r - settings.warmup_rounds + 1
                )
            };
            match attempt(label, || side.round(w, iters)) {
                Ok(round) if !warm => side.result(row).rounds.push(round),
                Ok(_) => {}
                Err(e) => {
                    side.result(row).failure = Some(e);
                    return;
                }
            }
        }
    }
    let alloc_iters = iters.min(MAX_ALLOC_ITERS);
    for side in [Which::Blitz, Which::Tokio] {
        let label = format!("{id} {} allocation pass", side.name());
        match attempt(label, || side.alloc_pass(w, alloc_iters)) {
            Ok(counted) => side.result(row).allocs = Some(counted),
            Err(e) => {
                side.result(row).failure = Some(e);
                return;
            }
        }
    }
}

struct Options {
    quick: bool,
    filter: Option<String>,
    rounds: Option<usize>,
    write: bool,
}

const USAGE: &str = "usage: compare [--quick] [--filter SUBSTR] [--rounds N] [--write]\n\
  --quick        3 timed rounds, short rounds: a smoke run well under 2 minutes\n\
  --filter S     only workloads whose id (e.g. ping_pong/mt4) contains S\n\
  --rounds N     timed rounds per side (default 21, quick 3)\n\
  --write        write the JSON, the SVG chart and BENCHMARKS.md even for a quick/filtered run";

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        filter: None,
        rounds: None,
        write: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--write" => options.write = true,
            "--filter" => options.filter = Some(args.next().ok_or("--filter needs a value")?),
            "--rounds" => {
                let n = args.next().ok_or("--rounds needs a value")?;
                let n: usize = n.parse().map_err(|_| format!("bad --rounds value {n:?}"))?;
                if n == 0 {
                    return Err("--rounds must be at least 1".to_owned());
                }
                options.rounds = Some(n);
            }
            // `cargo bench` passes this to every bench-like target; harmless here.
            "--bench" => {}
            "-h" | "--help" => return Err(String::new()),
            other => {
                if let Some(value) = other.strip_prefix("--filter=") {
                    options.filter = Some(value.to_owned());
                } else {
                    return Err(format!("unknown argument {other:?}"));
                }
            }
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("compare: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let settings = if options.quick {
        Settings {
            rounds: options.rounds.unwrap_or(3),
            warmup_rounds: 1,
            target_round: Duration::from_millis(10),
            quick: true,
        }
    } else {
        Settings {
            rounds: options.rounds.unwrap_or(21),
            warmup_rounds: 2,
            target_round: Duration::from_millis(60),
            quick: false,
        }
    };
    let workloads: Vec<Workload> = blitz_io_benches::all()
        .into_iter()
        .filter(|w| options.filter.as_ref().is_none_or(|f| w.id().contains(f)))
        .collect();
    if workloads.is_empty() {
        eprintln!("compare: no workload matches the filter");
        return ExitCode::from(2);
    }
    if cfg!(debug_assertions) {
        eprintln!("compare: warning: built without optimisations; use --release");
    }
    start_watchdog();
    let load_at_start = report::load_average();
    let started = Instant::now();
    let mut rows = Vec::new();
    for (i, w) in workloads.iter().enumerate() {
        eprint!("[{}/{}] {:<32}", i + 1, workloads.len(), w.id());
        let mut row = Comparison {
            workload: w.clone(),
            iters_per_round: 0,
            blitz: SideResult::default(),
            tokio: SideResult::default(),
            foreign_load: None,
        };
        let t0 = Instant::now();
        let (system0, own0) = (SystemCpu::now(), Usage::now());
        measure(w, &settings, &mut row);
        let (system1, own1) = (SystemCpu::now(), Usage::now());
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        row.foreign_load = system0
            .zip(system1)
            .map(|system| measure::foreign_load(system, (own0, own1), t0.elapsed(), cpus));
        eprintln!(
            " {:>7.2?}  other load {:>4}  ratio {}  {}",
            t0.elapsed(),
            row.foreign_load
                .map_or("n/a".to_owned(), |l| format!("{:.0}%", l * 100.0)),
            row.ratio().map_or("n/a".to_owned(), |r| format!("{r:.2}")),
            row.verdict()
        );
        rows.push(row);
    }
    eprintln!("compare: finished in {:.1?}", started.elapsed());

    let table = report::markdown_table(&rows);
    println!("{table}");

    let full = !options.quick && options.filter.is_none();
    if full || options.write {
        let memory = match attempt("memory pass".to_owned(), memory::measure) {
            Ok(memory) => {
                eprint!("{}", memory.markdown());
                Some(memory)
            }
            Err(e) => {
                eprintln!("compare: memory pass failed: {e}");
                None
            }
        };
        let machine = Machine::detect(&load_at_start);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let json = report::json_report(&machine, &settings, &rows, memory.as_ref());
        let json_path = root.join("results/latest.json");
        let svg_path = root.join("results/ratios.svg");
        let md_path = root.join("../BENCHMARKS.md");
        let written = std::fs::create_dir_all(root.join("results"))
            .and_then(|()| {
                let text = serde_json::to_string_pretty(&json).map_err(std::io::Error::other)?;
                std::fs::write(&json_path, text + "\n")
            })
            .and_then(|()| {
                let svg = chart::ratio_svg(&rows).map_err(std::io::Error::other)?;
                std::fs::write(&svg_path, svg)
            })
            .and_then(|()| {
                std::fs::write(
                    &md_path,
                    report::benchmarks_md(&machine, &settings, &rows, memory.as_ref()),
                )
            });
        match written {
            Ok(()) => eprintln!(
                "compare: wrote {}, {} and {}",
                json_path.display(),
                svg_path.display(),
                md_path.display()
            ),
            Err(e) => {
                eprintln!("compare: could not write the results: {e}");
                return ExitCode::from(2);
            }
        }
    }

    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.workload.id())
        .collect();
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("compare: self-check FAILED for: {}", failed.join(", "));
        ExitCode::from(1)
    }
}
