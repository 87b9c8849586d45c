//! Compile-time table of `Send`, `Sync` and `Unpin` for every public type (and the futures
//! returned by public functions), including their absence where it is intended.
//!
//! `assert_type!(T: Send, !Sync, Unpin)` fails to compile when `T` is not `Send`, or *is*
//! `Sync`, or is not `Unpin`; `assert_value!(expr => ...)` does the same for the type of an
//! expression (unnameable futures). A trait left out of the list is not checked. Absence is
//! checked with the ambiguous-impl trick: a helper trait gets a blanket impl for every type and
//! a second one for types with the auto trait, so naming its item is ambiguous (an error) for
//! exactly the types that do implement it. Extend the table as public types arrive.

use std::cell::Cell;
use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use blitz_io::channel::{broadcast, watch};
use blitz_io::machine::{EnumMachine, Machine, StateMachine, Transition};
use blitz_io::runtime::{
    Backend, BuildError, Builder, Config, EnterGuard, Handle, RuntimeFlavor, RuntimeMetrics,
    TryCurrentError,
};
use blitz_io::sync::{
    Acquire, AcquireError, AcquireOwned, Lock, LockOwned, MappedMutexGuard, Mutex, MutexGuard,
    OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard,
    OwnedRwLockWriteGuard, OwnedSemaphorePermit, RwLock, RwLockMappedWriteGuard, RwLockRead,
    RwLockReadGuard, RwLockReadOwned, RwLockWrite, RwLockWriteGuard, RwLockWriteOwned, Semaphore,
    SemaphorePermit, TryAcquireError, TryLockError,
};
use blitz_io::task::{
    self, AbortHandle, Dump, Id, JoinAll, JoinError, JoinHandle, JoinSet, TaskDump, TaskState,
    Unconstrained, YieldNow,
};
use blitz_io::time;
use blitz_io::Runtime;

