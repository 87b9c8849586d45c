//! Process-wide resource counters read with `getrusage(RUSAGE_SELF)`.
//!
//! `RUSAGE_SELF` sums over every thread of the process, so a delta taken around a timed
//! section covers the runtime's workers as well as the thread that drives `block_on`. The
//! `compare` binary shuts one side's runtime down (threads joined) before the other side
//! runs, so a delta only ever contains the side being measured.
//!
//! The machine is shared, so [`SystemCpu`] also reads the CPU time of the whole machine from
//! `/proc/stat`: the machine's busy time minus this process's CPU time over the same interval
//! is the load other processes put on the machine meanwhile ([`foreign_load`]).

use std::time::Duration;

/// One reading of the process's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// User plus system CPU time of all threads.
    pub cpu: Duration,
    /// Voluntary context switches (a thread blocked: parked, slept, waited on a lock).
    pub voluntary_switches: u64,
    /// Involuntary context switches (a thread was preempted).
    pub involuntary_switches: u64,
}

impl Usage {
    /// Reads the counters now.
    ///
    /// # Panics
    /// When `getrusage` fails, which it cannot for `RUSAGE_SELF` and a valid buffer.
    pub fn now() -> Usage {
        let mut raw = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `raw` is a valid, writable `rusage` buffer for the duration of the call, and
        // `RUSAGE_SELF` is a valid `who` argument.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, raw.as_mut_ptr()) };
        assert_eq!(
            rc,
            0,
            "getrusage failed: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: the buffer was zero-initialised (a valid `rusage`) and `getrusage` succeeded,
        // filling it in.
        let raw = unsafe { raw.assume_init() };
        Usage {
            cpu: timeval(raw.ru_utime) + timeval(raw.ru_stime),
            voluntary_switches: raw.ru_nvcsw as u64,
            involuntary_switches: raw.ru_nivcsw as u64,
        }
    }

    /// Counters accumulated since `earlier`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
        }
    }
}

/// Busy CPU time of the whole machine (all CPUs, all processes), from `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemCpu {
    busy: Duration,
}

impl SystemCpu {
    /// Busy time (all CPUs) since boot.
    pub fn busy(self) -> Duration {
        self.busy
    }

    /// Reads `/proc/stat` now; `None` when it is unavailable.
    pub fn now() -> Option<SystemCpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        // Fields: user nice system idle iowait irq softirq steal guest guest_nice. Busy is
        // everything but idle and iowait; guest time is already inside user.
        let busy_ticks: u64 = line
            .split_whitespace()
            .skip(1)
            .take(8)
            .enumerate()
            .filter(|&(i, _)| i != 3 && i != 4)
            .map(|(_, f)| f.parse::<u64>().unwrap_or(0))
            .sum();
        // SAFETY: `sysconf` only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let hz = if hz > 0 { hz as u64 } else { 100 };
        Some(SystemCpu {
            busy: Duration::from_nanos(busy_ticks.saturating_mul(1_000_000_000 / hz)),
        })
    }
}

/// The share of the machine's CPU capacity (`cpus × wall`) that other processes used between
/// two readings: machine busy time minus this process's CPU time, clamped to `0..=1`. The
/// resolution of `/proc/stat` is a clock tick (usually 10 ms), so use it over seconds.
pub fn foreign_load(
    system: (SystemCpu, SystemCpu),
    own: (Usage, Usage),
    wall: Duration,
    cpus: usize,
) -> f64 {
    let machine = system.1.busy.saturating_sub(system.0.busy).as_secs_f64();
    let ours = own.1.since(own.0).cpu.as_secs_f64();
    let capacity = wall.as_secs_f64() * cpus.max(1) as f64;
    if capacity <= 0.0 {
        return 0.0;
    }
    ((machine - ours) / capacity).clamp(0.0, 1.0)
}

/// User plus system CPU time of another process so far, from `/proc/PID/stat` (clock-tick
/// resolution, usually 10 ms); `None` when it cannot be read.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count fields from the
    // last `)`. After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(ticks(utime + stime))
}

/// CPUs online in the machine (not only those this process may use).
pub fn online_cpus() -> usize {
    // SAFETY: `sysconf` only reads a configuration value.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 {
        n as usize
    } else {
        1
    }
}

fn ticks(n: u64) -> Duration {
    // SAFETY: `sysconf` only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as u64 } else { 100 };
    Duration::from_nanos(n.saturating_mul(1_000_000_000 / hz))
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

#[cfg(test)]
mod tests {
    use super::Usage;

    #[test]
    fn own_process_cpu_from_proc_matches_getrusage() {
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let proc = super::process_cpu(std::process::id()).expect("/proc/self/stat");
        let rusage = Usage::now().cpu;
        // Same counters, different resolution (ticks against microseconds).
        let diff = proc.abs_diff(rusage);
        assert!(
            diff < std::time::Duration::from_millis(50),
            "{proc:?} vs {rusage:?}"
        );
        assert!(super::process_cpu(u32::MAX).is_none());
        assert!(super::online_cpus() >= 1);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = Usage::now();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let delta = Usage::now().since(before);
        assert!(
            delta.cpu >= std::time::Duration::from_millis(10),
            "{delta:?}"
        );
    }
}
