//! `instructions`: runs one workload on one runtime, for counting instructions under
//! `valgrind --tool=callgrind` (see `benches/callgrind.sh`).
//!
//! ```text
//! instructions WORKLOAD blitz|tokio [ITERS]
//! ```
//!
//! Design: single-thread setups, so the count is one scheduler's work and not a race between
//! workers: `yield_many` and `chained_spawn` run on a multi-thread runtime with ONE worker,
//! `spawn_many_local` is the current-thread workload (`rt_curr_spawn_many_local`), and the
//! timer rows `timeout_ready` (create+drop of a timeout that never fires) and
//! `timeout_cancel` (inserted into the wheel, then dropped) are their current-thread rows. The body is
//! the same workload code `compare` runs, with its self-checks. The binary builds the runtime,
//! runs one untimed warm-up iteration, then `ITERS` iterations (default 1), and prints
//! `ops_per_iter=N` on stdout. A run's total instruction count includes start-up and
//! shutdown, so the script runs two iteration counts and divides the difference by the extra
//! ops: the fixed costs cancel out.

use std::process::ExitCode;

use blitz_io_benches::{Flavor, Workload};

const USAGE: &str = "usage: instructions \
    yield_many|spawn_many_local|chained_spawn|timeout_ready|timeout_cancel blitz|tokio [ITERS]";

/// The single-thread variant of a workload.
fn workload(name: &str) -> Option<Workload> {
    let (id, flavor) = match name {
        "yield_many" => ("yield_many/mt2", Flavor::MultiThread(1)),
        "chained_spawn" => ("chained_spawn/mt2", Flavor::MultiThread(1)),
        "spawn_many_local" => ("spawn_many_local/ct", Flavor::CurrentThread),
        "timeout_ready" => ("timeout_ready/ct", Flavor::CurrentThread),
        "timeout_cancel" => ("timeout_cancel/ct", Flavor::CurrentThread),
        _ => return None,
    };
    let mut w = blitz_io_benches::all().into_iter().find(|w| w.id() == id)?;
    w.flavor = flavor;
    Some(w)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(w), Some(side)) = (
        args.first().and_then(|n| workload(n)),
        args.get(1).map(String::as_str),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let iters: u64 = match args.get(2).map(|n| n.parse()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match side {
        "blitz" => {
            let rt = w.blitz_runtime();
            for _ in 0..=iters {
                w.run_blitz(&rt);
            }
            drop(rt);
        }
        "tokio" => {
            let rt = w.tokio_runtime();
            for _ in 0..=iters {
                w.run_tokio(&rt);
            }
            drop(rt);
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    println!("ops_per_iter={}", w.ops_per_iter);
    ExitCode::SUCCESS
}
