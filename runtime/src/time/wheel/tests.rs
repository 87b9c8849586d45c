//! Unit tests of the wheel's arithmetic: every timer fires at exactly its tick, at every
//! level, across level boundaries and cascades, from any starting position.

use core::pin::Pin;
use core::ptr::NonNull;

use super::entry::TimerEntry;
use super::{Wheel, MAX_SPAN};

struct Timer {
    entry: Pin<Box<TimerEntry>>,
}

impl Timer {
    fn new(when: u64) -> Timer {
        let timer = Timer {
            entry: Box::pin(TimerEntry::new()),
        };
        // SAFETY: the entry is live and not in any wheel.
        unsafe { TimerEntry::set_when(timer.ptr(), when) };
        timer
    }

    fn ptr(&self) -> NonNull<TimerEntry> {
        NonNull::from(&*self.entry)
    }
}

/// Inserts `timer`; false when it was already due.
fn insert(wheel: &mut Wheel, timer: &Timer) -> bool {
    // SAFETY: the boxed entry is pinned and outlives the wheel's use of it in each test (every
    // test drains or removes its timers before they drop).
    unsafe { wheel.insert(timer.ptr()) }
}

/// Runs the wheel the way paused time does (jump to the next expiration, poll) and returns the
/// tick at which each of `timers` fired.
fn fire_ticks(wheel: &mut Wheel, timers: &[Timer]) -> Vec<u64> {
    let mut fired = vec![None; timers.len()];
    while let Some(next) = wheel.next_expiration() {
        while let Some(entry) = wheel.poll(next) {
            let index = timers.iter().position(|t| t.ptr() == entry).unwrap();
            assert!(fired[index].is_none(), "timer {index} fired twice");
            fired[index] = Some(wheel.elapsed());
        }
    }
    fired
        .into_iter()
        .map(|tick| tick.expect("a timer never fired"))
        .collect()
}

fn check_exact(start: u64, deadlines: &[u64]) {
    let mut wheel = Wheel::new();
    assert!(wheel.poll(start).is_none());
    let timers: Vec<Timer> = deadlines.iter().map(|&d| Timer::new(start + d)).collect();
    for timer in &timers {
        assert!(insert(&mut wheel, timer));
    }
    let fired = fire_ticks(&mut wheel, &timers);
    for (deadline, fired) in deadlines.iter().zip(fired) {
        assert_eq!(fired, start + deadline, "deadline +{deadline} from {start}");
    }
}

/// The original's bug: relative and absolute ticks mixed, so a 5 ms timer fired at 59 ms and a
/// 200 ms timer never. Stepping one tick at a time catches both.
#[test]
fn five_ms_fires_at_five_and_two_hundred_ms_fires() {
    let mut wheel = Wheel::new();
    let five = Timer::new(5);
    let two_hundred = Timer::new(200);
    assert!(insert(&mut wheel, &five));
    assert!(insert(&mut wheel, &two_hundred));
    let mut fired = Vec::new();
    for now in 0..=300 {
        while let Some(entry) = wheel.poll(now) {
            fired.push((entry, now));
        }
    }
    assert_eq!(fired, vec![(five.ptr(), 5), (two_hundred.ptr(), 200)]);
}

#[test]
fn every_level_and_boundary_fires_exactly() {
    let mut deadlines = vec![1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097, 200, 59];
    for level in 1..6u32 {
        let span = 1u64 << (6 * level);
        deadlines.extend([span - 1, span, span + 1, 3 * span + 7]);
    }
    deadlines.push(MAX_SPAN);
    check_exact(0, &deadlines);
}

#[test]
fn after_the_wheel_advanced() {
    let deadlines = [
        1, 5, 63, 64, 200, 1000, 4095, 4096, 70_000, 3_600_000, 86_400_000,
    ];
    for start in [1, 37, 63, 64, 4095, 4096, 262_143, 1_000_003, 99_999_999] {
        check_exact(start, &deadlines);
    }
}

