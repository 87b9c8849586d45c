//! The bounded queue: Dmitry Vyukov's bounded MPMC array queue, with a close mark.
//!
//! Every slot carries a sequence number that says whose turn it is. For position `pos` (which
//! only grows; the slot is `pos % cap`), a slot with sequence `2 * pos` is free for the sender
//! that claims `pos`, and `2 * pos + 1` means it holds the value for the receiver that claims
//! `pos`; that receiver hands the slot to the next lap by storing `2 * (pos + cap)`. (Vyukov
//! uses `pos`, `pos + 1` and `pos + cap`, which collide when `cap == 1`.) Senders claim a
//! position with a CAS on `tail`, receivers on `head`, and a slot's value is touched only by the
//! one thread whose claim matched its sequence, so no lock is needed.
//!
//! `tail` stores `pos << 1 | CLOSED`: closing sets the low bit, after which no sender can claim
//! a position (its CAS would have to carry the bit over), so "closed and empty" is exactly
//! `head == tail >> 1` with the bit set, and every value claimed before the close is delivered.
//! A claimed slot whose value is not written yet reads as empty; its sender wakes a receiver
//! once it is written.
//!
//! Slot `i` stores its sequence minus `2 * i`, so a fresh slot is all zero bytes. The slots
//! live in chunks of [`CHUNK`] that are allocated zeroed the first time a sender reaches them:
//! a channel with a large capacity costs memory only as far as its backlog has ever reached
//! (Tokio gets the same effect with lazily allocated blocks). A missing chunk reads as "never
//! written", i.e. free for the first lap.

use core::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};

use super::queue::{Pop, Push};

const CLOSED: usize = 1;

/// Slots per lazily allocated chunk.
#[cfg(not(blitz_loom))]
const CHUNK: usize = 1024;
#[cfg(blitz_loom)]
const CHUNK: usize = 2;

struct Slot<T> {
    seq: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

pub(super) struct Ring<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    cap: usize,
    /// Chunk `c` holds slots `c * CHUNK ..` (the last one is shorter); null until first used.
    chunks: Box<[AtomicPtr<Slot<T>>]>,
}

// SAFETY: values move from sender threads to receiver threads (hence `T: Send`), and each
// slot's value is accessed only by the one thread whose claimed position matches the slot's
// sequence number; `&T` is never handed out, so `T: Sync` is not required.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above: the sequence numbers give each access to a value exclusive ownership.
unsafe impl<T: Send> Sync for Ring<T> {}

/// Keeps `head` and `tail` on separate cache lines so senders and receivers don't contend.
#[repr(align(128))]
struct CachePadded<T>(T);

