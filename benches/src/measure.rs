//! Process-wide resource counters read with `getrusage(RUSAGE_SELF)`.
//!
//! `RUSAGE_SELF` sums over every thread of the process, so a delta taken around a timed
//! section covers the runtime's workers as well as the thread that drives `block_on`. The
//! `compare` binary shuts one side's runtime down (threads joined) before the other side
//! runs, so a delta only ever contains the side being measured.

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

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

#[cfg(test)]
mod tests {
    use super::Usage;

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
