//! `task_local!`: visibility across awaits and workers, absence in spawned children, nested
//! scopes, `sync_scope`, panics restoring the previous value, and destructors seeing it.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use blitz_io::task;
use blitz_io::Runtime;

blitz_io::task_local! {
    static NUMBER: u32;
    static NAME: String;
}

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-2", common::multi(2)),
    ]
}

/// The value stays visible across awaits (the task may move between workers), and other
/// tasks polled in between never see it.
#[test]
fn visible_across_awaits_only_in_its_future() {
    for (name, rt) in flavours() {
        rt.block_on(async {
            let scoped = task::spawn(NUMBER.scope(5, async {
                for _ in 0..50 {
                    assert_eq!(NUMBER.get(), 5);
                    task::yield_now().await;
                }
                NUMBER.get()
            }));
            let other = task::spawn(async {
                for _ in 0..50 {
                    assert!(NUMBER.try_with(|_| ()).is_err());
                    task::yield_now().await;
                }
            });
            assert_eq!(scoped.await.unwrap(), 5);
            other.await.unwrap();
            assert!(NUMBER.try_with(|_| ()).is_err(), "{name}");
        });
    }
}

/// A task spawned inside a scope does not inherit the value.
#[test]
fn not_visible_in_spawned_children() {
    for (name, rt) in flavours() {
        let (parent, child) = rt.block_on(NUMBER.scope(9, async {
            let child = task::spawn(async { NUMBER.try_with(|n| *n).ok() });
            let child = child.await.unwrap();
            (NUMBER.get(), child)
        }));
        assert_eq!((parent, child), (9, None), "{name}");
    }
}

/// Nested scopes of one key shadow and then restore; different keys are independent.
#[test]
fn nested_scopes() {
    let rt = common::multi(2);
    let seen = rt.block_on(NUMBER.scope(1, async {
        let mut seen = vec![NUMBER.get()];
        let inner = NUMBER
            .scope(2, async {
                task::yield_now().await;
                NAME.scope("n".to_string(), async {
                    task::yield_now().await;
                    (NUMBER.get(), NAME.get())
                })
                .await
            })
            .await;
        seen.push(inner.0);
        assert_eq!(inner.1, "n");
        seen.push(NUMBER.get());
        assert!(NAME.try_with(|_| ()).is_err());
        seen
    }));
    assert_eq!(seen, vec![1, 2, 1]);
}

/// `sync_scope` sets the value for a closure, nests, and restores on panic.
#[test]
fn sync_scope_sets_and_restores() {
    common::quiet_expected_panics();
    assert_eq!(NUMBER.sync_scope(3, || NUMBER.get()), 3);
    let nested = NUMBER.sync_scope(3, || {
        let inner = NUMBER.sync_scope(4, || NUMBER.get());
        (inner, NUMBER.get())
    });
    assert_eq!(nested, (4, 3));
    NUMBER.sync_scope(10, || {
        let result = catch_unwind(AssertUnwindSafe(|| {
            NUMBER.sync_scope(11, || panic!("{}", common::EXPECTED))
        }));
        assert!(result.is_err());
        assert_eq!(NUMBER.get(), 10, "the outer value is back after the panic");
    });
    assert!(NUMBER.try_with(|_| ()).is_err());
}

/// A panicking poll restores the previous value, and `with` outside a scope panics clearly.
#[test]
fn panicking_poll_restores_and_unset_access_panics() {
    common::quiet_expected_panics();
    let rt = common::current();
    let result = rt.block_on(rt.spawn(NUMBER.scope(1, async {
        task::yield_now().await;
        panic!("{}", common::EXPECTED);
    })));
    assert!(result.unwrap_err().is_panic());
    rt.block_on(async {
        task::yield_now().await;
        assert!(NUMBER.try_with(|_| ()).is_err());
    });
    let payload = catch_unwind(|| NUMBER.get()).unwrap_err();
    let text = common::panic_text(payload.as_ref()).unwrap();
    assert!(text.contains("not set"), "{text}");
}

/// Destructors of the wrapped future run with the value still set.
#[test]
fn wrapped_future_is_dropped_inside_the_scope() {
    struct ReadOnDrop(std::sync::mpsc::Sender<Option<u32>>);
    impl Drop for ReadOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(NUMBER.try_with(|n| *n).ok());
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let guard = ReadOnDrop(tx);
    let future = NUMBER.scope(8, async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let rt = common::current();
    let handle = rt.spawn(future);
    rt.block_on(task::yield_now());
    handle.abort();
    rt.block_on(common::yield_until("the abort", || handle.is_finished()));
    assert_eq!(rx.recv().unwrap(), Some(8));
}
