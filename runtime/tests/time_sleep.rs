//! `time::sleep` / `sleep_until` / `Sleep::reset`: exact firing under paused time at every
//! wheel level, many timers, reset, drop before fire, cross-thread drop, and the real clock.

mod common;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use blitz_io::runtime::Builder;
use blitz_io::task;
use blitz_io::time::{self, Instant};
use blitz_io::Runtime;

fn paused() -> Runtime {
    Builder::new_current_thread()
        .start_paused(true)
        .build()
        .expect("a paused current-thread runtime")
}

/// `duration` rounded up to whole milliseconds: when a paused timer fires.
fn ceil_ms(duration: Duration) -> Duration {
    let nanos = duration.as_nanos();
    Duration::from_nanos((nanos.div_ceil(1_000_000) * 1_000_000) as u64)
}

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// Durations at every level of the wheel, its boundaries, and sub-millisecond remainders.
fn durations() -> Vec<Duration> {
    let mut all = vec![
        Duration::from_micros(1),
        Duration::from_micros(1500),
        MS,
        5 * MS,
        59 * MS,
        63 * MS,
        64 * MS,
        65 * MS,
        200 * MS,
        4095 * MS,
        4096 * MS,
        4097 * MS,
        SEC,
        90 * SEC,
        HOUR,
        5 * HOUR,
        DAY,
        3 * DAY,
        400 * DAY,
    ];
    for level in 1..6u32 {
        let span = 1u64 << (6 * level);
        all.extend([span - 1, span, span + 1].map(Duration::from_millis));
    }
    all
}

/// Spawns one sleeper per duration and returns how long each slept by the paused clock.
async fn slept_for(durations: &[Duration]) -> Vec<Duration> {
    let start = Instant::now();
    let handles: Vec<_> = durations
        .iter()
        .map(|&d| {
            task::spawn(async move {
                time::sleep(d).await;
                Instant::now() - start
            })
        })
        .collect();
    let mut slept = Vec::new();
    for handle in handles {
        slept.push(handle.await.unwrap());
    }
    slept
}

#[test]
fn paused_timers_fire_exactly_at_their_rounded_up_deadline() {
    paused().block_on(async {
        let durations = durations();
        let slept = slept_for(&durations).await;
        for (d, slept) in durations.iter().zip(slept) {
            assert_eq!(slept, ceil_ms(*d), "sleep({d:?})");
        }
    });
}

#[test]
fn paused_timers_are_exact_after_the_wheel_advanced() {
    paused().block_on(async {
        // Move the wheel off its origin (and off any level boundary) first.
        time::sleep(Duration::from_millis(262_143 + 77)).await;
        time::advance(Duration::from_micros(300)).await;
        let durations = durations();
        let slept = slept_for(&durations).await;
        for (d, slept) in durations.iter().zip(slept) {
            // The clock is 0.3 ms into a tick: the deadline still rounds up to a tick edge.
            let expected = ceil_ms(*d + Duration::from_micros(300)) - Duration::from_micros(300);
            assert_eq!(slept, expected, "sleep({d:?}) after advancing");
        }
    });
}

/// The original's bug, end to end: a 5 ms sleep must not complete at 59 ms, a 200 ms one must
/// complete at all.
#[test]
fn five_ms_then_two_hundred_ms() {
    paused().block_on(async {
        let start = Instant::now();
        time::sleep(5 * MS).await;
        assert_eq!(start.elapsed(), 5 * MS);
        time::sleep(200 * MS).await;
        assert_eq!(start.elapsed(), 205 * MS);
    });
}

#[test]
fn many_timers_with_the_same_deadline() {
    paused().block_on(async {
        let slept = slept_for(&[777 * MS; 1000]).await;
        assert!(slept.iter().all(|&s| s == 777 * MS));
    });
}

#[test]
fn zero_and_past_deadlines_are_ready_at_once() {
    paused().block_on(async {
        let start = Instant::now();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(pin!(time::sleep(Duration::ZERO)).poll(&mut cx).is_ready());
        assert!(pin!(time::sleep_until(start)).poll(&mut cx).is_ready());
        assert!(time::sleep(Duration::ZERO).is_elapsed());
    });
}

