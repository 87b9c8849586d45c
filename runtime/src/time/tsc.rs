//! Creation stamps for relative timers: the CPU's time-stamp counter instead of a clock read.
//!
//! `sleep(d)` and `timeout(d, f)` mean "`d` after this call", so they need the time of the
//! call. Most timeouts never wait (the guarded future is ready at its first poll), and for
//! them that clock read (`clock_gettime`, 20–25 ns on a VM) was most of their cost. A `rdtsc`
//! costs about 10 ns. So a relative timer records the counter, and its first poll that finds
//! the guarded future pending (which reads the clock anyway) converts the counter difference
//! back to a creation instant.
//!
//! The conversion always errs late, so a timer never fires before its deadline:
//! - the elapsed time is an under-estimate: the counter rate is calibrated against the
//!   monotonic clock over at least [`CALIBRATION_WINDOW`], counting the ticks from before the
//!   first clock read to after the second (a pair of reads that took longer than 1/10 000 of
//!   the window, say because the thread was preempted, is discarded and retried), then taken
//!   1/1024 (≈ 980 ppm) fast, which covers the kernel's ±500 ppm NTP slew limit;
//!   [`REORDER_MARGIN`] more is subtracted for a counter read that ran ahead of its place in
//!   program order (plain `rdtsc` is not serialising) and for the small skew between CPUs'
//!   counters when a timer is stamped on one CPU and polled on another (the kernel keeps them
//!   within a few cycles of each other, or stops using the TSC as its clock);
//! - the current counter is read before the clock, so the clock read is the later one;
//! - a counter that went backwards (a stamp taken on another CPU) counts as no time elapsed;
//! - every conversion also checks the counter against the clock since the calibration
//!   anchor: a counter ahead of the clock (one that kept counting through a suspend, or that
//!   the kernel stopped trusting) turns stamps off for the rest of the process, and that timer
//!   counts from its first poll.
//!
//! So a timer first polled `t` after its creation completes up to `t / 1024` later than with
//! a clock read at creation (a microsecond for a timer awaited a millisecond late).
//!
//! Used only where the kernel itself keeps time with this counter: x86-64 Linux, invariant TSC
//! (CPUID), and `tsc` as the current clocksource. Elsewhere, under loom, and until calibrated
//! (the first [`CALIBRATION_WINDOW`] after the first runtime starts), [`stamp`] returns `None`
//! and the caller reads the clock at creation as before.
// Elsewhere no stamps are taken, but the portable arithmetic stays compiled and tested.
#![cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux", not(blitz_loom))),
    allow(dead_code)
)]

use std::time::{Duration, Instant};

/// Minimum time between the anchor and the calibrating clock read.
pub(crate) const CALIBRATION_WINDOW: Duration = Duration::from_millis(10);

/// Subtracted from every elapsed estimate: a bound on how far an unserialised counter read
/// can run ahead of the instructions before it.
pub(crate) const REORDER_MARGIN: Duration = Duration::from_nanos(200);

/// A counter reading taken when a relative timer was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(u64);

pub(crate) use imp::{init, observe, stamp};

impl Stamp {
    /// A lower bound on the instant this stamp was taken, and `now`: the clock read that the
    /// bound was measured against. Never later than `now`.
    pub(crate) fn resolve(self) -> (Instant, Instant) {
        let counter = imp::read_counter();
        let now = Instant::now();
        let rate = imp::ns_per_tick_low();
        let elapsed = if imp::still_agrees(counter, now, rate) {
            elapsed_at_least(counter.wrapping_sub(self.0), rate)
        } else {
            Duration::ZERO
        };
        (now.checked_sub(elapsed).unwrap_or(now), now)
    }
}

/// Whether the counter, converted at `rate`, covers no more time since `anchor` than the clock
/// does. A rate calibrated low always does; one that does not means the counter jumped or runs
/// fast against the clock (a suspend it kept counting through, or a kernel that stopped trusting
/// it), and stamps must stop.
fn counter_within_clock(anchor: Bracket, counter: u64, now: Instant, rate: u64) -> bool {
    let by_counter = elapsed_at_least(counter.wrapping_sub(anchor.after), rate);
    by_counter <= now.saturating_duration_since(anchor.clock)
}

/// Converts a counter difference (wrapped: a "negative" one is a stamp from a CPU whose
/// counter runs ahead) into a duration that is at most the real elapsed time.
fn elapsed_at_least(ticks: u64, ns_per_tick_low: u64) -> Duration {
    if ticks > i64::MAX as u64 {
        return Duration::ZERO;
    }
    let nanos = (u128::from(ticks) * u128::from(ns_per_tick_low)) >> 32;
    let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
    Duration::from_nanos(nanos).saturating_sub(REORDER_MARGIN)
}