macro_rules! check_trait {
    // Type checks.
    (type $ty:ty, !$auto:ident) => {{
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        impl<T: ?Sized + $auto> AmbiguousIfImpl<u8> for T {}
        <$ty as AmbiguousIfImpl<_>>::some_item();
    }};
    (type $ty:ty, $auto:ident) => {{
        fn require<T: ?Sized + $auto>() {}
        require::<$ty>();
    }};
    // Value checks.
    (value $value:expr, !$auto:ident) => {{
        trait AmbiguousIfImpl<A> {
            fn some_item(&self) {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        impl<T: ?Sized + $auto> AmbiguousIfImpl<u8> for T {}
        AmbiguousIfImpl::some_item(&$value);
    }};
    (value $value:expr, $auto:ident) => {{
        fn require<T: ?Sized + $auto>(_: &T) {}
        require(&$value);
    }};
}

/// `assert_type!(T: Send, !Sync, Unpin);`
macro_rules! assert_type {
    (@munch $ty:ty;) => {};
    (@munch $ty:ty; ! $auto:ident $(, $($rest:tt)*)?) => {
        check_trait!(type $ty, !$auto);
        $(assert_type!(@munch $ty; $($rest)*);)?
    };
    (@munch $ty:ty; $auto:ident $(, $($rest:tt)*)?) => {
        check_trait!(type $ty, $auto);
        $(assert_type!(@munch $ty; $($rest)*);)?
    };
    ($ty:ty: $($rest:tt)+) => {
        const _: fn() = || {
            assert_type!(@munch $ty; $($rest)+);
        };
    };
}

/// `assert_value!(expr => Send, Sync, !Unpin);`
macro_rules! assert_value {
    (@munch $value:expr;) => {};
    (@munch $value:expr; ! $auto:ident $(, $($rest:tt)*)?) => {
        check_trait!(value $value, !$auto);
        $(assert_value!(@munch $value; $($rest)*);)?
    };
    (@munch $value:expr; $auto:ident $(, $($rest:tt)*)?) => {
        check_trait!(value $value, $auto);
        $(assert_value!(@munch $value; $($rest)*);)?
    };
    ($value:expr => $($rest:tt)+) => {
        const _: fn() = || {
            assert_value!(@munch $value; $($rest)+);
        };
    };
}

/// A future that is neither `Send`, `Sync` nor `Unpin`.
struct Local(PhantomData<Rc<()>>, PhantomPinned);

impl Future for Local {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

type BoxFutureSend = Pin<Box<dyn Future<Output = ()> + Send>>;
type BoxFutureSync = Pin<Box<dyn Future<Output = ()> + Send + Sync>>;

// Runtime.
assert_type!(Runtime: Send, Sync, Unpin);
assert_type!(Handle: Send, Sync, Unpin);
// Entering is per thread: the guard must be dropped on the thread that created it. It is
// Sync, as Tokio's is: a shared reference to it can do nothing.
assert_type!(EnterGuard<'static>: !Send, Sync, Unpin);
assert_type!(Builder: Send, Sync, Unpin);
assert_type!(Config: Send, Sync, Unpin);
assert_type!(BuildError: Send, Sync, Unpin);
assert_type!(Backend: Send, Sync, Unpin);
assert_type!(RuntimeFlavor: Send, Sync, Unpin);
assert_type!(RuntimeMetrics: Send, Sync, Unpin);
assert_type!(TryCurrentError: Send, Sync, Unpin);

// Tasks. A JoinHandle only moves T across threads, so `T: Send` is all it needs to be both
// Send and Sync; it is Unpin whatever T is.
assert_type!(JoinHandle<u32>: Send, Sync, Unpin);
assert_type!(JoinHandle<Cell<u32>>: Send, Sync, Unpin);
assert_type!(JoinHandle<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(JoinHandle<PhantomPinned>: Send, Sync, Unpin);
// An AbortHandle never touches the output, so it is Send and Sync whatever the task returns.
assert_type!(AbortHandle: Send, Sync, Unpin);
assert_type!(JoinError: Send, Sync, Unpin);
// A JoinSet holds JoinHandles and wakers: Send and Sync exactly when its handles are.
assert_type!(JoinSet<u32>: Send, Sync, Unpin);
assert_type!(JoinSet<Cell<u32>>: Send, Sync, Unpin);
assert_type!(JoinSet<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(Id: Send, Sync, Unpin);
// A task-local key is a `static`; the value itself never leaves the thread-local or the future.
assert_type!(task::LocalSet: !Send, !Sync, Unpin);
assert_type!(task::LocalEnterGuard: !Send, !Sync, Unpin);
assert_type!(task::RunUntil<'static, YieldNow>: !Send, !Sync, Unpin);
assert_type!(task::RunUntil<'static, Local>: !Send, !Sync, !Unpin);
assert_value!(task::LocalSet::new().spawn_local(async {}) => Send, Sync, Unpin);
assert_value!(task::LocalSet::new().spawn_local(async { Rc::new(0) }) => !Send, !Sync, Unpin);
assert_type!(task::LocalKey<u32>: Send, Sync, Unpin);
assert_type!(task::LocalKey<Rc<u32>>: Send, Sync, Unpin);
assert_type!(task::AccessError: Send, Sync, Unpin);
assert_type!(task::TaskLocalFuture<u32, YieldNow>: Send, Sync, Unpin);
assert_type!(task::TaskLocalFuture<Rc<u32>, YieldNow>: !Send, !Sync, Unpin);
assert_type!(task::TaskLocalFuture<u32, Local>: !Send, !Sync, !Unpin);
assert_type!(YieldNow: Send, Sync, Unpin);
assert_type!(Unconstrained<YieldNow>: Send, Sync, Unpin);
assert_type!(Unconstrained<BoxFutureSync>: Send, Sync, Unpin);
assert_type!(Unconstrained<BoxFutureSend>: Send, !Sync, Unpin);
assert_type!(Unconstrained<Local>: !Send, !Sync, !Unpin);

// Futures returned by public functions.
assert_value!(task::yield_now() => Send, Sync, Unpin);
assert_value!(task::consume_budget() => Send, Sync, !Unpin);
assert_value!(task::unconstrained(async {}) => Send, Sync, !Unpin);
assert_value!(task::unconstrained(Local(PhantomData, PhantomPinned)) => !Send, !Sync, !Unpin);
assert_value!(JoinSet::<u32>::new().join_next() => Send, Sync, !Unpin);
assert_value!(task::join_all(Vec::<JoinHandle<u32>>::new()) => Send, !Unpin);
assert_value!(task::race(Vec::<JoinHandle<u32>>::new()) => Send, !Unpin);
assert_value!(task::select(Vec::<JoinHandle<u32>>::new()) => Send, !Unpin);
assert_value!(task::join_all(Vec::<JoinHandle<Rc<u32>>>::new()) => !Send);
// The tuple future stores finished outputs until all are in: Sync only if they are.
assert_type!(<(JoinHandle<u32>, JoinHandle<u8>) as JoinAll>::Future: Send, Sync, Unpin);
assert_type!(<(JoinHandle<u32>, JoinHandle<Cell<u8>>) as JoinAll>::Future: Send, !Sync, Unpin);
assert_type!(<(JoinHandle<Rc<u32>>,) as JoinAll>::Future: !Send, !Sync, Unpin);
assert_value!(blitz_io::future::lazy(|_cx| 1u8) => Send, Sync, Unpin);
assert_value!(blitz_io::future::lazy({ let rc = Rc::new(1u8); move |_cx| *rc }) => !Send, !Sync, Unpin);
assert_type!(blitz_io::future::FnFuture<fn(&mut Context<'_>) -> u8>: Send, Sync, Unpin);

// `#[task]` futures: `Unpin` always, `Send`/`Sync` when their arguments (and, for `blocking`,
// output) are.
#[blitz_io::task]
fn task_plain(_a: u64, _b: String) {}
#[blitz_io::task]
fn task_rc(_a: Rc<u8>) {}
#[blitz_io::task]
fn task_cell(_a: Cell<u8>) {}
#[blitz_io::task]
fn task_pinned(_a: PhantomPinned) {}
#[blitz_io::task(blocking)]
fn task_blocking(_a: u64) -> String {
    String::new()
}
assert_type!(TaskPlain: Send, Sync, Unpin);
assert_type!(TaskRc: !Send, !Sync, Unpin);
assert_type!(TaskCell: Send, !Sync, Unpin);
assert_type!(TaskPinned: Send, Sync, Unpin);
assert_type!(TaskBlocking: Send, Sync, Unpin);

// Task dumps: plain data.
assert_type!(Dump: Send, Sync, Unpin);
assert_type!(TaskDump: Send, Sync, Unpin);
assert_type!(TaskState: Send, Sync, Unpin);

// State machines: the wrappers follow the machine; a machine is `Unpin` exactly when its
// `#[pin]` fields are.
#[derive(StateMachine)]
#[machine(output = (), start = run, steps(run))]
struct PlainMachine {
    _data: u8,
}

impl PlainMachine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(())
    }
}

#[derive(StateMachine)]
#[machine(output = (), start = run, steps(run))]
struct LocalMachine {
    #[pin]
    local: Local,
}

impl LocalMachine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(())
    }
}

#[derive(StateMachine)]
#[machine(output = ())]
#[allow(dead_code)] // only its type is checked
enum PinnedStates {
    Waiting {
        #[pin]
        pinned: PhantomPinned,
    },
}

impl PinnedStates {
    fn waiting(_pinned: Pin<&mut PhantomPinned>, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(())
    }
}

assert_type!(Machine<PlainMachine>: Send, Sync, Unpin);
assert_type!(Machine<LocalMachine>: !Send, !Sync, !Unpin);
assert_type!(EnumMachine<PinnedStates>: Send, Sync, !Unpin);

// Channels: handles are `Send + Sync` when `T: Send` (watch also needs `T: Sync`, since
// receivers borrow the value from many threads); the waiting futures borrow their handle and
// embed a pinned waiter node, so they are `!Unpin`.
assert_type!(broadcast::Sender<u32>: Send, Sync, Unpin);
assert_type!(broadcast::Receiver<u32>: Send, Sync, Unpin);
assert_type!(broadcast::Recv<'static, u32>: Send, Sync, !Unpin);
assert_type!(broadcast::Closed<'static, u32>: Send, Sync, !Unpin);
assert_type!(broadcast::Closed<'static, Rc<u32>>: !Send, !Sync, !Unpin);
assert_type!(broadcast::Sender<Rc<u32>>: !Send, !Sync);
assert_type!(broadcast::WeakSender<u32>: Send, Sync, Unpin);
assert_type!(broadcast::WeakSender<Rc<u32>>: !Send, !Sync);
assert_type!(broadcast::RecvError: Send, Sync, Unpin);
assert_type!(broadcast::TryRecvError: Send, Sync, Unpin);
assert_type!(watch::Sender<u32>: Send, Sync, Unpin);
assert_type!(watch::Receiver<u32>: Send, Sync, Unpin);
assert_type!(watch::Changed<'static, u32>: Send, Sync, !Unpin);
assert_type!(watch::Closed<'static, u32>: Send, Sync, !Unpin);
assert_type!(watch::WaitFor<'static, u32, fn(&u32) -> bool>: Send, Sync, !Unpin);
assert_type!(watch::WaitFor<'static, Cell<u32>, fn(&Cell<u32>) -> bool>: !Send, !Sync, !Unpin);
assert_type!(watch::Sender<Cell<u32>>: !Send, !Sync);
assert_type!(watch::Ref<'static, u32>: !Send, Sync);

// Sync primitives (part B). Waiting futures embed their queue node: `!Unpin`, and `Send`/`Sync`
// like the primitive they borrow.
use blitz_io::sync::{
    Barrier, BarrierWait, BarrierWaitResult, CancellationToken, DropGuard as CancelDropGuard,
    Notified, Notify, OnceCell, OwnedNotified, SetError, WaitForCancellationFuture,
    WaitForCancellationFutureOwned,
};
assert_type!(Notify: Send, Sync, Unpin);
assert_type!(Notified<'static>: Send, Sync, !Unpin);
assert_type!(OwnedNotified: Send, Sync, !Unpin);
assert_type!(Barrier: Send, Sync, Unpin);
assert_type!(BarrierWait<'static>: Send, Sync, !Unpin);
assert_type!(BarrierWaitResult: Send, Sync, Unpin);
// A OnceCell hands out `&T` to every thread and can be set from any: Sync needs `T: Send + Sync`.
assert_type!(OnceCell<u32>: Send, Sync, Unpin);
assert_type!(OnceCell<Cell<u32>>: Send, !Sync, Unpin);
assert_type!(OnceCell<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(SetError<u32>: Send, Sync, Unpin);
assert_value!(OnceCell::<u32>::new().get_or_init(|| async { 1 }) => Send, !Unpin);
assert_value!(OnceCell::<u32>::new().get_or_try_init(|| async { Ok::<u32, ()>(1) }) => Send, !Unpin);
assert_type!(CancellationToken: Send, Sync, Unpin);
assert_type!(WaitForCancellationFuture<'static>: Send, Sync, !Unpin);
assert_type!(WaitForCancellationFutureOwned: Send, Sync, !Unpin);
assert_type!(CancelDropGuard: Send, Sync, Unpin);
assert_value!(CancellationToken::new().run_until_cancelled(async { 1u8 }) => Send, Sync, !Unpin);

// Sync. Waiting futures embed a pinned queue node: `!Unpin`, but Send and Sync. Lock types
// follow std's rules: a mutex needs only `T: Send`; a read-write lock also shares `&T`, so it
// needs `T: Sync` to be `Sync`; guards are Sync only if `&T` may be shared.
assert_type!(Semaphore: Send, Sync, Unpin);
assert_type!(SemaphorePermit<'static>: Send, Sync, Unpin);
assert_type!(OwnedSemaphorePermit: Send, Sync, Unpin);
assert_type!(Acquire<'static>: Send, Sync, !Unpin);
assert_type!(AcquireOwned: Send, Sync, !Unpin);
assert_type!(AcquireError: Send, Sync, Unpin);
assert_type!(TryAcquireError: Send, Sync, Unpin);
assert_type!(TryLockError: Send, Sync, Unpin);

assert_type!(Mutex<u32>: Send, Sync, Unpin);
assert_type!(Mutex<Cell<u32>>: Send, Sync, Unpin);
assert_type!(Mutex<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(Mutex<[u8]>: Send, Sync);
assert_type!(MutexGuard<'static, [u8]>: Send, Sync, Unpin);
assert_type!(MutexGuard<'static, u32>: Send, Sync, Unpin);
assert_type!(MutexGuard<'static, Cell<u32>>: Send, !Sync, Unpin);
assert_type!(MappedMutexGuard<'static, u32>: Send, Sync, Unpin);
assert_type!(MappedMutexGuard<'static, Cell<u32>>: Send, !Sync, Unpin);
assert_type!(OwnedMutexGuard<u32>: Send, Sync, Unpin);
assert_type!(OwnedMutexGuard<Cell<u32>>: Send, !Sync, Unpin);
assert_type!(OwnedMutexGuard<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(OwnedMappedMutexGuard<(u32, u8), u8>: Send, Sync, Unpin);
assert_type!(OwnedMappedMutexGuard<(u32, Cell<u8>), Cell<u8>>: Send, !Sync, Unpin);
assert_type!(OwnedMappedMutexGuard<Rc<u32>, u32>: !Send, !Sync, Unpin);
assert_type!(OwnedMappedMutexGuard<u32, Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(Lock<'static, u32>: Send, Sync, !Unpin);
assert_type!(Lock<'static, Cell<u32>>: Send, Sync, !Unpin);
assert_type!(Lock<'static, Rc<u32>>: !Send, !Sync, !Unpin);
assert_type!(LockOwned<u32>: Send, Sync, !Unpin);
assert_type!(LockOwned<Rc<u32>>: !Send, !Sync, !Unpin);

assert_type!(RwLock<u32>: Send, Sync, Unpin);
assert_type!(RwLock<Cell<u32>>: Send, !Sync, Unpin);
assert_type!(RwLock<Rc<u32>>: !Send, !Sync, Unpin);
assert_type!(RwLock<[u8]>: Send, Sync);
assert_type!(RwLockReadGuard<'static, u32>: Send, Sync, Unpin);
assert_type!(RwLockReadGuard<'static, Cell<u32>>: !Send, !Sync, Unpin);
assert_type!(RwLockWriteGuard<'static, u32>: Send, Sync, Unpin);
// Not `Send` for a `T` that is not `Sync`: `downgrade` turns it into a read guard, so moving
// it to another thread would let that thread and this one read a `Cell` at once.
assert_type!(RwLockWriteGuard<'static, Cell<u32>>: !Send, !Sync, Unpin);
assert_type!(RwLockWriteGuard<'static, std::sync::MutexGuard<'static, u32>>: !Send, Sync, Unpin);
assert_type!(RwLockMappedWriteGuard<'static, u32>: Send, Sync, Unpin);
assert_type!(OwnedRwLockReadGuard<u32>: Send, Sync, Unpin);
assert_type!(OwnedRwLockReadGuard<Cell<u32>>: !Send, !Sync, Unpin);
assert_type!(OwnedRwLockWriteGuard<u32>: Send, Sync, Unpin);
assert_type!(OwnedRwLockWriteGuard<Cell<u32>>: !Send, !Sync, Unpin);
// Owned mapped guards: `T` as for the unmapped ones (the `Arc`); the `U` they expose must be
// `Sync` (read) or `Send` and `Sync` (write, to move and to share).
assert_type!(OwnedRwLockReadGuard<(u32, u8), u8>: Send, Sync, Unpin);
assert_type!(OwnedRwLockMappedWriteGuard<u32>: Send, Sync, Unpin);
assert_type!(OwnedRwLockMappedWriteGuard<(u32, u8), u8>: Send, Sync, Unpin);
assert_type!(OwnedRwLockMappedWriteGuard<Cell<u32>>: !Send, !Sync, Unpin);
assert_type!(RwLockRead<'static, u32>: Send, Sync, !Unpin);
assert_type!(RwLockWrite<'static, u32>: Send, Sync, !Unpin);
assert_type!(RwLockReadOwned<u32>: Send, Sync, !Unpin);
assert_type!(RwLockWriteOwned<u32>: Send, Sync, !Unpin);
assert_type!(RwLockRead<'static, Cell<u32>>: !Send, !Sync, !Unpin);

// Time. A Sleep embeds its wheel entry (shared with the driver under its lock), so it is
// `!Unpin`; so is a Timeout, which holds one inline. An Interval boxes its Sleep.
assert_type!(time::Sleep: Send, Sync, !Unpin);
assert_type!(time::Timeout<YieldNow>: Send, Sync, !Unpin);
assert_type!(time::Timeout<BoxFutureSend>: Send, !Sync, !Unpin);
assert_type!(time::Timeout<Local>: !Send, !Sync, !Unpin);
assert_type!(time::Interval: Send, Sync, Unpin);
assert_type!(time::Instant: Send, Sync, Unpin);
assert_type!(time::MissedTickBehavior: Send, Sync, Unpin);
assert_type!(time::error::Elapsed: Send, Sync, Unpin);
assert_value!(time::sleep(Duration::ZERO) => Send, Sync, !Unpin);
assert_value!(task::sleep(Duration::ZERO) => Send, Sync, !Unpin);
assert_value!(time::timeout(Duration::ZERO, async {}) => Send, Sync, !Unpin);
assert_value!(time::interval(Duration::from_millis(1)).tick() => Send, !Unpin);
assert_value!(time::advance(Duration::ZERO) => Send, Sync);

// Channels. The handles share a channel that only moves values between threads, so `T: Send`
// makes them Send and Sync; a waiting future embeds its waiter node, so it is !Unpin. A `Send`
// future holds the value it has yet to deliver, so it is Sync only when `T` is.
mod channels {
    use super::*;
    use blitz_io::channel::{mpmc, oneshot};

    assert_type!(mpmc::Sender<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::Sender<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::Sender<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::Receiver<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::Receiver<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::Receiver<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::Send<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::Send<'static, Cell<u32>>: Send, !Sync, !Unpin);
    assert_type!(mpmc::Send<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::SendTimeout<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::SendTimeout<'static, Cell<u32>>: Send, !Sync, !Unpin);
    assert_type!(mpmc::SendTimeout<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::SendTimeoutError<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::Recv<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::Recv<'static, Cell<u32>>: Send, Sync, !Unpin);
    assert_type!(mpmc::Recv<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::RecvMany<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::RecvMany<'static, Cell<u32>>: Send, !Sync, !Unpin);
    assert_type!(mpmc::Reserve<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::Reserve<'static, Cell<u32>>: Send, Sync, !Unpin);
    assert_type!(mpmc::Reserve<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::Permit<'static, u32>: Send, Sync, Unpin);
    assert_type!(mpmc::Permit<'static, Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::Permit<'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::ReserveMany<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::ReserveMany<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::PermitIterator<'static, u32>: Send, Sync, Unpin);
    assert_type!(mpmc::PermitIterator<'static, Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::PermitIterator<'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::OwnedPermit<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::OwnedPermit<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::OwnedPermit<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::ReserveOwned<u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::ReserveOwned<Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::Closed<'static, u32>: Send, Sync, !Unpin);
    assert_type!(mpmc::Closed<'static, Cell<u32>>: Send, Sync, !Unpin);
    assert_type!(mpmc::Closed<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(mpmc::WeakSender<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::WeakSender<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::WeakSender<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::Selector<'static, u32>: Send, Sync, Unpin);
    assert_type!(mpmc::Selector<'static, Cell<u32>>: Send, Sync, Unpin);
    assert_type!(mpmc::Selector<'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::SelectRecv<'static, 'static, u32>: Send, Sync, Unpin);
    assert_type!(mpmc::SelectRecv<'static, 'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::SendError<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::TrySendError<u32>: Send, Sync, Unpin);
    assert_type!(mpmc::RecvError: Send, Sync, Unpin);
    assert_type!(mpmc::TryRecvError: Send, Sync, Unpin);

    assert_type!(oneshot::Sender<u32>: Send, Sync, Unpin);
    assert_type!(oneshot::Sender<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(oneshot::Sender<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(oneshot::Receiver<u32>: Send, Sync, Unpin);
    assert_type!(oneshot::Receiver<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(oneshot::Receiver<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(oneshot::Closed<'static, u32>: Send, Sync, Unpin);
    assert_type!(oneshot::RecvError: Send, Sync, Unpin);
    assert_type!(oneshot::TryRecvError: Send, Sync, Unpin);
}

// Networking. A socket is shared by a reader task and a writer task: Send and Sync.
assert_type!(blitz_io::net::TcpListener: Send, Sync, Unpin);
assert_type!(blitz_io::net::TcpStream: Send, Sync, Unpin);
assert_type!(blitz_io::net::TcpSocket: Send, Sync, Unpin);
assert_type!(blitz_io::net::UdpSocket: Send, Sync, Unpin);
#[cfg(unix)]
assert_type!(blitz_io::net::UnixListener: Send, Sync, Unpin);
#[cfg(unix)]
assert_type!(blitz_io::net::UnixStream: Send, Sync, Unpin);
#[cfg(unix)]
assert_type!(blitz_io::net::UnixDatagram: Send, Sync, Unpin);
// Owned-buffer operations borrow the socket (through the platform glue, `io::sys`) and own the
// buffer: Send and Sync on every platform when the buffer is.
assert_type!(blitz_io::io::ReadOwned<'static, Vec<u8>>: Send, Sync, Unpin);
assert_type!(blitz_io::io::WriteOwned<'static, Vec<u8>>: Send, Sync, Unpin);
// In-memory pipes: each end is a handle on a mutex-guarded buffer, free to move or share.
assert_type!(blitz_io::io::DuplexStream: Send, Sync, Unpin);
assert_type!(blitz_io::io::SimplexReader: Send, Sync, Unpin);
assert_type!(blitz_io::io::SimplexWriter: Send, Sync, Unpin);
// Standard streams: a buffer and at most one blocking-pool JoinHandle each.
assert_type!(blitz_io::io::Stdin: Send, Sync, Unpin);
assert_type!(blitz_io::io::Stdout: Send, Sync, Unpin);
assert_type!(blitz_io::io::Stderr: Send, Sync, Unpin);

// Files: a std file in an Arc, an async mutex around a buffer and at most one blocking-pool
// JoinHandle; a listing owns std's iterator or its loading job. Free to move or share.
assert_type!(blitz_io::fs::File: Send, Sync, Unpin);
assert_type!(blitz_io::fs::OpenOptions: Send, Sync, Unpin);
assert_type!(blitz_io::fs::ReadDir: Send, Sync, Unpin);
assert_type!(blitz_io::fs::DirEntry: Send, Sync, Unpin);
// The futures own their paths (`&str` here) and at most a JoinHandle: they move to any task.
assert_value!(blitz_io::fs::read("p") => Send, Sync, !Unpin);
assert_value!(blitz_io::fs::write("p", b"x") => Send, Sync, !Unpin);
assert_value!(blitz_io::fs::metadata("p") => Send, Sync, !Unpin);
assert_value!(blitz_io::fs::read_dir("p") => Send, Sync, !Unpin);
assert_value!(blitz_io::fs::File::open("p") => Send, Sync, !Unpin);
assert_value!(blitz_io::fs::OpenOptions::new().open("p") => Send, Sync, !Unpin);
assert_value!(test_file().sync_all() => Send, Sync, !Unpin);
assert_value!(test_file().set_len(0) => Send, Sync, !Unpin);
assert_value!(test_file().metadata() => Send, Sync, !Unpin);
assert_value!(test_file().into_std() => Send, Sync, !Unpin);
assert_value!(test_read_dir().next_entry() => Send, Sync, !Unpin);

/// A `File` for the table above (never called).
fn test_file() -> blitz_io::fs::File {
    unreachable!("only named in compile-time checks")
}

/// A `ReadDir` for the table above (never called).
fn test_read_dir() -> blitz_io::fs::ReadDir {
    unreachable!("only named in compile-time checks")
}

// Signals: a listener moves to whichever task awaits it.
assert_value!(blitz_io::signal::ctrl_c() => Send);
#[cfg(unix)]
assert_type!(blitz_io::signal::unix::Signal: Send, Sync, Unpin);
#[cfg(windows)]
assert_type!(blitz_io::signal::windows::CtrlC: Send, Sync, Unpin);
#[cfg(windows)]
assert_type!(blitz_io::signal::windows::CtrlBreak: Send, Sync, Unpin);

// Filled in by the Send/Sync review: public types and futures the table did not list yet.
mod review_gaps {
    use super::*;
    use blitz_io::channel::{broadcast, mpmc, oneshot, watch};
    use blitz_io::io::{Cancelled, Interest, Ready};
    use blitz_io::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
    use blitz_io::net::{TcpListener, TcpStream, UdpSocket};

    // Channels: the negative and `!Sync`-value cases. broadcast clones under the slot's mutex,
    // so `T: Send` suffices; watch lends `&T` to every receiver, so it also needs `T: Sync`.
    assert_type!(broadcast::Sender<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(broadcast::Receiver<Cell<u32>>: Send, Sync, Unpin);
    assert_type!(broadcast::Receiver<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(broadcast::Recv<'static, Rc<u32>>: !Send, !Sync, !Unpin);
    assert_type!(broadcast::SendError<u32>: Send, Sync, Unpin);
    assert_type!(watch::Receiver<Cell<u32>>: !Send, !Sync, Unpin);
    assert_type!(watch::Receiver<Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(watch::Ref<'static, Cell<u32>>: !Send, !Sync);
    assert_type!(watch::Changed<'static, Cell<u32>>: !Send, !Sync, !Unpin);
    assert_type!(watch::SendError<u32>: Send, Sync, Unpin);
    assert_type!(watch::RecvError: Send, Sync, Unpin);
    assert_type!(oneshot::Closed<'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(mpmc::RecvMany<'static, Rc<u32>>: !Send, !Sync, !Unpin);

    // Lock guards not covered above.
    assert_type!(MappedMutexGuard<'static, Rc<u32>>: !Send, !Sync, Unpin);
    assert_type!(RwLockMappedWriteGuard<'static, Cell<u32>>: Send, !Sync, Unpin);
    assert_type!(RwLockWrite<'static, Cell<u32>>: !Send, !Sync, !Unpin);
    assert_type!(RwLockWriteOwned<Cell<u32>>: !Send, !Sync, !Unpin);
    assert_type!(LockOwned<Cell<u32>>: Send, Sync, !Unpin);

    // Tasks.
    assert_value!(JoinSet::<u32>::new().join_all() => Send, !Unpin);
    assert_value!(JoinSet::<Rc<u32>>::new().join_all() => !Send);

    // Networking and I/O.
    assert_type!(ReadHalf<'static>: Send, Sync, Unpin);
    assert_type!(WriteHalf<'static>: Send, Sync, Unpin);
    assert_type!(OwnedReadHalf: Send, Sync, Unpin);
    assert_type!(OwnedWriteHalf: Send, Sync, Unpin);
    assert_type!(ReuniteError: Send, Sync, Unpin);
    assert_type!(Interest: Send, Sync, Unpin);
    assert_type!(Ready: Send, Sync, Unpin);
    assert_type!(Cancelled<Vec<u8>>: Send, Sync, Unpin);
    assert_type!(blitz_io::io::ReadOwned<'static, Box<[u8]>>: Send, Sync, Unpin);
    assert_type!(blitz_io::io::WriteOwned<'static, Box<[u8]>>: Send, Sync, Unpin);
    #[cfg(unix)]
    assert_type!(blitz_io::signal::unix::SignalKind: Send, Sync, Unpin);

    fn stream() -> &'static TcpStream {
        unimplemented!()
    }
    fn listener() -> &'static TcpListener {
        unimplemented!()
    }
    fn udp() -> &'static UdpSocket {
        unimplemented!()
    }
    assert_value!(TcpStream::connect("127.0.0.1:1") => Send, !Unpin);
    assert_value!(TcpListener::bind("127.0.0.1:0") => Send, !Unpin);
    assert_value!(listener().accept() => Send, !Unpin);
    assert_value!(stream().peek(&mut []) => Send, !Unpin);
    assert_value!(stream().readable() => Send, !Unpin);
    assert_value!(stream().writable() => Send, !Unpin);
    assert_value!(stream().read_owned(Vec::new()).cancel() => Send, !Unpin);
    assert_value!(udp().send(&[]) => Send, !Unpin);
    assert_value!(udp().recv(&mut []) => Send, !Unpin);
    assert_value!(udp().peek_sender() => Send, !Unpin);
    assert_value!(blitz_io::net::lookup_host("localhost:1") => Send, !Unpin);
    fn stream_mut() -> &'static mut TcpStream {
        unimplemented!()
    }
    assert_value!(blitz_io::io::copy_bidirectional(stream_mut(), stream_mut()) => Send, !Unpin);
}

// Added with the Tokio API audit: new public types and futures.
mod task_additions {
    use super::*;

    fn set<T>() -> &'static mut JoinSet<T> {
        unimplemented!()
    }
    assert_value!(set::<u32>().join_next_with_id() => Send, Sync, !Unpin);
    assert_value!(set::<Rc<u32>>().join_next_with_id() => !Send, !Sync, !Unpin);
    assert_value!(set::<u32>().shutdown() => Send, Sync, !Unpin);
}

#[cfg(unix)]
mod unix_additions {
    use blitz_io::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
    use blitz_io::net::UnixStream;

    assert_type!(ReadHalf<'static>: Send, Sync, Unpin);
    assert_type!(WriteHalf<'static>: Send, Sync, Unpin);
    assert_type!(OwnedReadHalf: Send, Sync, Unpin);
    assert_type!(OwnedWriteHalf: Send, Sync, Unpin);
    assert_type!(ReuniteError: Send, Sync, Unpin);
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    assert_type!(blitz_io::net::unix::UCred: Send, Sync, Unpin);

    fn addr() -> &'static std::os::unix::net::SocketAddr {
        unimplemented!()
    }
    assert_value!(UnixStream::connect_addr(addr()) => Send, !Unpin);
    fn datagram() -> &'static blitz_io::net::UnixDatagram {
        unimplemented!()
    }
    assert_value!(datagram().peek(&mut []) => Send, !Unpin);
    assert_value!(datagram().peek_from(&mut []) => Send, !Unpin);

    use blitz_io::io::unix::AsyncFd;
    use std::os::fd::OwnedFd;
    assert_type!(AsyncFd<OwnedFd>: Send, Sync, Unpin);
    // A refused registration holds the value it hands back: as Send and Sync as that value.
    assert_type!(blitz_io::io::unix::AsyncFdTryNewError<OwnedFd>: Send, Sync, Unpin);
    assert_type!(blitz_io::io::unix::AsyncFdTryNewError<std::rc::Rc<OwnedFd>>: !Send, !Sync, Unpin);
    fn fd() -> &'static AsyncFd<OwnedFd> {
        unimplemented!()
    }
    assert_value!(fd().readable() => Send, !Unpin);
    assert_value!(fd().async_io(blitz_io::io::Interest::READABLE, |_| Ok(())) => Send, !Unpin);
}
