//! `task::id()` and `task::try_id()`: inside tasks, outside them, and in blocking jobs.

mod common;

use std::collections::HashSet;

use blitz_io::{task, Runtime};

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-2", common::multi(2)),
    ]
}

/// Inside a task, `id()` and `try_id()` equal the handle's id, before and after an await.
#[test]
fn id_inside_a_task_equals_the_handle_id() {
    for (name, rt) in flavours() {
        let handle = rt.spawn(async {
            let before = task::id();
            task::yield_now().await;
            (before, task::try_id())
        });
        let expected = handle.id();
        let (before, after) = rt.block_on(handle).unwrap();
        assert_eq!(before, expected, "{name}");
        assert_eq!(after, Some(expected), "{name}");
    }
}

/// 1000 tasks see 1000 different ids, each equal to its handle's.
#[test]
fn ids_are_unique_across_tasks() {
    for (name, rt) in flavours() {
        let seen = rt.block_on(async {
            let handles: Vec<_> = (0..1000)
                .map(|_| task::spawn(async { task::id() }))
                .collect();
            let mut seen = HashSet::new();
            for handle in handles {
                let expected = handle.id();
                let id = handle.await.unwrap();
                assert_eq!(id, expected);
                seen.insert(id);
            }
            seen
        });
        assert_eq!(seen.len(), 1000, "{name}");
    }
}

/// Outside any task: a plain thread and the future driven by `block_on` have no id.
#[test]
fn no_id_outside_a_task() {
    assert_eq!(task::try_id(), None);
    let rt = common::current();
    assert_eq!(rt.block_on(async { task::try_id() }), None);
    let from_thread = std::thread::spawn(task::try_id).join().unwrap();
    assert_eq!(from_thread, None);
}

/// `id()` outside a task panics with a message that names the fix.
#[test]
fn id_outside_a_task_panics_clearly() {
    let payload = std::panic::catch_unwind(task::id).expect_err("no task here");
    let text = common::panic_text(payload.as_ref()).unwrap();
    assert!(
        text.contains("outside a task") && text.contains("try_id"),
        "{text}"
    );
}

/// Inside a `spawn_blocking` closure the id is the blocking job's own (documented); `None`
/// would also be acceptable, a foreign id never is.
#[test]
fn id_inside_spawn_blocking() {
    let rt = common::multi(1);
    let handle = rt.spawn_blocking(task::try_id);
    let expected = handle.id();
    let got = rt.block_on(handle).unwrap();
    assert_eq!(got, Some(expected));
}
