//! The oneshot channel's shared cell: its state word (see the parent module for the bits),
//! the value slot and the two waker slots, and the two-bit reference count that frees it.

use core::mem::MaybeUninit;
use core::ptr::NonNull;
use core::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};

pub(super) const SENT: usize = 1;
pub(super) const RX_CLOSED: usize = 1 << 1;
pub(super) const TX_DROPPED: usize = 1 << 2;
pub(super) const RX_WAKER: usize = 1 << 3;
pub(super) const TX_WAKER: usize = 1 << 4;
pub(super) const TX_GONE: usize = 1 << 5;
pub(super) const RX_GONE: usize = 1 << 6;

pub(super) struct Cell<T> {
    pub(super) state: AtomicUsize,
    pub(super) value: UnsafeCell<Option<T>>,
    pub(super) rx_waker: UnsafeCell<MaybeUninit<Waker>>,
    pub(super) tx_waker: UnsafeCell<MaybeUninit<Waker>>,
}

impl<T> Cell<T> {
    /// A fresh cell on the heap. Each field is written in place: building the cell on the
    /// stack and moving it into a `Box` made the compiler copy it with 16-byte loads over
    /// 8-byte stores, a store-forwarding stall that cost more than the rest of a
    /// create–send–receive.
    pub(super) fn allocate() -> NonNull<Cell<T>> {
        let mut cell = Box::<Cell<T>>::new_uninit();
        let ptr = cell.as_mut_ptr();
        // SAFETY: `ptr` points to the box's memory, valid for writes and suitably aligned;
        // each field is written once, without reading the uninitialised memory.
        unsafe {
            (&raw mut (*ptr).state).write(AtomicUsize::new(0));
            (&raw mut (*ptr).value).write(UnsafeCell::new(None));
            (&raw mut (*ptr).rx_waker).write(UnsafeCell::new(MaybeUninit::uninit()));
            (&raw mut (*ptr).tx_waker).write(UnsafeCell::new(MaybeUninit::uninit()));
        }
        // SAFETY: every field was initialised just above.
        let cell = unsafe { cell.assume_init() };
        NonNull::from(Box::leak(cell))
    }

    /// Stores `waker` in the slot guarded by `bit` unless `done` is already set in the state;
    /// returns the state in which `done` was found set, or `None` once the waker is published.
    pub(super) fn register(
        &self,
        slot: &UnsafeCell<MaybeUninit<Waker>>,
        bit: usize,
        done: usize,
        waker: &Waker,
    ) -> Option<usize> {
        let state = self.state.load(Acquire);
        if state & done != 0 {
            return Some(state);
        }
        if state & bit != 0 {
            // SAFETY: the slot is published (`bit` set), so it holds a waker, and the other
            // side does not write it; reading it concurrently with the other side's read is
            // fine.
            let same = slot.with(|w| unsafe { (*w).assume_init_ref() }.will_wake(waker));
            if same {
                return None;
            }
            // Take the slot back before replacing the waker.
            let state = self.state.fetch_and(!bit, AcqRel);
            if state & done != 0 {
                // The other side may be reading the old waker right now: leave it there, and
                // set the bit again so that it is dropped with the cell.
                self.state.fetch_or(bit, AcqRel);
                return Some(state);
            }
            // SAFETY: the bit is clear and no event happened, so the slot is ours alone, and
            // it still holds the waker published earlier.
            slot.with_mut(|w| unsafe { (*w).assume_init_drop() });
        }
        // SAFETY: `bit` is clear and the slot holds no waker: it is ours to fill, and the other
        // side reads it only once the bit is set.
        slot.with_mut(|w| unsafe { (*w).write(waker.clone()) });
        let state = self.state.fetch_or(bit, AcqRel);
        if state & done != 0 {
            return Some(state);
        }
        None
    }

    /// Wakes the waker in `slot`, published with `bit` in `state`.
    pub(super) fn wake(&self, slot: &UnsafeCell<MaybeUninit<Waker>>, state: usize, bit: usize) {
        if state & bit != 0 {
            // SAFETY: the owner published the slot (`bit` set) before the event we just
            // recorded, and no longer writes it now that the event is visible.
            slot.with(|w| unsafe { (*w).assume_init_ref() }.wake_by_ref());
        }
    }
}

impl<T> Drop for Cell<T> {
    fn drop(&mut self) {
        // Both sides are gone (their last updates were acquired by whoever frees the cell).
        let state = self.state.load(Acquire);
        for (slot, bit) in [(&self.rx_waker, RX_WAKER), (&self.tx_waker, TX_WAKER)] {
            if state & bit != 0 {
                // SAFETY: a set bit means the slot holds a waker; nobody else can reach the
                // cell any more.
                slot.with_mut(|w| unsafe { (*w).assume_init_drop() });
            }
        }
    }
}

/// Lets go of the cell for one side (`gone`); frees it if the other side (`other_gone`) had
/// already let go.
///
/// # Safety
///
/// `cell` is live, and the calling side never touches it again.
pub(super) unsafe fn release<T>(cell: NonNull<Cell<T>>, gone: usize, other_gone: usize) {
    // SAFETY: live per the contract; the other side has not freed it, since our bit is clear.
    let state = unsafe { cell.as_ref() }.state.fetch_or(gone, AcqRel);
    if state & other_gone != 0 {
        // SAFETY: both sides are gone; we set the second bit, so we free it, once.
        unsafe { free(cell) };
    }
}

/// # Safety
///
/// Both sides are gone (or the caller is the last one and never touches it again), and the
/// caller has acquired the other side's last update to the state word.
pub(super) unsafe fn free<T>(cell: NonNull<Cell<T>>) {
    // SAFETY: the cell came from `Box::leak` in `Cell::allocate`, and per the contract nothing
    // refers to it any more.
    drop(unsafe { Box::from_raw(cell.as_ptr()) });
}
