//! Readiness: what a task asks the driver for ([`Interest`]) and what the driver reports
//! ([`Ready`]). Both are small bit sets; the driver stores `Ready` bits in one atomic word per
//! registered socket.

use std::fmt;
use std::ops;

/// What a task waits for on a socket: readable, writable, or both.
///
/// ```
/// use blitz_io::io::Interest;
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Data (or a connection, or end of stream) can be read.
    pub const READABLE: Interest = Interest(0b01);
    /// Data can be written.
    pub const WRITABLE: Interest = Interest(0b10);

    /// True when this includes [`Interest::READABLE`].
    pub const fn is_readable(self) -> bool {
        self.0 & Interest::READABLE.0 != 0
    }

    /// True when this includes [`Interest::WRITABLE`].
    pub const fn is_writable(self) -> bool {
        self.0 & Interest::WRITABLE.0 != 0
    }

    /// Both interests together (`const` form of `|`).
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The readiness bits that satisfy this interest (closed and error states count: the
    /// operation will not block, it will fail or return end of stream).
    pub(crate) fn mask(self) -> Ready {
        let mut ready = Ready::ERROR;
        if self.is_readable() {
            ready = ready | Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.is_writable() {
            ready = ready | Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        ready
    }

    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        }
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

/// What the driver saw on a socket: returned by `ready(interest)` futures.
///
/// ```
/// use blitz_io::io::Ready;
/// assert!(!Ready::EMPTY.is_readable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ready(u8);

impl Ready {
    /// Nothing.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(0b0_0001);
    /// Writable.
    pub const WRITABLE: Ready = Ready(0b0_0010);
    /// The read side is closed (end of stream, or the peer hung up).
    pub const READ_CLOSED: Ready = Ready(0b0_0100);
    /// The write side is closed.
    pub const WRITE_CLOSED: Ready = Ready(0b0_1000);
    /// An error is pending on the socket.
    pub const ERROR: Ready = Ready(0b1_0000);

    pub(crate) const fn from_bits(bits: u8) -> Ready {
        Ready(bits & 0b1_1111)
    }

    pub(crate) const fn bits(self) -> u8 {
        self.0
    }

    /// True when no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Readable (or read-closed: a read returns at once).
    pub const fn is_readable(self) -> bool {
        self.0 & (Ready::READABLE.0 | Ready::READ_CLOSED.0) != 0
    }

    /// Writable (or write-closed: a write fails at once).
    pub const fn is_writable(self) -> bool {
        self.0 & (Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0) != 0
    }

    /// The read side is closed.
    pub const fn is_read_closed(self) -> bool {
        self.0 & Ready::READ_CLOSED.0 != 0
    }

    /// The write side is closed.
    pub const fn is_write_closed(self) -> bool {
        self.0 & Ready::WRITE_CLOSED.0 != 0
    }

    /// An error is pending.
    pub const fn is_error(self) -> bool {
        self.0 & Ready::ERROR.0 != 0
    }

    pub(crate) fn intersection(self, interest: Interest) -> Ready {
        Ready(self.0 & interest.mask().0)
    }

    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() {
            ready = ready | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready = ready | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready = ready | Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready = ready | Ready::ERROR;
        }
        ready
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &(self.0 & Ready::READABLE.0 != 0))
            .field("writable", &(self.0 & Ready::WRITABLE.0 != 0))
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("error", &self.is_error())
            .finish()
    }
}
