//! Unit tests of the task core and both schedulers, sized to run under valgrind (the CI's
//! memcheck job runs this crate's unit tests): every unsafe path (poll, wake, join-waker
//! hand-off, abort, panic capture, shutdown of queued and idle tasks) runs a few times on each
//! flavour with small counts.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::runtime::{Builder, Runtime};
use crate::task::{self, JoinHandle};

fn runtimes() -> Vec<Runtime> {
    vec![
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
        Builder::new_current_thread().build().unwrap(),
    ]
}

/// Pending until opened; then ready.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(bool, Option<Waker>)>>);

impl Gate {
    fn open(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.lock().unwrap();
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Counts drops of the value holding it.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn spawn_wake_join_on_both_flavours() {
    for rt in runtimes() {
        let total = rt.block_on(async {
            let gates: Vec<Gate> = (0..8).map(|_| Gate::default()).collect();
            let handles: Vec<JoinHandle<usize>> = gates
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, gate)| {
                    task::spawn(async move {
                        gate.await;
                        task::yield_now().await;
                        i
                    })
                })
                .collect();
            task::yield_now().await;
            for gate in &gates {
                gate.open();
            }
            let mut total = 0;
            for handle in handles {
                total += handle.await.unwrap();
            }
            total
        });
        assert_eq!(total, 28);
    }
}

#[test]
fn abort_panic_and_detach_release_everything() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let tracked = Tracked(drops.clone());
            let idle = task::spawn(async move {
                let _tracked = tracked;
                Gate::default().await;
            });
            task::yield_now().await;
            idle.abort();
            assert!(idle.await.unwrap_err().is_cancelled());

            let panicked = task::spawn(async { panic!("boom") });
            let error = panicked.await.unwrap_err();
            assert!(error.is_panic());
            assert_eq!(*error.into_panic().downcast::<&str>().unwrap(), "boom");

            let tracked = Tracked(drops.clone());
            let detached = task::spawn(async move { tracked });
            drop(detached);
            task::yield_now().await;
        });
        drop(rt);
        assert_eq!(drops.load(SeqCst), 2);
    }
}

#[test]
fn shutdown_cancels_idle_and_queued_tasks() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let handles: Vec<JoinHandle<()>> = (0..4)
            .map(|_| {
                let tracked = Tracked(drops.clone());
                rt.spawn(async move {
                    let _tracked = tracked;
                    Gate::default().await;
                })
            })
            .collect();
        let blocking = rt.spawn_blocking(|| 5);
        assert_eq!(blocking.blocking_join().unwrap(), 5);
        drop(rt);
        assert_eq!(drops.load(SeqCst), 4);
        for handle in handles {
            assert!(handle.blocking_join().unwrap_err().is_cancelled());
        }
    }
}

#[test]
#[allow(clippy::async_yields_async)] // The first task hands the JoinHandle back on purpose.
fn join_waker_is_replaced_when_the_awaiting_task_changes() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let gate = Gate::default();
    let target = rt.spawn(gate.clone());
    let target = Arc::new(Mutex::new(Some(target)));
    // First awaiter polls the handle once (registering its waker), then hands it over.
    let first = {
        let target = target.clone();
        rt.spawn(async move {
            let mut handle = target.lock().unwrap().take().unwrap();
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut handle).poll(cx))).await;
            assert!(polled.is_pending());
            handle
        })
    };
    let handle = first.blocking_join().unwrap();
    // The handle itself is a future: spawned, it is awaited by a second task's waker.
    let second = rt.spawn(handle);
    gate.open();
    assert!(second.blocking_join().unwrap().is_ok());
}

/// Every task stores a `Result<T, JoinError>`; keep the error two words so the task
/// allocation stays small (a 48-byte JoinError cost 60% on spawn_many_local).
#[test]
fn join_error_is_two_words() {
    assert_eq!(
        std::mem::size_of::<crate::task::JoinError>(),
        2 * std::mem::size_of::<usize>()
    );
    assert_eq!(
        std::mem::size_of::<Result<(), crate::task::JoinError>>(),
        2 * std::mem::size_of::<usize>()
    );
}
