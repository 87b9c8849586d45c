//! The portable part of signal handling: one slot per signal (a Unix signal number, or a
//! Windows console event), each a version counter that listeners compare against.
//!
//! A platform's handler calls [`mark_pending`] (async-signal-safe: one atomic store) and
//! arranges for [`publish_pending`] to run on an ordinary thread — on Unix the driver that
//! sees the self-pipe readable, on Windows the console handler's own thread. Publishing bumps
//! the slot's version and wakes every listener; deliveries that come faster than a listener
//! receives them coalesce into one.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use crate::util::wake_batch::register_waker;

/// Slots: signal numbers 1..=64 on Unix (covers the real-time signals on Linux); the console
/// control events `CTRL_C_EVENT` (0) and `CTRL_BREAK_EVENT` (1) on Windows.
#[cfg(unix)]
pub(crate) const SLOTS: usize = 65;
#[cfg(windows)]
pub(crate) const SLOTS: usize = 2;

struct Slot {
    pending: AtomicBool,
    /// Deliveries published so far.
    version: AtomicU64,
    listeners: Mutex<Vec<Weak<Listener>>>,
    /// `Some` once a handler was installed (or refused, with why).
    installed: Mutex<Option<Result<(), String>>>,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise `TABLE`
const EMPTY: Slot = Slot {
    pending: AtomicBool::new(false),
    version: AtomicU64::new(0),
    listeners: Mutex::new(Vec::new()),
    installed: Mutex::new(None),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// One listener's view: the deliveries it has seen and the task waiting for more.
pub(crate) struct Listener {
    index: usize,
    seen: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Listener {
    /// Ready once a delivery newer than the last one seen was published.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<()> {
        let slot = &TABLE[self.index];
        let take = || {
            let version = slot.version.load(Acquire);
            (version > self.seen.load(Relaxed)).then(|| self.seen.store(version, Relaxed))
        };
        if take().is_some() {
            return Poll::Ready(());
        }
        register_waker(
            &mut self.waker.lock().unwrap_or_else(|e| e.into_inner()),
            cx.waker(),
        );
        match take() {
            Some(()) => Poll::Ready(()),
            None => Poll::Pending,
        }
    }
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("signal", &self.index)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// Runs `install` the first time slot `index` is asked for (its outcome, a refusal included,
/// is remembered for the life of the process).
pub(crate) fn install_once(
    index: usize,
    install: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let mut installed = TABLE[index]
        .installed
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match installed.get_or_insert_with(|| install().map_err(|e| e.to_string())) {
        Ok(()) => Ok(()),
        Err(reason) => Err(io::Error::other(reason.clone())),
    }
}

/// A listener that sees the deliveries of slot `index` published from now on.
pub(crate) fn listen(index: usize) -> Arc<Listener> {
    let slot = &TABLE[index];
    let listener = Arc::new(Listener {
        index,
        seen: AtomicU64::new(slot.version.load(Acquire)),
        waker: Mutex::new(None),
    });
    let mut listeners = slot.listeners.lock().unwrap_or_else(|e| e.into_inner());
    listeners.retain(|weak| weak.strong_count() > 0);
    listeners.push(Arc::downgrade(&listener));
    listener
}

/// Notes a delivery for slot `index`. Async-signal-safe: one atomic store, no allocation, no
/// lock.
pub(crate) fn mark_pending(index: usize) {
    if let Some(slot) = TABLE.get(index) {
        slot.pending.store(true, SeqCst);
    }
}

/// Publishes every pending delivery and wakes its listeners. Not for a signal handler: it
/// locks and wakes.
pub(crate) fn publish_pending() {
    for slot in &TABLE {
        if slot.pending.swap(false, SeqCst) {
            slot.version.fetch_add(1, AcqRel);
            let listeners = slot.listeners.lock().unwrap_or_else(|e| e.into_inner());
            let wakers: Vec<Waker> = listeners
                .iter()
                .filter_map(Weak::upgrade)
                .filter_map(|l| l.waker.lock().unwrap_or_else(|e| e.into_inner()).take())
                .collect();
            drop(listeners);
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}
