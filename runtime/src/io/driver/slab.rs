//! The driver's table of registered sockets: index plus generation in one token.
//!
//! An event for a socket that was deregistered meanwhile (its slot freed, maybe reused) carries
//! the old generation and is dropped: the driver never reaches freed state. Lookups take the
//! table's lock once per driver turn, not once per event.

use std::sync::Arc;

use super::scheduled_io::ScheduledIo;

const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Tokens at or above this are the driver's own (its waker, signals).
pub(crate) const MAX_TOKEN: usize = 1 << 56;

#[derive(Default)]
pub(crate) struct Slab {
    entries: Vec<Entry>,
    free: Vec<usize>,
    len: usize,
}

struct Entry {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

impl Slab {
    /// Stores `io`; returns its token, or `None` when 2^24 sockets are already registered.
    pub(crate) fn insert(&mut self, io: Arc<ScheduledIo>) -> Option<usize> {
        let index = match self.free.pop() {
            Some(index) => index,
            None if self.entries.len() <= INDEX_MASK => {
                self.entries.push(Entry {
                    generation: 0,
                    io: None,
                });
                self.entries.len() - 1
            }
            None => return None,
        };
        let entry = &mut self.entries[index];
        entry.io = Some(io);
        self.len += 1;
        Some(((entry.generation as usize) << INDEX_BITS) | index)
    }

    pub(crate) fn get(&self, token: usize) -> Option<&Arc<ScheduledIo>> {
        let entry = self.entries.get(token & INDEX_MASK)?;
        if (entry.generation as usize) != token >> INDEX_BITS {
            return None;
        }
        entry.io.as_ref()
    }

    pub(crate) fn remove(&mut self, token: usize) -> Option<Arc<ScheduledIo>> {
        let index = token & INDEX_MASK;
        let entry = self.entries.get_mut(index)?;
        if (entry.generation as usize) != token >> INDEX_BITS {
            return None;
        }
        let io = entry.io.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        self.len -= 1;
        Some(io)
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&Arc<ScheduledIo>)) {
        for entry in &self.entries {
            if let Some(io) = &entry.io {
                f(io);
            }
        }
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_stale_token_finds_nothing_after_its_slot_is_reused() {
        let mut slab = Slab::default();
        let first = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert!(slab.get(first).is_some());
        assert!(slab.remove(first).is_some());
        let second = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert_eq!(
            first & INDEX_MASK,
            second & INDEX_MASK,
            "the slot is reused"
        );
        assert!(
            slab.get(first).is_none(),
            "the old generation must not match"
        );
        assert!(slab.remove(first).is_none());
        assert!(slab.get(second).is_some());
        assert_eq!(slab.len, 1);
        assert!(second < MAX_TOKEN);
    }
}