#[test]
fn duration_max_saturates_instead_of_panicking() {
    paused().block_on(async {
        let sleep = time::sleep(Duration::MAX);
        assert!(sleep.deadline() > Instant::now() + 20 * 365 * DAY);
        let mut sleep = pin!(sleep);
        let waker = Waker::noop();
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending());
        // Something that does fire still fires: the far timer does not block the wheel.
        let start = Instant::now();
        time::sleep(3 * MS).await;
        assert_eq!(start.elapsed(), 3 * MS);
        assert!(!sleep.is_elapsed());
    });
}

#[test]
fn reset_earlier_and_later() {
    paused().block_on(async {
        let start = Instant::now();
        let mut sleep = pin!(time::sleep(HOUR));
        // Register it at its first deadline, then move it earlier.
        assert!(poll_once(sleep.as_mut()).is_pending());
        sleep.as_mut().reset(start + 10 * MS);
        sleep.as_mut().await;
        assert_eq!(start.elapsed(), 10 * MS);
        assert!(sleep.is_elapsed());
        // Completed sleeps can be reset and awaited again, later.
        sleep.as_mut().reset(start + 2 * SEC);
        assert!(!sleep.is_elapsed());
        sleep.as_mut().await;
        assert_eq!(start.elapsed(), 2 * SEC);
        // Reset later while registered: it must not fire at the old deadline.
        sleep.as_mut().reset(start + 3 * SEC);
        assert!(poll_once(sleep.as_mut()).is_pending());
        sleep.as_mut().reset(start + 5 * SEC);
        let other = task::spawn(async move {
            time::sleep(SEC + 500 * MS).await;
        });
        other.await.unwrap();
        assert_eq!(start.elapsed(), 3 * SEC + 500 * MS);
        assert!(
            !sleep.is_elapsed(),
            "fired at the deadline it was moved away from"
        );
        sleep.as_mut().await;
        assert_eq!(start.elapsed(), 5 * SEC);
    });
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn dropped_before_firing_never_wakes() {
    paused().block_on(async {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut sleep = Box::pin(time::sleep(10 * MS));
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(sleep);
        time::advance(SEC).await;
        assert_eq!(counter.0.load(SeqCst), 0);
        // Only our clone of the waker is left: the driver kept none.
        drop(waker);
        assert_eq!(Arc::strong_count(&counter), 1);
    });
}

#[test]
fn a_fired_timer_wakes_its_waker_once() {
    paused().block_on(async {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut sleep = Box::pin(time::sleep(10 * MS));
        let mut cx = Context::from_waker(&waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        time::advance(10 * MS).await;
        assert_eq!(counter.0.load(SeqCst), 1);
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        drop(sleep);
        drop(waker);
        assert_eq!(Arc::strong_count(&counter), 1);
    });
}

/// A `Sleep` sets up its wheel entry only when its first poll finds it pending; before that,
/// `is_elapsed`, `reset` and drop work from the deadline alone, which still counts from
/// creation.
#[test]
fn a_timer_that_never_waited_counts_from_its_creation() {
    paused().block_on(async {
        let start = Instant::now();
        let mut sleep = pin!(time::sleep(10 * MS));
        time::advance(4 * MS).await;
        assert!(!sleep.is_elapsed());
        sleep.as_mut().await;
        assert_eq!(
            start.elapsed(),
            10 * MS,
            "measured from creation, not first poll"
        );

        let mut moved = pin!(time::sleep(HOUR));
        moved.as_mut().reset(Instant::now() + 5 * MS);
        assert!(!moved.is_elapsed());
        time::advance(5 * MS).await;
        assert!(moved.is_elapsed());
        assert!(poll_once(moved.as_mut()).is_ready());

        // Due by its first poll: ready without ever being inserted, and then dropped.
        let due = time::sleep(MS);
        time::advance(MS).await;
        assert!(poll_once(pin!(due)).is_ready());
    });
}

/// Lets the process-wide calibration of timer stamps finish (`time::tsc`: real time has to
/// pass for it), so that `sleep(d)` takes a counter stamp where this machine allows it.
fn let_stamps_calibrate() {
    std::thread::sleep(20 * MS);
    drop(time::sleep(MS)); // the first creation after the window calibrates
}

/// On the real clock, `sleep(d)` may record only a counter stamp and work out its deadline at
/// the first poll: that deadline still counts from creation, however late the first poll.
#[test]
fn real_clock_timer_first_polled_late_counts_from_its_creation() {
    common::current().block_on(async {
        let_stamps_calibrate();
        let before = Instant::now();
        let timer = time::sleep(20 * MS);
        let guarded = time::timeout(20 * MS, std::future::pending::<()>());
        let after = Instant::now();
        for deadline in [timer.deadline(), guarded.deadline()] {
            assert!(
                deadline >= before + 20 * MS,
                "earlier than 20 ms after creation"
            );
            assert!(
                deadline <= after + 21 * MS,
                "{:?} after creation",
                deadline - after
            );
        }
        // Block this thread past the deadline: the first polls must find both due.
        std::thread::sleep(30 * MS);
        assert!(poll_once(pin!(timer)).is_ready());
        assert!(matches!(poll_once(pin!(guarded)), Poll::Ready(Err(_))));
        // Zero and "never" work from a stamp as from a clock read.
        assert!(poll_once(pin!(time::sleep(Duration::ZERO))).is_ready());
        let never = time::sleep(Duration::MAX);
        assert!(never.deadline() > Instant::now() + 20 * 365 * DAY);
        assert!(poll_once(pin!(never)).is_pending());
    });
}

/// A stamp is taken only on the plain OS clock; if the clock is paused before the first poll,
/// that poll compares the deadline with the paused clock, not with the real time that passed.
#[test]
fn a_timer_stamped_before_a_pause_follows_the_paused_clock() {
    common::current().block_on(async {
        let_stamps_calibrate();
        let mut timer = pin!(time::sleep(10 * MS));
        time::pause();
        std::thread::sleep(20 * MS); // past the deadline in real time only
        assert!(poll_once(timer.as_mut()).is_pending());
        time::advance(11 * MS).await;
        assert!(poll_once(timer.as_mut()).is_ready());
    });
}

#[test]
#[should_panic(expected = "Runtime::enter")]
fn sleep_outside_a_runtime_names_the_fix() {
    drop(time::sleep(MS));
}

#[test]
fn sleep_works_after_entering_a_runtime() {
    let rt = common::current();
    let sleep = {
        let _guard = rt.enter();
        time::sleep(MS)
    };
    rt.block_on(sleep);
}

/// Real clock: never earlier than the deadline, and done within a generous bound.
#[test]
fn real_clock_never_early_and_eventually_fires() {
    for rt in [common::current(), common::multi(2)] {
        rt.block_on(async {
            for d in [Duration::ZERO, MS, 5 * MS, 20 * MS] {
                let start = std::time::Instant::now();
                time::sleep(d).await;
                let slept = start.elapsed();
                assert!(slept >= d, "{d:?} sleep returned after {slept:?}");
                assert!(slept < d + 5 * SEC, "{d:?} sleep took {slept:?}");
            }
        });
    }
}

/// Sleeps spawned on the workers, woken by the worker that holds the timer, and one in the
/// `block_on` future itself.
#[test]
fn real_clock_sleeps_on_the_multi_thread_runtime() {
    let rt = common::multi(2);
    rt.block_on(async {
        let handles: Vec<_> = (0..64u64)
            .map(|i| {
                task::spawn(async move {
                    let d = Duration::from_millis(i % 17);
                    let start = std::time::Instant::now();
                    time::sleep(d).await;
                    start.elapsed() >= d
                })
            })
            .collect();
        time::sleep(3 * MS).await;
        for handle in handles {
            assert!(handle.await.unwrap(), "a sleep returned early");
        }
    });
}

/// 100k sleeps in flight at once on the multi-thread runtime; each completes, none early.
#[test]
fn one_hundred_thousand_concurrent_sleeps() {
    let n: u64 = if std::env::var_os("BLITZ_VALGRIND").is_some() {
        1000
    } else {
        100_000
    };
    let rt = common::multi(2);
    let early = rt.block_on(async move {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                task::spawn(async move {
                    let d = Duration::from_millis(1 + i % 50);
                    let start = Instant::now();
                    time::sleep(d).await;
                    start.elapsed() < d
                })
            })
            .collect();
        let mut early = 0;
        for handle in handles {
            early += usize::from(handle.await.unwrap());
        }
        early
    });
    assert_eq!(early, 0);
}

