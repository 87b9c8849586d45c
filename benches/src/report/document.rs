//! The files `compare --write` produces: the JSON report and `BENCHMARKS.md` (method, verdict
//! rule, notes per workload, the table, memory and timer sections), built from the same
//! [`Comparison`] rows as the terminal table.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::{markdown_table, Comparison, Machine, SideResult, Summary, VERDICT_RULE};
use crate::memory::Memory;

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

/// The Scheduler notes section: what decides the multi-thread rows that are hardest to read
/// from the table alone (details and measurements in `docs/decisions.md`, "Scheduler").
fn scheduler_section() -> &'static str {
    "## Scheduler notes\n\n\
     - `spawn_many_remote_busy2`: the background load is Tokio's, one spawn chain per worker \
     (each task stalls 10 µs, then spawns its successor), so no local queue is ever empty and \
     the 1 000 remote tasks are reached only by the periodic global-queue check. Tokio takes \
     one task per check (its row is ~10 chain polls per remote task); blitz-io takes the \
     worker's share of the backlog (length / workers + 1, at most half a local queue) on that \
     check as it does when its queue is empty, so its time is the spawning and joining, not \
     the chains. Both runtimes' CPU per op is the chains' stalls over the iteration.\n\
     - `yield_many`: a yield is three state-word updates on Tokio; on blitz-io a `yield_now` \
     polled with the task's own waker skips the wake, so two (the harness marks the task \
     notified as it leaves `RUNNING`). Semantics are unchanged: the task runs after the tasks \
     already queued and after the driver poll.\n\
     - `ping_pong` at 4 workers: 4 workers share 2 CPUs, so its CPU per op counts every idle \
     transition (search, spin, futex sleep and wake), and blitz-io's stays above Tokio's \
     (see `docs/decisions.md`). A parking worker spins only if a CPU is free, and a parked \
     driver turn waits for a concurrent turn instead of returning into a hot retry loop.\n\n"
}

/// The text of `BENCHMARKS.md`.
/// The Timers section: what the timer rows measure, and the tables that the `sleep_million`
/// and `lateness` binaries write to `benches/results/` (copied when present).
fn timers_section() -> String {
    let mut out = String::from(
        "## Timers\n\n\
         - `timeout_ready` (current-thread): `timeout(1 s, async {})` created, polled once and \
         dropped, 10 000 per iteration: the create+drop cost of a timeout that never fires and \
         is never registered. Tokio reads the monotonic clock once per timeout (the deadline), \
         most of its cost on this VM; blitz-io stamps the CPU counter instead and reads the \
         clock only at a first pending poll (`docs/decisions.md`, Time).\n\
         - `timeout_cancel` (current-thread): `timeout(1 s, yield_now())`: the timer is \
         inserted into the wheel on the first (pending) poll, then unlinked by the drop.\n\
         - `sleep_fire` (2 workers): 1 000 tasks each `sleep(1 ms)`; each checks it did not wake \
         early. Mostly the wait itself.\n\
         - `sleep_many` (2 workers): 200 000 tasks sleeping 10-59 ms at once. All are alive at \
         the peak, so the allocation pass's bytes/op is the heap cost of one sleeping task \
         (task + timer); its allocs/op shows the timer itself allocates nothing (one allocation \
         per task, the task).\n\n\
         A million at once (`cargo run --release -p blitz-io-benches --bin sleep_million -- \
         --write`, not run by `compare`): each side in its own child process, 2 workers, one \
         task spawning 1 000 000 tasks that each sleep until 2-3 s after their start; set-up \
         is spawn + first poll + timer insert per task, then how far the last wake trails the \
         latest deadline, CPU per task over the whole run, and peak resident memory growth \
         (`VmHWM` over the resident set before the runtime) per task; medians of 3 runs per \
         side. A task that wakes early fails the run.\n\n",
    );
    super::results::push_table(&mut out, "sleep_million.md", "run `sleep_million --write`");
    out.push_str(
        "Real-clock lateness (`cargo run --release -p blitz-io-benches --bin lateness -- \
         --write`): one task sleeping in a loop, lateness = measured sleep minus requested. Both \
         runtimes round a deadline up to their 1 ms tick, and a task that sleeps again right \
         after waking sits just after a tick edge, so ~1 ms is the expected median for both.\n\n",
    );
    super::results::push_table(&mut out, "lateness.md", "run `lateness --write`");
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
         out). Instructions are not cycles: valgrind turns the vDSO clock read into a plain \
         system call, counted as a handful of instructions, so the `timeout_ready` row does \
         not see what blitz-io's counter stamp saves. Needs valgrind; `PROFILE=ci` builds \
         faster. It writes \
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
    out.push_str(scheduler_section());
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
