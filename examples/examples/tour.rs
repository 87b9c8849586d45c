//! A guided tour of blitz-io: each stop exercises one concept of the runtime, prints what
//! happened and checks the result. Any wrong result makes the tour exit with status 1.
//!
//! Run it with `cargo run --release -p blitz-io-examples --example tour`.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

#[path = "shared/copy_machine.rs"]
mod copy_machine;

use blitz_io::machine::{StateMachine, Transition};
use blitz_io::runtime::{Builder, Config};
use blitz_io::task;
use blitz_io::Runtime;

/// The seed's `DelayedValue`: a hand-written state machine that yields once, then returns 42.
enum DelayedValue {
    FirstPoll,
    Done,
}

impl Future for DelayedValue {
    type Output = i32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        match *self {
            DelayedValue::FirstPoll => {
                // Not ready yet: ask to be polled again, remember where we are.
                cx.waker().wake_by_ref();
                *self = DelayedValue::Done;
                Poll::Pending
            }
            DelayedValue::Done => Poll::Ready(42),
        }
    }
}

/// `#[derive(StateMachine)]`: a fan-in written as explicit steps. It spawns its children in
/// one step, then collects them in another, resuming exactly there whenever a child finishes.
#[derive(StateMachine)]
#[machine(output = u64, start = spawn_children, steps(spawn_children, collect))]
struct FanIn {
    inputs: Vec<u64>,
    children: Vec<task::JoinHandle<u64>>,
    total: u64,
}

impl FanIn {
    fn spawn_children(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        for n in this.inputs.drain(..) {
            this.children.push(task::spawn(async move { n * n }));
        }
        Transition::Next(FanInStep::Collect)
    }

    fn collect(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        while let Some(child) = this.children.last_mut() {
            match Pin::new(child).poll(cx) {
                Poll::Ready(square) => {
                    *this.total += square.expect("a square does not panic");
                    this.children.pop();
                }
                Poll::Pending => return Transition::Pending,
            }
        }
        Transition::Done(*this.total)
    }
}

/// A machine stuck on purpose: it waits for a wake-up that never comes.
#[derive(StateMachine)]
#[machine(output = (), start = wait_for_reply, steps(wait_for_reply))]
struct Stuck {
    reached: Arc<AtomicUsize>,
}

impl Stuck {
    fn wait_for_reply(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        self.project().reached.store(1, Ordering::Release);
        Transition::Pending
    }
}

/// Collects the outcome of every check.
struct Tour {
    failures: Vec<String>,
}

impl Tour {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got == want {
            println!("  ok    {what}: {got:?}");
        } else {
            println!("  WRONG {what}: got {got:?}, want {want:?}");
            self.failures.push(what.to_owned());
        }
    }
}

/// `#[blitz_io::task]`: calling `checksum(data)` returns a nameable future, `Checksum`, that
/// holds the argument and runs the body on its first poll (the seed's `FnFuture`).
#[blitz_io::task]
fn checksum(data: Vec<u8>) -> u32 {
    data.iter().map(|&b| u32::from(b)).sum()
}

