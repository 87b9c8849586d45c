//! The bounded queue: Dmitry Vyukov's bounded MPMC array queue, with a close mark and permits.
//!
//! Every slot carries a stamp that says whose turn it is. A position is named by a stamp
//! `lap * LAP + index * UNIT` (`index < cap`; `LAP` is a power of two above `cap * UNIT`, so
//! the index never carries into the lap). A slot stamped with position `p` is free for the
//! sender that claims `p`; `p + UNIT` means it holds the value for the receiver that claims
//! `p`; that receiver hands the slot to the next lap by stamping it `p + LAP`. Senders claim a
//! position with a CAS on `tail`, receivers on `head`, and a slot's value is touched only by the
//! one thread whose claim matched its stamp, so no lock is needed. Stamps are only compared for
//! equality and wrap around with the lap (crossbeam's `ArrayQueue` names positions the same
//! way), so the queue has no message limit.
//!
//! `tail` carries two more fields below its position: the `CLOSED` bit and the count of
//! outstanding *permits* (capacity reserved by `Sender::reserve` for a later send). The ring
//! keeps `len + permits <= cap`. A sender sees the permit count in the same word it CASes, so
//! with no permits out the send path is Vyukov's (it reads the slot, never `head`); with
//! permits out it also checks `head`. A permit's own send always finds room: it moves one unit
//! from the permit count to the position in a single CAS. Closing sets `CLOSED`, after which no
//! plain send or new reservation succeeds, but permits taken before still send; "closed and
//! drained" is `head == tail`'s position with `CLOSED` set and no permit out.
//!
//! A receiver that finds its position claimed but not written yet waits for the sender's store
//! (a few instructions; it yields the thread if that takes long), as a sender waits for last
//! lap's receiver to release a slot. That is what lets a sender check for sleeping receivers
//! without a fence after its store (see `waiters.rs`). Slot `i` stores its stamp minus `i * UNIT`, so a fresh slot is all zero
//! bytes. The slots live in chunks of [`CHUNK`] that are allocated zeroed the first time a
//! sender reaches them: a channel with a large capacity costs memory only as far as its backlog
//! has ever reached (Tokio gets the same effect with lazily allocated blocks). A missing chunk
//! reads as "never written", i.e. free for the first lap.

use core::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};
use crate::util::cache_padded::CachePadded;

use super::queue::{Pop, Push, Reservation};

const CLOSED: usize = 1;
/// Width of the permit count in `tail`.
const PERMIT_BITS: u32 = if usize::BITS >= 64 { 16 } else { 6 };
/// The most permits one channel can have out at once.
pub(super) const MAX_PERMITS: usize = (1 << PERMIT_BITS) - 1;
/// One permit, as counted in `tail`.
const PERMIT: usize = 1 << 1;
/// One position step: stamps are multiples of it, so `CLOSED` and the permits fit below.
const UNIT: usize = 1 << (PERMIT_BITS + 1);
/// The bits of `tail` below its position.
const LOW: usize = UNIT - 1;

/// Slots per lazily allocated chunk.
#[cfg(not(blitz_loom))]
const CHUNK: usize = 1024;
#[cfg(blitz_loom)]
const CHUNK: usize = 2;

struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

pub(super) struct Ring<T> {
    /// The stamp of the next position to receive. `head` and `tail` each have a cache line of
    /// their own, so that senders and receivers do not contend on one line.
    head: CachePadded<AtomicUsize>,
    /// The stamp of the next position to send, `| permits << 1 | CLOSED`.
    tail: CachePadded<AtomicUsize>,
    cap: usize,
    /// One lap in stamp units (a power of two).
    lap: usize,
    /// The stamp of the last index in lap 0: `(cap - 1) * UNIT`.
    last: usize,
    /// Chunk `c` holds slots `c * CHUNK ..` (the last one is shorter); null until first used.
    chunks: Box<[AtomicPtr<Slot<T>>]>,
}

// SAFETY: values move from sender threads to receiver threads (hence `T: Send`), and each
// slot's value is accessed only by the one thread whose claimed position matches the slot's
// stamp; `&T` is never handed out, so `T: Sync` is not required.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above: the stamps give each access to a value exclusive ownership.
unsafe impl<T: Send> Sync for Ring<T> {}

