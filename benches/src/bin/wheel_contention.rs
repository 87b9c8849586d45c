//! `wheel_contention`: one shared timer wheel against one wheel per worker, each behind its own
//! lock (the layout question of the time issue; the answer is in `docs/decisions.md`).
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin wheel_contention [-- --quick]
//! ```
//!
//! Each thread registers a timer 100 ms out and unregisters it, `OPS` times: the part of a
//! cancelled timeout that takes the wheel lock, on real time drivers (the runtime's own
//! `time::driver`, through the `bench-internals` feature). Layouts: `shared` (every thread on
//! one wheel), `per-worker` (thread `i` on wheel `i`), and `per-worker, 1/k remote` (every
//! `k`-th timer on the next thread's wheel, as a sleep dropped after its task was stolen).
//! Each row is the median of several runs, alternating layouts; it prints wall time per
//! timer and CPU time (`getrusage`) per timer. On a machine with fewer CPUs than threads the
//! rows show oversubscription as much as contention: read them with the CPU count printed
//! first.

use blitz_io_benches::measure::Usage;
use blitz_io_benches::report::Summary;

const OPS: usize = 200_000;

struct Layout {
    name: &'static str,
    /// Wheels for `threads` threads.
    wheels: fn(usize) -> usize,
    remote_every: usize,
}

const LAYOUTS: [Layout; 3] = [
    Layout {
        name: "shared",
        wheels: |_| 1,
        remote_every: 0,
    },
    Layout {
        name: "per-worker",
        wheels: |threads| threads,
        remote_every: 0,
    },
    Layout {
        name: "per-worker, 1/10 remote",
        wheels: |threads| threads,
        remote_every: 10,
    },
];

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (ops, runs) = if quick { (OPS / 20, 3) } else { (OPS, 7) };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("wheel_contention: {cpus} CPUs, {ops} timers per thread, median of {runs} runs");
    println!();
    println!("| threads | layout | wall ns / timer | CPU ns / timer |");
    println!("|---|---|---|---|");
    for threads in [1, 2, 4] {
        let mut rows: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); LAYOUTS.len()];
        for _ in 0..runs {
            for (layout, row) in LAYOUTS.iter().zip(rows.iter_mut()) {
                let before = Usage::now();
                let wall = blitz_io::__bench::wheel_contention(
                    threads,
                    (layout.wheels)(threads),
                    ops,
                    layout.remote_every,
                );
                let cpu = Usage::now().since(before).cpu;
                let timers = (threads * ops) as f64;
                row.0.push(wall.as_nanos() as f64 / timers);
                row.1.push(cpu.as_nanos() as f64 / timers);
            }
        }
        for (layout, (wall, cpu)) in LAYOUTS.iter().zip(rows) {
            if threads == 1 && layout.remote_every > 0 {
                continue; // One thread has no other wheel to reach.
            }
            println!(
                "| {threads} | {} | {:.1} | {:.1} |",
                layout.name,
                Summary::of(&wall).expect("runs").median,
                Summary::of(&cpu).expect("runs").median
            );
        }
    }
}
