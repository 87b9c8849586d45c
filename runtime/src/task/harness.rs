//! The generic half of a task: polling, completing, cancelling, handing the output over.
//!
//! Each function here is instantiated per future type and reached through the task's
//! [`Vtable`]. The rules they follow:
//! - a panic in `poll` or in the future's `Drop` never escapes: it becomes
//!   `JoinError::Panic` and the worker carries on; nor does a panic from dropping an output or
//!   a panic payload the runtime discards (see `contain`);
//! - the output is written before `COMPLETE` is published, and read by the `JoinHandle` only
//!   after it observes `COMPLETE` (the state word's AcqRel orders both);
//! - the join waker slot is touched by whichever side the `JOIN_WAKER` bit names (see
//!   `state.rs`).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::raw::{Cell, Header, PollOutcome, RawTask, Stage, Vtable};
use super::state::{ToIdle, ToRunning};
use super::{waker, JoinError};
use crate::runtime::context::YieldRequest;
use crate::util::panic::contain;

pub(super) fn vtable<F>() -> &'static Vtable
where
    F: Future + 'static,
    F::Output: 'static,
{
    &Vtable {
        poll: poll::<F>,
        shutdown: shutdown::<F>,
        dealloc: dealloc::<F>,
        try_read_output: try_read_output::<F>,
        drop_join_handle: drop_join_handle::<F>,
        type_name: std::any::type_name::<F>,
    }
}

/// # Safety
/// `ptr` is a `Cell<F>` that stays alive for `'a`.
unsafe fn cell<'a, F: Future>(ptr: NonNull<Header>) -> &'a Cell<F> {
    // SAFETY: Cell is repr(C) with the header first, so the header pointer is the cell pointer.
    unsafe { ptr.cast::<Cell<F>>().as_ref() }
}

/// Runs a queued task. Consumes the queue's reference.
///
/// # Safety
/// `ptr` is a live `Cell<F>` and the caller hands over one reference.
unsafe fn poll<F: Future>(ptr: NonNull<Header>) -> PollOutcome {
    // SAFETY: the caller's reference keeps the cell alive for this call.
    let cell = unsafe { cell::<F>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Poll => {
            // A waker borrowing the queue's reference: no count change for the poll itself.
            // SAFETY: the reference we hold outlives the poll.
            let waker = unsafe { waker::borrowed(ptr) };
            let mut cx = Context::from_waker(&waker);
            let _current = crate::runtime::context::CurrentTask::enter(&cell.header);
            if poll_future(cell, &mut cx).is_ready() {
                complete::<F>(ptr);
                return PollOutcome::Done;
            }
            let yielded = crate::runtime::context::take_yield_request();
            let own_yield = yielded == YieldRequest::Own;
            match cell.header.state.transition_to_idle(own_yield) {
                ToIdle::Idle => PollOutcome::Done,
                // transition_to_idle kept our reference and NOTIFIED: the runner re-queues it.
                ToIdle::Requeue if yielded != YieldRequest::None => PollOutcome::Defer,
                ToIdle::Requeue => PollOutcome::Requeue,
                ToIdle::Cancel => {
                    cancel_future(cell);
                    complete::<F>(ptr);
                    PollOutcome::Done
                }
            }
        }
        ToRunning::Cancel => {
            cancel_future(cell);
            complete::<F>(ptr);
            PollOutcome::Done
        }
        ToRunning::Skip => PollOutcome::Done,
        ToRunning::SkipAndDealloc => {
            // SAFETY: that was the last reference.
            unsafe { dealloc::<F>(ptr) };
            PollOutcome::Done
        }
    }
}

/// Polls the future; on `Ready` (or a panic) stores the result and drops the future.
fn poll_future<F: Future>(cell: &Cell<F>, cx: &mut Context<'_>) -> Poll<()> {
    let polled = catch_unwind(AssertUnwindSafe(|| {
        cell.stage.with_mut(|stage| {
            // SAFETY: RUNNING gives this thread exclusive access to the stage.
            match unsafe { &mut *stage } {
                // SAFETY: the future never moves: it lives in the task allocation until it is
                // dropped in place.
                Stage::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(cx),
                _ => unreachable!("a task is polled only while its future is running"),
            }
        })
    }));
    let result = match polled {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(JoinError::panic(cell.header.id, payload)),
    };
    store_result(cell, result);
    Poll::Ready(())
}

/// Drops the future (catching a panic in its `Drop`) and records cancellation.
fn cancel_future<F: Future>(cell: &Cell<F>) {
    let dropped = catch_unwind(AssertUnwindSafe(|| set_stage(cell, Stage::Consumed)));
    let error = match dropped {
        Ok(()) => JoinError::cancelled(cell.header.id),
        Err(payload) => JoinError::panic(cell.header.id, payload),
    };
    set_stage(cell, Stage::Finished(Err(error)));
}

