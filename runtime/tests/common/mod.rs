//! Helpers shared by the runtime's integration tests: runtime constructors, a test-only "gate"
//! future, drop counters, an ordered log and a bounded wait for states only metrics can show.
//!
//! Each test binary includes this module with `mod common;` and uses a different subset of it.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use blitz_io::runtime::Builder;
use blitz_io::Runtime;

/// A multi-thread runtime with `workers` worker threads.
pub(crate) fn multi(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a valid multi-thread configuration")
}

/// A multi-thread runtime with `workers` worker threads on I/O `backend` (one that
/// [`io_backends`] reported).
pub(crate) fn multi_on(workers: usize, backend: blitz_io::runtime::Backend) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .backend(backend)
        .build()
        .expect("the backend was probed by io_backends")
}

/// A current-thread runtime.
pub(crate) fn current() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("a valid current-thread configuration")
}

/// A one-shot latch for futures: `wait()` is pending until `open()` is called, from any thread.
///
/// Written here because the crate has no channel or sync module yet. A gate that is never
/// opened is a future that never wakes, which is how the tests make a task "idle on a waker".
#[derive(Clone, Default)]
pub(crate) struct Gate {
    state: Arc<Mutex<GateState>>,
}

#[derive(Default)]
struct GateState {
    open: bool,
    waiters: Vec<Waker>,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate::default()
    }

    /// Opens the gate and wakes every waiter.
    pub(crate) fn open(&self) {
        let waiters = {
            let mut state = self.state.lock().unwrap();
            state.open = true;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.state.lock().unwrap().open
    }

    /// Wakers stored by futures still waiting on the gate.
    pub(crate) fn num_waiters(&self) -> usize {
        self.state.lock().unwrap().waiters.len()
    }

    pub(crate) fn wait(&self) -> GateWait {
        GateWait {
            gate: self.clone(),
            registered: None,
        }
    }
}

/// Future returned by [`Gate::wait`].
pub(crate) struct GateWait {
    gate: Gate,
    registered: Option<usize>,
}

impl Future for GateWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.gate.state.lock().unwrap();
        if state.open {
            return Poll::Ready(());
        }
        match self.registered {
            Some(index) if index < state.waiters.len() => {
                state.waiters[index].clone_from(cx.waker());
            }
            _ => {
                state.waiters.push(cx.waker().clone());
                let index = state.waiters.len() - 1;
                drop(state);
                self.registered = Some(index);
            }
        }
        Poll::Pending
    }
}

/// Counts how many times values holding a clone of it were dropped.
#[derive(Clone, Default)]
pub(crate) struct DropCounter {
    count: Arc<AtomicUsize>,
}

impl DropCounter {
    pub(crate) fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A value whose drop is counted; move it into the future under test.
    pub(crate) fn guard(&self) -> DropGuard {
        DropGuard {
            count: self.count.clone(),
        }
    }

    pub(crate) fn get(&self) -> usize {
        self.count.load(SeqCst)
    }
}

/// Increments its [`DropCounter`] when dropped.
pub(crate) struct DropGuard {
    count: Arc<AtomicUsize>,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.count.fetch_add(1, SeqCst);
    }
}

