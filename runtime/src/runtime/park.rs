//! Parking: how an idle thread sleeps until there is work, and how it is woken.
//!
//! One [`Parker`]/[`Unparker`] pair per scheduler thread. Parking spins briefly before it
//! sleeps: on this project's reference VM a futex wake of a sleeping thread costs 13-30 µs,
//! while a wake that lands during the spin costs a cache-line transfer and no syscall on
//! either side. The spin is bounded by [`SPIN_LIMIT`] and the time it costs shows up in the
//! benchmarks' CPU-per-op column. The sleep itself is a mutex/condvar pair (futex-based on
//! Linux, and portable elsewhere) behind an atomic fast path.
//!
//! Drivers plug in here: the time driver parks with a timeout until the next deadline
//! (`park_for`), and the thread holding the timer token sleeps inside the I/O driver instead of
//! on the condvar (`park_in_io`: epoll_wait / io_uring_enter with that timeout); `unpark` then
//! wakes the driver. The schedulers only ever call `park`, `park_for` and `unpark`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
/// Asleep inside the I/O driver: a wake goes through the driver's own waker.
const PARKED_IN_IO: usize = 3;

/// How long a parking thread polls for a wake before it sleeps.
pub(crate) const SPIN_LIMIT: Duration = Duration::from_micros(if cfg!(blitz_loom) { 0 } else { 4 });

/// The sleeping side, owned by one thread.
#[derive(Debug)]
pub(crate) struct Parker {
    inner: Arc<Inner>,
}

/// The waking side, cloneable and usable from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
    /// The I/O driver this thread parks in, set the first time it does.
    io: std::sync::OnceLock<std::sync::Arc<crate::io::driver::Driver>>,
}

/// Whether a park ended in a real sleep (for the metrics' park counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// A wake arrived before the thread had to sleep.
    WithoutSleeping,
    /// The thread slept in the OS.
    Slept,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                lock: Mutex::new(()),
                condvar: Condvar::new(),
                io: std::sync::OnceLock::new(),
            }),
        }
    }

    /// A parker for the thread taking over this one's role (a worker core handed off by
    /// `block_in_place`): wakes sent through this parker's unparkers reach the new owner.
    /// The caller must never park on `self` again; one thread parks on a parker at a time.
    pub(crate) fn hand_off(&self) -> Parker {
        Parker {
            inner: self.inner.clone(),
        }
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Blocks until [`Unparker::unpark`] is called (a wake that came earlier is consumed at
    /// once), spinning first.
    pub(crate) fn park(&self) -> Parked {
        self.park_inner(None, true)
    }

    /// As [`park`](Self::park), but sleeps at once without spinning (another thread is already
    /// spinning, and a second spinner would only take CPU time from threads doing work).
    pub(crate) fn park_without_spinning(&self) -> Parked {
        self.park_inner(None, false)
    }

    /// As [`park`](Self::park), but returns after `timeout` at the latest.
    #[allow(dead_code)] // The drivers park through `park_for`; kept for symmetry and tests.
    pub(crate) fn park_timeout(&self, timeout: Duration) -> Parked {
        self.park_inner(Some(timeout), true)
    }

    /// Parks for at most `timeout` (`None`: until unparked), spinning first if `spin`.
    pub(crate) fn park_for(&self, timeout: Option<Duration>, spin: bool) -> Parked {
        self.park_inner(timeout, spin)
    }

    /// As [`park_for`](Self::park_for), but sleeps inside the I/O driver (which dispatches the
    /// I/O events that arrive meanwhile); [`Unparker::unpark`] wakes the driver.
    pub(crate) fn park_in_io(
        &self,
        timeout: Option<Duration>,
        spin: bool,
        io: &std::sync::Arc<crate::io::driver::Driver>,
    ) -> Parked {
        let inner = &*self.inner;
        if inner.try_consume() || timeout == Some(Duration::ZERO) {
            io.turn(Some(Duration::ZERO));
            return Parked::WithoutSleeping;
        }
        // When what this thread waits for is I/O, a spin cannot see it arrive: go straight to
        // the blocking turn (which also submits queued io_uring entries).
        if spin && !io.spin_cannot_help() && self.spin() {
            io.turn(Some(Duration::ZERO));
            return Parked::WithoutSleeping;
        }
        let _ = inner.io.get_or_init(|| io.clone());
        if let Err(actual) = inner
            .state
            .compare_exchange(EMPTY, PARKED_IN_IO, SeqCst, SeqCst)
        {
            debug_assert_eq!(actual, NOTIFIED);
            inner.state.store(EMPTY, SeqCst);
            io.turn(Some(Duration::ZERO));
            return Parked::WithoutSleeping;
        }
        io.turn_parked(timeout, &|| inner.state.load(SeqCst) == PARKED_IN_IO);
        // Woken, timed out or an event arrived: either way this park is over, and a wake that
        // came meanwhile has done its job.
        inner.state.swap(EMPTY, SeqCst);
        Parked::Slept
    }

    /// Spins for up to [`SPIN_LIMIT`] waiting for a wake, without consuming it: the park
    /// that follows returns at once if one came. For a caller that must release something
    /// (a spinning slot) between the spin and the sleep.
    pub(crate) fn spin_until_notified(&self) -> bool {
        if SPIN_LIMIT.is_zero() {
            return self.is_notified();
        }
        let start = Instant::now();
        loop {
            for _ in 0..32 {
                crate::loom::spin_hint();
                if self.is_notified() {
                    return true;
                }
            }
            if start.elapsed() >= SPIN_LIMIT {
                return false;
            }
        }
    }

    /// True when a wake is waiting to be consumed by the next park.
    pub(crate) fn is_notified(&self) -> bool {
        self.inner.state.load(SeqCst) == NOTIFIED
    }

    fn park_inner(&self, timeout: Option<Duration>, spin: bool) -> Parked {
        let inner = &*self.inner;
        if inner.try_consume() {
            return Parked::WithoutSleeping;
        }
        if timeout == Some(Duration::ZERO) {
            return Parked::WithoutSleeping;
        }
        if spin && self.spin() {
            return Parked::WithoutSleeping;
        }
        let mut guard = inner.lock.lock();
        if let Err(actual) = inner.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            debug_assert_eq!(actual, NOTIFIED);
            inner.state.store(EMPTY, SeqCst);
            return Parked::WithoutSleeping;
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            guard = match deadline {
                None => inner.condvar.wait(guard),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        // Timed out: withdraw, keeping a wake that raced in.
                        inner.state.swap(EMPTY, SeqCst);
                        return Parked::Slept;
                    }
                    inner.condvar.wait_timeout(guard, deadline - now).0
                }
            };
            if inner.try_consume() {
                return Parked::Slept;
            }
        }
    }

    /// Polls the state for up to [`SPIN_LIMIT`]; true if a wake arrived.
    fn spin(&self) -> bool {
        // Only this thread takes a wake back out of the state, so one seen by the spin is
        // still there to consume.
        !SPIN_LIMIT.is_zero() && self.spin_until_notified() && self.inner.try_consume()
    }
}

