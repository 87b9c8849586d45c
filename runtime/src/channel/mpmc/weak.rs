//! [`WeakSender`]: a handle that refers to a channel without counting as a sender.
//!
//! It shares the channel's allocation (so values buffered in it stay alive while a weak
//! handle does) but not its sender count, which is all that keeps the channel open from the
//! sending side. [`WeakSender::upgrade`] raises that count with a compare-and-swap that never
//! moves it off zero: once the last real sender has gone and closed the channel, no weak
//! handle can bring a sender back. Weak handles are counted too, in a counter of their own
//! that only `weak_count` reads, so that count costs the strong handles nothing.

use core::fmt;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;

use super::{Chan, Receiver, Sender};

/// A sender that does not keep the channel open; [`upgrade`](Self::upgrade) it to send.
///
/// Made by [`Sender::downgrade`]. Useful where a task must be able to send but must not be
/// the reason the receivers never see the end (a registry of subscribers, a back-reference
/// from a worker to its own queue).
///
/// ```
/// use blitz_io::channel::mpmc;
///
/// let (tx, rx) = mpmc::unbounded::<u32>();
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().try_send(1).unwrap();
/// drop(tx); // the last real sender: the channel closes
/// assert!(weak.upgrade().is_none());
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert!(rx.try_recv().is_err());
/// ```
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// A [`WeakSender`] for this channel, which does not keep it open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(self.chan.clone())
    }

    /// How many [`Sender`]s this channel has right now, this one included.
    ///
    /// ```
    /// let (tx, _rx) = blitz_io::channel::mpmc::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// let tx2 = tx.clone();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (2, 1));
    /// drop(tx2);
    /// assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// How many [`WeakSender`]s this channel has right now.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_sender_count()
    }
}

impl<T> Receiver<T> {
    /// How many [`Sender`]s the channel has right now (0 once they are all gone).
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::mpmc::bounded::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    /// drop(tx);
    /// assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    /// # drop(weak);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// How many [`WeakSender`]s the channel has right now.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.weak_sender_count()
    }
}

impl<T> WeakSender<T> {
    fn new(chan: Arc<Chan<T>>) -> WeakSender<T> {
        chan.weak_senders.fetch_add(1, Ordering::Relaxed);
        WeakSender { chan }
    }

    /// How many [`Sender`]s the channel has right now (0 once [`upgrade`](Self::upgrade)
    /// can no longer succeed).
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// How many [`WeakSender`]s the channel has right now, this one included.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_sender_count()
    }

    /// A sender for the channel, or `None` once every sender has been dropped. (A channel
    /// closed by its receivers or by `close()` while senders remain still upgrades; sending on
    /// it fails, as on any sender.)
    pub fn upgrade(&self) -> Option<Sender<T>> {
        // Never from zero: the drop that reached zero has closed the channel for good.
        self.chan
            .senders
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |senders| {
                (senders > 0).then(|| senders + 1)
            })
            .ok()
            .map(|_| Sender::new(self.chan.clone()))
    }

    /// Whether both handles belong to the same channel.
    pub fn same_channel(&self, other: &WeakSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender::new(self.chan.clone())
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.chan.weak_senders.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::WeakSender").finish_non_exhaustive()
    }
}
