//! The blocking pool: growth on demand, the thread cap, keep-alive, reuse of idle threads,
//! cancellation of queued jobs at shutdown and by `abort`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use blitz_io::runtime::{Builder, Handle};
use blitz_io::{task, Runtime};
use common::{DropCounter, Flag};

/// A gate for plain threads: `wait` blocks until `open`.
#[derive(Clone, Default)]
struct Latch(Arc<(Mutex<bool>, Condvar)>);

impl Latch {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    fn wait(&self) {
        let mut open = self.0 .0.lock().unwrap();
        while !*open {
            open = self.0 .1.wait(open).unwrap();
        }
    }
}

fn runtime(max_blocking_threads: usize, keep_alive: Duration) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(max_blocking_threads)
        .thread_keep_alive(keep_alive)
        .build()
        .unwrap()
}

/// Concurrency tracking for jobs: how many run now, and the most that ever ran at once.
#[derive(Clone, Default)]
struct Concurrency {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Concurrency {
    /// Runs `body` counted as one running job.
    fn run<T>(&self, body: impl FnOnce() -> T) -> T {
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
        let output = body();
        self.now.fetch_sub(1, SeqCst);
        output
    }
}

/// Spawns a job that reports on `started`, then blocks until `latch` opens.
fn held_job(
    rt: &Runtime,
    started: &mpsc::Sender<()>,
    latch: &Latch,
    concurrency: &Concurrency,
    value: usize,
) -> task::JoinHandle<usize> {
    let (started, latch, concurrency) = (started.clone(), latch.clone(), concurrency.clone());
    rt.spawn_blocking(move || {
        concurrency.run(|| {
            started.send(()).unwrap();
            latch.wait();
            value
        })
    })
}

/// Jobs that are all blocked at once each get a thread, up to the cap; the next one queues.
#[test]
fn grows_on_demand_up_to_the_cap() {
    let rt = runtime(4, Duration::from_secs(10));
    let metrics = rt.metrics();
    assert_eq!(metrics.num_blocking_threads(), 0, "threads start on demand");
    let (started_tx, started_rx) = mpsc::channel();
    let latch = Latch::default();
    let concurrency = Concurrency::default();
    let jobs: Vec<_> = (0..5)
        .map(|i| held_job(&rt, &started_tx, &latch, &concurrency, i))
        .collect();
    for _ in 0..4 {
        started_rx.recv().unwrap();
    }
    assert_eq!(metrics.num_blocking_threads(), 4);
    assert_eq!(metrics.num_idle_blocking_threads(), 0);
    assert_eq!(
        metrics.blocking_queue_depth(),
        1,
        "the fifth job waits for a thread"
    );
    latch.open();
    let outputs: Vec<_> = jobs
        .into_iter()
        .map(|j| j.blocking_join().unwrap())
        .collect();
    assert_eq!(outputs, [0, 1, 2, 3, 4]);
    assert_eq!(concurrency.max.load(SeqCst), 4);
    assert_eq!(
        metrics.num_blocking_threads(),
        4,
        "the fifth job reused a thread"
    );
}

/// With a cap of 2, four jobs never run more than two at a time.
#[test]
fn cap_limits_concurrency() {
    let rt = runtime(2, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let latch = Latch::default();
    let concurrency = Concurrency::default();
    let jobs: Vec<_> = (0..4)
        .map(|i| held_job(&rt, &started_tx, &latch, &concurrency, i))
        .collect();
    started_rx.recv().unwrap();
    started_rx.recv().unwrap();
    assert_eq!(rt.metrics().num_blocking_threads(), 2);
    assert_eq!(rt.metrics().blocking_queue_depth(), 2);
    latch.open();
    for job in jobs {
        job.blocking_join().unwrap();
    }
    assert_eq!(concurrency.max.load(SeqCst), 2);

    // Many short jobs: the pool never holds more than two threads.
    let most_threads = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (0..200)
        .map(|i| {
            let most_threads = most_threads.clone();
            rt.spawn_blocking(move || {
                let threads = Handle::current().metrics().num_blocking_threads();
                most_threads.fetch_max(threads, SeqCst);
                i
            })
        })
        .collect();
    let sum: usize = jobs.into_iter().map(|j| j.blocking_join().unwrap()).sum();
    assert_eq!(sum, 199 * 100);
    assert!(most_threads.load(SeqCst) <= 2);
}

/// Idle threads exit after the keep-alive.
#[test]
fn idle_threads_exit_after_the_keep_alive() {
    let rt = runtime(8, Duration::from_millis(50));
    let (started_tx, started_rx) = mpsc::channel();
    let latch = Latch::default();
    let concurrency = Concurrency::default();
    let jobs: Vec<_> = (0..3)
        .map(|i| held_job(&rt, &started_tx, &latch, &concurrency, i))
        .collect();
    for _ in 0..3 {
        started_rx.recv().unwrap();
    }
    assert_eq!(rt.metrics().num_blocking_threads(), 3);
    latch.open();
    for job in jobs {
        job.blocking_join().unwrap();
    }
    let metrics = rt.metrics();
    common::wait_until("idle blocking threads to exit", || {
        metrics.num_blocking_threads() == 0
    });
    // The pool starts threads again on demand.
    assert_eq!(rt.spawn_blocking(|| 5).blocking_join().unwrap(), 5);
}

/// A job spawned while a thread is idle runs on that thread instead of a new one.
#[test]
fn idle_thread_is_reused() {
    let rt = runtime(8, Duration::from_secs(10));
    let first = rt
        .spawn_blocking(|| std::thread::current().id())
        .blocking_join()
        .unwrap();
    let metrics = rt.metrics();
    common::wait_until("the thread to go idle", || {
        metrics.num_idle_blocking_threads() == 1
    });
    let second = rt
        .spawn_blocking(|| std::thread::current().id())
        .blocking_join()
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(metrics.num_blocking_threads(), 1);
}

/// Shutdown cancels jobs still in the queue (their closures are dropped unrun) and waits for
/// the running one, which completes with its output.
#[test]
fn shutdown_cancels_queued_jobs_and_finishes_the_running_one() {
    for builder in [Builder::new_current_thread(), Builder::new_multi_thread()] {
        let rt = builder
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let latch = Latch::default();
        let running = held_job(&rt, &started_tx, &latch, &Concurrency::default(), 1);
        started_rx.recv().unwrap();
        let ran = Flag::new();
        let drops = DropCounter::new();
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let (ran, guard) = (ran.clone(), drops.guard());
                rt.spawn_blocking(move || {
                    let _guard = guard;
                    ran.set();
                })
            })
            .collect();
        assert_eq!(rt.metrics().blocking_queue_depth(), 2);

        let dropper = std::thread::spawn(move || drop(rt));
        // The queued jobs are cancelled while the running one still holds its thread.
        for job in queued {
            assert!(job.blocking_join().unwrap_err().is_cancelled());
        }
        assert_eq!(drops.get(), 2);
        assert!(!running.is_finished());
        latch.open();
        dropper.join().unwrap();
        assert_eq!(running.blocking_join().unwrap(), 1);
        assert!(!ran.get());
    }
}

