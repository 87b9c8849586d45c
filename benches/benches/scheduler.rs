//! Criterion suite: every workload of `blitz_io_benches::all()`, blitz-io and Tokio side by
//! side in one group per workload (`<name>-<flavour>`, e.g. `ping_pong-mt4`, with functions
//! `blitz-io` and `tokio`).
//!
//! Design: as in Tokio's own suites, each side builds its runtime once and iterates the
//! workload on it; the runtime is built lazily, inside the first call of the benchmark
//! closure, so a benchmark excluded by a command-line filter starts no threads. After the
//! function has run, the background load (if any) is stopped and the runtime shut down, so the
//! two sides never run concurrently. The workloads check their own results, so a runtime that
//! skips work panics instead of reporting a fast time.
//!
//! `cargo bench -p blitz-io-benches --bench scheduler -- ping_pong` runs one group; the
//! `compare` binary gives the CPU, park, context-switch and allocation figures this suite does
//! not.

use std::time::Duration;

use blitz_io_benches::{all, Background};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn scheduler(c: &mut Criterion) {
    for w in all() {
        let mut group = c.benchmark_group(format!("{}-{}", w.name, w.flavor.short()));
        group.throughput(Throughput::Elements(w.ops_per_iter));

        let mut blitz: Option<(blitz_io::Runtime, Background)> = None;
        group.bench_function("blitz-io", |b| {
            let (rt, _) = blitz.get_or_insert_with(|| {
                let rt = w.blitz_runtime();
                let background = w.start_blitz(&rt);
                (rt, background)
            });
            b.iter(|| w.run_blitz(rt));
        });
        if let Some((rt, background)) = blitz.take() {
            background.stop();
            drop(rt);
        }

        let mut tokio: Option<(tokio::runtime::Runtime, Background)> = None;
        group.bench_function("tokio", |b| {
            let (rt, _) = tokio.get_or_insert_with(|| {
                let rt = w.tokio_runtime();
                let background = w.start_tokio(&rt);
                (rt, background)
            });
            b.iter(|| w.run_tokio(rt));
        });
        if let Some((rt, background)) = tokio.take() {
            background.stop();
            rt.shutdown_timeout(Duration::from_secs(1));
        }

        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Fewer, shorter samples than criterion's defaults: 32 benchmarks on a shared 2-core
    // machine. Command-line flags (`--sample-size`, `--measurement-time`) still override.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scheduler
}
criterion_main!(benches);
