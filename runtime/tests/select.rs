//! `select!`: first finisher wins, patterns disable branches, `else`, preconditions, `biased;`,
//! fairness, handlers that `.await` and `break`, the coop budget, and that no value is taken
//! from a branch that does not win.

mod common;

use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::Gate;

#[blitz_io::test]
async fn the_ready_branch_wins() {
    let out = blitz_io::select! {
        never = pending::<u8>() => u32::from(never),
        n = ready(5u32) => n + 1,
    };
    assert_eq!(out, 6);
}

#[blitz_io::test]
async fn a_mismatched_pattern_disables_only_its_branch() {
    let gate = Gate::new();
    let opener = {
        let gate = gate.clone();
        blitz_io::task::spawn(async move { gate.open() })
    };
    let out = blitz_io::select! {
        Some(n) = ready(None::<u32>) => n,
        () = gate.wait() => 99,
    };
    assert_eq!(out, 99);
    opener.await.unwrap();
}

#[blitz_io::test]
async fn else_runs_when_every_branch_is_disabled() {
    let out = blitz_io::select! {
        Some(n) = ready(None::<u32>) => n,
        Ok(n) = ready(Err::<u32, ()>(())) => n,
        else => 7,
    };
    assert_eq!(out, 7);
}

#[blitz_io::test]
async fn a_false_precondition_never_polls_its_future() {
    let polled = Arc::new(AtomicUsize::new(0));
    let counted = CountPolls {
        polls: polled.clone(),
    };
    let out = blitz_io::select! {
        n = counted, if false => n,
        n = ready(3) => n,
    };
    assert_eq!(out, 3);
    assert_eq!(polled.load(Ordering::Relaxed), 0);
    let all_off = blitz_io::select! {
        n = ready(1), if 1 > 2 => n,
        else => 0,
    };
    assert_eq!(all_off, 0);
}

#[blitz_io::test]
async fn biased_polls_in_written_order() {
    for _ in 0..50 {
        let first = blitz_io::select! {
            biased;
            a = ready("first") => a,
            b = ready("second") => b,
        };
        assert_eq!(first, "first");
    }
}

#[blitz_io::test]
async fn unbiased_start_is_spread_over_branches() {
    let mut wins = [0u32; 3];
    for _ in 0..300 {
        let winner = blitz_io::select! {
            a = ready(0) => a,
            b = ready(1) => b,
            c = ready(2) => c,
        };
        wins[winner] += 1;
    }
    assert!(
        wins.iter().all(|&w| w >= 30),
        "each branch should win sometimes: {wins:?}"
    );
}

#[blitz_io::test]
async fn handlers_may_await_and_break_the_callers_loop() {
    let mut rounds = 0;
    let result = loop {
        rounds += 1;
        blitz_io::select! {
            n = ready(rounds) => {
                if n == 3 {
                    break blitz_io::task::spawn(async move { n * 10 }).await.unwrap();
                }
                continue;
            }
            () = pending::<()>() => unreachable!(),
        }
    };
    assert_eq!(result, 30);
}

#[blitz_io::test]
async fn unpin_and_pinned_futures_both_work() {
    let pinned = async {
        blitz_io::task::yield_now().await;
        "pinned"
    };
    let out = blitz_io::select! {
        s = pinned => s,
        () = pending() => "never",
    };
    assert_eq!(out, "pinned");
}

/// A future that is ready with a value the moment it is polled, and counts how often it was
/// polled and dropped: used to show that a losing branch is never polled to completion.
struct CountPolls {
    polls: Arc<AtomicUsize>,
}

impl Future for CountPolls {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        Poll::Ready(1)
    }
}

#[blitz_io::test]
async fn the_losing_branch_takes_no_value() {
    // With `biased;` the first branch wins; the second, also ready, must not have been polled
    // (polling it would have consumed its value).
    let polled = Arc::new(AtomicUsize::new(0));
    let out = blitz_io::select! {
        biased;
        n = ready(10u32) => n,
        n = CountPolls { polls: polled.clone() } => n,
    };
    assert_eq!(out, 10);
    assert_eq!(polled.load(Ordering::Relaxed), 0);
}

#[test]
fn select_yields_when_the_budget_is_spent() {
    // `consume_budget` spends one unit per round and yields only when none is left on entry.
    // When it takes the last unit, the `select!` right after it must notice and yield, before
    // any always-ready branch runs: the task beside it then gets to run *inside* the select.
    let rt = common::current();
    let yielded_in = rt.block_on(async {
        blitz_io::task::spawn(async {
            let other_ran = Arc::new(AtomicUsize::new(0));
            let flag = other_ran.clone();
            let _other = blitz_io::task::spawn(async move { flag.store(1, Ordering::Relaxed) });
            for _ in 0..100_000 {
                blitz_io::task::consume_budget().await;
                if other_ran.load(Ordering::Relaxed) == 1 {
                    return "consume_budget";
                }
                blitz_io::select! {
                    () = ready(()) => {}
                }
                if other_ran.load(Ordering::Relaxed) == 1 {
                    return "select";
                }
            }
            "nowhere"
        })
        .await
        .unwrap()
    });
    assert_eq!(yielded_in, "select");
}

#[test]
#[should_panic(expected = "every branch is disabled and there is no `else` branch")]
fn all_disabled_without_else_panics() {
    blitz_io::run(async {
        blitz_io::select! {
            Some(n) = ready(None::<u32>) => n,
        }
    });
}

/// Sets its flag when dropped.
struct DropFlag(Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[blitz_io::test]
async fn losing_futures_are_dropped_before_the_handler_runs() {
    // The documented contract (and Tokio's): the handler runs after the other branches'
    // futures were dropped, so it may, e.g., take a lock a loser was holding.
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loser = {
        let flag = DropFlag(dropped.clone());
        async move {
            let _flag = flag;
            pending::<()>().await
        }
    };
    let seen = blitz_io::select! {
        biased;
        n = ready(1u32) => (n, dropped.load(Ordering::SeqCst)),
        _ = loser => unreachable!(),
    };
    assert_eq!(
        seen,
        (1, true),
        "the losing future was still alive in the handler"
    );
}

#[blitz_io::test]
async fn mut_and_ref_mut_bindings_in_patterns() {
    // Tokio accepts `mut` and `ref mut` bindings; the by-reference match must too.
    let out = blitz_io::select! {
        Some(mut text) = ready(Some(String::from("a"))) => {
            text.push('b');
            text
        }
    };
    assert_eq!(out, "ab");
    let out = blitz_io::select! {
        (ref mut text, _) = ready((String::from("c"), 1u8)) => {
            text.push('d');
            text.clone()
        }
    };
    assert_eq!(out, "cd");
}
