//! `lateness`: how late timers fire on the real clock, blitz-io beside Tokio.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin lateness [-- --quick] [--write]
//! ```
//!
//! For each runtime (current-thread, and multi-thread with 2 workers) and each duration (1 ms,
//! 10 ms), one task sleeps in a loop; each sample is `elapsed - duration` measured with
//! `std::time::Instant` around the `sleep(..).await`. Sides alternate per configuration so
//! load from other processes hits both alike. Prints p50 / p99 / max lateness per row;
//! `--write` also saves the table to `benches/results/lateness.md`, which `compare` copies into
//! `BENCHMARKS.md`. A sample that is *early* (negative) fails the run: timers must never fire
//! before their deadline.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use blitz_io_benches::report::results::save_table;
use blitz_io_benches::{runtimes, Flavor};

/// Samples per row (fewer for the long sleeps, so a run stays short).
fn samples(duration: Duration, quick: bool) -> usize {
    let base = if duration < Duration::from_millis(5) {
        1000
    } else {
        200
    };
    if quick {
        base / 10
    } else {
        base
    }
}

/// Lateness of each sleep, in nanoseconds; `Err` on an early wake-up.
fn blitz_samples(flavor: Flavor, duration: Duration, n: usize) -> Result<Vec<u64>, String> {
    let rt = runtimes::blitz(flavor);
    rt.block_on(async {
        blitz_io::task::spawn(async move {
            let mut late = Vec::with_capacity(n);
            for _ in 0..n {
                let start = Instant::now();
                blitz_io::time::sleep(duration).await;
                late.push(lateness(start.elapsed(), duration)?);
            }
            Ok(late)
        })
        .await
        .expect("the sampling task does not panic")
    })
}

fn tokio_samples(flavor: Flavor, duration: Duration, n: usize) -> Result<Vec<u64>, String> {
    let rt = runtimes::tokio(flavor, true);
    let result = rt.block_on(async {
        tokio::spawn(async move {
            let mut late = Vec::with_capacity(n);
            for _ in 0..n {
                let start = Instant::now();
                tokio::time::sleep(duration).await;
                late.push(lateness(start.elapsed(), duration)?);
            }
            Ok(late)
        })
        .await
        .expect("the sampling task does not panic")
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

fn lateness(slept: Duration, asked: Duration) -> Result<u64, String> {
    match slept.checked_sub(asked) {
        Some(late) => Ok(late.as_nanos() as u64),
        None => Err(format!("woke {:?} early", asked - slept)),
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

fn fmt_us(ns: u64) -> String {
    format!("{:.0} µs", ns as f64 / 1e3)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let write = args.iter().any(|a| a == "--write");
    let mut table = String::from(
        "| runtime | workers | sleep | samples | blitz-io p50 / p99 / max | \
         Tokio p50 / p99 / max |\n|---|---|---|---|---|---|\n",
    );
    let mut failed = false;
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread(2)] {
        for duration in [Duration::from_millis(1), Duration::from_millis(10)] {
            let n = samples(duration, quick);
            eprintln!("lateness: {} {duration:?} x{n}", flavor.short());
            let mut cells = Vec::new();
            for side in ["blitz-io", "tokio"] {
                let result = if side == "blitz-io" {
                    blitz_samples(flavor, duration, n)
                } else {
                    tokio_samples(flavor, duration, n)
                };
                match result {
                    Ok(mut late) => {
                        late.sort_unstable();
                        cells.push(format!(
                            "{} / {} / {}",
                            fmt_us(percentile(&late, 0.5)),
                            fmt_us(percentile(&late, 0.99)),
                            fmt_us(*late.last().expect("samples")),
                        ));
                    }
                    Err(error) => {
                        failed = true;
                        cells.push(format!("FAILED: {error}"));
                    }
                }
            }
            let _ = writeln!(
                table,
                "| {} | {} | {duration:?} | {n} | {} | {} |",
                if flavor == Flavor::CurrentThread {
                    "current-thread"
                } else {
                    "multi-thread"
                },
                flavor.workers_label(),
                cells[0],
                cells[1],
            );
        }
    }
    print!("{table}");
    if write && !save_table("lateness", "lateness.md", &table) {
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