/// Panics with `message` when dropped (unless the thread is already panicking).
pub(crate) struct PanicOnDrop(pub(crate) &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

/// An ordered record of events, shared between tasks.
#[derive(Clone, Default)]
pub(crate) struct Log {
    events: Arc<Mutex<Vec<&'static str>>>,
}

impl Log {
    pub(crate) fn new() -> Log {
        Log::default()
    }

    pub(crate) fn push(&self, event: &'static str) {
        self.events.lock().unwrap().push(event);
    }

    pub(crate) fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

/// A flag shared between tasks and threads.
#[derive(Clone, Default)]
pub(crate) struct Flag(Arc<AtomicBool>);

impl Flag {
    pub(crate) fn new() -> Flag {
        Flag::default()
    }

    pub(crate) fn set(&self) {
        self.0.store(true, SeqCst);
    }

    pub(crate) fn get(&self) -> bool {
        self.0.load(SeqCst)
    }
}

/// Returns `Pending` once after waking its own task from inside the poll (the seed's
/// `DelayedValue`), then `Ready`.
pub(crate) fn self_wake_once() -> impl Future<Output = ()> {
    let mut woke = false;
    std::future::poll_fn(move |cx| {
        if woke {
            return Poll::Ready(());
        }
        woke = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// Counts the polls of the future it wraps.
pub(crate) struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

pub(crate) fn count_polls<F: Future>(future: F, polls: &Arc<AtomicUsize>) -> CountPolls<F> {
    CountPolls {
        inner: Box::pin(future),
        polls: polls.clone(),
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Sends one message on `signal` the first time `future` returns `Pending`: the moment it has
/// registered its waker with whatever it waits for.
pub(crate) fn signal_when_pending<F: Future>(
    future: F,
    signal: std::sync::mpsc::Sender<()>,
) -> impl Future<Output = F::Output> {
    let mut future = Box::pin(future);
    let mut signal = Some(signal);
    std::future::poll_fn(move |cx| {
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() {
            if let Some(signal) = signal.take() {
                let _ = signal.send(());
            }
        }
        poll
    })
}

/// The text of a panic payload (`&str` or `String`), if it has one.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Marker that the panic hook installed by [`quiet_expected_panics`] silences.
pub(crate) const EXPECTED: &str = "expected panic";

/// Silences the default panic message for panics whose text contains [`EXPECTED`]; every other
/// panic is still reported. Tests never depend on this: it only trims noise.
pub(crate) fn quiet_expected_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if panic_text(info.payload()).is_some_and(|text| text.contains(EXPECTED)) {
                return;
            }
            default(info);
        }));
    });
}

/// Waits, at most 5 s, until `condition` holds, checking every millisecond; panics naming
/// `what` otherwise. Only for states that nothing but the runtime's metrics can show (a parked
/// worker, an idle or exited blocking thread); everything else synchronises with gates,
/// channels and barriers.
#[track_caller]
pub(crate) fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after 5 s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Yields to the scheduler until `condition` holds, at most 10 s; panics naming `what`
/// otherwise. For async code that waits on another task's progress.
#[track_caller]
pub(crate) fn yield_until<'a>(
    what: &'a str,
    mut condition: impl FnMut() -> bool + 'a,
) -> impl Future<Output = ()> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(
                Instant::now() < deadline,
                "{caller}: timed out after 10 s waiting for {what}"
            );
            blitz_io::task::yield_now().await;
        }
    }
}

/// Spins (yielding the OS thread) until `flag` is set, at most 10 s. Used by tasks that must
/// hold their worker to put the scheduler in a given state; the bound turns a scheduler bug
/// into a failure instead of a hang.
#[track_caller]
pub(crate) fn hold_until(flag: &Flag) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.get() {
        assert!(
            Instant::now() < deadline,
            "held the thread for 10 s; the flag was never set"
        );
        std::thread::yield_now();
    }
}

/// `n`, or a fiftieth of it (at least 2) when `BLITZ_VALGRIND` is set: `.ci/valgrind.sh` sets
/// it so stress loops stay valgrind-sized.
pub(crate) fn scaled(n: usize) -> usize {
    if std::env::var_os("BLITZ_VALGRIND").is_some() {
        (n / 50).max(2)
    } else {
        n
    }
}

