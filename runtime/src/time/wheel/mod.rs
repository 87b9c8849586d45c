//! The hierarchical timing wheel: 6 levels of 64 slots, one tick per millisecond.
//!
//! Level `l` has slots of `64^l` ticks, so the levels cover 64 ms, ~4 s, ~4.4 min, ~4.7 h,
//! ~12.4 days and ~2.2 years ahead. Every position is an **absolute** tick (milliseconds since
//! the driver started), never an offset from "now": an entry's level is the highest 6-bit
//! digit in which its deadline differs from the wheel's position (`elapsed`), and its slot is
//! that digit of the deadline. When the wheel reaches the start of a higher-level slot, the
//! slot's entries are re-inserted from the new position and fall to lower levels (a cascade),
//! until they sit in level 0 and fire at their exact tick. Per-level `u64` occupancy bitmaps
//! find the next non-empty slot with one `trailing_zeros`.
//!
//! Deadlines further than the wheel's span are placed at its far end and re-inserted when
//! reached, so they wait as long as needed; they never overflow and are never dropped. Due
//! entries move to a pending list and are handed out one by one by [`Wheel::poll`], so a
//! caller may stop halfway (to wake a full batch outside its lock) and resume.
//!
//! The wheel is not synchronised: the driver keeps it behind its lock, which also guards the
//! entries' links.

pub(crate) mod entry;
mod level;

#[cfg(all(test, not(blitz_loom)))]
mod tests;

use core::ptr::NonNull;

use entry::{EntryLink, TimerEntry, NOWHERE, PENDING};
use level::{Level, LEVEL_BITS, SLOTS};

use crate::util::linked_list::LinkedList;

const NUM_LEVELS: usize = 6;

/// The furthest ahead of `elapsed` an entry is placed: the wheel's span, minus one tick.
pub(crate) const MAX_SPAN: u64 = (1 << (LEVEL_BITS as usize * NUM_LEVELS)) - 1;

pub(crate) struct Wheel {
    /// Every entry due at or before this tick has been moved to `pending` (or fired).
    elapsed: u64,
    levels: [Level; NUM_LEVELS],
    /// Due entries not handed out yet.
    pending: LinkedList<EntryLink>,
}

// SAFETY: the wheel holds raw pointers to entries pinned inside `Sleep` futures on any thread;
// entries are `Send + Sync` and every access to their links goes through the wheel, which its
// owner keeps behind a mutex. Moving the wheel between threads moves no entry.
unsafe impl Send for Wheel {}

impl Wheel {
    pub(crate) const fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: [
                Level::new(0),
                Level::new(1),
                Level::new(2),
                Level::new(3),
                Level::new(4),
                Level::new(5),
            ],
            pending: LinkedList::new(),
        }
    }

    /// The wheel's position: the last tick it was advanced to.
    #[cfg_attr(not(all(test, not(blitz_loom))), allow(dead_code))] // Read by the unit tests.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Links `entry` to fire at its `when` tick. Returns `false`, linking nothing, when that
    /// tick is already due (`when <= elapsed`): the caller fires the entry itself.
    ///
    /// # Safety
    /// `entry` is live, pinned and unlinked, its `when` is set, and it stays put until removed
    /// or handed out by [`Wheel::poll`].
    pub(crate) unsafe fn insert(&mut self, entry: NonNull<TimerEntry>) -> bool {
        // SAFETY: live per the caller, and `&mut self` stands for the wheel lock.
        let when = unsafe { TimerEntry::when(entry) };
        if when <= self.elapsed {
            return false;
        }
        let (level, slot) = self.location_for(when);
        // SAFETY: as above; the entry is unlinked, so it may go into a slot.
        unsafe {
            TimerEntry::set_location(entry, (level * SLOTS + slot) as u16);
            self.levels[level].push(slot, entry);
        }
        true
    }

    /// The level and slot for a deadline after `elapsed`.
    fn location_for(&self, when: u64) -> (usize, usize) {
        let when = when.min(self.elapsed.saturating_add(MAX_SPAN));
        // Highest differing 6-bit digit; `| (SLOTS - 1)` puts anything in this 64-tick round at
        // level 0.
        let differing = (self.elapsed ^ when) | (SLOTS as u64 - 1);
        let top_bit = 63 - differing.leading_zeros();
        let level = ((top_bit / LEVEL_BITS) as usize).min(NUM_LEVELS - 1);
        (level, self.levels[level].slot_for(when))
    }

    /// Unlinks `entry` if it is linked (in a slot or pending); does nothing otherwise.
    ///
    /// # Safety
    /// `entry` is live and belongs to this wheel (or to none).
    pub(crate) unsafe fn remove(&mut self, entry: NonNull<TimerEntry>) {
        // SAFETY: live per the caller; the location names the one list holding it, if any.
        unsafe {
            match TimerEntry::location(entry) {
                NOWHERE => return,
                PENDING => {
                    self.pending.remove(entry);
                }
                location => {
                    let location = usize::from(location);
                    self.levels[location / SLOTS].remove(location % SLOTS, entry);
                }
            }
            TimerEntry::set_location(entry, NOWHERE);
        }
    }

    /// The earliest tick at which [`Wheel::poll`] has something to do: `elapsed` when due
    /// entries are pending, else the start of the next non-empty slot. `None` when empty.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if !self.pending.is_empty() {
            return Some(self.elapsed);
        }
        self.next_slot().map(|(_, _, start)| start)
    }

    /// The non-empty slot that starts first: (level, slot, start tick).
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        let mut best: Option<(usize, usize, u64)> = None;
        for (index, level) in self.levels.iter().enumerate() {
            if let Some((slot, start)) = level.next_occupied(self.elapsed) {
                if best.is_none_or(|(_, _, best_start)| start < best_start) {
                    best = Some((index, slot, start));
                }
            }
        }
        best
    }

    /// Advances towards `now` and hands out the next entry due at or before it, unlinked.
    /// `None` once nothing is due: the wheel is then at `now` (or beyond, if it already was).
    pub(crate) fn poll(&mut self, now: u64) -> Option<NonNull<TimerEntry>> {
        loop {
            if let Some(entry) = self.pending.pop_front() {
                // SAFETY: a linked entry is live, and we hold the wheel (`&mut self`).
                unsafe { TimerEntry::set_location(entry, NOWHERE) };
                return Some(entry);
            }
            match self.next_slot() {
                Some((level, slot, start)) if start <= now => {
                    self.elapsed = start;
                    self.cascade(level, slot);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// The wheel reached the start of `slot` at `level`: due entries go to `pending`, the rest
    /// are re-inserted from the new position (at a lower level).
    fn cascade(&mut self, level: usize, slot: usize) {
        let mut entries = self.levels[level].take_slot(slot);
        while let Some(entry) = entries.pop_front() {
            // SAFETY: the entries were linked in this wheel, so they are live and pinned; they
            // move from the detached list straight into another list of this wheel, all under
            // the lock `&mut self` stands for, so a concurrent remove cannot look for them.
            unsafe {
                TimerEntry::set_location(entry, NOWHERE);
                if !self.insert(entry) {
                    TimerEntry::set_location(entry, PENDING);
                    self.pending.push_back(entry);
                }
            }
        }
    }
}
