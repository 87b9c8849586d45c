//! loom models of the multi-thread scheduler's concurrency cores: the idle set with parking
//! (no lost wake-up), the parker itself, and the run queues (overflow and stealing). Under
//! loom the queues are mutex-backed with a capacity of 4, so five pushes overflow.

use std::collections::HashSet;
use std::sync::Arc;

use loom::thread;

use super::idle::Idle;
use super::queue::{self, Inject};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::runtime::park::Parker;
use crate::task::loom_tests::{queued_tasks, Queue};

/// Worker 0 searches, finds nothing and parks while worker 1 (running) publishes work. The
/// work must be found: either by worker 0's own re-check or through a wake. A lost wake-up
/// leaves worker 0 parked forever, which loom reports as a deadlock.
#[test]
fn parking_worker_never_misses_new_work() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let parker = Parker::new();
        let unparker = parker.unparker();
        let work = Arc::new(AtomicUsize::new(0));

        let worker = {
            let (idle, work, unparker) = (idle.clone(), work.clone(), unparker.clone());
            thread::spawn(move || {
                let mut searching = idle.transition_worker_to_searching();
                loop {
                    if work.swap(0, SeqCst) > 0 {
                        if searching {
                            idle.transition_worker_from_searching();
                        }
                        return;
                    }
                    let last_searcher = idle.transition_worker_to_parked(0, searching);
                    if last_searcher && work.load(SeqCst) > 0 {
                        if let Some(index) = idle.worker_to_notify() {
                            assert_eq!(index, 0, "only worker 0 sleeps");
                            unparker.unpark();
                        }
                    }
                    while idle.is_parked(0) {
                        parker.park();
                    }
                    searching = idle.transition_worker_from_parked(0);
                }
            })
        };

        work.fetch_add(1, SeqCst);
        if let Some(index) = idle.worker_to_notify() {
            assert_eq!(index, 0);
            unparker.unpark();
        }
        worker.join().unwrap();
        assert_eq!(idle.num_searching(), 0);
        assert_eq!(idle.num_parked(), 0);
    });
}

/// Two producers race to wake the only sleeper: exactly one of them gets it.
#[test]
fn a_sleeper_is_claimed_once() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        assert!(!idle.transition_worker_to_parked(1, false));
        let claims = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let (idle, claims) = (idle.clone(), claims.clone());
                thread::spawn(move || {
                    if idle.worker_to_notify().is_some() {
                        claims.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        assert_eq!(claims.load(SeqCst), 1);
        assert_eq!(idle.num_parked(), 0);
        assert_eq!(
            idle.num_searching(),
            1,
            "the woken worker counts as searching"
        );
    });
}

/// Two workers start searching at once while a third already searches: at most half of the
/// four workers may search, so exactly one of the two gets in.
#[test]
fn at_most_half_the_workers_search() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(4));
        assert!(idle.transition_worker_to_searching());
        let searchers: Vec<_> = (0..2)
            .map(|_| {
                let idle = idle.clone();
                thread::spawn(move || idle.transition_worker_to_searching())
            })
            .collect();
        let admitted = searchers
            .into_iter()
            .map(|searcher| searcher.join().unwrap())
            .filter(|&admitted| admitted)
            .count();
        assert_eq!(admitted, 1);
        assert_eq!(idle.num_searching(), 2);
    });
}

/// An unpark before, during or after a park is never lost.
#[test]
fn unpark_is_never_lost() {
    loom::model(|| {
        let parker = Parker::new();
        let unparker = parker.unparker();
        let sleeper = thread::spawn(move || parker.park());
        unparker.unpark();
        sleeper.join().unwrap();
    });
}

/// A worker pushes five tasks into its queue of four (overflowing half to the injection
/// queue) while another worker steals and then takes a share of the injection queue: every
/// task ends up in exactly one queue.
#[test]
fn overflow_and_steal_keep_every_task_once() {
    loom::model(|| {
        let tasks = Queue::new();
        let entries = queued_tasks(&tasks, 5);
        let ids: HashSet<_> = entries.iter().map(|t| t.id()).collect();
        let inject = Arc::new(Inject::new());
        let (local, steal) = queue::local();

        let thief = {
            let inject = inject.clone();
            thread::spawn(move || {
                let (thief_local, _) = queue::local();
                let mut stolen = Vec::new();
                if let Some(task) = steal.steal_into(&thief_local) {
                    stolen.push(task);
                }
                if let Some(task) = inject.pop_batch_into(&thief_local, 2) {
                    stolen.push(task);
                }
                while let Some(task) = thief_local.pop() {
                    stolen.push(task);
                }
                stolen
            })
        };
        for task in entries {
            local.push_back(task, &inject);
        }
        let mut seen: Vec<_> = thief.join().unwrap();
        while let Some(task) = local.pop() {
            seen.push(task);
        }
        while let Some(task) = inject.pop() {
            seen.push(task);
        }
        let seen_ids: HashSet<_> = seen.iter().map(|t| t.id()).collect();
        assert_eq!(seen.len(), 5, "a task was lost or duplicated");
        assert_eq!(seen_ids, ids);

        drop(seen);
        tasks.owned.close_and_shutdown_all(0);
        assert_eq!(Arc::strong_count(&tasks), 1);
    });
}

/// A push racing with `close` never strands a task reference in the injection queue.
#[test]
fn inject_push_racing_close_releases_the_task() {
    loom::model(|| {
        let tasks = Queue::new();
        let mut entries = queued_tasks(&tasks, 1);
        let inject = Arc::new(Inject::new());
        let closer = {
            let inject = inject.clone();
            thread::spawn(move || inject.close())
        };
        inject.push(entries.pop().unwrap());
        closer.join().unwrap();
        assert!(inject.pop().is_none(), "a task stayed queued after close");
        tasks.owned.close_and_shutdown_all(0);
        assert_eq!(Arc::strong_count(&tasks), 1);
    });
}

/// The drivers' holder leaves them (releases the token, then looks for a deep watcher) while
/// the watcher, at the end of a timed sleep, finds the token held and goes deep (then checks
/// the token once more). The drivers must never end up unattended with the watcher asleep for
/// good: the watcher takes the token, or the holder wakes it.
#[test]
fn a_watcher_going_deep_never_misses_the_holder_leaving() {
    use super::watch::{OnLeave, Watch};
    use crate::time::driver::TimerToken;

    loom::model(|| {
        let watch = Arc::new(Watch::new());
        let token = Arc::new(TimerToken::new());
        assert!(
            token.try_acquire(),
            "held by the holder, asleep in the drivers"
        );
        assert!(watch.try_claim(1));
        let holder = {
            let (watch, token) = (watch.clone(), token.clone());
            thread::spawn(move || {
                token.release();
                watch.on_holder_leave()
            })
        };
        let took = watch.end_timed_watch(1, || token.try_acquire());
        let woke = holder.join().unwrap();
        assert!(
            took || woke == OnLeave::WakeWatcher(1),
            "the drivers were left unattended with the watcher asleep"
        );
    });
}