/// A waker that counts its wakes, for futures polled by hand.
pub(crate) fn counting_waker() -> (Arc<AtomicUsize>, Waker) {
    struct Count(Arc<AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    (count.clone(), Waker::from(Arc::new(Count(count))))
}

/// The I/O backends this machine can run (io_uring only where the kernel allows it; the test
/// says so on stderr when it is skipped, so a CI log shows which backends ran).
pub(crate) fn io_backends() -> Vec<blitz_io::runtime::Backend> {
    io_backends_under_valgrind(false)
}

/// As [`io_backends`], for a test whose io_uring runtime is current-thread and starts no other
/// thread (`single_threaded`). valgrind runs one thread at a time and does not let others run
/// while one is blocked in `io_uring_enter`, so any other thread (a worker, the blocking pool)
/// that must wake it never gets to: such tests hang under valgrind, not in the runtime. Under
/// valgrind, io_uring is therefore tested only by single-threaded tests.
pub(crate) fn io_backends_under_valgrind(single_threaded: bool) -> Vec<blitz_io::runtime::Backend> {
    use blitz_io::runtime::Backend;
    if !single_threaded && std::env::var_os("BLITZ_VALGRIND").is_some() {
        eprintln!("valgrind: this test runs on mio only (see io_backends_under_valgrind)");
        return vec![Backend::Mio];
    }
    let mut backends = vec![Backend::Mio];
    match Builder::new_current_thread()
        .backend(Backend::IoUring)
        .build()
    {
        Ok(_) => backends.insert(0, Backend::IoUring),
        Err(error) => eprintln!("skipping the io_uring backend: {error}"),
    }
    backends
}

/// Runs `body` once per I/O backend and scheduler flavour (current-thread, and multi-thread
/// with two workers), each on a fresh runtime chosen through the builder.
pub(crate) fn on_each_backend<F, Fut>(body: F)
where
    F: Fn(blitz_io::runtime::Backend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_each_backend_with(|builder| builder, body);
}

/// As [`on_each_backend`], with each builder passed through `configure` first.
pub(crate) fn on_each_backend_with<F, Fut>(configure: impl Fn(Builder) -> Builder, body: F)
where
    F: Fn(blitz_io::runtime::Backend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for multi_thread in [false, true] {
        for backend in io_backends() {
            let builder = if multi_thread {
                Builder::new_multi_thread().worker_threads(2)
            } else {
                Builder::new_current_thread()
            };
            let rt = configure(builder)
                .backend(backend)
                .build()
                .expect("the backend was probed above");
            assert_eq!(rt.handle().backend(), backend);
            let task = rt.spawn(body(backend));
            rt.block_on(task)
                .unwrap_or_else(|e| panic!("{backend} (multi_thread: {multi_thread}): {e}"));
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to at least `wanted` (up to the hard limit).
#[cfg(unix)]
pub(crate) fn raise_fd_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write a live local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
    assert!(
        limit.rlim_cur >= wanted,
        "the hard RLIMIT_NOFILE ({}) is below the {wanted} descriptors this test needs",
        limit.rlim_max
    );
}

/// Windows has no per-process descriptor limit to raise (sockets are bounded by memory).
#[cfg(windows)]
pub(crate) fn raise_fd_limit(_wanted: u64) {}

/// A connected loopback TCP pair: `(client, server)`.
pub(crate) async fn tcp_pair() -> (blitz_io::net::TcpStream, blitz_io::net::TcpStream) {
    let listener = blitz_io::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = blitz_io::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// An empty vector whose spare capacity is already initialised. valgrind cannot see the kernel
/// fill a buffer through io_uring, so bytes that started uninitialised would look
/// uninitialised after the read; zeroing them first keeps memcheck quiet without hiding real
/// errors elsewhere.
pub(crate) fn empty_buf(capacity: usize) -> Vec<u8> {
    let mut buf = vec![0u8; capacity];
    buf.clear();
    buf
}

/// Drives `poll` until it is ready while `act` runs alongside; `act` yields first, so the
/// first poll happens before it does anything and must return `Pending`.
pub(crate) async fn pends_until<T>(
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
    act: impl Future<Output = ()>,
) -> T {
    let mut polls = 0;
    let waiting = std::future::poll_fn(|cx| {
        polls += 1;
        poll(cx)
    });
    let acting = async {
        blitz_io::task::yield_now().await;
        act.await;
    };
    let (output, ()) = futures_util::join!(waiting, acting);
    assert!(
        polls >= 2,
        "the first poll, before `act`, was already ready"
    );
    output
}

/// A value of the MPMC stress tests: its producer's id and its sequence number there.
pub(crate) type Tagged = (usize, usize);

/// Drains an MPMC channel of [`Tagged`] values with `consumers` tasks until every sender is
/// gone. Each consumer asserts that each producer's values reach it in increasing order and
/// runs `check` on the receiver after every value. Returns how many values arrived and the sum
/// of `producer * 1_000_000 + seq` over them, for [`assert_all_tagged_received`].
pub(crate) async fn drain_tagged(
    rx: blitz_io::channel::mpmc::Receiver<Tagged>,
    producers: usize,
    consumers: usize,
    check: impl Fn(&blitz_io::channel::mpmc::Receiver<Tagged>) + Clone + Send + 'static,
) -> (usize, usize) {
    let handles: Vec<_> = (0..consumers)
        .map(|_| {
            let rx = rx.clone();
            let check = check.clone();
            blitz_io::task::spawn(async move {
                let mut last = vec![None::<usize>; producers];
                let (mut count, mut sum) = (0usize, 0usize);
                while let Ok((id, seq)) = rx.recv().await {
                    assert!(last[id].is_none_or(|l| l < seq), "FIFO per sender");
                    last[id] = Some(seq);
                    check(&rx);
                    count += 1;
                    sum += id * 1_000_000 + seq;
                }
                (count, sum)
            })
        })
        .collect();
    drop(rx);
    let (mut count, mut sum) = (0, 0);
    for handle in handles {
        let (c, s) = handle.await.unwrap();
        count += c;
        sum += s;
    }
    (count, sum)
}

/// Asserts that [`drain_tagged`]'s `(count, sum)` covers every value `0..per` of each of
/// `producers` exactly once.
pub(crate) fn assert_all_tagged_received(
    (count, sum): (usize, usize),
    producers: usize,
    per: usize,
    context: &str,
) {
    let expected: usize = (0..producers)
        .map(|id| (0..per).map(|seq| id * 1_000_000 + seq).sum::<usize>())
        .sum();
    assert_eq!(count, producers * per, "{context}");
    assert_eq!(sum, expected, "{context}");
}
