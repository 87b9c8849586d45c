//! [`WeakSender`]: a handle that refers to a channel without counting as a sender.
//!
//! It shares the channel's allocation (so values buffered in it stay alive while a weak
//! handle does) but not its sender count, which is all that keeps the channel open from the
//! sending side. [`WeakSender::upgrade`] raises that count with a compare-and-swap that never
//! moves it off zero: once the last real sender has gone and closed the channel, no weak
//! handle can bring a sender back.

use core::fmt;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;

use super::{Chan, Sender};

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
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakSender<T> {
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
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::WeakSender").finish_non_exhaustive()
    }
}
