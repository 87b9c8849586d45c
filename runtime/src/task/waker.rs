//! Task wakers: a `std::task::Waker` whose data pointer is the task header.
//!
//! Cloning a waker adds a reference to the task; dropping it removes one. The waker handed to
//! a poll borrows the reference of the queue entry being run, so polling costs no atomic
//! operation on the reference count.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::{Header, Notified, RawTask};
use super::state::ToNotified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake_by_val, wake_by_ref, drop_waker);

/// A waker for the duration of one poll, borrowing the caller's reference.
///
/// # Safety
/// The caller holds a reference to the task for as long as the returned waker is used.
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: the vtable functions below uphold RawWaker's contract for header pointers.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// True when `waker` wakes the task whose header is `task` (a borrowed poll waker or a clone).
pub(crate) fn is_waker_of(waker: &Waker, task: NonNull<Header>) -> bool {
    std::ptr::eq(waker.vtable(), &VTABLE) && std::ptr::eq(waker.data(), task.as_ptr() as *const ())
}

/// # Safety
/// `data` is a header pointer with a reference keeping it alive (RawWaker contract).
unsafe fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: as documented.
    unsafe { &*(data as *const Header) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference.
    unsafe { header(data) }.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake_by_val(data: *const ()) {
    // SAFETY: the waker holds a reference, which this call consumes.
    let header = unsafe { header(data) };
    let raw = RawTask::from_raw(NonNull::from(header));
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the transition moved the waker's reference to the queue entry.
        ToNotified::Submit => header
            .scheduler
            .schedule(unsafe { Notified::from_raw(raw) }),
        // SAFETY: the waker held the last reference.
        ToNotified::Dealloc => unsafe { raw.dealloc() },
        ToNotified::Nothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the duration of this call.
    let header = unsafe { header(data) };
    if header.state.transition_to_notified_by_ref() == ToNotified::Submit {
        let raw = RawTask::from_raw(NonNull::from(header));
        // SAFETY: the transition added a reference for the queue entry.
        header
            .scheduler
            .schedule(unsafe { Notified::from_raw(raw) });
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker holds a reference, which dropping it releases.
    let header = unsafe { header(data) };
    RawTask::from_raw(NonNull::from(header)).drop_reference();
}