#[test]
fn seconds_hours_days_and_years() {
    let second = 1000;
    let deadlines = [
        second,
        90 * second,
        3600 * second,
        86_400 * second,
        3 * 86_400 * second,
    ];
    check_exact(12_345, &deadlines);
}

#[test]
fn many_timers_same_deadline() {
    check_exact(3, &[500; 100]);
}

#[test]
fn past_deadlines_are_not_linked() {
    let mut wheel = Wheel::new();
    assert!(wheel.poll(100).is_none());
    assert!(!insert(&mut wheel, &Timer::new(100)));
    assert!(!insert(&mut wheel, &Timer::new(3)));
    let later = Timer::new(101);
    assert!(insert(&mut wheel, &later));
    assert_eq!(wheel.poll(101), Some(later.ptr()));
}

/// Beyond the wheel's span: parked at the far end, re-inserted, fired at its exact tick.
#[test]
fn far_deadlines_saturate_but_fire_on_time() {
    let deadlines = [MAX_SPAN + 1, 2 * MAX_SPAN + 12_345, 5 * MAX_SPAN];
    check_exact(777, &deadlines);
}

/// A coarse jump fires everything up to `now`, and nothing after it.
#[test]
fn big_jump_fires_exactly_the_due_ones() {
    let mut wheel = Wheel::new();
    let timers: Vec<Timer> = [10, 5000, 70_000, 70_001, 9_000_000]
        .iter()
        .map(|&d| Timer::new(d))
        .collect();
    for timer in &timers {
        assert!(insert(&mut wheel, timer));
    }
    let mut fired = Vec::new();
    while let Some(entry) = wheel.poll(70_000) {
        fired.push(entry);
    }
    assert_eq!(
        fired,
        vec![timers[0].ptr(), timers[1].ptr(), timers[2].ptr()]
    );
    assert_eq!(wheel.next_expiration().map(|t| t <= 70_001), Some(true));
    assert_eq!(
        fire_ticks(&mut wheel, &timers[3..]),
        vec![70_001, 9_000_000]
    );
}

#[test]
fn removed_timers_never_fire() {
    let mut wheel = Wheel::new();
    let keep = Timer::new(300);
    let drop_level0 = Timer::new(3);
    let drop_level2 = Timer::new(5000);
    for timer in [&keep, &drop_level0, &drop_level2] {
        assert!(insert(&mut wheel, timer));
    }
    // SAFETY: both are linked in this wheel.
    unsafe {
        wheel.remove(drop_level0.ptr());
        wheel.remove(drop_level2.ptr());
        // Removing twice is a no-op.
        wheel.remove(drop_level2.ptr());
    }
    let mut fired = Vec::new();
    while let Some(next) = wheel.next_expiration() {
        while let Some(entry) = wheel.poll(next) {
            fired.push(entry);
        }
    }
    assert_eq!(fired, vec![keep.ptr()]);
}

/// Removal from the pending list (due, not handed out yet).
#[test]
fn remove_while_pending() {
    let mut wheel = Wheel::new();
    let a = Timer::new(10);
    let b = Timer::new(10);
    assert!(insert(&mut wheel, &a));
    assert!(insert(&mut wheel, &b));
    let first = wheel.poll(10).unwrap();
    let other = if first == a.ptr() { &b } else { &a };
    // SAFETY: `other` is pending in this wheel.
    unsafe { wheel.remove(other.ptr()) };
    assert!(wheel.poll(10).is_none());
    assert_eq!(wheel.next_expiration(), None);
}

/// A pseudo-random mix of deadlines from a pseudo-random start, against a sorted reference.
#[test]
fn random_deadlines_fire_in_order_and_on_time() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20 {
        let start = next() % 10_000_000;
        let deadlines: Vec<u64> = (0..200)
            .map(|_| 1 + next() % (1 << (6 * (1 + next() % 6))))
            .collect();
        check_exact(start, &deadlines);
    }
}
