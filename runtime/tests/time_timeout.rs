//! `time::timeout` / `timeout_at`: ready, pending and budget-exhausting inner futures.

mod common;

use std::future::{pending, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
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

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_ready_future_wins_even_with_a_zero_timeout() {
    paused().block_on(async {
        assert_eq!(time::timeout(Duration::ZERO, async { 7 }).await, Ok(7));
        assert_eq!(time::timeout(Duration::MAX, async { 8 }).await, Ok(8));
    });
}

#[test]
fn a_pending_future_times_out_at_the_deadline() {
    paused().block_on(async {
        let start = Instant::now();
        let result = time::timeout(250 * MS, pending::<()>()).await;
        let elapsed = result.unwrap_err();
        assert_eq!(elapsed.to_string(), "deadline has elapsed");
        assert_eq!(start.elapsed(), 250 * MS);

        let deadline = Instant::now() + Duration::from_secs(7200);
        assert!(time::timeout_at(deadline, pending::<()>()).await.is_err());
        assert_eq!(Instant::now(), deadline);
    });
}

#[test]
fn the_deadline_counts_from_creation_not_from_the_first_poll() {
    paused().block_on(async {
        let start = Instant::now();
        let timeout = time::timeout(10 * MS, pending::<()>());
        assert_eq!(timeout.deadline(), start + 10 * MS);
        time::advance(4 * MS).await;
        assert!(timeout.await.is_err());
        assert_eq!(start.elapsed(), 10 * MS);
    });
}

#[test]
fn a_future_that_finishes_first_is_not_cut_short() {
    paused().block_on(async {
        let start = Instant::now();
        let result = time::timeout(100 * MS, async {
            time::sleep(99 * MS).await;
            "done"
        })
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(start.elapsed(), 99 * MS);
    });
}

#[test]
fn accessors_and_into_inner() {
    paused().block_on(async {
        let start = Instant::now();
        let mut timeout = time::timeout(5 * MS, async { 3 });
        assert_eq!(timeout.deadline(), start + 5 * MS);
        let _ = timeout.get_ref();
        let _ = timeout.get_mut();
        assert_eq!(timeout.into_inner().await, 3);
        // Dropping a registered timeout leaves nothing behind in the wheel.
        let mut registered = Box::pin(time::timeout(5 * MS, pending::<()>()));
        let waker = Waker::noop();
        assert!(registered
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending());
        drop(registered);
        time::sleep(10 * MS).await;
    });
}

/// A future that never returns `Pending` on its own but spends the whole budget each poll: the
/// timeout must still fire (it polls its timer with the budget lifted).
#[test]
fn a_budget_exhausting_future_still_times_out() {
    for rt in [common::current(), common::multi(2)] {
        let busy = async {
            loop {
                task::consume_budget().await;
            }
        };
        let start = std::time::Instant::now();
        let result: Result<(), _> =
            rt.block_on(async { task::spawn(time::timeout(20 * MS, busy)).await.unwrap() });
        assert!(result.is_err());
        let took = start.elapsed();
        assert!(took >= 20 * MS && took < Duration::from_secs(5), "{took:?}");
    }
}

/// The same future polled by hand with its budget spent: the timer is still checked.
#[test]
fn timeout_polls_its_timer_when_the_inner_future_spent_the_budget() {
    paused().block_on(async {
        let mut timeout = pin!(time::timeout(MS, async {
            loop {
                task::consume_budget().await;
            }
        }));
        time::advance(2 * MS).await;
        let result = std::future::poll_fn(|cx| match timeout.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => panic!("the timer had fired: the timeout must be ready"),
        })
        .await;
        assert!(result.is_err());
    });
}