/// Replaces the future with its result; a panic while dropping the future wins over the output.
fn store_result<F: Future>(cell: &Cell<F>, result: Result<F::Output, JoinError>) {
    let dropped = catch_unwind(AssertUnwindSafe(|| set_stage(cell, Stage::Consumed)));
    let result = match dropped {
        Ok(()) => result,
        Err(payload) => {
            contain(move || drop(result));
            Err(JoinError::panic(cell.header.id, payload))
        }
    };
    set_stage(cell, Stage::Finished(result));
}

fn set_stage<F: Future>(cell: &Cell<F>, stage: Stage<F>) {
    // SAFETY: callers own the stage: they hold RUNNING, or are the JoinHandle after COMPLETE, or
    // the completer after join interest was dropped.
    cell.stage.with_mut(|slot| unsafe { *slot = stage });
}

/// Publishes completion, wakes the `JoinHandle`, leaves the owned-task list and drops the
/// caller's reference.
fn complete<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the caller holds a reference until release_refs below.
    let cell = unsafe { cell::<F>(ptr) };
    let header = &cell.header;
    let snapshot = header.state.transition_to_complete();
    // A panicking output destructor or a foreign join waker must not unwind into the worker.
    contain(|| {
        if !snapshot.is_join_interested() {
            set_stage(cell, Stage::Consumed);
        } else if snapshot.is_join_waker_set() {
            // SAFETY: JOIN_WAKER is set and the task is complete: the slot is ours to read.
            header.join_waker.with(|slot| match unsafe { &*slot } {
                Some(waker) => waker.wake_by_ref(),
                None => debug_assert!(false, "JOIN_WAKER set with an empty slot"),
            });
            let before = header.state.unset_join_waker_after_complete();
            if !before.is_join_interested() {
                // SAFETY: the handle is gone and left the slot to us.
                header.join_waker.with_mut(|slot| unsafe { *slot = None });
            }
        }
    });
    let released = header.scheduler.release(RawTask::from_raw(ptr));
    let count = 1 + usize::from(released.is_some());
    std::mem::forget(released);
    if header.state.release_refs(count) {
        // SAFETY: those were the last references.
        unsafe { dealloc::<F>(ptr) }
    }
}

/// # Safety
/// `ptr` is a live `Cell<F>` and the caller hands over one `Task` reference.
unsafe fn shutdown<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        cancel_future(cell);
        complete::<F>(ptr);
    } else {
        RawTask::from_raw(ptr).drop_reference();
    }
}

/// # Safety
/// The reference count reached zero.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the cell was created by Box::new in RawTask::allocate and nothing refers to it.
    let cell = unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) };
    // A panicking output or future destructor here would unwind through a waker drop or a
    // worker; contain it.
    contain(move || drop(cell));
}

/// Reads the output into `dst` (a `*mut Poll<Result<F::Output, JoinError>>`) if complete,
/// otherwise registers `waker`.
///
/// # Safety
/// `ptr` is a live `Cell<F>` whose `JoinHandle` is the caller, and `dst` has the type above.
unsafe fn try_read_output<F: Future>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F>(ptr) };
    if !can_read_output(&cell.header, waker) {
        return;
    }
    let stage = cell
        .stage
        // SAFETY: COMPLETE was observed with join interest held: the output is the handle's.
        .with_mut(|slot| unsafe { std::mem::replace(&mut *slot, Stage::Consumed) });
    let output = match stage {
        Stage::Finished(result) => result,
        _ => panic!("JoinHandle polled after it returned Ready"),
    };
    let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
    // SAFETY: the caller passes a valid, initialised `Poll<...>` of this type.
    unsafe { *dst = Poll::Ready(output) };
}

/// The join side of the waker-slot protocol. True when the output is ready to take.
fn can_read_output(header: &Header, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        let same = header.join_waker.with(|slot| {
            // SAFETY: with JOIN_WAKER set the completer only reads the slot, so a shared read
            // is fine.
            unsafe { &*slot }
                .as_ref()
                .is_some_and(|w| w.will_wake(waker))
        });
        if same {
            return false;
        }
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // SAFETY: JOIN_WAKER is clear and the task is not complete: the slot is the handle's.
    header
        .join_waker
        .with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
    match header.state.set_join_waker() {
        Ok(_) => false,
        Err(_) => {
            // Completed meanwhile; the slot is still ours, so empty it and read the output.
            // SAFETY: as above: JOIN_WAKER was never published.
            header.join_waker.with_mut(|slot| unsafe { *slot = None });
            true
        }
    }
}

/// # Safety
/// `ptr` is a live `Cell<F>` and the caller is its `JoinHandle`, giving up its reference.
unsafe fn drop_join_handle<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the handle's reference keeps the cell alive until drop_reference below.
    let cell = unsafe { cell::<F>(ptr) };
    let after = cell.header.state.drop_join_interest();
    if after.is_complete() {
        // The completer saw join interest and left the output for us.
        contain(|| set_stage(cell, Stage::Consumed));
    }
    if !after.is_join_waker_set() {
        // SAFETY: JOIN_WAKER is clear: the slot belongs to the handle.
        cell.header
            .join_waker
            .with_mut(|slot| unsafe { *slot = None });
    }
    RawTask::from_raw(ptr).drop_reference();
}
