//! Unix delivery: a process-wide handler per signal number (through `signal-hook-registry`)
//! marks the signal pending and writes a byte into a self-pipe; every runtime's driver watches
//! the pipe's read end (epoll can watch one fd from several instances; io_uring polls it). The
//! driver that sees the pipe readable drains it and publishes the pending signals.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Arc, OnceLock};

use super::registry::{self, Listener, SLOTS};

/// The self-pipe: the handler writes into `writer`, drivers watch `reader`.
struct Pipe {
    writer: mio::net::UnixStream,
    reader: mio::net::UnixStream,
}

fn pipe() -> io::Result<&'static Pipe> {
    static PIPE: OnceLock<io::Result<Pipe>> = OnceLock::new();
    PIPE.get_or_init(|| {
        let (writer, reader) = mio::net::UnixStream::pair()?;
        Ok(Pipe { writer, reader })
    })
    .as_ref()
    .map_err(|error| io::Error::new(error.kind(), error.to_string()))
}

/// Installs the handler for `signal` (once per process), makes the current runtime's driver
/// watch the pipe, and returns a listener that sees the deliveries from now on.
pub(crate) fn subscribe(signal: i32) -> io::Result<Arc<Listener>> {
    let pipe = pipe()?;
    let index = usize::try_from(signal)
        .ok()
        .filter(|&i| (1..SLOTS).contains(&i))
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
    registry::install_once(index, || install(pipe, signal, index))
        .map_err(|error| io::Error::other(format!("cannot listen for signal {signal}: {error}")))?;
    register_with_current_driver(pipe)?;
    Ok(registry::listen(index))
}

fn install(pipe: &'static Pipe, signal: i32, index: usize) -> io::Result<()> {
    let fd = pipe.writer.as_raw_fd();
    let action = move || {
        registry::mark_pending(index);
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; it writes one byte from a live local to the
        // self-pipe, which lives for the whole process. A full pipe already means "woken".
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    };
    // SAFETY: the action only does async-signal-safe things: an atomic store into a static
    // and a `write`.
    unsafe { signal_hook_registry::register(signal, action) }.map(drop)
}

/// Makes the current runtime's driver watch the self-pipe (once per driver).
fn register_with_current_driver(pipe: &'static Pipe) -> io::Result<()> {
    register_with(&crate::io::registration::current_driver(), pipe)
}

/// Makes the current runtime's driver, if there is one, watch the self-pipe: a listener may be
/// polled on another runtime than the one it was created on, which may be gone by then, and
/// then nothing else would publish its deliveries. One load once the driver watches.
pub(crate) fn watch_from_current_runtime() {
    let Ok(pipe) = pipe() else {
        return;
    };
    crate::runtime::context::map_current(|handle| {
        if let Some(driver) = handle.io() {
            if !driver.signals_registered() {
                // The listener was created, so the pipe works; a driver that cannot watch it
                // leaves the deliveries to the other drivers, as before.
                let _ = register_with(driver, pipe);
            }
        }
    });
}

fn register_with(driver: &crate::io::driver::Driver, pipe: &'static Pipe) -> io::Result<()> {
    if driver.mark_signals_registered() {
        // A second mio source over the same fd: the pipe's read end stays owned by `pipe`.
        let mut source = mio::unix::SourceFd(&pipe.reader.as_raw_fd());
        let result = driver.register_own(
            &mut RawSource(&mut source, pipe.reader.as_raw_fd()),
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
    let Ok(pipe) = pipe() else {
        return;
    };
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a live local buffer of the given length; the fd is non-blocking.
        let n = unsafe { libc::read(pipe.reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
    }
    registry::publish_pending();
}