impl Inner {
    fn try_consume(&self) -> bool {
        self.state.load(Relaxed) == NOTIFIED
            && self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
    }
}

impl Unparker {
    /// True when this wakes `parker`.
    pub(crate) fn is_for(&self, parker: &Parker) -> bool {
        Arc::ptr_eq(&self.inner, &parker.inner)
    }

    /// Wakes the parked thread, or makes its next `park` return at once.
    pub(crate) fn unpark(&self) {
        let inner = &*self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_IN_IO => {
                if let Some(io) = inner.io.get() {
                    io.unpark();
                }
            }
            PARKED => {
                // Taking the lock orders this notify after the sleeper's wait began.
                drop(inner.lock.lock());
                inner.condvar.notify_one();
            }
            other => unreachable!("invalid parker state {other}"),
        }
    }
}

/// A waker that unparks one thread.
struct ThreadWaker(Unparker);

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}

/// A parker and a waker that unparks it: what a thread needs to block on a future. Cached
/// per thread by [`block_on_thread`], so blocking allocates nothing after the first time.
pub(crate) struct WakingParker {
    pub(crate) parker: Parker,
    pub(crate) waker: Waker,
}

impl WakingParker {
    pub(crate) fn new() -> WakingParker {
        let parker = Parker::new();
        let waker = Waker::from(StdArc::new(ThreadWaker(parker.unparker())));
        WakingParker { parker, waker }
    }
}

thread_local! {
    static CACHED_PARKER: std::cell::RefCell<Option<WakingParker>> =
        const { std::cell::RefCell::new(None) };
}

/// Drives `future` to completion on the calling thread, parking between polls.
///
/// This thread runs no tasks meanwhile; the future makes progress through wakes from elsewhere
/// (a runtime's workers, the blocking pool, another thread).
pub(crate) fn block_on_thread<F: Future>(future: F) -> F::Output {
    // Borrow the thread's cached parker; a nested call (a future that itself blocks) or a
    // thread being torn down gets a fresh one.
    let cached = CACHED_PARKER
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten();
    let cached = cached.unwrap_or_else(WakingParker::new);
    let output = run_parked(&cached, future);
    let _ = CACHED_PARKER.try_with(|slot| *slot.borrow_mut() = Some(cached));
    output
}

