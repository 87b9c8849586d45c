//! `task::join_all`, `task::race`, `task::select`, `JoinAll` for tuples, and the re-exported
//! future joins.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use blitz_io::task::{self, JoinAll, JoinHandle};
use blitz_io::Runtime;
use common::{DropCounter, Gate};

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-2", common::multi(2)),
    ]
}

/// Tasks gated so they finish in the order given by `finish_order`; returns their handles
/// (task i outputs i) and the gates, opened by `open_in_order`.
fn gated(count: usize) -> (Vec<JoinHandle<usize>>, Vec<Gate>) {
    let gates: Vec<Gate> = (0..count).map(|_| Gate::new()).collect();
    let handles = gates
        .iter()
        .enumerate()
        .map(|(i, gate)| {
            let gate = gate.clone();
            task::spawn(async move {
                gate.wait().await;
                i
            })
        })
        .collect();
    (handles, gates)
}

/// `join_all` returns results in input order whatever the completion order, failures in place.
#[test]
fn join_all_keeps_input_order() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let results = rt.block_on(async {
            let (mut handles, gates) = gated(4);
            handles.push(task::spawn(async { panic!("{}", common::EXPECTED) }));
            let opener = task::spawn(async move {
                for gate in gates.iter().rev() {
                    gate.open();
                    task::yield_now().await;
                }
            });
            let results = task::join_all(handles).await;
            opener.await.unwrap();
            results
        });
        assert_eq!(results.len(), 5, "{name}");
        for (i, result) in results.iter().take(4).enumerate() {
            assert_eq!(*result.as_ref().unwrap(), i, "{name}");
        }
        assert!(results[4].as_ref().unwrap_err().is_panic(), "{name}");
    }
}

/// A panicking member that finishes first wins the race as an `Err`; the others are aborted.
#[test]
fn race_with_a_panicking_member() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let drops = DropCounter::new();
        let (index, result) = rt.block_on(async {
            let guard = drops.guard();
            let slow = task::spawn(async move {
                let _guard = guard;
                std::future::pending::<u32>().await
            });
            let panicking = task::spawn(async { panic!("{}", common::EXPECTED) });
            let outcome = task::race([slow, panicking]).await;
            common::yield_until("the loser to be aborted", || drops.get() == 1).await;
            outcome
        });
        assert_eq!(index, 1, "{name}");
        assert!(result.unwrap_err().is_panic(), "{name}");
    }
}

/// An aborted member finishing first wins the race as a cancelled error; the winner of a race
/// with a completed member keeps its output and the gated losers are dropped.
#[test]
fn race_with_an_aborted_member() {
    for (name, rt) in flavours() {
        let (index, result) = rt.block_on(async {
            let (handles, _gates) = gated(3);
            handles[2].abort();
            task::race(handles).await
        });
        assert_eq!(index, 2, "{name}");
        assert!(result.unwrap_err().is_cancelled(), "{name}");

        let drops = DropCounter::new();
        let (index, result) = rt.block_on(async {
            let guard = drops.guard();
            let (mut handles, gates) = gated(2);
            handles.insert(
                0,
                task::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<usize>().await
                }),
            );
            gates[1].open();
            let outcome = task::race(handles).await;
            common::yield_until("the losers to be aborted", || drops.get() == 1).await;
            outcome
        });
        assert_eq!((index, result.unwrap()), (2, 1), "{name}");
    }
}

/// `select` hands back the other handles, still running, in input order; they then complete.
#[test]
fn select_returns_the_remaining_handles() {
    for (name, rt) in flavours() {
        let (index, first, rest) = rt.block_on(async {
            let (handles, gates) = gated(4);
            gates[2].open();
            let (index, first, rest) = task::select(handles).await;
            for gate in &gates {
                gate.open();
            }
            let rest: Vec<usize> = task::join_all(rest)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            (index, first.unwrap(), rest)
        });
        assert_eq!((index, first), (2, 2), "{name}");
        assert_eq!(rest, vec![0, 1, 3], "{name}");
    }
}

