//! Sizes and allocations of derived machines against the equivalent `async fn`s, in the shape
//! of rust-lang/rust#62958: a large argument used after one await. rustc keeps such an
//! argument twice (as the unresumed argument and as a local live across the await), and each
//! `async fn` wrapper stores its callee's future on top of its own copy; a machine stores the
//! argument once, and enum machines nest inside one another without growing.
//!
//! The relation (a machine is never larger) holds on every toolchain; the exact numbers are
//! pinned for rustc 1.95, whose layouts they were measured on.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use blitz_io::machine::{EnumMachine, Machine, StateMachine, Transition};

/// Counts the allocations made by the current thread (other tests run on other threads).
struct ThreadCountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` unchanged; the counter is a const-initialised
// thread-local `Cell`, whose access never allocates.
unsafe impl GlobalAlloc for ThreadCountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: ThreadCountingAllocator = ThreadCountingAllocator;

/// Polls `future` to completion on this thread with a no-op waker (every machine here wakes
/// itself) and returns its output and the allocations made meanwhile.
fn run_counting<F: Future>(future: F) -> (F::Output, usize) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let before = ALLOCATIONS.with(Cell::get);
    let output = loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            break output;
        }
    };
    (output, ALLOCATIONS.with(Cell::get) - before)
}

const ARGUMENT: usize = 8192;

/// Wakes itself and yields once, like `yield_now().await`, without an allocation or a runtime.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn big_argument(data: [u8; ARGUMENT]) -> u8 {
    YieldOnce(false).await;
    data[ARGUMENT - 1]
}

/// The generic wrapper: rustc stores `inner` twice (argument and awaitee), so each level
/// doubles.
async fn wrap<F: Future>(inner: F) -> F::Output {
    inner.await
}

/// Wrappers that pass the argument on: each level adds one more copy of it.
async fn pass1(data: [u8; ARGUMENT]) -> u8 {
    big_argument(data).await
}
async fn pass2(data: [u8; ARGUMENT]) -> u8 {
    pass1(data).await
}
async fn pass3(data: [u8; ARGUMENT]) -> u8 {
    pass2(data).await
}
async fn pass4(data: [u8; ARGUMENT]) -> u8 {
    pass3(data).await
}

/// `big_argument` as a struct machine: the argument, and the tag beside it in `Machine`.
#[derive(StateMachine)]
#[machine(output = u8, start = yield_once, steps(yield_once, finish))]
struct BigArgument {
    data: [u8; ARGUMENT],
}

impl BigArgument {
    fn yield_once(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        cx.waker().wake_by_ref();
        Transition::Wait(BigArgumentStep::Finish)
    }

    fn finish(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(self.project().data[ARGUMENT - 1])
    }
}

/// `big_argument` as an enum machine: the discriminant is the step.
#[derive(StateMachine)]
#[machine(output = u8)]
enum BigArgumentStates {
    #[machine(by_value)]
    Start {
        data: [u8; ARGUMENT],
    },
    Yielded {
        data: [u8; ARGUMENT],
    },
}

impl BigArgumentStates {
    fn start(data: [u8; ARGUMENT], cx: &mut Context<'_>) -> Transition<Self, Self> {
        cx.waker().wake_by_ref();
        Transition::Wait(BigArgumentStates::Yielded { data })
    }

    fn yielded(data: &mut [u8; ARGUMENT], _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(data[ARGUMENT - 1])
    }
}

/// A wrapper that awaits an inner future, like `wrapN` awaits `wrapN-1`.
#[derive(StateMachine)]
#[machine(output = u8)]
enum Wrap<F: Future<Output = u8>> {
    Awaiting {
        #[pin]
        inner: F,
    },
}

impl<F: Future<Output = u8>> Wrap<F> {
    fn new(inner: F) -> EnumMachine<Self> {
        Wrap::Awaiting { inner }.into_future()
    }

    fn awaiting(inner: Pin<&mut F>, cx: &mut Context<'_>) -> Transition<Self, Self> {
        match inner.poll(cx) {
            Poll::Ready(value) => Transition::Done(value),
            Poll::Pending => Transition::Pending,
        }
    }
}

fn argument() -> [u8; ARGUMENT] {
    let mut data = [0; ARGUMENT];
    data[ARGUMENT - 1] = 42;
    data
}

fn nested_machines(data: [u8; ARGUMENT]) -> impl Future<Output = u8> {
    Wrap::new(Wrap::new(Wrap::new(Wrap::new(
        BigArgumentStates::Start { data }.into_future(),
    ))))
}

fn size_of_future<F: Future>(_: &F) -> usize {
    std::mem::size_of::<F>()
}

#[test]
fn one_large_argument_is_stored_once() {
    let async_fn = size_of_future(&big_argument(argument()));
    let struct_machine = std::mem::size_of::<Machine<BigArgument>>();
    let enum_machine = std::mem::size_of::<EnumMachine<BigArgumentStates>>();
    assert!(struct_machine <= async_fn, "{struct_machine} > {async_fn}");
    assert!(enum_machine <= async_fn, "{enum_machine} > {async_fn}");
    assert_eq!(
        struct_machine,
        ARGUMENT + 1,
        "the argument plus a one-byte tag"
    );
    assert_eq!(
        enum_machine,
        ARGUMENT + 1,
        "the argument plus the discriminant"
    );
    if PINNED_TOOLCHAIN {
        assert_eq!(async_fn, 16386);
    }
}

#[test]
fn nested_enum_machines_do_not_grow() {
    let generic_wrappers = size_of_future(&wrap(wrap(wrap(wrap(big_argument(argument()))))));
    let passing_wrappers = size_of_future(&pass4(argument()));
    let machines = size_of_future(&nested_machines(argument()));
    assert!(
        machines <= passing_wrappers,
        "{machines} > {passing_wrappers}"
    );
    assert!(
        machines <= generic_wrappers,
        "{machines} > {generic_wrappers}"
    );
    assert_eq!(
        machines,
        ARGUMENT + 1,
        "four wrappers share the innermost niche"
    );
    if PINNED_TOOLCHAIN {
        assert_eq!(passing_wrappers, 49158);
        assert_eq!(generic_wrappers, 262191);
    }
}

#[test]
fn machines_run_to_completion_without_allocating() {
    let (value, allocations) = run_counting(BigArgument { data: argument() }.into_future());
    assert_eq!((value, allocations), (42, 0));
    let (value, allocations) =
        run_counting(BigArgumentStates::Start { data: argument() }.into_future());
    assert_eq!((value, allocations), (42, 0));
    let (value, allocations) = run_counting(nested_machines(argument()));
    assert_eq!((value, allocations), (42, 0));
    // The counter works: the same loop sees a boxed future's allocation.
    let (value, allocations) = run_counting(async { *Box::new(7u8) });
    assert_eq!((value, allocations), (7, 1));
}

/// Whether this compiler is the one the exact sizes were measured on.
#[rustversion::stable(1.95)]
const PINNED_TOOLCHAIN: bool = true;
#[rustversion::not(stable(1.95))]
const PINNED_TOOLCHAIN: bool = false;

/// Sleeps, then takes a lock that someone else holds: both `!Unpin` sub-futures (the timer
/// entry and the lock's queue node) live inline in the machine.
#[derive(StateMachine)]
#[machine(output = u32, start = nap, steps(nap, lock))]
struct NapThenLock<'a> {
    #[pin]
    sleep: blitz_io::time::Sleep,
    #[pin]
    lock: Option<blitz_io::sync::Lock<'a, u32>>,
    mutex: &'a blitz_io::sync::Mutex<u32>,
}

impl NapThenLock<'_> {
    fn nap(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let mut this = self.project();
        match this.sleep.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => {
                this.lock.set(Some(this.mutex.lock()));
                Transition::Next(NapThenLockStep::Lock)
            }
        }
    }

    fn lock(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        let lock = this.lock.as_pin_mut().expect("set by `nap`");
        match lock.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(mut guard) => {
                *guard += 1;
                Transition::Done(*guard)
            }
        }
    }
}

#[test]
fn a_machine_holding_a_sleep_and_a_lock_future_allocates_nothing() {
    let rt = blitz_io::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    let mutex = blitz_io::sync::Mutex::new(0u32);
    let run = || {
        rt.block_on(async {
            let mut guard = Some(mutex.lock().await);
            let machine = NapThenLock {
                sleep: blitz_io::time::sleep(std::time::Duration::from_millis(5)),
                lock: None,
                mutex: &mutex,
            };
            let mut machine = pin!(machine.into_future());
            let before = ALLOCATIONS.with(Cell::get);
            let value = std::future::poll_fn(|cx| {
                if let Poll::Ready(value) = machine.as_mut().poll(cx) {
                    return Poll::Ready(value);
                }
                // Once the machine queues on the lock, let it go: the hand-off wakes it.
                if machine.step_name() == Some("lock") {
                    guard = None;
                }
                Poll::Pending
            })
            .await;
            (value, ALLOCATIONS.with(Cell::get) - before)
        })
    };
    let (first, _) = run(); // warm-up: the runtime's first block_on sets up its thread state
    let (second, allocations) = run();
    assert_eq!((first, second), (1, 2));
    assert_eq!(
        allocations, 0,
        "sleeping, queueing on the lock and the hand-off"
    );
}

async fn nap_then_lock(mutex: &blitz_io::sync::Mutex<u32>) -> u32 {
    blitz_io::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut guard = mutex.lock().await;
    *guard += 1;
    *guard
}

/// The same steps as an enum: each state holds only what it needs, so the sleep and the lock
/// future share storage, as they do in the `async fn`.
#[derive(StateMachine)]
#[machine(output = u32)]
enum NapThenLockStates<'a> {
    Napping {
        #[pin]
        sleep: blitz_io::time::Sleep,
        mutex: &'a blitz_io::sync::Mutex<u32>,
    },
    Locking {
        #[pin]
        lock: blitz_io::sync::Lock<'a, u32>,
    },
}

impl<'a> NapThenLockStates<'a> {
    fn napping(
        sleep: Pin<&mut blitz_io::time::Sleep>,
        mutex: &mut &'a blitz_io::sync::Mutex<u32>,
        cx: &mut Context<'_>,
    ) -> Transition<Self, Self> {
        match sleep.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Next(NapThenLockStates::Locking { lock: mutex.lock() }),
        }
    }

    fn locking(
        lock: Pin<&mut blitz_io::sync::Lock<'a, u32>>,
        cx: &mut Context<'_>,
    ) -> Transition<Self, Self> {
        match lock.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(mut guard) => {
                *guard += 1;
                Transition::Done(*guard)
            }
        }
    }
}

#[test]
fn the_sleep_and_lock_enum_machine_is_no_larger_than_its_async_fn() {
    let rt = blitz_io::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    let _entered = rt.enter();
    let mutex = blitz_io::sync::Mutex::new(0u32);
    let async_fn = size_of_future(&nap_then_lock(&mutex));
    let states = std::mem::size_of::<EnumMachine<NapThenLockStates<'_>>>();
    assert!(states <= async_fn, "{states} > {async_fn}");
    // The struct version holds both futures at once, so it is larger: that is what enum
    // machines are for.
    assert!(std::mem::size_of::<Machine<NapThenLock<'_>>>() > states);
    let machine = NapThenLockStates::Napping {
        sleep: blitz_io::time::sleep(std::time::Duration::from_millis(5)),
        mutex: &mutex,
    };
    assert_eq!(rt.block_on(machine), 1);
}