/// With `blocking`, the body runs on the blocking pool when the future is first polled.
#[blitz_io::task(blocking)]
fn slow_fib(n: u64) -> u64 {
    fib(n)
}

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn main() -> ExitCode {
    let mut tour = Tour {
        failures: Vec::new(),
    };
    let started = Instant::now();

    println!("1. run(): zero-config runtime, a hand-written future");
    let value = blitz_io::run(DelayedValue::FirstPoll);
    tour.check("DelayedValue resolves after one Pending", value, 42);

    println!("2. Runtime::with_config + spawn: 10 000 tasks fan out and join");
    let rt = Runtime::with_config(Config {
        num_workers: 2,
        max_blocking_threads: 4,
        ..Config::default()
    })
    .expect("a valid configuration");
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..10_000u64)
            .map(|i| task::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no task panics");
        }
        sum
    });
    tour.check("sum of 0..10 000 computed by 10 000 tasks", sum, 49_995_000);

    println!("3. nested spawn: tasks spawn tasks and await them");
    let depth = rt.block_on(async {
        fn descend(level: u32) -> task::JoinHandle<u32> {
            task::spawn(async move {
                if level == 0 {
                    0
                } else {
                    descend(level - 1).await.expect("child finishes") + 1
                }
            })
        }
        descend(100).await.expect("root finishes")
    });
    tour.check("a chain of 100 nested tasks", depth, 100);

    println!("4. spawn_fn: a plain function as a single-poll task (the seed's FnFuture)");
    let product = rt.block_on(async {
        fn multiply(a: u64, b: u64) -> u64 {
            a * b
        }
        task::spawn_fn(move || multiply(6, 7)).await.expect("runs")
    });
    tour.check("spawn_fn(multiply(6, 7))", product, 42);

    println!("5. spawn_blocking: CPU-heavy work on the blocking pool");
    let fibs = rt.block_on(async {
        let jobs: Vec<_> = (20..24u64)
            .map(|n| task::spawn_blocking(move || fib(n)))
            .collect();
        let mut out = Vec::new();
        for job in jobs {
            out.push(job.await.expect("no job panics"));
        }
        out
    });
    tour.check(
        "fib(20..24) on the blocking pool",
        fibs,
        vec![6765, 10946, 17711, 28657],
    );
    let from_thread = rt.spawn_blocking(|| fib(15)).blocking_join();
    tour.check(
        "blocking_join from the main thread",
        from_thread.ok(),
        Some(610),
    );

    println!("6. failure is contained: a panicking task and an aborted one");
    // The default hook would print a backtrace for the deliberate panic; print one line.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        println!("        (a task panicked: {info})")
    }));
    let (panicked, aborted) = rt.block_on(async {
        let boom = task::spawn(async { panic!("deliberate panic inside a task") });
        let stuck = task::spawn(std::future::pending::<()>());
        task::yield_now().await;
        stuck.abort();
        (
            boom.await.map_err(|e| e.is_panic()),
            stuck.await.map_err(|e| e.is_cancelled()),
        )
    });
    std::panic::set_hook(default_hook);
    tour.check("panic surfaces as JoinError::is_panic", panicked, Err(true));
    tour.check(
        "abort surfaces as JoinError::is_cancelled",
        aborted,
        Err(true),
    );

    println!("7. cooperative scheduling: a busy loop cannot starve a neighbour");
    let one_worker = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("valid settings");
    let rounds = one_worker.block_on(async {
        let done = Arc::new(AtomicUsize::new(0));
        let busy = {
            let done = done.clone();
            task::spawn(async move {
                let mut rounds = 0u64;
                while done.load(Ordering::Acquire) == 0 {
                    rounds += 1;
                    task::consume_budget().await;
                }
                rounds
            })
        };
        let neighbour = {
            let done = done.clone();
            task::spawn(async move { done.store(1, Ordering::Release) })
        };
        neighbour.await.expect("the neighbour runs");
        busy.await.expect("the busy loop ends")
    });
    let forced = one_worker.metrics().worker_budget_forced_yield_count(0);
    tour.check("busy loop was preempted by its budget", forced > 0, true);
    tour.check("busy loop ran before yielding", rounds > 0, true);

    println!("8. current-thread flavour: the same API on one thread");
    let local = Builder::new_current_thread()
        .build()
        .expect("valid settings");
    let squares = local.block_on(async {
        let handles: Vec<_> = (1..=5u32)
            .map(|i| task::spawn(async move { i * i }))
            .collect();
        let mut out = Vec::new();
        for handle in handles {
            task::yield_now().await;
            out.push(handle.await.expect("runs"));
        }
        out
    });
    tour.check(
        "squares on the current-thread runtime",
        squares,
        vec![1, 4, 9, 16, 25],
    );

    println!("9. combinators: join_all, race, select and a JoinSet");
    let (joined, raced, selected, from_set) = local.block_on(async {
        // join_all: results in input order, whatever order the tasks finish in.
        let handles = (1..=4u64).map(|i| task::spawn(async move { i * 100 }));
        let joined: Vec<u64> = task::join_all(handles)
            .await
            .into_iter()
            .map(|r| r.expect("no task fails"))
            .collect();
        // race: the first to finish wins, the losers are aborted.
        let never = task::spawn(std::future::pending::<&str>());
        let quick = task::spawn(async { "quick" });
        let (winner, result) = task::race([never, quick]).await;
        let raced = (winner, result.expect("the quick task wins"));
        // select: the first to finish wins, the others come back still running.
        let first = task::spawn(async { 1u32 });
        let second = task::spawn(async {
            task::yield_now().await;
            2u32
        });
        let (_, result, rest) = task::select([first, second]).await;
        let rest_total: u32 = task::join_all(rest)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .sum();
        let selected = (result.expect("a winner") + rest_total, 3);
        // JoinSet: results in completion order; a set drains to None.
        let mut set = task::JoinSet::new();
        for n in 20..24u64 {
            set.spawn_blocking(move || fib(n));
        }
        let mut from_set = Vec::new();
        while let Some(result) = set.join_next().await {
            from_set.push(result.expect("no job panics"));
        }
        from_set.sort_unstable();
        (joined, raced, selected, from_set)
    });
    tour.check(
        "join_all keeps input order",
        joined,
        vec![100, 200, 300, 400],
    );
    tour.check("race: the quick task wins", raced, (1, "quick"));
    tour.check(
        "select: winner plus the handed-back rest",
        selected.0,
        selected.1,
    );
    tour.check(
        "JoinSet drains every blocking job",
        from_set,
        vec![6765, 10946, 17711, 28657],
    );

    println!("10. #[blitz_io::task]: plain functions as nameable, spawnable futures");
    let (sums, fib25) = rt.block_on(async {
        // The futures are created here but run only when spawned and polled.
        let futures: Vec<Checksum> = (1..=4u8).map(|n| checksum(vec![n; 10])).collect();
        let handles: Vec<_> = futures.into_iter().map(task::spawn).collect();
        let sums: Vec<u32> = task::join_all(handles)
            .await
            .into_iter()
            .map(|r| r.expect("no checksum panics"))
            .collect();
        (sums, slow_fib(25).await)
    });
    tour.check(
        "four #[task] checksums fanned out with join_all",
        sums,
        vec![10, 20, 30, 40],
    );
    tour.check(
        "#[task(blocking)] fib(25) on the blocking pool",
        fib25,
        75025,
    );

    println!("11. #[derive(StateMachine)]: explicit steps, and a task dump that names them");
    let (total, stuck_step) = rt.block_on(async {
        let total = FanIn {
            inputs: (1..=10).collect(),
            children: Vec::new(),
            total: 0,
        }
        .await;
        let reached = Arc::new(AtomicUsize::new(0));
        let stuck = task::spawn(Stuck {
            reached: reached.clone(),
        });
        while reached.load(Ordering::Acquire) == 0 {
            task::yield_now().await; // until the other task has reached its step
        }
        let dump = blitz_io::runtime::Handle::current().dump();
        print!("{dump}");
        let stuck_step = dump
            .tasks()
            .iter()
            .find(|t| t.id() == stuck.id())
            .and_then(|t| t.step());
        stuck.abort();
        (total, stuck_step)
    });
    tour.check("a derived fan-in machine sums 10 squares", total, 385);
    tour.check(
        "the dump shows where the stuck machine waits",
        stuck_step,
        Some("wait_for_reply"),
    );

    println!("12. time: sleep, and a timeout that fires");
    let (slept, timed_out, in_time) = rt.block_on(async {
        let start = blitz_io::time::Instant::now();
        blitz_io::time::sleep(std::time::Duration::from_millis(5)).await;
        let slept = start.elapsed() >= std::time::Duration::from_millis(5);
        let never = std::future::pending::<()>();
        let timed_out = blitz_io::time::timeout(std::time::Duration::from_millis(10), never).await;
        let quick = task::spawn(async { 7 });
        let in_time = blitz_io::time::timeout(std::time::Duration::from_secs(5), quick).await;
        (slept, timed_out.is_err(), in_time.ok().and_then(Result::ok))
    });
    tour.check("a 5 ms sleep lasts at least 5 ms", slept, true);
    tour.check("timeout(10 ms, pending) gives Elapsed", timed_out, true);
    tour.check(
        "timeout(5 s, quick task) gives its output",
        in_time,
        Some(7),
    );

    println!("13. I/O: a loopback echo whose server is the derived Copy machine");
    let backend = rt.handle().backend();
    let echo = rt.block_on(async {
        use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
        use blitz_io::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = task::spawn(async move {
            let (socket, _) = listener.accept().await?;
            copy_machine::Copy::new(&socket, &socket, 4096).await
        });
        let (mut read, mut write) = TcpStream::connect(addr).await?.into_split();
        let message: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 253) as u8).collect();
        let sent = message.clone();
        let writer = task::spawn(async move {
            write.write_all(&sent).await?;
            write.close().await
        });
        let mut echoed = Vec::new();
        read.read_to_end(&mut echoed).await?;
        writer.await.expect("the writer does not panic")?;
        let copied = server.await.expect("the server does not panic")?;
        std::io::Result::Ok((echoed == message, copied))
    });
    println!("  (I/O backend: {backend})");
    tour.check(
        "64 KiB echoed intact through a Copy machine",
        echo.ok(),
        Some((true, 64 * 1024)),
    );

    println!("14. metrics: the runtime counts its work");
    let metrics = rt.metrics();
    let polls = metrics.total_poll_count();
    tour.check("at least 10 000 task polls recorded", polls >= 10_000, true);
    // A task's output reaches its JoinHandle a moment before the worker that ran it drops the
    // task itself, so the count can lag the last join briefly: allow it a bounded moment.
    let settle = Instant::now() + std::time::Duration::from_secs(5);
    while metrics.num_alive_tasks() > 0 && Instant::now() < settle {
        std::thread::yield_now();
    }
    tour.check("no tasks left alive", metrics.num_alive_tasks(), 0);

    drop(rt);
    println!(
        "\ntour finished in {:.1} ms: {} wrong",
        started.elapsed().as_secs_f64() * 1e3,
        tour.failures.len()
    );
    if tour.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for failure in &tour.failures {
            eprintln!("wrong result: {failure}");
        }
        ExitCode::FAILURE
    }
}