/// Waits for another thread that is between the two steps of an operation (its claim and its
/// store, a few instructions apart): spins at first, then yields the thread in case that one
/// was preempted in between.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    #[cfg(not(blitz_loom))]
    fn snooze(&mut self) {
        if self.0 < 6 {
            for _ in 0..1 << self.0 {
                crate::loom::spin_hint();
            }
            self.0 += 1;
        } else {
            std::thread::yield_now();
        }
    }

    /// Under loom, every wait is one yield to the model.
    #[cfg(blitz_loom)]
    fn snooze(&mut self) {
        self.0 += 1;
        crate::loom::spin_hint();
    }
}

impl<T> Ring<T> {
    /// # Panics
    ///
    /// If `cap` leaves fewer than 8 bits of the word for the lap count (on a
    /// 64-bit target: `cap >= 2^38`).
    #[track_caller]
    pub(super) fn new(cap: usize) -> Ring<T> {
        let lap = (cap + 1)
            .checked_next_power_of_two()
            .and_then(|lap| lap.checked_mul(UNIT))
            .filter(|lap| lap.checked_mul(1 << 8).is_some())
            .expect("mpmc::bounded: capacity too large for this target");
        Ring {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            cap,
            lap,
            last: (cap - 1) * UNIT,
            chunks: (0..cap.div_ceil(CHUNK))
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
        }
    }

    /// A ring whose positions start one lap before the stamps wrap around, to test the wrap
    /// without sending 2^47 values first.
    #[cfg(all(test, not(blitz_loom)))]
    pub(super) fn near_wrap(cap: usize) -> Ring<T> {
        let ring = Ring::new(cap);
        let start = (usize::MAX & !(ring.lap - 1)).wrapping_sub(ring.lap);
        for index in 0..cap {
            // Slot `index` of lap `start` is stamped `start + index * UNIT`, stored relative.
            let (slot, _) = ring.slot_or_allocate(index * UNIT);
            slot.stamp.store(start, Ordering::Relaxed);
        }
        ring.head.store(start, Ordering::Relaxed);
        ring.tail.store(start, Ordering::Relaxed);
        ring
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap
    }

    fn chunk_len(&self, chunk: usize) -> usize {
        CHUNK.min(self.cap - chunk * CHUNK)
    }

    #[inline]
    fn index(&self, stamp: usize) -> usize {
        (stamp & (self.lap - 1)) / UNIT
    }

    /// The position after `stamp`.
    #[inline]
    fn next(&self, stamp: usize) -> usize {
        if stamp & (self.lap - 1) != self.last {
            stamp + UNIT
        } else {
            (stamp & !(self.lap - 1)).wrapping_add(self.lap)
        }
    }

    /// How many positions lie from `head` up to `tail` (both stamps, `head` not past `tail`).
    #[inline]
    fn distance(&self, head: usize, tail: usize) -> usize {
        let (h, t) = (self.index(head), self.index(tail));
        if head & !(self.lap - 1) == tail & !(self.lap - 1) {
            t.wrapping_sub(h)
        } else {
            (self.cap + t).wrapping_sub(h)
        }
    }

    /// Whether one more value or permit fits next to `permits` with the next send at `pos`.
    fn has_room(&self, pos: usize, permits: usize) -> bool {
        fence(Ordering::SeqCst);
        let head = self.head.load(Ordering::Relaxed);
        self.distance(head, pos).saturating_add(permits) < self.cap
    }

    #[cfg(not(blitz_loom))]
    fn new_chunk(len: usize) -> Box<[Slot<T>]> {
        let slots = Box::<[Slot<T>]>::new_zeroed_slice(len);
        // SAFETY: all-zero bytes are a valid `Slot`: a zero `AtomicUsize` (stored stamp 0,
        // i.e. "free for the first lap") and a `MaybeUninit` value, which may hold any bytes.
        unsafe { slots.assume_init() }
    }