/// A sleep registered on a worker and dropped on other threads unlinks from the wheel that
/// holds it (that worker's).
#[test]
fn sleep_created_on_a_worker_dropped_elsewhere() {
    let rt = common::multi(2);
    let (sleeps, worker) = rt.block_on(async {
        task::spawn(async {
            let mut sleeps = Vec::new();
            for i in 0..100u64 {
                let mut sleep = Box::pin(time::sleep(Duration::from_millis(5 + i)));
                assert!(poll_once(sleep.as_mut()).is_pending());
                sleeps.push(sleep);
            }
            (sleeps, std::thread::current().id())
        })
        .await
        .unwrap()
    });
    assert_ne!(worker, std::thread::current().id());
    let (mut here, there) = {
        let mut sleeps = sleeps;
        let there = sleeps.split_off(50);
        (sleeps, there)
    };
    // Half dropped on the test thread, half on another runtime task's worker, one by one.
    here.clear();
    rt.block_on(async move {
        task::spawn(async move { drop(there) }).await.unwrap();
        // The wheel still works for everyone else.
        time::sleep(10 * MS).await;
    });
}

/// Regression: the worker holding the timer fired due timers *before* parking; the woken task
/// went to its own queue, and it then slept on it without a timeout (the wheel was empty).
/// A task sleeping in a loop on the multi-thread runtime hung within a few dozen sleeps.
#[test]
fn sequential_sleeps_in_one_task_on_the_multi_thread_runtime() {
    let rounds = if std::env::var_os("BLITZ_VALGRIND").is_some() {
        20
    } else {
        300
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        let rt = common::multi(2);
        rt.block_on(async {
            task::spawn(async move {
                for i in 0..rounds {
                    time::sleep(Duration::from_millis(1 + i % 3)).await;
                }
            })
            .await
            .unwrap();
        });
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a task sleeping in a loop on the multi-thread runtime hung");
    runner.join().unwrap();
}

/// Drives a future on a plain thread (not a runtime thread), parking between polls.
fn block_on_plain<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        std::thread::park();
    }
}

