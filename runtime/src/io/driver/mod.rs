//! The I/O driver: one per runtime, one interface, two backends.
//!
//! - **mio** (epoll, kqueue, IOCP): readiness based. Sockets are registered edge-triggered for
//!   reads and writes once; events set readiness bits in the socket's [`ScheduledIo`].
//! - **io_uring** (Linux): completion based. Owned-buffer operations submit real `RECV`/`SEND`
//!   ops; readiness (for the `AsyncRead`/`AsyncWrite` and try-op paths) comes from an epoll
//!   instance that the ring polls (see `uring_backend` for why not per-socket `POLL_ADD`s).
//!
//! Either way the socket side sees the same thing: a [`ScheduledIo`] whose readiness bits the
//! driver sets and whose waiters it wakes, so `net` is written once.
//!
//! Where it lives: one driver per runtime, shared by every worker (decision and measurements in
//! `docs/decisions.md`). The scheduler thread that holds the time driver's token parks *inside*
//! this driver (`epoll_wait` / `io_uring_enter` with the next timer's deadline as timeout);
//! waking that thread goes through the driver's own waker (an eventfd on Linux, on both
//! backends; elsewhere mio's `Waker`: a kqueue user event, an IOCP completion packet). Busy
//! workers poll it without blocking on their maintenance interval (every `event_interval`
//! tasks, 61 by default). Only one thread turns the driver at a time: a busy worker's
//! non-blocking turn skips the driver while another thread turns it, and only a parking
//! thread's blocking turn waits for the lock ([`lock_for_turn`]).

#[cfg(all(test, blitz_loom))]
mod loom_tests;
mod mio_backend;
pub(crate) mod scheduled_io;
mod slab;
#[cfg(target_os = "linux")]
pub(crate) mod uring_backend;

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub(crate) use scheduled_io::{Direction, ReadyEvent, ScheduledIo};

use crate::io::ready::{Interest, Ready};
use crate::runtime::{Backend, BuildError};
use crate::util::wake_batch::WakeBatch;
use slab::Slab;

/// The driver's own tokens, above every socket token.
const WAKE_TOKEN: usize = slab::MAX_TOKEN;
#[cfg(unix)]
pub(crate) const SIGNAL_TOKEN: usize = slab::MAX_TOKEN + 1;

/// How many readiness events a turn takes from the OS at most, unless the builder's
/// `max_io_events_per_tick` says otherwise (Tokio's default too).
pub(crate) const DEFAULT_EVENTS_PER_TICK: usize = 1024;

/// How many sockets a turn looks up per hold of the registration table's lock.
const DISPATCH_CHUNK: usize = 16;

/// What a backend's turn hands each batch of readiness events to: `(token, readiness)` pairs.
pub(crate) type Dispatch<'a> = &'a mut dyn FnMut(&mut dyn Iterator<Item = (usize, Ready)>);