    /// loom's atomics are not plain integers: build each slot.
    #[cfg(blitz_loom)]
    fn new_chunk(len: usize) -> Box<[Slot<T>]> {
        (0..len)
            .map(|_| Slot {
                stamp: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect()
    }

    /// The slot of position `stamp` (if its chunk exists) and the offset its stored stamps
    /// are relative to.
    #[inline]
    fn slot(&self, stamp: usize) -> (Option<&Slot<T>>, usize) {
        let index = self.index(stamp);
        debug_assert!(index < self.cap);
        // SAFETY: stamps only name indexes below `cap`, and there are `cap.div_ceil(CHUNK)`
        // chunks.
        let chunk = unsafe { self.chunks.get_unchecked(index / CHUNK) }.load(Ordering::Acquire);
        // SAFETY: a non-null chunk pointer was installed by `allocate` from a boxed slice of
        // `chunk_len` slots, which lives until the ring is dropped, and `index % CHUNK` is
        // within it.
        let slot = (!chunk.is_null()).then(|| unsafe { &*chunk.add(index % CHUNK) });
        (slot, index * UNIT)
    }

    /// As [`Ring::slot`], allocating the slot's chunk if no sender has done so yet.
    #[inline]
    fn slot_or_allocate(&self, stamp: usize) -> (&Slot<T>, usize) {
        match self.slot(stamp) {
            (Some(slot), base) => (slot, base),
            (None, base) => (self.allocate(self.index(stamp)), base),
        }
    }

    #[cold]
    fn allocate(&self, index: usize) -> &Slot<T> {
        let chunk = index / CHUNK;
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
        unsafe { &*installed.add(index % CHUNK) }
    }

    /// Writes `value` into the slot of `pos`, which the caller just claimed, and publishes it.
    #[inline]
    fn write(slot: &Slot<T>, base: usize, pos: usize, value: T) {
        // SAFETY: the caller's CAS claimed `pos`, and the slot's stamp said its previous value
        // was taken: nobody else touches the cell until we publish it with the store below.
        slot.value.with_mut(|v| unsafe { (*v).write(value) });
        slot.stamp
            .store((pos + UNIT).wrapping_sub(base), Ordering::Release);
    }

    #[inline]
    pub(super) fn push(&self, value: T) -> Push<T> {
        let mut backoff = Backoff::default();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & CLOSED != 0 {
                return Push::Closed(value);
            }
            let pos = tail & !LOW;
            let (slot, base) = self.slot_or_allocate(pos);
            let stamp = slot.stamp.load(Ordering::Acquire).wrapping_add(base);
            if stamp == pos {
                let permits = (tail & LOW) >> 1;
                if permits > 0 && !self.has_room(pos, permits) {
                    // The free slots are reserved, unless `tail` moved meanwhile.
                    let now = self.tail.load(Ordering::Relaxed);
                    if now == tail {
                        return Push::Full(value);
                    }
                    tail = now;
                    continue;
                }
                let next = self.next(pos) | (tail & LOW);
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        Self::write(slot, base, pos, value);
                        return Push::Done;
                    }
                    Err(current) => tail = current,
                }
            } else if matches!(stamp.wrapping_add(self.lap), s if s == pos || s == pos + UNIT) {
                // The slot still holds last lap's value (or its sender is still writing it):
                // full, unless `head` moved meanwhile.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.lap) == pos {
                    return Push::Full(value);
                }
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another sender claimed `pos` first.
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Reserves room for `n` values (`1..=MAX_PERMITS.min(cap)`), all or none, counted
    /// against the capacity until [`Ring::send_reserved`] uses each unit or [`Ring::release`]
    /// gives them back.
    #[inline]
    pub(super) fn reserve(&self, n: usize) -> Reservation {
        debug_assert!((1..=MAX_PERMITS.min(self.cap)).contains(&n));
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & CLOSED != 0 {
                return Reservation::Closed;
            }
            let permits = (tail & LOW) >> 1;
            // Room for `n` more is room for one more next to `permits + n - 1`.
            if permits + n > MAX_PERMITS || !self.has_room(tail & !LOW, permits + n - 1) {
                let now = self.tail.load(Ordering::Relaxed);
                if now == tail {
                    return Reservation::Full;
                }
                tail = now;
                continue;
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail + n * PERMIT,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Reservation::Done,
                Err(current) => tail = current,
            }
        }
    }