fn run_parked<F: Future>(cached: &WakingParker, future: F) -> F::Output {
    let mut cx = Context::from_waker(&cached.waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = crate::task::budget(|| future.as_mut().poll(&mut cx)) {
            return output;
        }
        // A short spin first: the wake usually comes within microseconds (a worker finishing
        // the awaited task), and catching it without a futex sleep/wake pair costs less CPU
        // than sleeping (measured on threaded_scheduler_spawn; not spinning here did not help
        // the busy workloads either).
        cached.parker.park();
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    use std::time::Duration;

    use super::Parker;
    use crate::io::driver::{Driver, DEFAULT_EVENTS_PER_TICK};
    use crate::runtime::Backend;

    /// The mechanism behind the next test, step by step: a wake whose event another turn has
    /// already consumed must not leave a parked thread blocked. `turn_parked` with a parker
    /// that is no longer parked returns at once instead of waiting for an event that came and
    /// went.
    #[test]
    fn a_turn_for_a_thread_no_longer_parked_does_not_block() {
        for backend in [Backend::Mio, Backend::IoUring] {
            let Ok(driver) = Driver::new(backend, DEFAULT_EVENTS_PER_TICK) else {
                continue;
            };
            driver.unpark();
            // A busy worker's maintenance turn takes the wake's event.
            driver.turn(Some(Duration::ZERO));
            let start = std::time::Instant::now();
            // The parker was notified meanwhile: it must not wait (None = forever).
            driver.turn_parked(None, &|| false);
            assert!(start.elapsed() < Duration::from_secs(5), "{backend}");
        }
    }

    /// A parked thread whose driver turn finds another thread turning the driver waits for
    /// that turn and then sleeps; it does not return at once. (It used to: its worker's park
    /// loop then called again and again, spinning hot while the other turn lasted, which on
    /// an oversubscribed machine is as long as that thread stays preempted.) The other turn
    /// here is a 300 ms blocking one; the parked thread must return only after its unpark,
    /// which comes once that turn has ended.
    #[test]
    fn a_parked_turn_waits_for_a_concurrent_turn_instead_of_returning() {
        for backend in [Backend::Mio, Backend::IoUring] {
            if backend == Backend::IoUring && std::env::var_os("BLITZ_VALGRIND").is_some() {
                continue;
            }
            let Ok(driver) = Driver::new(backend, DEFAULT_EVENTS_PER_TICK) else {
                continue;
            };
            let driver = Arc::new(driver);
            let turner = {
                let driver = driver.clone();
                std::thread::spawn(move || driver.turn(Some(Duration::from_millis(300))))
            };
            while driver.counts().0 == 0 {
                std::thread::yield_now();
            }
            let parker = Parker::new();
            let unparker = parker.unparker();
            let parked = {
                let driver = driver.clone();
                std::thread::spawn(move || {
                    parker.park_in_io(None, false, &driver);
                    std::time::Instant::now()
                })
            };
            turner.join().unwrap();
            let unparked_at = std::time::Instant::now();
            unparker.unpark();
            let returned_at = parked.join().unwrap();
            assert!(
                returned_at >= unparked_at,
                "{backend}: the parked turn returned before its unpark"
            );
        }
    }

    /// A thread parked in the I/O driver is woken even while another thread keeps polling the
    /// driver without blocking (a busy worker's maintenance), which can swallow the wake's
    /// event before the parker starts waiting. Many rounds, each bounded: a lost wake shows up
    /// as a round that never ends.
    #[test]
    fn a_wake_is_not_lost_to_a_concurrent_non_blocking_turn() {
        for backend in [Backend::Mio, Backend::IoUring] {
            // valgrind stalls every thread while one waits in io_uring_enter (see
            // .ci/valgrind.sh): there, this multi-threaded test runs on mio only.
            if backend == Backend::IoUring && std::env::var_os("BLITZ_VALGRIND").is_some() {
                continue;
            }
            let Ok(driver) = Driver::new(backend, DEFAULT_EVENTS_PER_TICK) else {
                continue;
            };
            let driver = Arc::new(driver);
            let stop = Arc::new(AtomicBool::new(false));
            let poller = {
                let (driver, stop) = (driver.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(SeqCst) {
                        driver.turn(Some(Duration::ZERO));
                    }
                })
            };
            for round in 0..2000 {
                let parker = Parker::new();
                let unparker = parker.unparker();
                let (done_tx, done_rx) = std::sync::mpsc::channel();
                let parked = {
                    let driver = driver.clone();
                    std::thread::spawn(move || {
                        parker.park_in_io(None, false, &driver);
                        done_tx.send(()).unwrap();
                    })
                };
                // Give the parker a moment to get into (or near) its wait.
                for _ in 0..(round % 64) * 50 {
                    std::hint::spin_loop();
                }
                unparker.unpark();
                done_rx
                    .recv_timeout(Duration::from_secs(10))
                    .unwrap_or_else(|_| panic!("{backend}: the parked thread missed its wake"));
                parked.join().unwrap();
            }
            stop.store(true, SeqCst);
            poller.join().unwrap();
        }
    }
}
