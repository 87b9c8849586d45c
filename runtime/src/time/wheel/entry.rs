//! A timer entry: the wheel node embedded in every [`Sleep`](crate::time::Sleep).
//!
//! The entry is pinned inside its future, so creating, firing and dropping a timer allocate
//! nothing. Its fields fall in two groups:
//! - the list links, the deadline tick and the location (which slot list holds it) are only
//!   touched under the driver's wheel lock;
//! - the [`EntryState`] (a state word and a waker slot) is shared lock-free between the task
//!   that polls the timer and the driver that fires it.
//!
//! State word bits: `REGISTERING` is set by the poller while it writes the waker slot, `FIRED`
//! by the driver (under the wheel lock) when the deadline is reached. The driver takes the waker
//! only when no registration is in progress; a registration that finds `FIRED` set (before or
//! during its write) reports the timer as elapsed itself, so no wake is ever lost and the slot
//! never has two writers. Resetting a timer clears `FIRED`; it needs the future exclusively
//! (`Pin<&mut Sleep>`) *and* the wheel lock, so it races with neither side.

use core::ptr::NonNull;
use core::task::{Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::util::linked_list::{Link, Pointers};
use crate::util::wake_batch::register_waker;

const REGISTERING: usize = 0b01;
const FIRED: usize = 0b10;

/// Location of an entry that is in no list.
pub(crate) const NOWHERE: u16 = u16::MAX;
/// Location of an entry that is due and waits in the wheel's pending list.
pub(crate) const PENDING: u16 = u16::MAX - 1;

/// The node a timer future embeds. `repr(C)`: words first, in a fixed order (see `Sleep`).
#[repr(C)]
pub(crate) struct TimerEntry {
    pointers: Pointers<TimerEntry>,
    /// The tick the timer is due at. Wheel lock.
    when: UnsafeCell<u64>,
    pub(crate) state: EntryState,
    /// `level * 64 + slot`, [`PENDING`] or [`NOWHERE`]. Wheel lock.
    location: UnsafeCell<u16>,
}

// SAFETY: the links, `when` and `location` are only accessed under the owning driver's wheel
// lock; the state word is atomic, and the waker slot is guarded by the state protocol described
// in the module docs. A `Waker` is `Send + Sync`, so the entry may move to and be shared
// between threads.
unsafe impl Send for TimerEntry {}
// SAFETY: as above: every access through `&TimerEntry` is synchronised by the wheel lock or the
// state word.
unsafe impl Sync for TimerEntry {}

impl TimerEntry {
    pub(crate) fn new() -> TimerEntry {
        TimerEntry {
            pointers: Pointers::new(),
            when: UnsafeCell::new(0),
            location: UnsafeCell::new(NOWHERE),
            state: EntryState::new(),
        }
    }

    /// # Safety
    /// `this` is live and the caller holds the lock of the wheel it belongs to.
    pub(crate) unsafe fn when(this: NonNull<TimerEntry>) -> u64 {
        // SAFETY: live per the caller; the wheel lock serialises access to `when`.
        unsafe { this.as_ref().when.with(|when| *when) }
    }

    /// # Safety
    /// As for [`TimerEntry::when`].
    pub(crate) unsafe fn set_when(this: NonNull<TimerEntry>, when: u64) {
        // SAFETY: as in `when`.
        unsafe { this.as_ref().when.with_mut(|slot| *slot = when) }
    }

    /// # Safety
    /// As for [`TimerEntry::when`].
    pub(crate) unsafe fn location(this: NonNull<TimerEntry>) -> u16 {
        // SAFETY: as in `when`.
        unsafe { this.as_ref().location.with(|location| *location) }
    }

    /// # Safety
    /// As for [`TimerEntry::when`].
    pub(crate) unsafe fn set_location(this: NonNull<TimerEntry>, location: u16) {
        // SAFETY: as in `when`.
        unsafe { this.as_ref().location.with_mut(|slot| *slot = location) }
    }
}

/// The list adapter: slots hold raw pointers to entries pinned inside their futures.
pub(crate) struct EntryLink;

// SAFETY: `pointers` returns the entry's own `Pointers` field; an entry is in at most one slot
// or pending list at a time (its location says which); a linked entry is pinned inside its
// future, whose drop unlinks it under the wheel lock before the memory goes away; the handle is
// the raw pointer itself, so `as_raw`/`from_raw` round-trip trivially.
unsafe impl Link for EntryLink {
    type Handle = NonNull<TimerEntry>;
    type Target = TimerEntry;

    fn as_raw(handle: &NonNull<TimerEntry>) -> NonNull<TimerEntry> {
        *handle
    }

    unsafe fn from_raw(ptr: NonNull<TimerEntry>) -> NonNull<TimerEntry> {
        ptr
    }

    unsafe fn pointers(target: NonNull<TimerEntry>) -> NonNull<Pointers<TimerEntry>> {
        // SAFETY: `target` is live (caller contract), so projecting to a field stays in bounds;
        // the projection never creates a reference, and a field of a non-null pointer is
        // non-null.
        unsafe { NonNull::new_unchecked(core::ptr::addr_of_mut!((*target.as_ptr()).pointers)) }
    }
}

/// The state word and waker slot shared by the poller and the driver.
#[repr(C)]
pub(crate) struct EntryState {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

impl EntryState {
    fn new() -> EntryState {
        EntryState {
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
        }
    }

    /// Whether the driver has fired the timer (since the last reset).
    pub(crate) fn is_fired(&self) -> bool {
        self.state.load(Acquire) & FIRED != 0
    }

    /// The poller's side: `Ready` once fired; otherwise stores `waker` for the driver to wake.
    ///
    /// Called only by the (unique) owner of the timer future, so registrations never overlap.
    pub(crate) fn poll_fired(&self, waker: &Waker) -> Poll<()> {
        if self
            .state
            .compare_exchange(0, REGISTERING, Acquire, Acquire)
            .is_err()
        {
            // The only other bit anyone sets is FIRED.
            return Poll::Ready(());
        }
        // SAFETY: REGISTERING is ours: the driver reads the slot only after setting FIRED on a
        // word without REGISTERING, and our CAS succeeded on a word without FIRED, so the
        // driver is not reading it now and cannot start until we clear REGISTERING.
        self.waker
            .with_mut(|slot| unsafe { register_waker(&mut *slot, waker) });
        match self.state.compare_exchange(REGISTERING, 0, AcqRel, Acquire) {
            Ok(_) => Poll::Pending,
            Err(actual) => {
                // Fired while we wrote: the driver left the waker alone, and we are the task it
                // would have woken, so report completion instead.
                debug_assert_eq!(actual, REGISTERING | FIRED);
                self.state.store(FIRED, Release);
                Poll::Ready(())
            }
        }
    }

    /// The driver's side: marks the timer fired and takes the waker to wake, if any.
    ///
    /// # Safety
    /// The caller holds the wheel lock, which every other writer of the slot (reset, drop)
    /// also holds.
    pub(crate) unsafe fn fire(&self) -> Option<Waker> {
        let previous = self.state.fetch_or(FIRED, AcqRel);
        if previous & (FIRED | REGISTERING) != 0 {
            // Already fired, or the poller is registering and will see FIRED itself.
            return None;
        }
        // SAFETY: FIRED is now set and REGISTERING was not, so no registration runs or can
        // start (the poller's CAS from 0 fails); drop and reset wait for the wheel lock we hold.
        self.waker.with_mut(|slot| unsafe { (*slot).take() })
    }

    /// Clears FIRED so the timer can fire again, keeping the stored waker.
    ///
    /// # Safety
    /// The caller owns the timer future exclusively (no concurrent poll) and holds the wheel
    /// lock (no concurrent fire).
    pub(crate) unsafe fn reset(&self) {
        self.state.store(0, Release);
    }
}