    /// Sends `value` on a permit from [`Ring::reserve`] (closed or not). Returns whether the
    /// ring is closed and that was the last permit out.
    pub(super) fn send_reserved(&self, value: T) -> bool {
        let mut backoff = Backoff::default();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            debug_assert!(tail & LOW >= PERMIT, "a permit is out");
            let pos = tail & !LOW;
            let (slot, base) = self.slot_or_allocate(pos);
            let stamp = slot.stamp.load(Ordering::Acquire).wrapping_add(base);
            if stamp == pos {
                let next = self.next(pos) | ((tail & LOW) - PERMIT);
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        Self::write(slot, base, pos, value);
                        return next & LOW == CLOSED;
                    }
                    Err(current) => tail = current,
                }
            } else {
                // Another sender took `pos`, or (the permit guarantees room) the receiver of
                // last lap's value in this slot is between its claim and its release.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Gives `n` unused permits back. Returns whether the ring is closed and those were the
    /// last permits out.
    pub(super) fn release(&self, n: usize) -> bool {
        let before = self.tail.fetch_sub(n * PERMIT, Ordering::SeqCst);
        debug_assert!(before & LOW >= n * PERMIT, "{n} permits are out");
        (before & LOW) - n * PERMIT == CLOSED
    }

    /// The most permits one reservation can ask for: it can never get more.
    pub(super) fn max_reservation(&self) -> usize {
        MAX_PERMITS.min(self.cap)
    }

    #[inline]
    pub(super) fn pop(&self) -> Pop<T> {
        let mut backoff = Backoff::default();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let (slot, base) = self.slot(head);
            // A missing chunk was never written: free for the first lap.
            let stamp = slot
                .map_or(0, |s| s.stamp.load(Ordering::Acquire))
                .wrapping_add(base);
            if stamp == head + UNIT {
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // A written stamp was read from a real slot (a missing one reads free).
                        let slot = slot.expect("a written slot's chunk exists");
                        // SAFETY: our CAS claimed `head`, and the stamp says its sender has
                        // written the value: it is ours to move out, once.
                        let value = slot.value.with(|v| unsafe { (*v).assume_init_read() });
                        slot.stamp.store(
                            head.wrapping_add(self.lap).wrapping_sub(base),
                            Ordering::Release,
                        );
                        return Pop::Value(value);
                    }
                    Err(current) => head = current,
                }
            } else if stamp == head || stamp.wrapping_add(self.lap) == head + UNIT {
                // Not written yet: empty, closed, or a sender (or last lap's receiver) is
                // between its claim and its store.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !LOW != head {
                    // In flight: its sender claimed `head` and is about to write it (or is
                    // waiting for last lap's receiver to release the slot). Wait for it
                    // rather than report empty: a sender's wake-up check is not ordered after
                    // its store (see `waiters.rs`), so a receiver about to sleep must not
                    // miss a value that is already claimed.
                    backoff.snooze();
                    head = self.head.load(Ordering::Relaxed);
                    continue;
                }
                let now = self.head.load(Ordering::Relaxed);
                if now != head {
                    head = now;
                    continue;
                }
                // Closed and drained once no permit can still send.
                return if tail & LOW == CLOSED {
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
            let tail = self.tail.load(Ordering::SeqCst) & !LOW;
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) & !LOW == tail {
                return self.distance(head, tail);
            }
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Values still buffered when the last handle goes: drop each once. With `&mut self`
        // no claim is in flight, so every position from `head` up to `tail` holds a value;
        // they are dropped in place, without claiming them (and not visited at all when `T`
        // has no drop glue).
        if core::mem::needs_drop::<T>() {
            let tail = self.tail.load(Ordering::Relaxed) & !LOW;
            let mut pos = self.head.load(Ordering::Relaxed);
            while pos != tail {
                let slot = self.slot(pos).0.expect("a written slot's chunk exists");
                // SAFETY: the position is between `head` and `tail` and nothing is in flight,
                // so its value is written and not taken; it is dropped once, here.
                slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
                pos = self.next(pos);
            }
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
