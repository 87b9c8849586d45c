//! The value store behind a channel: the bounded ring or the unbounded segment list, behind
//! one small interface (`push`, `pop`, `close`, and `reserve` / `send_reserved` / `release`
//! for permits) so the waiting logic is written once. Both keep "closed and drained" false
//! while a permit is out, since a permit taken before the close may still send.

use super::ring::Ring;
use super::segments::Segments;

/// What a push did.
pub(super) enum Push<T> {
    Done,
    /// No free slot (bounded only); the value comes back.
    Full(T),
    /// The channel is closed; the value comes back.
    Closed(T),
}

/// What a reservation did.
pub(super) enum Reservation {
    Done,
    /// No room (bounded only): the free slots hold values or are reserved.
    Full,
    Closed,
}

/// What a pop found.
pub(super) enum Pop<T> {
    Value(T),
    Empty,
    /// Closed and drained: nothing will ever arrive.
    Closed,
}

// One per channel, inside its `Arc`: the ring's cache-line padding makes it large, and boxing
// it would put a pointer chase on every send and receive.
#[allow(clippy::large_enum_variant)]
pub(super) enum Queue<T> {
    Bounded(Ring<T>),
    Unbounded(Segments<T>),
}

impl<T> Queue<T> {
    #[inline]
    pub(super) fn push(&self, value: T) -> Push<T> {
        match self {
            Queue::Bounded(ring) => ring.push(value),
            Queue::Unbounded(segments) => segments.push(value),
        }
    }

    #[inline]
    pub(super) fn pop(&self) -> Pop<T> {
        match self {
            Queue::Bounded(ring) => ring.pop(),
            Queue::Unbounded(segments) => segments.pop(),
        }
    }

    /// Reserves room for `n` values, all or none (`n` at most [`Queue::max_reservation`]).
    /// Zero values need no room: only a closed queue refuses them.
    #[inline]
    pub(super) fn reserve(&self, n: usize) -> Reservation {
        if n == 0 {
            return if self.is_closed() {
                Reservation::Closed
            } else {
                Reservation::Done
            };
        }
        match self {
            Queue::Bounded(ring) => ring.reserve(n),
            Queue::Unbounded(segments) => segments.reserve(n),
        }
    }

    /// The most values one reservation may ask for: a bounded ring can never have more permits
    /// out than its capacity or its permit counter's width allows.
    pub(super) fn max_reservation(&self) -> usize {
        match self {
            Queue::Bounded(ring) => ring.max_reservation(),
            Queue::Unbounded(_) => usize::MAX,
        }
    }

    /// Pushes on a permit from [`Queue::reserve`]; this cannot fail, even after a close.
    /// Returns whether the queue is closed and that was the last permit out.
    #[inline]
    pub(super) fn send_reserved(&self, value: T) -> bool {
        match self {
            Queue::Bounded(ring) => ring.send_reserved(value),
            Queue::Unbounded(segments) => segments.send_reserved(value),
        }
    }

    /// Gives `n` unused permits back; returns whether the queue is closed and those were the
    /// last permits out.
    pub(super) fn release(&self, n: usize) -> bool {
        match self {
            Queue::Bounded(ring) => ring.release(n),
            Queue::Unbounded(segments) => segments.release(n),
        }
    }

    /// Closes the queue; true for the call that closed it.
    pub(super) fn close(&self) -> bool {
        match self {
            Queue::Bounded(ring) => ring.close(),
            Queue::Unbounded(segments) => segments.close(),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        match self {
            Queue::Bounded(ring) => ring.is_closed(),
            Queue::Unbounded(segments) => segments.is_closed(),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Queue::Bounded(ring) => ring.len(),
            Queue::Unbounded(segments) => segments.len(),
        }
    }

    pub(super) fn capacity(&self) -> Option<usize> {
        match self {
            Queue::Bounded(ring) => Some(ring.capacity()),
            Queue::Unbounded(_) => None,
        }
    }
}