/// Takes a backend's turn lock for a turn of up to `timeout`, the one rule both backends
/// follow. A non-blocking turn (zero timeout: a busy worker's maintenance) gives up at once,
/// returning `None`, while another thread turns the driver. A blocking turn (a parking thread)
/// waits for the lock: returning at once instead would send its park loop round again and
/// again, spinning hot for as long as the other turn lasts, which is long when that thread is
/// preempted mid-turn (more workers than CPUs). No wake is lost while it waits: a wake sets its
/// parker's state first, and [`turn_timeout`] re-reads it once the lock is held.
fn lock_for_turn<T>(lock: &Mutex<T>, timeout: Option<Duration>) -> Option<MutexGuard<'_, T>> {
    if timeout == Some(Duration::ZERO) {
        lock.try_lock().ok()
    } else {
        Some(lock.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// How long a turn whose lock is held may wait: `timeout`, or not at all once the thread it
/// turns for is no longer parked (`may_block()` false; see [`Driver::turn_parked`]).
fn turn_timeout(timeout: Option<Duration>, may_block: &dyn Fn() -> bool) -> Option<Duration> {
    if may_block() {
        timeout
    } else {
        Some(Duration::ZERO)
    }
}

pub(crate) struct Driver {
    poller: Poller,
    registrations: Mutex<Slab>,
    active: Backend,
    fallback_reason: Option<String>,
    is_shutdown: AtomicBool,
    #[cfg(unix)]
    signals_registered: AtomicBool,
    /// Sockets currently registered.
    sockets: std::sync::atomic::AtomicUsize,
    turns: AtomicU64,
    events: AtomicU64,
}

enum Poller {
    Mio(mio_backend::MioPoller),
    #[cfg(target_os = "linux")]
    Uring(Box<uring_backend::UringPoller>),
}

impl Driver {
    /// Starts the backend `requested` asks for (after the `BLITZ_IO_BACKEND` override of
    /// `Auto`). A forced backend that cannot start is an error; `Auto` falls back to mio and
    /// records why. A turn handles at most `events_per_tick` readiness events (at least 1).
    pub(crate) fn new(requested: Backend, events_per_tick: usize) -> Result<Driver, BuildError> {
        let from_env = backend_from_env();
        let (poller, fallback_reason) = choose(requested, from_env, events_per_tick, uring_poller)?;
        let active = match poller {
            Poller::Mio(_) => Backend::Mio,
            #[cfg(target_os = "linux")]
            Poller::Uring(_) => Backend::IoUring,
        };
        Ok(Driver {
            poller,
            registrations: Mutex::new(Slab::default()),
            active,
            fallback_reason,
            is_shutdown: AtomicBool::new(false),
            #[cfg(unix)]
            signals_registered: AtomicBool::new(false),
            sockets: std::sync::atomic::AtomicUsize::new(0),
            turns: AtomicU64::new(0),
            events: AtomicU64::new(0),
        })
    }

    /// The backend in use: never `Auto`.
    pub(crate) fn backend(&self) -> Backend {
        self.active
    }

    /// Why `Auto` did not get io_uring, if it did not.
    pub(crate) fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// Whether any socket is registered (so someone should be waiting in the driver).
    pub(crate) fn has_sockets(&self) -> bool {
        self.sockets.load(Relaxed) > 0
    }

    /// (turns, events dispatched) so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.turns.load(Relaxed), self.events.load(Relaxed))
    }

    /// Adds a socket. `source` is registered with the OS poller (mio) under the new token.
    pub(crate) fn register<S>(
        &self,
        source: &mut S,
        interest: Interest,
    ) -> io::Result<(usize, Arc<ScheduledIo>)>
    where
        S: mio::event::Source + ?Sized,
    {
        let shared = Arc::new(ScheduledIo::new());
        let token = {
            let mut table = self.registrations.lock().unwrap_or_else(|e| e.into_inner());
            // Checked under the table's lock: `shutdown` sets the flag and then takes the lock
            // to mark every socket, so a socket is either refused here or in the table when
            // `shutdown` marks it. (Checked before the lock, one added meanwhile was neither,
            // and its waits never ended.)
            if self.is_shutdown.load(Acquire) {
                return Err(scheduled_io::shut_down());
            }
            table.insert(shared.clone()).ok_or_else(|| {
                io::Error::other("too many sockets registered with one runtime (2^24)")
            })?
        };
        self.sockets.fetch_add(1, Relaxed);
        let registered = match &self.poller {
            Poller::Mio(mio) => mio.register(source, token, interest),
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => uring.register(source, token, interest),
        };
        if let Err(error) = registered {
            self.remove(token);
            return Err(error);
        }
        Ok((token, shared))
    }

    /// Takes `source` out of the OS poller (mio); call before the fd is closed.
    pub(crate) fn deregister_source<S>(&self, source: &mut S)
    where
        S: mio::event::Source + ?Sized,
    {
        // An error here means the fd was never or is no longer registered: nothing to undo.
        let _ = match &self.poller {
            Poller::Mio(mio) => mio.deregister(source),
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => uring.deregister(source),
        };
    }

    /// Forgets a socket: later events for its token are dropped.
    pub(crate) fn remove(&self, token: usize) {
        let removed = self
            .registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
        if let Some(shared) = removed {
            shared.clear_wakers();
            self.sockets.fetch_sub(1, Relaxed);
        }
    }

    /// Dispatches the readiness there is right now, without blocking: a busy scheduler's
    /// periodic poll. With no socket and no signal pipe registered there is nothing to
    /// dispatch, so it skips the turn and its syscall (an `epoll_wait` or `io_uring_enter` per
    /// `event_interval` polls and per round of yields; Tokio makes it anyway).
    pub(crate) fn poll_now(&self) {
        #[cfg(unix)]
        let signals = self.signals_registered.load(Acquire);
        // Elsewhere signals do not come through the driver.
        #[cfg(not(unix))]
        let signals = false;
        if self.has_sockets() || signals {
            self.turn(Some(Duration::ZERO));
        }
    }

    /// Waits up to `timeout` (`None`: until woken) for events and wakes their tasks. Returns
    /// at once, doing nothing, if another thread is turning the driver.
    pub(crate) fn turn(&self, timeout: Option<Duration>) {
        self.turn_parked(timeout, &|| true);
    }

    /// As [`turn`](Self::turn) for a parked thread: `still_parked` is checked after the turn
    /// lock is taken, and a thread that was woken meanwhile does not block. Without that
    /// check a wake could be lost: the waker's event (an eventfd write) can be consumed by a
    /// busy worker's non-blocking turn between the parker publishing "parked" and taking the
    /// lock, and the parker would then sleep on an event that already came and went. Once the
    /// lock is held, no other turn can take the event.
    pub(crate) fn turn_parked(&self, timeout: Option<Duration>, still_parked: &dyn Fn() -> bool) {
        self.turns.fetch_add(1, Relaxed);
        let mut batch = WakeBatch::new();
        let mut dispatch = |events: &mut dyn Iterator<Item = (usize, Ready)>| {
            // Sockets are looked up under the table's lock a chunk at a time, and their
            // readiness set (which fires wakes once the batch is full) after it is released:
            // a wake can run foreign code, which may drop a socket and take that lock again.
            let mut found: [Option<(Arc<ScheduledIo>, Ready)>; DISPATCH_CHUNK] = Default::default();
            let mut count = 0u64;
            let mut more = true;
            while more {
                let mut filled = 0;
                let mut registrations = None;
                more = false;
                for (token, ready) in &mut *events {
                    if token >= WAKE_TOKEN {
                        #[cfg(unix)]
                        if token == SIGNAL_TOKEN {
                            crate::signal::self_pipe::on_driver_event();
                        }
                        continue;
                    }
                    count += 1;
                    let table = registrations.get_or_insert_with(|| {
                        self.registrations.lock().unwrap_or_else(|e| e.into_inner())
                    });
                    if let Some(shared) = table.get(token) {
                        found[filled] = Some((shared.clone(), ready));
                        filled += 1;
                        if filled == DISPATCH_CHUNK {
                            more = true;
                            break;
                        }
                    }
                }
                drop(registrations);
                for (shared, ready) in found[..filled].iter_mut().filter_map(Option::take) {
                    shared.set_readiness(ready, &mut batch);
                }
            }
            batch.wake_all();
            self.events.fetch_add(count, Relaxed);
        };
        match &self.poller {
            Poller::Mio(mio) => mio.turn(timeout, still_parked, &mut dispatch),
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => uring.turn(timeout, still_parked, &mut dispatch),
        }
    }

    /// Hands the kernel every io_uring entry pushed but not yet submitted (nothing on mio).
    /// A scheduler thread calls this before it parks outside the driver: entries it pushed
    /// wait for its own next driver poll (see `uring_backend`), which a parked thread would
    /// not make.
    pub(crate) fn flush_submissions(&self) {
        #[cfg(target_os = "linux")]
        if let Poller::Uring(uring) = &self.poller {
            uring.flush();
        }
    }

    /// Whether a thread about to wait in this driver would spin for nothing first. A spin
    /// watches only the thread's parker: readiness on a registered socket cannot end it, and
    /// io_uring entries still queued (none on mio) cannot complete before the enter that
    /// submits them.
    pub(crate) fn spin_cannot_help(&self) -> bool {
        if self.has_sockets() {
            return true;
        }
        match &self.poller {
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => uring.unsubmitted() > 0,
            Poller::Mio(_) => false,
        }
    }

    /// Wakes the thread blocked in [`turn`](Self::turn), if any.
    pub(crate) fn unpark(&self) {
        match &self.poller {
            Poller::Mio(mio) => mio.unpark(),
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => uring.unpark(),
        }
    }

    /// Runtime shutdown: every socket's waits end with an error, new registrations fail.
    pub(crate) fn shutdown(&self) {
        if self.is_shutdown.swap(true, AcqRel) {
            return;
        }
        // Marked outside the table's lock: a wake can run foreign code, which may drop a
        // socket and so take that lock again. Sockets registered from here on are refused
        // (`register` checks the flag under the lock).
        let mut sockets = Vec::new();
        self.registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .for_each(|shared| sockets.push(shared.clone()));
        let mut batch = WakeBatch::new();
        for shared in sockets {
            if !batch.can_push() {
                batch.wake_all();
            }
            shared.shutdown(&mut batch);
        }
        batch.wake_all();
        #[cfg(target_os = "linux")]
        if let Poller::Uring(uring) = &self.poller {
            uring.shutdown();
        }
    }

    #[cfg(target_os = "linux")]
    pub(crate) fn uring(&self) -> Option<&uring_backend::UringPoller> {
        match &self.poller {
            Poller::Uring(uring) => Some(uring),
            Poller::Mio(_) => None,
        }
    }

    /// Whether the signal pipe is registered (or being registered) with this driver.
    #[cfg(unix)]
    pub(crate) fn signals_registered(&self) -> bool {
        self.signals_registered.load(Acquire)
    }

    /// True the first time: the caller then registers the signal pipe.
    #[cfg(unix)]
    pub(crate) fn mark_signals_registered(&self) -> bool {
        !self.signals_registered.swap(true, AcqRel)
    }

    #[cfg(unix)]
    pub(crate) fn unmark_signals_registered(&self) {
        self.signals_registered.store(false, Release);
    }

    /// Registers one of the driver's own sources (the signal pipe) under `token`.
    #[cfg(unix)]
    pub(crate) fn register_own<S>(&self, source: &mut S, token: usize) -> io::Result<()>
    where
        S: mio::event::Source + std::os::fd::AsRawFd,
    {
        match &self.poller {
            Poller::Mio(mio) => mio.register(source, token, Interest::READABLE),
            #[cfg(target_os = "linux")]
            Poller::Uring(uring) => {
                uring.watch_own(source.as_raw_fd(), token);
                uring.unpark();
                Ok(())
            }
        }
    }
}

/// Picks the backend: a forced one or nothing; `Auto` (after the environment's override)
/// tries io_uring and falls back to mio with the reason.
fn choose(
    requested: Backend,
    from_env: Option<Backend>,
    events: usize,
    uring: impl FnOnce(usize) -> Result<Poller, String>,
) -> Result<(Poller, Option<String>), BuildError> {
    let requested = match requested {
        Backend::Auto => from_env.unwrap_or(Backend::Auto),
        forced => forced,
    };
    match requested {
        Backend::Mio => Ok((mio_poller(events)?, None)),
        Backend::IoUring => uring(events)
            .map(|poller| (poller, None))
            .map_err(|reason| BuildError::BackendUnavailable {
                backend: Backend::IoUring,
                reason,
            }),
        _ => match uring(events) {
            Ok(poller) => Ok((poller, None)),
            Err(reason) => {
                log_fallback(&reason);
                Ok((mio_poller(events)?, Some(reason)))
            }
        },
    }
}

fn mio_poller(events: usize) -> Result<Poller, BuildError> {
    mio_backend::MioPoller::new(events)
        .map(Poller::Mio)
        .map_err(|error| BuildError::BackendUnavailable {
            backend: Backend::Mio,
            reason: error.to_string(),
        })
}

fn uring_poller(events: usize) -> Result<Poller, String> {
    #[cfg(target_os = "linux")]
    {
        uring_backend::UringPoller::new(events).map(|uring| Poller::Uring(Box::new(uring)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = events;
        Err("io_uring exists only on Linux".to_owned())
    }
}

/// `BLITZ_IO_BACKEND=io_uring|mio`; anything else is ignored (with a log line).
fn backend_from_env() -> Option<Backend> {
    parse_backend(&std::env::var("BLITZ_IO_BACKEND").ok()?)
}

fn parse_backend(value: &str) -> Option<Backend> {
    match value.trim().to_ascii_lowercase().as_str() {
        "io_uring" | "io-uring" | "uring" => Some(Backend::IoUring),
        "mio" => Some(Backend::Mio),
        "" | "auto" => None,
        other => {
            eprintln!("blitz-io: ignoring BLITZ_IO_BACKEND={other:?} (expected io_uring or mio)");
            None
        }
    }
}

/// One log line per process: a fallback usually has one cause (seccomp, a sysctl, an old
/// kernel) that every runtime built afterwards would repeat.
fn log_fallback(reason: &str) {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Relaxed) {
        eprintln!("blitz-io: io_uring unavailable ({reason}); using the mio backend");
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("backend", &self.active)
            .field("fallback_reason", &self.fallback_reason)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::*;

    fn kind(poller: &Poller) -> Backend {
        match poller {
            Poller::Mio(_) => Backend::Mio,
            #[cfg(target_os = "linux")]
            Poller::Uring(_) => Backend::IoUring,
        }
    }

    const EVENTS: usize = DEFAULT_EVENTS_PER_TICK;

    fn refused(_events: usize) -> Result<Poller, String> {
        Err("io_uring_setup failed: Operation not permitted (seccomp)".to_owned())
    }

    #[test]
    fn auto_falls_back_to_mio_and_says_why() {
        let (poller, reason) = choose(Backend::Auto, None, EVENTS, refused).unwrap();
        assert_eq!(kind(&poller), Backend::Mio);
        assert!(reason.unwrap().contains("seccomp"));
    }

    #[test]
    fn a_forced_io_uring_that_cannot_start_is_a_build_error() {
        let error = choose(Backend::IoUring, None, EVENTS, refused)
            .err()
            .expect("no fallback");
        assert!(matches!(
            error,
            BuildError::BackendUnavailable { backend: Backend::IoUring, ref reason } if reason.contains("seccomp")
        ));
        // The environment overrides Auto only.
        let error = choose(Backend::Auto, Some(Backend::IoUring), EVENTS, refused).err();
        assert!(error.is_some());
        let (poller, reason) =
            choose(Backend::Mio, Some(Backend::IoUring), EVENTS, refused).unwrap();
        assert_eq!((kind(&poller), reason), (Backend::Mio, None));
    }

    #[test]
    fn the_environment_variable_is_parsed_leniently() {
        assert_eq!(parse_backend("io_uring"), Some(Backend::IoUring));
        assert_eq!(parse_backend(" MIO "), Some(Backend::Mio));
        assert_eq!(parse_backend("auto"), None);
        assert_eq!(parse_backend("epoll"), None);
    }
}