/// `select` reports a panicking or an aborted member as the winner with its error, and the
/// others come back still running (they are not aborted, unlike `race`'s losers).
#[test]
fn select_with_a_panicking_or_aborted_member() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let (index, error, rest) = rt.block_on(async {
            let (mut handles, gates) = gated(2);
            handles.push(task::spawn(async { panic!("select member panics") }));
            let (index, result, rest) = task::select(handles).await;
            for gate in &gates {
                gate.open();
            }
            let rest: Vec<usize> = task::join_all(rest)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            (index, result.unwrap_err(), rest)
        });
        assert_eq!(index, 2, "{name}");
        assert!(error.is_panic(), "{name}");
        assert_eq!(
            rest,
            vec![0, 1],
            "{name}: the others still ran to completion"
        );

        let (index, error, rest_len) = rt.block_on(async {
            let (handles, gates) = gated(3);
            handles[1].abort();
            let (index, result, rest) = task::select(handles).await;
            for gate in &gates {
                gate.open();
            }
            let finished = task::join_all(rest).await;
            assert!(finished.iter().all(Result::is_ok));
            (index, result.unwrap_err(), finished.len())
        });
        assert_eq!(index, 1, "{name}");
        assert!(error.is_cancelled(), "{name}");
        assert_eq!(rest_len, 2, "{name}");
    }
}

/// Empty inputs panic at the call with a message naming the function.
#[test]
fn race_and_select_reject_empty_input() {
    common::quiet_expected_panics();
    let none: Vec<JoinHandle<()>> = Vec::new();
    let payload = catch_unwind(AssertUnwindSafe(|| drop(task::race(none)))).unwrap_err();
    assert!(common::panic_text(payload.as_ref())
        .unwrap()
        .contains("task::race"));
    let none: Vec<JoinHandle<()>> = Vec::new();
    let payload = catch_unwind(AssertUnwindSafe(|| drop(task::select(none)))).unwrap_err();
    assert!(common::panic_text(payload.as_ref())
        .unwrap()
        .contains("task::select"));
}

/// `JoinAll` for tuples joins handles of different types, at the smallest and largest arity.
#[test]
fn join_all_for_tuples() {
    common::quiet_expected_panics();
    let rt = common::multi(2);
    rt.block_on(async {
        let (one,) = (task::spawn(async { 1u8 }),).join_all().await;
        assert_eq!(one.unwrap(), 1);

        let (a, b, c) = (
            task::spawn(async { 1u8 }),
            task::spawn(async { String::from("two") }),
            task::spawn(async { panic!("{}", common::EXPECTED) }),
        )
            .join_all()
            .await;
        let c: Result<(), _> = c;
        assert_eq!((a.unwrap(), b.unwrap().as_str()), (1, "two"));
        assert!(c.unwrap_err().is_panic());

        let s = || task::spawn(async { 'x' });
        let all = (
            task::spawn(async { 0u8 }),
            task::spawn(async { 1u16 }),
            task::spawn(async { 2u32 }),
            task::spawn(async { 3u64 }),
            task::spawn(async { 4i8 }),
            task::spawn(async { 5i16 }),
            task::spawn(async { 6i32 }),
            task::spawn(async { 7i64 }),
            task::spawn(async { 8usize }),
            task::spawn(async { 9isize }),
            task::spawn(async { true }),
            s(),
        )
            .join_all()
            .await;
        assert_eq!(all.0.unwrap(), 0);
        assert_eq!(all.9.unwrap(), 9);
        assert!(all.10.unwrap());
        assert_eq!(all.11.unwrap(), 'x');
    });
}

/// The futures-util joins re-exported under `blitz_io::future` run plain futures in one task.
#[test]
fn future_joins_are_reexported() {
    use blitz_io::future::{join, join_all, try_join};
    let rt = common::current();
    rt.block_on(async {
        let (a, b) = join!(async { 1 }, task::spawn(async { 2 }));
        assert_eq!((a, b.unwrap()), (1, 2));
        let err: Result<(u8, u8), &str> = try_join!(async { Ok(1) }, async { Err("no") });
        assert_eq!(err, Err("no"));
        assert_eq!(
            join_all((0..4).map(|i| async move { i })).await,
            [0, 1, 2, 3]
        );
    });
}
