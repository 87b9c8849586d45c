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
use crate::workloads::Workload;

mod document;
mod machine;
pub mod results;

pub use document::{benchmarks_md, json_report, Settings};
pub use machine::{load_average, Machine};

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
}