/// Counter readings just before and just after one clock read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bracket {
    before: u64,
    clock: Instant,
    after: u64,
}

/// The rate over `start..end`, or `None` to try again later: when the brackets are wider than
/// 1/10 000 of the interval (the thread was preempted between its reads) or the counter went
/// backwards (the two ends were read on CPUs whose counters disagree).
fn rate_between(start: Bracket, end: Bracket) -> Option<u64> {
    // From before the first clock read to after the second: at least the ticks the clock
    // interval covers, so the rate errs low.
    let ticks = end.after.wrapping_sub(start.before);
    let slack =
        (end.after.wrapping_sub(end.before)).saturating_add(start.after.wrapping_sub(start.before));
    if ticks > i64::MAX as u64 || slack > ticks / 10_000 {
        return None;
    }
    calibrate(ticks, end.clock.saturating_duration_since(start.clock))
}

/// Nanoseconds per counter tick in 32.32 fixed point, from a measured pair of intervals, made
/// 1/1024 smaller so that conversions under-estimate. `None` if the intervals are unusable.
fn calibrate(ticks: u64, elapsed: Duration) -> Option<u64> {
    if ticks == 0 || ticks > i64::MAX as u64 {
        return None;
    }
    let scaled = (elapsed.as_nanos() << 32) / u128::from(ticks);
    let scaled = u64::try_from(scaled).ok()?;
    let low = scaled - scaled / 1024;
    (low > 1).then_some(low)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux", not(blitz_loom)))]
mod imp {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::OnceLock;
    use std::time::Instant;

    use super::{counter_within_clock, rate_between, Bracket, Stamp, CALIBRATION_WINDOW};

    /// 0: not calibrated yet; 1: not usable here; otherwise `calibrate`'s fixed-point rate.
    static RATE: AtomicU64 = AtomicU64::new(0);
    const UNUSABLE: u64 = 1;

    /// The start of the calibration window.
    static ANCHOR: OnceLock<Bracket> = OnceLock::new();

    /// Checks this machine once per process and takes the calibration anchor (the narrowest
    /// of a few brackets, so that one preemption does not widen it). Called when a runtime's
    /// clock is built.
    pub(crate) fn init() {
        ANCHOR.get_or_init(|| {
            if !counter_is_the_kernels_clock() {
                RATE.store(UNUSABLE, Relaxed);
            }
            let width = |b: &Bracket| b.after.wrapping_sub(b.before);
            (0..4)
                .map(|_| bracketed_read())
                .min_by_key(width)
                .expect("four reads")
        });
    }

    fn bracketed_read() -> Bracket {
        let before = read_counter();
        let clock = Instant::now();
        let after = read_counter();
        Bracket {
            before,
            clock,
            after,
        }
    }

    /// A stamp, if the counter is calibrated.
    #[inline(always)]
    pub(crate) fn stamp() -> Option<Stamp> {
        if RATE.load(Relaxed) > UNUSABLE {
            return Some(Stamp(read_counter()));
        }
        None
    }

    /// Offers a clock read taken because [`stamp`] gave none, to calibrate with.
    #[inline(always)]
    pub(crate) fn observe(now: Instant) {
        if RATE.load(Relaxed) == 0 {
            calibrate_at(now);
        }
    }

    #[cold]
    #[inline(never)]
    fn calibrate_at(now: Instant) {
        let Some(&anchor) = ANCHOR.get() else {
            return;
        };
        if now.saturating_duration_since(anchor.clock) < CALIBRATION_WINDOW {
            return;
        }
        // A preempted or cross-CPU read gives no rate; a later creation tries again.
        if let Some(rate) = rate_between(anchor, bracketed_read()) {
            // Racing calibrations each store a valid rate; keep the first.
            let _ = RATE.compare_exchange(0, rate, Relaxed, Relaxed);
        }
    }

    pub(super) fn ns_per_tick_low() -> u64 {
        RATE.load(Relaxed)
    }

    /// Checks a resolving read against the anchor (`counter_within_clock`); on a mismatch,
    /// no more stamps are taken in this process.
    pub(super) fn still_agrees(counter: u64, now: Instant, rate: u64) -> bool {
        let Some(&anchor) = ANCHOR.get() else {
            return false;
        };
        if counter_within_clock(anchor, counter, now, rate) {
            return true;
        }
        RATE.store(UNUSABLE, Relaxed);
        false
    }

    #[inline(always)]
    pub(super) fn read_counter() -> u64 {
        // SAFETY: `rdtsc` is part of the x86-64 baseline and has no memory effects.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    /// Invariant TSC (constant rate, runs in deep C-states) and the kernel keeping
    /// CLOCK_MONOTONIC with it, so the two advance together.
    fn counter_is_the_kernels_clock() -> bool {
        use core::arch::x86_64::__cpuid;
        // Leaf 0x8000_0000 reports the highest extended leaf, checked before 0x8000_0007.
        let invariant =
            __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0;
        let source = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
        invariant && std::fs::read_to_string(source).is_ok_and(|name| name.trim() == "tsc")
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(blitz_loom))))]
mod imp {
    use super::Stamp;