impl<T> core::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Ring<T> {
    pub(super) fn new(cap: usize) -> Ring<T> {
        Ring {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            cap,
            chunks: (0..cap.div_ceil(CHUNK))
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap
    }

    fn chunk_len(&self, chunk: usize) -> usize {
        CHUNK.min(self.cap - chunk * CHUNK)
    }

    #[cfg(not(blitz_loom))]
    fn new_chunk(len: usize) -> Box<[Slot<T>]> {
        let slots = Box::<[Slot<T>]>::new_zeroed_slice(len);
        // SAFETY: all-zero bytes are a valid `Slot`: a zero `AtomicUsize` (stored sequence 0,
        // i.e. "free for the first lap") and a `MaybeUninit` value, which may hold any bytes.
        unsafe { slots.assume_init() }
    }

    /// loom's atomics are not plain integers: build each slot.
    #[cfg(blitz_loom)]
    fn new_chunk(len: usize) -> Box<[Slot<T>]> {
        (0..len)
            .map(|_| Slot {
                seq: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect()
    }

    /// The slot of `pos` (if its chunk exists) and the offset its stored sequence numbers are
    /// relative to.
    #[inline]
    fn slot(&self, pos: usize) -> (Option<&Slot<T>>, usize) {
        let index = pos % self.cap;
        let chunk = self.chunks[index / CHUNK].load(Ordering::Acquire);
        // SAFETY: a non-null chunk pointer was installed by `slot_or_allocate` from a boxed
        // slice of `chunk_len` slots, which lives until the ring is dropped, and
        // `index % CHUNK` is within it.
        let slot = (!chunk.is_null()).then(|| unsafe { &*chunk.add(index % CHUNK) });
        (slot, 2 * index)
    }

    /// As [`Ring::slot`], allocating the slot's chunk if no sender has done so yet.
    #[inline]
    fn slot_or_allocate(&self, pos: usize) -> (&Slot<T>, usize) {
        match self.slot(pos) {
            (Some(slot), base) => (slot, base),
            (None, base) => (self.allocate(pos % self.cap / CHUNK, pos), base),
        }
    }

    #[cold]
    fn allocate(&self, chunk: usize, pos: usize) -> &Slot<T> {
        let fresh = Box::into_raw(Self::new_chunk(self.chunk_len(chunk))).cast::<Slot<T>>();
        let installed = match self.chunks[chunk].compare_exchange(
            core::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(theirs) => {
                let len = self.chunk_len(chunk);
                // SAFETY: `fresh` came from `Box::into_raw` of a slice of `len` slots just
                // above and was never shared (our install failed).
                drop(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(fresh, len)) });
                theirs
            }
        };
        // SAFETY: `installed` is a live chunk of this ring (see `slot`).
        unsafe { &*installed.add(pos % self.cap % CHUNK) }
    }

    pub(super) fn push(&self, value: T) -> Push<T> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & CLOSED != 0 {
                return Push::Closed(value);
            }
            let pos = tail >> 1;
            let (slot, base) = self.slot_or_allocate(pos);
            let seq = slot.seq.load(Ordering::Acquire).wrapping_add(base);
            if seq == 2 * pos {
                match self.tail.compare_exchange_weak(
                    tail,
                    tail + 2,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS claimed `pos`, and the slot's sequence says its
                        // previous value was taken: nobody else touches the cell until we
                        // publish it with the store below.
                        slot.value.with_mut(|v| unsafe { (*v).write(value) });
                        slot.seq
                            .store((2 * pos + 1).wrapping_sub(base), Ordering::Release);
                        return Push::Done;
                    }
                    Err(current) => tail = current,
                }
            } else if (seq.wrapping_sub(2 * pos) as isize) < 0 {
                // The slot still holds last lap's value: full, unless `head` moved meanwhile.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.cap) == pos {
                    return Push::Full(value);
                }
                crate::loom::spin_hint();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another sender claimed `pos` first.
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    pub(super) fn pop(&self) -> Pop<T> {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let (slot, base) = self.slot(head);
            // A missing chunk was never written: free for the first lap.
            let seq = slot
                .map_or(0, |s| s.seq.load(Ordering::Acquire))
                .wrapping_add(base);
            if seq == 2 * head + 1 {
                match self.head.compare_exchange_weak(
                    head,
                    head + 1,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // An odd sequence was read from a real slot (a missing one reads even).
                        let slot = slot.expect("a written slot's chunk exists");
                        // SAFETY: our CAS claimed `head`, and the sequence says its sender has
                        // written the value: it is ours to move out, once.
                        let value = slot.value.with(|v| unsafe { (*v).assume_init_read() });
                        let next_lap = 2 * (head + self.cap);
                        slot.seq
                            .store(next_lap.wrapping_sub(base), Ordering::Release);
                        return Pop::Value(value);
                    }
                    Err(current) => head = current,
                }
            } else if (seq.wrapping_sub(2 * head + 1) as isize) < 0 {
                // Not written yet: empty, closed, or a sender (or last lap's receiver) is
                // between its claim and its store.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail >> 1 != head {
                    return Pop::Empty; // in flight: its sender wakes a receiver when done
                }
                let now = self.head.load(Ordering::Relaxed);
                if now != head {
                    head = now;
                    continue;
                }
                return if tail & CLOSED != 0 {
                    Pop::Closed
                } else {
                    Pop::Empty
                };
            } else {
                // Another receiver took `head` first.
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Marks the ring closed; returns whether this call closed it.
    pub(super) fn close(&self) -> bool {
        self.tail.fetch_or(CLOSED, Ordering::SeqCst) & CLOSED == 0
    }

    pub(super) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & CLOSED != 0
    }

    pub(super) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst) >> 1;
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) >> 1 == tail {
                return tail.saturating_sub(head);
            }
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Values still buffered when the last handle goes: drop each once.
        while let Pop::Value(value) = self.pop() {
            drop(value);
        }
        for (chunk, ptr) in self.chunks.iter().enumerate() {
            let ptr = ptr.load(Ordering::Acquire);
            if !ptr.is_null() {
                let len = self.chunk_len(chunk);
                // SAFETY: installed chunks come from `Box::into_raw` of `len` slots; nothing
                // refers to them any more (`&mut self`), and each is freed once.
                drop(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) });
            }
        }
    }
}
