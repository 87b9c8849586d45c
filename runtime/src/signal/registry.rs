//! The process-wide part of signal handling: the self-pipe, one `watch` channel per signal
//! number, and the handler that feeds them.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Mutex, OnceLock};

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use crate::util::wake_batch::register_waker;

/// Signal numbers 1..=64 (covers the real-time signals on Linux).
const SIGNALS: usize = 65;

struct Slot {
    pending: AtomicBool,
    /// Deliveries published so far.
    version: AtomicU64,
    listeners: Mutex<Vec<Weak<Listener>>>,
    /// `Some` once a handler was installed (or refused, with why).
    installed: Mutex<Option<Result<(), String>>>,
}

struct Globals {
    /// The handler writes here; drivers watch `reader`.
    writer: mio::net::UnixStream,
    reader: mio::net::UnixStream,
    slots: Vec<Slot>,
}

fn globals() -> io::Result<&'static Globals> {
    static GLOBALS: OnceLock<io::Result<Globals>> = OnceLock::new();
    GLOBALS
        .get_or_init(|| {
            let (writer, reader) = mio::net::UnixStream::pair()?;
            let slots = (0..SIGNALS)
                .map(|_| Slot {
                    pending: AtomicBool::new(false),
                    version: AtomicU64::new(0),
                    listeners: Mutex::new(Vec::new()),
                    installed: Mutex::new(None),
                })
                .collect();
            Ok(Globals {
                writer,
                reader,
                slots,
            })
        })
        .as_ref()
        .map_err(|error| io::Error::new(error.kind(), error.to_string()))
}

/// One `Signal`'s view: the deliveries it has seen and the task waiting for more.
pub(crate) struct Listener {
    index: usize,
    seen: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Listener {
    /// Ready once a delivery newer than the last one seen was published.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<()> {
        let Ok(globals) = globals() else {
            return Poll::Pending;
        };
        let slot = &globals.slots[self.index];
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

/// Installs the handler for `signal` (once per process) and returns a listener that sees the
/// deliveries from now on.
pub(crate) fn subscribe(signal: i32) -> io::Result<Arc<Listener>> {
    let globals = globals()?;
    let index = usize::try_from(signal)
        .ok()
        .filter(|&i| (1..SIGNALS).contains(&i))
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("no signal {signal}"))
        })?;
    const FORBIDDEN: [i32; 6] = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGBUS,
    ];
    if FORBIDDEN.contains(&signal) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signal} cannot be handled (it is uncatchable or a fault signal)"),
        ));
    }
    let slot = &globals.slots[index];
    let mut installed = slot.installed.lock().unwrap_or_else(|e| e.into_inner());
    let outcome =
        installed.get_or_insert_with(|| install(signal, index).map_err(|e| e.to_string()));
    if let Err(reason) = outcome {
        return Err(io::Error::other(format!(
            "cannot listen for signal {signal}: {reason}"
        )));
    }
    drop(installed);
    register_with_current_driver(globals)?;
    let listener = Arc::new(Listener {
        index,
        seen: AtomicU64::new(slot.version.load(Acquire)),
        waker: Mutex::new(None),
    });
    let mut listeners = slot.listeners.lock().unwrap_or_else(|e| e.into_inner());
    listeners.retain(|weak| weak.strong_count() > 0);
    listeners.push(Arc::downgrade(&listener));
    Ok(listener)
}

fn install(signal: i32, index: usize) -> io::Result<()> {
    let fd = globals()?.writer.as_raw_fd();
    let action = move || {
        if let Ok(globals) = globals() {
            globals.slots[index].pending.store(true, SeqCst);
        }
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; it writes one byte from a live local to the
        // self-pipe, which lives for the whole process. A full pipe already means "woken".
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    };
    // SAFETY: the action only does async-signal-safe things: an atomic store (`globals()` has
    // already been initialised, so `get_or_init` is a plain load) and a `write`.
    unsafe { signal_hook_registry::register(signal, action) }.map(drop)
}

/// Makes the current runtime's driver watch the self-pipe (once per driver).
fn register_with_current_driver(globals: &'static Globals) -> io::Result<()> {
    let driver = crate::io::registration::current_driver();
    if driver.mark_signals_registered() {
        // A second mio source over the same fd: the pipe's read end stays owned by `globals`.
        let mut source = mio::unix::SourceFd(&globals.reader.as_raw_fd());
        let result = driver.register_own(
            &mut RawSource(&mut source, globals.reader.as_raw_fd()),
            crate::io::driver::SIGNAL_TOKEN,
        );
        if let Err(error) = result {
            driver.unmark_signals_registered();
            return Err(error);
        }
    }
    Ok(())
}

/// A `SourceFd` that also reports its fd.
struct RawSource<'a, 'b>(&'a mut mio::unix::SourceFd<'b>, i32);

impl mio::event::Source for RawSource<'_, '_> {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        self.0.register(registry, token, interests)
    }
    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        self.0.reregister(registry, token, interests)
    }
    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        self.0.deregister(registry)
    }
}

impl AsRawFd for RawSource<'_, '_> {
    fn as_raw_fd(&self) -> i32 {
        self.1
    }
}

/// A driver saw the self-pipe readable: drain it and publish every pending signal.
pub(crate) fn on_driver_event() {
    let Ok(globals) = globals() else {
        return;
    };
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a live local buffer of the given length; the fd is non-blocking.
        let n = unsafe {
            libc::read(
                globals.reader.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n <= 0 {
            break;
        }
    }
    for slot in &globals.slots {
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