    pub(crate) fn init() {}

    #[inline(always)]
    pub(crate) fn stamp() -> Option<Stamp> {
        None
    }

    #[inline(always)]
    pub(crate) fn observe(_now: std::time::Instant) {}

    pub(super) fn ns_per_tick_low() -> u64 {
        unreachable!("no stamps are taken on this target")
    }

    pub(super) fn still_agrees(_counter: u64, _now: std::time::Instant, _rate: u64) -> bool {
        unreachable!("no stamps are taken on this target")
    }

    pub(super) fn read_counter() -> u64 {
        unreachable!("no stamps are taken on this target")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_errs_low_by_about_a_thousandth() {
        // 3 GHz: 1/3 ns per tick.
        let rate = calibrate(3_000_000_000, Duration::from_secs(1)).unwrap();
        let exact = (1u128 << 32) / 3;
        assert!(u128::from(rate) < exact);
        assert!(u128::from(rate) > exact - exact / 1000);
    }

    #[test]
    fn unusable_intervals_give_no_rate() {
        assert_eq!(calibrate(0, Duration::from_millis(10)), None);
        assert_eq!(calibrate(u64::MAX, Duration::from_millis(10)), None);
    }

    #[test]
    fn a_wide_or_backwards_bracket_gives_no_rate_yet() {
        let start = Instant::now();
        let at = |before: u64, ms: u64, after: u64| Bracket {
            before,
            clock: start + Duration::from_millis(ms),
            after,
        };
        // 10 ms at 3 GHz, reads 100 ticks wide: a rate, a little under 1/3 ns per tick.
        let rate = rate_between(at(0, 0, 100), at(30_000_000, 10, 30_000_100)).unwrap();
        assert!(u128::from(rate) < (1u128 << 32) / 3);
        // The thread was preempted for 10 µs between two reads: retry later.
        assert_eq!(
            rate_between(at(0, 0, 30_000), at(30_000_000, 10, 30_000_100)),
            None
        );
        // The second end was read on a CPU whose counter is behind.
        assert_eq!(rate_between(at(1000, 0, 1100), at(10, 10, 20)), None);
    }

    #[test]
    fn a_counter_that_outruns_the_clock_is_caught() {
        let start = Instant::now();
        let anchor = Bracket {
            before: 0,
            clock: start,
            after: 100,
        };
        let rate = calibrate(3_000_000_000, Duration::from_secs(1)).unwrap();
        let later = start + Duration::from_millis(10);
        // 3 GHz for 10 ms: in step with the clock.
        assert!(counter_within_clock(anchor, 30_000_100, later, rate));
        // 0.2 % more ticks than the clock allows: a jump, or a counter running fast.
        assert!(!counter_within_clock(anchor, 30_060_100, later, rate));
        // Behind the anchor: no time by the counter, which is never too much.
        assert!(counter_within_clock(anchor, 50, later, rate));
    }

    #[test]
    fn elapsed_is_an_under_estimate() {
        let rate = calibrate(3_000_000_000, Duration::from_secs(1)).unwrap();
        let one_ms = elapsed_at_least(3_000_000, rate);
        assert!(one_ms < Duration::from_millis(1));
        assert!(one_ms > Duration::from_millis(1) - Duration::from_micros(2));
        // Under the reorder margin: nothing.
        assert_eq!(elapsed_at_least(300, rate), Duration::ZERO);
        // A counter behind the stamp (another CPU's): nothing.
        assert_eq!(elapsed_at_least(0u64.wrapping_sub(5), rate), Duration::ZERO);
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux", not(blitz_loom)))]
    fn a_resolved_stamp_lies_between_the_real_creation_and_the_clock_read() {
        init();
        // Real time has to pass for the calibration window; nothing else is waited for.
        std::thread::sleep(CALIBRATION_WINDOW);
        // Calibrates (a try whose reads were preempted gives no rate; the next one does).
        for _ in 0..100 {
            observe(Instant::now());
        }
        if imp::ns_per_tick_low() <= 1 {
            return; // the counter is not the kernel's clock here: stamps are never taken
        }
        for _ in 0..1000 {
            let before = Instant::now();
            let stamp = stamp().expect("calibrated");
            let (created, now) = stamp.resolve();
            assert!(
                before <= created && created <= now,
                "{before:?} {created:?} {now:?}"
            );
        }
        assert!(
            imp::ns_per_tick_low() > 1,
            "a resolve found the counter out of step"
        );
    }
}
