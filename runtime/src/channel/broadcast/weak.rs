//! [`WeakSender`]: a handle that can become a [`Sender`] but does not keep the channel open.
//!
//! It shares the channel's allocation but not its sender count, the one thing that decides
//! when receivers see [`RecvError::Closed`](super::RecvError::Closed). [`WeakSender::upgrade`]
//! raises that count with a compare-and-swap that never moves it off zero, so once the last
//! sender's drop has closed the channel no weak handle can reopen it. Weak handles have a
//! counter of their own, read only by `weak_count`, so strong handles and sends pay nothing
//! for them.

use std::fmt;

use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::Arc;

use super::{Receiver, Sender, Shared};

/// A broadcast sender that does not keep the channel open; [`upgrade`](Self::upgrade) it to
/// send.
///
/// Made by [`Sender::downgrade`]. For a task that may send while the channel is in use but
/// must not be the reason its receivers never see the end.
///
/// ```
/// use blitz_io::channel::broadcast::{self, TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel::<u32>(4);
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().send(1).unwrap();
/// drop(tx); // the last real sender: the channel closes
/// assert!(weak.upgrade().is_none());
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A [`WeakSender`] for this channel, which does not keep it open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(self.shared.clone())
    }

    /// How many [`Sender`]s the channel has right now, this one included (the same number
    /// as [`sender_count`](Self::sender_count), under Tokio's name).
    ///
    /// ```
    /// let (tx, _rx) = blitz_io::channel::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let tx2 = tx.clone();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (2, 1));
    /// drop(tx2);
    /// assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// How many [`WeakSender`]s the channel has right now.
    pub fn weak_count(&self) -> usize {
        self.shared.weak_senders.load(Relaxed)
    }
}

impl<T> Receiver<T> {
    /// How many [`Sender`]s the channel has right now (0 once it is closed for good).
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    /// drop(tx);
    /// assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    /// # drop(weak);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// How many [`WeakSender`]s the channel has right now.
    pub fn sender_weak_count(&self) -> usize {
        self.shared.weak_senders.load(Relaxed)
    }
}

impl<T> WeakSender<T> {
    fn new(shared: Arc<Shared<T>>) -> WeakSender<T> {
        shared.weak_senders.fetch_add(1, Relaxed);
        WeakSender { shared }
    }

    /// A sender for the channel, or `None` once every sender has been dropped (the channel
    /// is then closed for good). A channel with senders but no receiver still upgrades; its
    /// sends fail, as on any sender, until someone subscribes.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        // Never from zero: the drop that reached zero has closed the channel.
        self.shared
            .senders
            .fetch_update(Relaxed, Relaxed, |senders| {
                (senders > 0).then(|| senders + 1)
            })
            .ok()
            .map(|_| Sender {
                shared: self.shared.clone(),
            })
    }

    /// How many [`Sender`]s the channel has right now (0 once `upgrade` can no longer
    /// succeed).
    pub fn strong_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// How many [`WeakSender`]s the channel has right now, this one included.
    pub fn weak_count(&self) -> usize {
        self.shared.weak_senders.load(Relaxed)
    }

    /// Whether both handles belong to the same channel.
    pub fn same_channel(&self, other: &WeakSender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender::new(self.shared.clone())
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.weak_senders.fetch_sub(1, Relaxed);
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}
