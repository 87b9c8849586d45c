//! One level of the wheel: 64 slot lists, each spanning `64^level` ticks, and a `u64` bitmap
//! of the non-empty ones.

use core::ptr::NonNull;

use super::entry::{EntryLink, TimerEntry};
use crate::util::linked_list::LinkedList;

/// log2 of the slots per level.
pub(super) const LEVEL_BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << LEVEL_BITS;

pub(super) struct Level {
    level: u32,
    /// Bit `i` is set exactly when `slots[i]` is non-empty.
    occupied: u64,
    slots: [LinkedList<EntryLink>; SLOTS],
}

impl Level {
    pub(super) const fn new(level: u32) -> Level {
        Level {
            level,
            occupied: 0,
            slots: [const { LinkedList::new() }; SLOTS],
        }
    }

    /// Ticks covered by one slot.
    fn slot_ticks(&self) -> u64 {
        1 << (LEVEL_BITS * self.level)
    }

    /// Ticks covered by the whole level.
    fn level_ticks(&self) -> u64 {
        1 << (LEVEL_BITS * (self.level + 1))
    }

    /// The slot an absolute tick falls in.
    pub(super) fn slot_for(&self, tick: u64) -> usize {
        ((tick >> (LEVEL_BITS * self.level)) as usize) & (SLOTS - 1)
    }

    /// The first non-empty slot at or after the wheel's position `elapsed`, and the absolute
    /// tick at which it starts (always after `elapsed`).
    ///
    /// Entries share their bits above this level with `elapsed` when inserted, so their slot
    /// starts later in the same 64-slot round; only an entry clamped to the wheel's far end can
    /// sit in an earlier slot index, which then means the next round.
    pub(super) fn next_occupied(&self, elapsed: u64) -> Option<(usize, u64)> {
        if self.occupied == 0 {
            return None;
        }
        let here = self.slot_for(elapsed);
        let ahead = self.occupied.rotate_right(here as u32).trailing_zeros() as usize;
        let slot = (here + ahead) % SLOTS;
        let round_start = elapsed & !(self.level_ticks() - 1);
        let mut start = round_start + slot as u64 * self.slot_ticks();
        if start <= elapsed {
            start += self.level_ticks();
        }
        Some((slot, start))
    }

    /// # Safety
    /// `entry` is live, unlinked and pinned; the caller holds the wheel lock.
    pub(super) unsafe fn push(&mut self, slot: usize, entry: NonNull<TimerEntry>) {
        self.occupied |= 1 << slot;
        self.slots[slot].push_back(entry);
    }

    /// # Safety
    /// `entry` is live and linked in `slot` of this level; the caller holds the wheel lock.
    pub(super) unsafe fn remove(&mut self, slot: usize, entry: NonNull<TimerEntry>) {
        let list = &mut self.slots[slot];
        // SAFETY: the entry is linked in this very list (its location says so).
        let removed = unsafe { list.remove(entry) };
        debug_assert!(removed.is_some(), "timer entry not in the slot it names");
        if list.is_empty() {
            self.occupied &= !(1 << slot);
        }
    }

    /// Takes every entry of `slot` out, as a detached list.
    pub(super) fn take_slot(&mut self, slot: usize) -> LinkedList<EntryLink> {
        self.occupied &= !(1 << slot);
        core::mem::take(&mut self.slots[slot])
    }
}
