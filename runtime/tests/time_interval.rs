//! `time::interval`: first tick at once, then every period; catch-up after a delay under each
//! `MissedTickBehavior`.

use std::time::Duration;

use blitz_io::runtime::Builder;
use blitz_io::time::{self, Instant, MissedTickBehavior};
use blitz_io::Runtime;

fn paused() -> Runtime {
    Builder::new_current_thread()
        .start_paused(true)
        .build()
        .expect("a paused current-thread runtime")
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn first_tick_is_immediate_then_every_period() {
    paused().block_on(async {
        let start = Instant::now();
        let mut interval = time::interval(10 * MS);
        assert_eq!(interval.period(), 10 * MS);
        assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
        for n in 0..5u32 {
            let scheduled = interval.tick().await;
            assert_eq!(scheduled, start + n * 10 * MS);
            assert_eq!(Instant::now(), scheduled);
        }
    });
}

#[test]
fn interval_at_starts_later() {
    paused().block_on(async {
        let start = Instant::now();
        let mut interval = time::interval_at(start + 25 * MS, 10 * MS);
        assert_eq!(interval.tick().await, start + 25 * MS);
        assert_eq!(interval.tick().await, start + 35 * MS);
    });
}

/// Ticks taken (scheduled instant, clock when returned), in ms from the start, after the task
/// was busy until 35 ms with a 10 ms period.
async fn ticks_after_delay(behavior: MissedTickBehavior) -> Vec<(u64, u64)> {
    let start = Instant::now();
    let ms = |instant: Instant| (instant - start).as_millis() as u64;
    let mut interval = time::interval(10 * MS);
    interval.set_missed_tick_behavior(behavior);
    assert_eq!(ms(interval.tick().await), 0);
    time::advance(35 * MS).await;
    let mut ticks = Vec::new();
    for _ in 0..5 {
        let scheduled = interval.tick().await;
        ticks.push((ms(scheduled), ms(Instant::now())));
    }
    ticks
}

#[test]
fn burst_fires_the_missed_ticks_back_to_back() {
    let ticks = paused().block_on(ticks_after_delay(MissedTickBehavior::Burst));
    assert_eq!(ticks, [(10, 35), (20, 35), (30, 35), (40, 40), (50, 50)]);
}

#[test]
fn delay_shifts_the_schedule() {
    let ticks = paused().block_on(ticks_after_delay(MissedTickBehavior::Delay));
    assert_eq!(ticks, [(10, 35), (45, 45), (55, 55), (65, 65), (75, 75)]);
}

#[test]
fn skip_keeps_the_schedule() {
    let ticks = paused().block_on(ticks_after_delay(MissedTickBehavior::Skip));
    assert_eq!(ticks, [(10, 35), (40, 40), (50, 50), (60, 60), (70, 70)]);
}

#[test]
fn reset_restarts_from_now() {
    paused().block_on(async {
        let start = Instant::now();
        let mut interval = time::interval(10 * MS);
        interval.tick().await;
        time::advance(3 * MS).await;
        interval.reset();
        assert_eq!(interval.tick().await, start + 13 * MS);
    });
}

/// `reset_immediately`, `reset_after` and `reset_at` move the next tick and keep the period
/// after it; a `reset_at` in the past is a late tick, caught up by the missed-tick behaviour.
#[test]
fn reset_variants_move_the_next_tick() {
    paused().block_on(async {
        let start = Instant::now();
        let mut interval = time::interval(10 * MS);
        interval.tick().await;
        time::advance(4 * MS).await;
        interval.reset_immediately();
        assert_eq!(interval.tick().await, start + 4 * MS);
        assert_eq!(Instant::now(), start + 4 * MS, "no wait");
        assert_eq!(interval.tick().await, start + 14 * MS);

        interval.reset_after(3 * MS);
        assert_eq!(interval.tick().await, start + 17 * MS);
        assert_eq!(interval.tick().await, start + 27 * MS);

        interval.reset_at(start + 40 * MS);
        assert_eq!(interval.tick().await, start + 40 * MS);
        assert_eq!(interval.tick().await, start + 50 * MS);

        // 25 ms in the past, taken at 50: late by two periods and more, so `Skip` takes it
        // now and moves on to the schedule's next tick after now (5, 15, 25, ... -> 55).
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        interval.reset_at(start + 25 * MS);
        assert_eq!(interval.tick().await, start + 25 * MS);
        assert_eq!(Instant::now(), start + 50 * MS);
        assert_eq!(interval.tick().await, start + 55 * MS);
    });
}

#[test]
#[should_panic(expected = "period greater than zero")]
fn a_zero_period_is_a_clear_panic() {
    paused().block_on(async {
        let _ = time::interval(Duration::ZERO);
    });
}

/// `Skip` after a delay of more than `u32::MAX` periods (a 1 µs period and a suspend of
/// ~72 minutes; here 1 ns and 5 s) still moves the schedule past now, as Tokio's does: the
/// tick after the late one is not in the past.
#[test]
fn skip_after_more_than_u32_max_missed_periods_lands_after_now() {
    paused().block_on(async {
        let start = Instant::now();
        let mut interval = time::interval(Duration::from_nanos(1));
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        assert_eq!(interval.tick().await, start);
        time::advance(Duration::from_secs(5)).await;
        assert_eq!(interval.tick().await, start + Duration::from_nanos(1));
        let next = interval.tick().await;
        assert!(
            next > start + Duration::from_secs(5),
            "the tick after the late one was scheduled in the past: {:?}",
            next - start
        );
    });
}
