//! `CancellationToken` trees end to end on the multi-thread runtime.

mod common;

use std::sync::mpsc;

use blitz_io::sync::CancellationToken;
use blitz_io::task;

/// A root with 8 children of 8 grandchildren each, a task waiting on every grandchild:
/// cancelling one child releases exactly its 8 tasks; cancelling the root releases the rest.
#[test]
fn cancelling_a_subtree_then_the_root() {
    let rt = common::multi(4);
    rt.block_on(async {
        let root = CancellationToken::new();
        let children: Vec<_> = (0..8).map(|_| root.child_token()).collect();
        let (done, finished) = mpsc::channel();
        let (waiting, registered) = mpsc::channel();
        let mut tasks = Vec::new();
        for (c, child) in children.iter().enumerate() {
            for _ in 0..8 {
                let grandchild = child.child_token();
                let done = done.clone();
                tasks.push(task::spawn(common::signal_when_pending(
                    async move {
                        grandchild.cancelled().await;
                        done.send(c).unwrap();
                    },
                    waiting.clone(),
                )));
            }
        }
        for _ in 0..64 {
            registered.recv().unwrap();
        }
        children[3].cancel();
        for _ in 0..8 {
            assert_eq!(finished.recv().unwrap(), 3);
        }
        assert!(!root.is_cancelled() && !children[2].is_cancelled());
        root.cancel();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(finished.try_iter().count(), 56);
    });
}

/// Children created and dropped by many tasks while the root is cancelled: every child
/// created after the cancel is born cancelled, every waiter finishes, nothing deadlocks.
#[test]
fn concurrent_child_churn_and_cancel() {
    let rt = common::multi(4);
    rt.block_on(async {
        for _round in 0..50 {
            let root = CancellationToken::new();
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let root = root.clone();
                    task::spawn(async move {
                        loop {
                            let child = root.child_token();
                            let grandchild = child.child_token();
                            drop(child);
                            if grandchild.is_cancelled() {
                                grandchild.cancelled_owned().await;
                                return;
                            }
                            task::yield_now().await;
                        }
                    })
                })
                .collect();
            task::yield_now().await;
            root.cancel();
            for task in tasks {
                task.await.unwrap();
            }
            assert!(root.child_token().is_cancelled());
        }
    });
}

/// A drop guard held by a task cancels the token when the task ends, including by abort.
#[test]
fn drop_guard_cancels_when_its_task_ends() {
    let rt = common::multi(2);
    rt.block_on(async {
        let token = CancellationToken::new();
        let guard = token.child_token().drop_guard();
        let watched = token.child_token();
        let (pending, started) = mpsc::channel();
        let holder = task::spawn(common::signal_when_pending(
            async move {
                let _guard = guard;
                std::future::pending::<()>().await
            },
            pending,
        ));
        started.recv().unwrap();
        assert!(!watched.is_cancelled());
        holder.abort();
        let _ = holder.await;
        // The guard's token was a child of `token`: cancelling it leaves `token` alone.
        assert!(!watched.is_cancelled());

        let guard = token.clone().drop_guard();
        let waiter = task::spawn(watched.clone().cancelled_owned());
        drop(guard);
        waiter.await.unwrap();
        assert!(watched.is_cancelled());
    });
}

/// With the task's coop budget spent, `cancelled()` returns `Pending`; `run_until_cancelled`
/// must still see an earlier cancellation and return `None` rather than the future's output.
#[blitz_io::test]
async fn run_until_cancelled_sees_cancellation_when_the_budget_is_spent() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    let token = CancellationToken::new();
    token.cancel();
    let out = std::future::poll_fn(|cx| {
        for _ in 0..10_000 {
            let mut spend = pin!(token.cancelled());
            if spend.as_mut().poll(cx).is_pending() {
                break;
            }
        }
        let mut run = pin!(token.run_until_cancelled(async { 3 }));
        Poll::Ready(run.as_mut().poll(cx))
    })
    .await;
    assert_eq!(out, Poll::Ready(None));
}
