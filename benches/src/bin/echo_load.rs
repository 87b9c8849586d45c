//! `echo_load`: the closed-loop TCP echo load generator used for every echo server.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin echo_load -- --addr 127.0.0.1:7000 \
//!     [--connections 64] [--size 1024] [--duration 5s] [--warmup 1s] [--threads 1]
//!     [--server-pid PID]
//! ```
//!
//! Each connection sends one message of `--size` bytes and waits for the whole echo before
//! sending the next; every echoed byte is compared with what was sent (see
//! `blitz_io_benches::echo::client` for the design: an epoll loop per client thread). Prints a
//! readable summary on stderr and one machine-readable `RESULT key=value ...` line on stdout
//! (what `benches/run-echo.sh` parses). Exit status 1 when any connection failed or echoed a
//! wrong byte, 2 on a usage error. With `--server-pid` it also reads the server's CPU time over
//! the window from `/proc` and reports the share of the machine other processes used meanwhile
//! (`other_load_pct`), to tell a quiet run from a disturbed one.

use std::process::ExitCode;
use std::time::Duration;

use blitz_io_benches::echo::args::Args;
use blitz_io_benches::echo::client::{self, LoadConfig};

const FLAGS: &[&str] = &[
    "addr",
    "connections",
    "size",
    "duration",
    "warmup",
    "threads",
    "server-pid",
];

fn config() -> Result<LoadConfig, String> {
    let args = Args::parse(std::env::args().skip(1), &[])?;
    args.finish(FLAGS)?;
    let addr = args
        .str("addr")
        .ok_or("--addr HOST:PORT is required")?
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    Ok(LoadConfig {
        addr,
        connections: args.get("connections", 64)?,
        size: args.get("size", 1024)?,
        warmup: args.duration("warmup", Duration::from_secs(1))?,
        duration: args.duration("duration", Duration::from_secs(5))?,
        threads: args.get("threads", 1)?,
        server_pid: args
            .str("server-pid")
            .map(str::parse)
            .transpose()
            .map_err(|e| format!("--server-pid: {e}"))?,
    })
}

fn main() -> ExitCode {
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("echo_load: {e}\nflags: --{}", FLAGS.join(" --"));
            return ExitCode::from(2);
        }
    };
    let report = match client::run(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("echo_load: FAILED: {e}");
            return ExitCode::FAILURE;
        }
    };
    let us = |ns: u64| ns as f64 / 1000.0;
    let p50 = us(report.latency.quantile(0.50));
    let p99 = us(report.latency.quantile(0.99));
    let max = us(report.latency.max());
    let share = report.client_cpu_share() * 100.0;
    let other = report
        .other_load()
        .map_or("?".to_owned(), |l| format!("{:.0}", l * 100.0));
    eprintln!(
        "echo_load: {} connections x {} B for {:?} (after {:?} warm-up): {:.0} req/s, \
         p50 {p50:.1} µs, p99 {p99:.1} µs, max {max:.1} µs; client CPU {share:.0} % of {} \
         core(s){}; {} bytes echoed and checked; other processes used {} % of the machine",
        config.connections,
        config.size,
        config.duration,
        config.warmup,
        report.requests_per_sec(),
        report.threads.min(report.allowed_cpus),
        if report.client_saturated() {
            " (SATURATED: the client may be the bottleneck)"
        } else {
            ""
        },
        report.bytes_checked,
        other,
    );
    println!(
        "RESULT requests={} all_requests={} rps={:.0} p50_us={p50:.1} p99_us={p99:.1} \
         max_us={max:.1} client_cpu_pct={share:.0} client_saturated={} bytes_checked={} \
         threads={} allowed_cpus={} other_load_pct={other}",
        report.requests,
        report.all_requests,
        report.requests_per_sec(),
        if report.client_saturated() {
            "yes"
        } else {
            "no"
        },
        report.bytes_checked,
        report.threads,
        report.allowed_cpus,
    );
    if report.requests == 0 {
        eprintln!("echo_load: FAILED: no request completed in the measured window");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