/// `abort` cancels a job that has not started; a running job cannot be interrupted.
#[test]
fn abort_stops_only_a_job_that_has_not_started() {
    let rt = runtime(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let latch = Latch::default();
    let running = held_job(&rt, &started_tx, &latch, &Concurrency::default(), 7);
    started_rx.recv().unwrap();
    let ran = Flag::new();
    let drops = DropCounter::new();
    let queued = rt.spawn_blocking({
        let (ran, guard) = (ran.clone(), drops.guard());
        move || {
            let _guard = guard;
            ran.set();
        }
    });
    queued.abort();
    running.abort();
    latch.open();
    assert_eq!(
        running.blocking_join().unwrap(),
        7,
        "a running job finishes"
    );
    assert!(queued.blocking_join().unwrap_err().is_cancelled());
    assert!(!ran.get());
    assert_eq!(drops.get(), 1);
}

/// Jobs run on pool threads named like the runtime's, with the runtime entered.
#[test]
fn jobs_run_inside_the_runtime_on_named_threads() {
    for builder in [Builder::new_current_thread(), Builder::new_multi_thread()] {
        let rt = builder
            .worker_threads(1)
            .thread_name("pool-test")
            .build()
            .unwrap();
        // Awaited from block_on, so the current-thread runtime is driven while the job
        // waits for its task.
        let (name, from_task) = rt
            .block_on(rt.spawn_blocking(|| {
                let name = std::thread::current().name().map(str::to_owned);
                let from_task = Handle::current().spawn(async { 3 }).blocking_join();
                (name, from_task.unwrap())
            }))
            .unwrap();
        assert_eq!(name.as_deref(), Some("pool-test"));
        assert_eq!(from_task, 3);
    }
}

/// The last owner of a runtime may drop it from one of that runtime's own blocking-pool
/// threads (a job that owns it). The drop then waits for every *other* pool thread (here one
/// running a held job) and returns; waiting for the pool to be empty would wait for the
/// dropping thread itself forever. Both flavours; the bounded wait on a plain thread turns a
/// hang into a failure.
#[test]
fn a_runtime_dropped_on_its_own_blocking_thread_does_not_wait_for_itself() {
    for rt in [common::multi(1), common::current()] {
        let handle = rt.handle().clone();
        let (started_tx, started_rx) = mpsc::channel();
        let latch = Latch::default();
        let other = {
            let latch = latch.clone();
            handle.spawn_blocking(move || {
                started_tx.send(()).unwrap();
                latch.wait();
            })
        };
        started_rx.recv().unwrap();
        let (dropping_tx, dropping_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let job = handle.spawn_blocking(move || {
            dropping_tx.send(()).unwrap();
            drop(rt);
            done_tx.send(()).unwrap();
        });
        dropping_rx.recv().unwrap();
        // The drop waits for the other job's thread, which exits once its job is done.
        latch.open();
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("dropping the runtime on its own blocking thread hung");
        let (joined_tx, joined_rx) = mpsc::channel();
        std::thread::spawn(move || joined_tx.send(other.blocking_join().is_ok()).unwrap());
        assert!(joined_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the other job's handle never resolved"));
        // The job itself finishes normally: its handle resolves with its output.
        let (joined_tx, joined_rx) = mpsc::channel();
        std::thread::spawn(move || joined_tx.send(job.blocking_join().is_ok()).unwrap());
        assert!(joined_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the job's handle never resolved"));
    }
}
