//! Paused time: `Builder::start_paused`, `time::pause` / `resume` / `advance`, auto-advance,
//! and auto-advance held off while a blocking job runs.

mod common;

use std::time::Duration;

use blitz_io::runtime::{BuildError, Builder};
use blitz_io::task;
use blitz_io::time::{self, Instant};

const MS: Duration = Duration::from_millis(1);

#[test]
fn start_paused_needs_the_current_thread_flavour() {
    let error = Builder::new_multi_thread()
        .start_paused(true)
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::StartPausedMultiThread));
    assert!(error.to_string().contains("current-thread"));
}

#[test]
#[should_panic(expected = "current-thread runtime")]
fn pause_on_the_multi_thread_runtime_panics() {
    common::multi(1).block_on(async { time::pause() });
}

#[test]
fn the_paused_clock_stands_still_until_advanced() {
    common::current().block_on(async {
        time::pause();
        let start = Instant::now();
        task::yield_now().await;
        assert_eq!(Instant::now(), start);
        time::advance(1500 * MS).await;
        assert_eq!(Instant::now() - start, 1500 * MS);
        time::resume();
        // Running again, from where it stood.
        assert!(Instant::now() - start >= 1500 * MS);
        let real_start = std::time::Instant::now();
        time::sleep(2 * MS).await;
        assert!(real_start.elapsed() >= MS);
    });
}

/// Real time that passes while the clock is paused is not counted: after `resume` the clock
/// runs on from where it stood (as Tokio's), instead of jumping to the OS clock.
#[test]
fn resume_runs_on_from_where_the_clock_stood() {
    common::current().block_on(async {
        time::pause();
        let start = Instant::now();
        // Real time passes while paused (this is the condition under test, not a wait).
        std::thread::sleep(50 * MS);
        time::resume();
        let after = Instant::now() - start;
        assert!(
            after < 40 * MS,
            "the clock jumped by the real time it was paused for: {after:?}"
        );
        // And it runs again.
        let before = Instant::now();
        time::sleep(2 * MS).await;
        assert!(Instant::now() - before >= 2 * MS);
    });
}

#[test]
fn advance_fires_due_timers_and_wakes_their_tasks() {
    common::current().block_on(async {
        time::pause();
        let start = Instant::now();
        let sleeper = task::spawn(async move {
            time::sleep(100 * MS).await;
            Instant::now() - start
        });
        task::yield_now().await; // let it register
        time::advance(100 * MS).await;
        assert!(sleeper.is_finished());
        assert_eq!(sleeper.await.unwrap(), 100 * MS);
    });
}

/// While a blocking job is queued or running, the clock does not jump: the job's caller looks
/// idle, but it is waiting for work the clock cannot see.
#[test]
fn auto_advance_waits_for_blocking_jobs() {
    let rt = Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let job = task::spawn_blocking(move || {
            // The runtime's clock as seen from the job: it must not have jumped to the
            // sleeper's deadline while we run.
            rx.recv().unwrap();
            Instant::now()
        });
        let sleeper = task::spawn(time::sleep(Duration::from_secs(3600)));
        // Release the job from a plain thread once the scheduler had every chance to idle.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(20 * MS);
            tx.send(()).unwrap();
        });
        let seen_by_job = job.await.unwrap();
        assert_eq!(
            seen_by_job, start,
            "the clock moved while a blocking job ran"
        );
        sleeper.await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(3600));
        releaser.join().unwrap();
    });
}

#[test]
fn instant_now_outside_a_runtime_is_the_os_clock() {
    let a = Instant::now();
    let b = std::time::Instant::now();
    assert!(b >= a.into_std());
}

/// `#[blitz_io::test(start_paused = true)]` starts the clock paused: an hour-long sleep
/// completes at once, at exactly its deadline on the paused clock.
#[blitz_io::test(start_paused = true)]
async fn the_test_attribute_starts_paused() {
    let start = blitz_io::time::Instant::now();
    let wall = std::time::Instant::now();
    blitz_io::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(3600));
    assert!(wall.elapsed() < std::time::Duration::from_secs(60));
}