/// The thread that sleeps for the wheel waits until its earliest timer; a timer registered
/// later with an earlier deadline (here from a plain thread) must wake it, on both flavours.
/// End to end, so it only catches a missing wake when the registration lands after the park
/// (usually); the driver's unit test checks that case deterministically.
#[test]
fn an_earlier_timer_wakes_the_thread_parked_for_a_later_one() {
    for rt in [common::current(), common::multi(2)] {
        let handle = rt.handle().clone();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let runner = std::thread::spawn(move || {
            rt.block_on(async move {
                // The runtime's only timer for now: whoever parks for the wheel sleeps ~1 h.
                let far = task::spawn(time::sleep(HOUR));
                task::yield_now().await;
                let sleeper = std::thread::spawn(move || {
                    let _entered = handle.enter();
                    let start = std::time::Instant::now();
                    block_on_plain(time::sleep(5 * MS));
                    start.elapsed()
                });
                // The runtime idles meanwhile: its block_on future waits for a blocking job.
                let slept = task::spawn_blocking(move || sleeper.join().unwrap())
                    .await
                    .unwrap();
                far.abort();
                done_tx.send(slept).unwrap();
            });
        });
        let slept = done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the earlier timer never fired: the parked thread was not woken");
        assert!(slept >= 5 * MS && slept < 5 * SEC, "{slept:?}");
        runner.join().unwrap();
    }
}

/// The worker that holds the timer wheel wakes for one timer and then runs a long poll (the
/// woken task blocks its thread): another idle worker takes the wheel over, so a later timer
/// still fires on time instead of waiting for that poll to end.
#[test]
fn timers_fire_while_the_wheel_holder_runs_a_long_poll() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    let rt = blitz_io::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let stuck_done = Arc::new(AtomicBool::new(false));
        let stuck = {
            let stuck_done = stuck_done.clone();
            blitz_io::spawn(async move {
                // Woken by the timer: runs on the worker that fired it.
                blitz_io::time::sleep(Duration::from_millis(5)).await;
                std::thread::sleep(Duration::from_millis(1500));
                stuck_done.store(true, SeqCst);
            })
        };
        let later = blitz_io::spawn(async {
            blitz_io::time::sleep(Duration::from_millis(100)).await;
        });
        later.await.unwrap();
        assert!(
            !stuck_done.load(SeqCst),
            "the later timer waited for the long poll"
        );
        stuck.await.unwrap();
    });
}
