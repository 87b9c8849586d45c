//! Shutdown racing with wakes from another thread, on both flavours and with every way of
//! shutting down: once the shutdown call returns no task is polled again however often it is
//! woken, every `JoinHandle` reports cancellation, and no task reference is left stranded in a
//! run queue (the injection queue's drain included): once the handles and wakers are gone, the
//! scheduler's shared state is freed. A queue entry left behind would keep its task alive, and
//! the task keeps the scheduler alive, so a leak shows as a scheduler that is never freed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::runtime::{scheduler, Builder, Runtime};
use crate::task::JoinHandle;

/// Fewer tasks and rounds under valgrind (see `.ci/valgrind.sh`).
fn scaled(n: usize) -> usize {
    if std::env::var_os("BLITZ_VALGRIND").is_some() {
        (n / 16).max(2)
    } else {
        n
    }
}

/// Spins (yielding the thread) until `condition` holds, at most 10 s.
#[track_caller]
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::yield_now();
    }
}

/// How many strong references the runtime's scheduler state has left, read through a weak one.
fn scheduler_refs(rt: &Runtime) -> Box<dyn Fn() -> usize + Send> {
    match &rt.handle().inner {
        scheduler::Handle::MultiThread(handle) => {
            let weak = Arc::downgrade(handle);
            Box::new(move || weak.strong_count())
        }
        scheduler::Handle::CurrentThread(handle) => {
            let weak = Arc::downgrade(handle);
            Box::new(move || weak.strong_count())
        }
    }
}

/// One way of shutting a runtime down.
type ShutDown = fn(Runtime);

fn race_wakes_with(name: &str, rt: Runtime, shut_down: ShutDown) {
    let tasks = scaled(64);
    let polls = Arc::new(AtomicUsize::new(0));
    let slots: Arc<Vec<Mutex<Option<Waker>>>> =
        Arc::new((0..tasks).map(|_| Mutex::new(None)).collect());
    // Each task counts its polls and leaves its waker for the waking thread; it never ends.
    let handles: Vec<JoinHandle<()>> = (0..tasks)
        .map(|i| {
            let (polls, slots) = (polls.clone(), slots.clone());
            rt.spawn(std::future::poll_fn(move |cx| {
                polls.fetch_add(1, SeqCst);
                *slots[i].lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }))
        })
        .collect();
    rt.block_on(async {
        while slots.iter().any(|slot| slot.lock().unwrap().is_none()) {
            crate::task::yield_now().await;
        }
    });
    let refs = scheduler_refs(&rt);
    let rounds = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let waker = {
        let (slots, rounds, stop) = (slots.clone(), rounds.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                for slot in slots.iter() {
                    let waker = slot.lock().unwrap().clone();
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                }
                rounds.fetch_add(1, SeqCst);
            }
        })
    };
    wait_until("the waking thread got going", || {
        rounds.load(SeqCst) >= scaled(16)
    });
    shut_down(rt);
    let polled = polls.load(SeqCst);
    let shut_at = rounds.load(SeqCst);
    wait_until("more wakes after shutdown", || {
        rounds.load(SeqCst) >= shut_at + scaled(64)
    });
    stop.store(true, SeqCst);
    waker.join().unwrap();
    if name != "background" {
        // (After `shutdown_background` a worker may still be finishing a poll it started.)
        assert_eq!(polls.load(SeqCst), polled, "{name}: polled after shutdown");
    }
    for handle in handles {
        let error = handle.blocking_join().unwrap_err();
        assert!(error.is_cancelled(), "{name}: {error:?}");
    }
    for slot in slots.iter() {
        slot.lock().unwrap().take();
    }
    wait_until("the scheduler's state to be freed", || refs() == 0);
}

#[test]
fn wakes_racing_with_shutdown_poll_nothing_and_strand_nothing() {
    let ways: [(&str, ShutDown); 3] = [
        ("drop", drop),
        ("timeout", |rt| rt.shutdown_timeout(Duration::from_secs(10))),
        ("background", Runtime::shutdown_background),
    ];
    for (way, shut_down) in ways {
        let multi = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        race_wakes_with(way, multi, shut_down);
        let current = Builder::new_current_thread().build().unwrap();
        race_wakes_with(way, current, shut_down);
    }
}
