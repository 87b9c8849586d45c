//! `Builder::on_thread_park`/`on_thread_unpark` on both flavours: they run when a worker (or
//! the current-thread driver) parks while its task waits, in pairs, not on blocking-pool
//! threads; a task the park hook spawns runs instead of being parked on (and timers still
//! fire when a hook does that at every park); a panicking hook leaves the worker running.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use blitz_io::channel::oneshot;
use blitz_io::runtime::{Builder, Handle};

type NewBuilder = fn() -> Builder;

fn builders() -> [(&'static str, NewBuilder); 2] {
    [
        ("multi", Builder::new_multi_thread),
        ("current", Builder::new_current_thread),
    ]
}

const LIMIT: Duration = Duration::from_secs(10);

/// A task arms the park hook and then waits on a blocking job; that job returns only once the
/// hook has run, so the job's answer says whether the runtime thread parked while the task
/// waited. Afterwards every park was paired with an unpark, and no hook ran on the pool thread.
#[test]
fn a_waiting_task_lets_its_thread_park() {
    for (name, builder) in builders() {
        let parks = Arc::new(AtomicUsize::new(0));
        let unparks = Arc::new(AtomicUsize::new(0));
        let hook_threads = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
        let armed = Arc::new(AtomicBool::new(false));
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let rt = builder()
            .worker_threads(1)
            .on_thread_park({
                let (parks, armed, threads) = (parks.clone(), armed.clone(), hook_threads.clone());
                move || {
                    parks.fetch_add(1, SeqCst);
                    threads.lock().unwrap().push(thread::current().id());
                    if armed.swap(false, SeqCst) {
                        let _ = go_tx.send(());
                    }
                }
            })
            .on_thread_unpark({
                let (unparks, threads) = (unparks.clone(), hook_threads.clone());
                move || {
                    unparks.fetch_add(1, SeqCst);
                    threads.lock().unwrap().push(thread::current().id());
                }
            })
            .build()
            .unwrap();
        let (released, pool_thread) = rt.block_on(async move {
            blitz_io::spawn(async move {
                armed.store(true, SeqCst);
                blitz_io::task::spawn_blocking(move || {
                    (go_rx.recv_timeout(LIMIT).is_ok(), thread::current().id())
                })
                .await
                .unwrap()
            })
            .await
            .unwrap()
        });
        drop(rt);
        assert!(
            released,
            "{name}: the thread never parked while its task waited"
        );
        let (parks, unparks) = (parks.load(SeqCst), unparks.load(SeqCst));
        assert!(parks >= 1, "{name}");
        assert_eq!(
            parks, unparks,
            "{name}: every park hook has its unpark hook"
        );
        assert!(
            !hook_threads.lock().unwrap().contains(&pool_thread),
            "{name}: a hook ran on the blocking-pool thread"
        );
    }
}

/// A multi-thread worker parks between bursts of work: each task handed to the idle worker
/// unparks it, and it parks again once the task is done.
#[test]
fn an_idle_worker_parks_again_after_each_task() {
    let (park_tx, park_rx) = mpsc::channel::<()>();
    let unparks = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_park(move || {
            let _ = park_tx.send(());
        })
        .on_thread_unpark({
            let unparks = unparks.clone();
            move || {
                unparks.fetch_add(1, SeqCst);
            }
        })
        .build()
        .unwrap();
    // The worker starts with nothing to do.
    park_rx.recv_timeout(LIMIT).expect("the idle worker parked");
    for round in 1..=3 {
        let before = unparks.load(SeqCst);
        rt.spawn(async {}).blocking_join().unwrap();
        park_rx
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("round {round}: the worker did not park again"));
        assert!(
            unparks.load(SeqCst) > before,
            "round {round}: no unpark hook"
        );
    }
}

/// The park hook spawns the task that the waiting task needs. On the current-thread runtime
/// it lands in the local queue, on the multi-thread one in the injection queue (the parking
/// worker's core is out of reach); either way the thread must run it rather than park on it,
/// since nothing else would wake it.
#[test]
fn a_task_spawned_by_the_park_hook_runs_before_the_park() {
    for (name, builder) in builders() {
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let armed = Arc::new(AtomicBool::new(false));
            let (tx, rx) = oneshot::channel::<u32>();
            let tx = Mutex::new(Some(tx));
            let rt = builder()
                .worker_threads(1)
                .on_thread_park({
                    let armed = armed.clone();
                    move || {
                        if armed.swap(false, SeqCst) {
                            let tx = tx.lock().unwrap().take().unwrap();
                            drop(Handle::current().spawn(async move { tx.send(7) }));
                        }
                    }
                })
                .build()
                .unwrap();
            let got = rt.block_on(async move {
                blitz_io::spawn(async move {
                    armed.store(true, SeqCst);
                    rx.await.unwrap()
                })
                .await
                .unwrap()
            });
            let _ = done_tx.send(got);
        });
        let got = done_rx
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{name}: parked on the task its park hook spawned"));
        assert_eq!(got, 7, "{name}");
    }
}

/// A park hook that wakes a task at every park (a watchdog counting parks) leaves work each
/// time, so the thread never sleeps; it must still fire timers (and poll I/O) where the park
/// would have, or the main future's sleep never ends and the thread spins forever.
#[test]
fn a_park_hook_that_always_leaves_work_does_not_starve_timers() {
    for (name, builder) in builders() {
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let notify = Arc::new(blitz_io::sync::Notify::new());
            let rt = builder()
                .worker_threads(1)
                .on_thread_park({
                    let notify = notify.clone();
                    move || notify.notify_one()
                })
                .build()
                .unwrap();
            let parks = Arc::new(AtomicUsize::new(0));
            let counted = parks.clone();
            rt.block_on(async move {
                drop(blitz_io::spawn(async move {
                    loop {
                        notify.notified().await;
                        counted.fetch_add(1, SeqCst);
                    }
                }));
                blitz_io::time::sleep(Duration::from_millis(5)).await;
            });
            let _ = done_tx.send(parks.load(SeqCst));
        });
        let parks = done_rx
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{name}: the sleep never fired"));
        assert!(parks > 0, "{name}: the hook never ran");
    }
}

/// A panic in either hook is reported and ignored: the worker keeps running tasks and the
/// runtime still shuts down.
#[test]
fn panicking_park_hooks_leave_the_worker_running() {
    common::quiet_expected_panics();
    for (name, builder) in builders() {
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let rt = builder()
                .worker_threads(1)
                .on_thread_park(move || {
                    let _ = go_tx.send(());
                    panic!("{}: park hook", common::EXPECTED);
                })
                .on_thread_unpark(|| panic!("{}: unpark hook", common::EXPECTED))
                .build()
                .unwrap();
            // The blocking job returns once a park hook has run (and panicked).
            let first = rt.block_on(async move {
                blitz_io::spawn(async move {
                    let parked = blitz_io::task::spawn_blocking(move || go_rx.recv_timeout(LIMIT));
                    u32::from(parked.await.unwrap().is_ok())
                })
                .await
                .unwrap()
            });
            let second = rt.block_on(async { blitz_io::spawn(async { 2 }).await.unwrap() });
            drop(rt);
            let _ = done_tx.send(first + second);
        });
        let sum = done_rx
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{name}: hung after a park hook panicked"));
        assert_eq!(sum, 3, "{name}");
    }
}
