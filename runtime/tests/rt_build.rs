//! Building runtimes: every `BuildError`, `Config`, and the builder's thread options.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use blitz_io::runtime::{Backend, BuildError, Builder, Config, RuntimeFlavor};
use blitz_io::Runtime;

type NewBuilder = fn() -> Builder;

/// Both flavours' builders, for checks that apply to either.
fn builders() -> [(&'static str, NewBuilder); 2] {
    [
        ("multi", Builder::new_multi_thread),
        ("current", Builder::new_current_thread),
    ]
}

/// Builds and expects an error whose `Display` names `field`.
#[track_caller]
fn build_error(builder: Builder, field: &str) -> BuildError {
    let error = builder.build().expect_err("an invalid setting is refused");
    let message = error.to_string();
    assert!(message.contains(field), "{message:?} should name {field}");
    error
}

#[test]
fn zero_blocking_threads() {
    for (name, builder) in builders() {
        let error = build_error(builder().max_blocking_threads(0), "max_blocking_threads");
        assert!(
            matches!(error, BuildError::ZeroBlockingThreads),
            "{name}: {error:?}"
        );
    }
    let error = Runtime::with_config(Config {
        max_blocking_threads: 0,
        ..Config::default()
    })
    .expect_err("through Config too");
    assert!(matches!(error, BuildError::ZeroBlockingThreads));
}

#[test]
fn too_many_workers() {
    let error = build_error(
        Builder::new_multi_thread().worker_threads(65),
        "num_workers",
    );
    assert!(
        matches!(
            error,
            BuildError::TooManyWorkers {
                requested: 65,
                max: 64
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("65") && message.contains("64"),
        "{message}"
    );
    // The limit itself is fine.
    let rt = Builder::new_multi_thread()
        .worker_threads(64)
        .build()
        .unwrap();
    assert_eq!(rt.metrics().num_workers(), 64);
    assert_eq!(rt.block_on(async { 64 }), 64);
}

/// As on Tokio, `worker_threads` only matters to the multi-thread scheduler: a current-thread
/// builder accepts any count (more than a multi-thread runtime supports included) and runs on
/// the thread that calls `block_on`.
#[test]
fn worker_threads_is_ignored_by_the_current_thread_builder() {
    for workers in [0, 1, 65, usize::MAX] {
        let rt = Builder::new_current_thread()
            .worker_threads(workers)
            .build()
            .unwrap_or_else(|error| panic!("worker_threads({workers}): {error}"));
        assert_eq!(rt.metrics().num_workers(), 1);
        assert_eq!(rt.block_on(async { 7 }), 7);
    }
}

#[test]
fn zero_event_interval() {
    for (name, builder) in builders() {
        let error = build_error(builder().event_interval(0), "event_interval");
        assert!(
            matches!(error, BuildError::ZeroEventInterval),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn zero_global_queue_interval() {
    for (name, builder) in builders() {
        let error = build_error(builder().global_queue_interval(0), "global_queue_interval");
        assert!(
            matches!(error, BuildError::ZeroGlobalQueueInterval),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn zero_max_io_events_per_tick() {
    for (name, builder) in builders() {
        let error = build_error(
            builder().max_io_events_per_tick(0),
            "max_io_events_per_tick",
        );
        assert!(
            matches!(error, BuildError::ZeroMaxIoEventsPerTick),
            "{name}: {error:?}"
        );
    }
}

/// With one I/O event per driver turn, 8 connections echoing at once (16 sockets ready in
/// any order) still each get their own bytes back, on both backends and flavours; and no turn
/// dispatched more than one socket event.
#[test]
fn one_io_event_per_tick_still_serves_concurrent_connections() {
    use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
    use blitz_io::net::{TcpListener, TcpStream};

    const CONNECTIONS: usize = 8;
    const ROUNDS: usize = 50;
    common::on_each_backend_with(
        |builder| builder.max_io_events_per_tick(1),
        |backend| async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = blitz_io::spawn(async move {
                for _ in 0..CONNECTIONS {
                    let (mut socket, _) = listener.accept().await.unwrap();
                    let _connection = blitz_io::spawn(async move {
                        let mut buf = [0u8; 256];
                        loop {
                            let n = socket.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            socket.write_all(&buf[..n]).await.unwrap();
                        }
                    });
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    blitz_io::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        for round in 0..ROUNDS {
                            let message = [(i * ROUNDS + round) as u8; 100];
                            stream.write_all(&message).await.unwrap();
                            let mut back = [0u8; 100];
                            stream.read_exact(&mut back).await.unwrap();
                            assert_eq!(back, message, "connection {i}, round {round}");
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            server.await.unwrap();
            let metrics = blitz_io::runtime::Handle::current().metrics();
            let (turns, ready) = (
                metrics.io_driver_turn_count(),
                metrics.io_driver_ready_count(),
            );
            assert!(ready >= 1, "{backend}: no readiness event dispatched");
            assert!(ready <= turns, "{backend}: {ready} events in {turns} turns");
        },
    );
}

/// A forced backend is the one used; `Auto` resolves to a real backend (never reports
/// `Auto`), and says why when it is not io_uring.
#[test]
fn forced_backends_are_used_and_auto_resolves() {
    for (name, builder) in builders() {
        let rt = builder().backend(Backend::Mio).build().unwrap();
        assert_eq!(rt.handle().backend(), Backend::Mio, "{name}");
        assert_eq!(rt.handle().backend_fallback_reason(), None, "{name}");
        match builder().backend(Backend::IoUring).build() {
            Ok(rt) => assert_eq!(rt.handle().backend(), Backend::IoUring, "{name}"),
            Err(BuildError::BackendUnavailable { backend, reason }) => {
                assert_eq!(backend, Backend::IoUring, "{name}");
                assert!(!reason.is_empty(), "{name}");
            }
            Err(other) => panic!("{name}: {other:?}"),
        }
        let rt = builder().backend(Backend::Auto).build().unwrap();
        let active = rt.handle().backend();
        assert_ne!(active, Backend::Auto, "{name}");
        assert_eq!(
            active == Backend::Mio && std::env::var_os("BLITZ_IO_BACKEND").is_none(),
            rt.handle().backend_fallback_reason().is_some(),
            "{name}: a fallback must say why, and only a fallback"
        );
    }
}

/// Off Linux there is no io_uring: forcing it is a typed build error naming why, never a
/// panic, and `Auto` is mio with that reason.
#[cfg(not(target_os = "linux"))]
#[test]
fn io_uring_off_linux_is_a_typed_build_error() {
    for (name, builder) in builders() {
        match builder().backend(Backend::IoUring).build() {
            Err(BuildError::BackendUnavailable { backend, reason }) => {
                assert_eq!(backend, Backend::IoUring, "{name}");
                assert!(reason.contains("Linux"), "{name}: {reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
        let rt = builder().backend(Backend::Auto).build().unwrap();
        assert_eq!(rt.handle().backend(), Backend::Mio, "{name}");
        if std::env::var_os("BLITZ_IO_BACKEND").is_none() {
            assert!(rt.handle().backend_fallback_reason().is_some(), "{name}");
        }
    }
}

#[test]
fn build_errors_convert_to_io_errors() {
    let error = Builder::new_multi_thread()
        .event_interval(0)
        .build()
        .unwrap_err();
    assert!(std::error::Error::source(&error).is_none());
    let io: std::io::Error = error.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    assert!(io.to_string().contains("event_interval"));
}

#[test]
fn with_config_applies_every_field() {
    let defaults = Config::default();
    assert_eq!(defaults.num_workers, 0);
    assert_eq!(defaults.max_blocking_threads, 512);
    assert_eq!(defaults.blocking_keep_alive, Duration::from_secs(10));
    assert_eq!(defaults.backend, Backend::Auto);

    let rt = Runtime::with_config(Config {
        num_workers: 3,
        max_blocking_threads: 1,
        blocking_keep_alive: Duration::from_secs(30),
        backend: Backend::Auto,
    })
    .unwrap();
    let metrics = rt.metrics();
    assert_eq!(metrics.num_workers(), 3);
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    // max_blocking_threads = 1: two jobs share one thread.
    let first = rt.spawn_blocking(|| std::thread::current().id());
    let second = rt.spawn_blocking(|| std::thread::current().id());
    assert_eq!(
        first.blocking_join().unwrap(),
        second.blocking_join().unwrap()
    );
    assert_eq!(metrics.num_blocking_threads(), 1);
}

#[test]
fn default_worker_count_is_the_cpu_count() {
    let cpus = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(64);
    for rt in [
        Runtime::new().unwrap(),
        Runtime::builder().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(0)
            .build()
            .unwrap(),
    ] {
        assert_eq!(rt.metrics().num_workers(), cpus);
        assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    }
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 1);
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
}

/// Thread names, name functions, stack size and start/stop hooks apply to workers and to
/// blocking-pool threads alike.
#[test]
fn thread_options_apply_to_every_runtime_thread() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let numbered = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name_fn({
            let numbered = numbered.clone();
            move || format!("numbered-{}", numbered.fetch_add(1, SeqCst))
        })
        .thread_stack_size(256 * 1024)
        .on_thread_start({
            let started = started.clone();
            move || {
                started.fetch_add(1, SeqCst);
            }
        })
        .on_thread_stop({
            let stopped = stopped.clone();
            move || {
                stopped.fetch_add(1, SeqCst);
            }
        })
        .build()
        .unwrap();
    let worker = rt.block_on(async {
        blitz_io::task::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    let pool = rt
        .spawn_blocking(|| std::thread::current().name().map(str::to_owned))
        .blocking_join()
        .unwrap();
    drop(rt);
    let worker = worker.expect("workers are named");
    let pool = pool.expect("pool threads are named");
    assert!(worker.starts_with("numbered-"), "{worker}");
    assert!(pool.starts_with("numbered-"), "{pool}");
    assert_eq!(numbered.load(SeqCst), 3, "two workers and one pool thread");
    assert_eq!(started.load(SeqCst), 3);
    assert_eq!(
        stopped.load(SeqCst),
        3,
        "every thread stopped by the end of drop"
    );

    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fixed-name")
        .build()
        .unwrap();
    let name = rt.block_on(async {
        blitz_io::task::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("fixed-name"));
}

#[test]
fn debug_output_names_the_flavour() {
    let rt = common::current();
    assert!(format!("{rt:?}").contains("CurrentThread"));
    assert!(format!("{:?}", rt.handle()).contains("CurrentThread"));
    let builder = Builder::new_multi_thread().worker_threads(2);
    let text = format!("{builder:?}");
    assert!(
        text.contains("MultiThread") && text.contains("num_workers: 2"),
        "{text}"
    );
}

/// A panicking `on_thread_start` hook must not wedge the runtime: the thread it ran on is
/// already counted (a worker tasks are handed to, a pool thread queued jobs and shutdown wait
/// for), so the thread still does its work and the runtime still shuts down.
#[test]
fn a_panicking_start_hook_does_not_hang_the_runtime() {
    common::quiet_expected_panics();
    for (name, builder) in builders() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = builder()
                .worker_threads(1)
                .on_thread_start(|| panic!("{}: start hook", common::EXPECTED))
                .build()
                .unwrap();
            let spawned = rt.spawn(async { 1 });
            let blocking = rt.spawn_blocking(|| 2);
            let sum = rt.block_on(async { spawned.await.unwrap() + blocking.await.unwrap() });
            drop(rt);
            let _ = done.send(sum);
        });
        let sum = finished
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{name}: hung after a start hook panicked"));
        assert_eq!(sum, 3, "{name}");
    }
}

/// As on Tokio, the start and stop hooks run inside the runtime: `Handle::current()` works
/// there, on workers and blocking-pool threads alike.
#[test]
fn hooks_run_inside_the_runtime() {
    for (name, builder) in builders() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = |hook: &'static str| {
            let seen = seen.clone();
            move || {
                let entered = blitz_io::runtime::Handle::try_current().is_ok();
                seen.lock().unwrap().push((hook, entered));
            }
        };
        let rt = builder()
            .worker_threads(1)
            .on_thread_start(record("start"))
            .on_thread_stop(record("stop"))
            .build()
            .unwrap();
        rt.spawn_blocking(|| ()).blocking_join().unwrap();
        drop(rt);
        let seen = seen.lock().unwrap();
        let threads = if name == "multi" { 2 } else { 1 };
        assert_eq!(seen.len(), 2 * threads, "{name}: {seen:?}");
        assert!(
            seen.iter().all(|&(_, entered)| entered),
            "{name}: a hook ran outside the runtime: {seen:?}"
        );
    }
}

/// A `thread_name_fn` that panics while `build` starts the workers: the panic comes out of
/// `build` with its payload, and the workers started before it have exited by then (each ran
/// its stop hook), so nothing of the half-built runtime is left running.
#[test]
fn a_panicking_thread_name_fn_fails_build_and_leaves_no_thread() {
    common::quiet_expected_panics();
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn({
        let (started, stopped) = (started.clone(), stopped.clone());
        move || {
            let named = AtomicUsize::new(0);
            let builder = Builder::new_multi_thread()
                .worker_threads(4)
                .thread_name_fn(move || {
                    if named.fetch_add(1, SeqCst) == 2 {
                        panic!("{}: naming the third worker", common::EXPECTED);
                    }
                    "named".to_owned()
                })
                .on_thread_start(move || {
                    started.fetch_add(1, SeqCst);
                })
                .on_thread_stop(move || {
                    stopped.fetch_add(1, SeqCst);
                });
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build()));
            let _ = done.send(
                outcome
                    .map(drop)
                    .map_err(|payload| common::panic_text(payload.as_ref()).map(str::to_owned)),
            );
        }
    });
    let outcome = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("build hung after the name function panicked");
    let message = outcome
        .expect_err("build propagates the name function's panic")
        .expect("with its message");
    assert!(message.contains("naming the third worker"), "{message}");
    assert_eq!(started.load(SeqCst), 2, "two workers were started");
    assert_eq!(
        stopped.load(SeqCst),
        2,
        "and both stopped before build returned"
    );
}

/// A `thread_name_fn` that panics when the blocking pool starts a thread: the panic comes out
/// of `spawn_blocking`, and the job it was spawning is gone with it. It does not hold a paused
/// clock back, and it never runs later on a thread started for another job.
#[test]
fn a_panicking_thread_name_fn_fails_spawn_blocking_without_leaving_the_job() {
    common::quiet_expected_panics();
    let named = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread()
        .start_paused(true)
        .thread_name_fn({
            let named = named.clone();
            move || {
                if named.fetch_add(1, SeqCst) == 0 {
                    panic!("{}: naming the first pool thread", common::EXPECTED);
                }
                "named".to_owned()
            }
        })
        .build()
        .unwrap();
    let ran = common::Flag::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let ran = ran.clone();
        rt.spawn_blocking(move || ran.set())
    }));
    let payload = outcome.expect_err("spawn_blocking propagates the name function's panic");
    let message = common::panic_text(payload.as_ref()).unwrap_or_default();
    assert!(
        message.contains("naming the first pool thread"),
        "{message}"
    );
    // Nothing left queued keeps the paused clock from jumping to the timer (bounded: a job
    // left behind would hold it back for ever).
    let (done, slept) = std::sync::mpsc::channel();
    let rt = std::thread::spawn(move || {
        rt.block_on(async { blitz_io::time::sleep(Duration::from_secs(3600)).await });
        let _ = done.send(());
        rt
    });
    slept
        .recv_timeout(Duration::from_secs(10))
        .expect("the paused clock never reached the timer");
    let rt = rt.join().unwrap();
    // The next job starts a thread; the failed one must not ride along.
    assert_eq!(rt.spawn_blocking(|| 5).blocking_join().unwrap(), 5);
    assert_eq!(named.load(SeqCst), 2);
    drop(rt);
    assert!(!ran.get(), "the job whose spawn panicked ran anyway");
}

/// Tokio's `enable_*` calls are accepted and change nothing: whichever one a builder chain
/// names, the runtime has both drivers (a timer fires and a socket connects).
#[test]
fn tokio_enable_calls_leave_both_drivers_on() {
    type Enable = fn(Builder) -> Builder;
    let enables: [(&str, Enable); 3] = [
        ("enable_all", Builder::enable_all),
        ("enable_io", Builder::enable_io),
        ("enable_time", Builder::enable_time),
    ];
    for (name, builder) in builders() {
        for (enable, call) in enables {
            let rt = call(builder())
                .build()
                .unwrap_or_else(|e| panic!("{name}, {enable}: {e}"));
            rt.block_on(async {
                blitz_io::time::sleep(Duration::from_millis(1)).await;
                let listener = blitz_io::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .unwrap();
                let addr = listener.local_addr().unwrap();
                let (client, accepted) =
                    futures_util::join!(blitz_io::net::TcpStream::connect(addr), listener.accept());
                client.unwrap();
                accepted.unwrap();
            });
        }
    }
}
