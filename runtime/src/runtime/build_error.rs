//! [`BuildError`]: why [`Builder::build`](super::Builder::build) refused a configuration.
//!
//! One variant per field that can be wrong, each naming the field in its message, so a bad
//! value never becomes a panic deep inside the runtime.

use std::fmt;
use std::io;

use super::Backend;

/// Why a runtime could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `max_blocking_threads` was 0: `spawn_blocking` could never run anything.
    ZeroBlockingThreads,
    /// More workers than the scheduler's idle bitmap tracks.
    TooManyWorkers {
        /// The number asked for.
        requested: usize,
        /// The most supported.
        max: usize,
    },
    /// `event_interval` was 0.
    ZeroEventInterval,
    /// `global_queue_interval` was 0.
    ZeroGlobalQueueInterval,
    /// `max_io_events_per_tick` was 0: the I/O driver could never report a ready socket.
    ZeroMaxIoEventsPerTick,
    /// The forced I/O backend cannot be used here.
    BackendUnavailable {
        /// The backend asked for.
        backend: Backend,
        /// Why it is unavailable.
        reason: String,
    },
    /// `start_paused(true)` on a multi-thread runtime: paused time needs the current-thread
    /// scheduler.
    StartPausedMultiThread,
    /// The OS refused to start a thread.
    ThreadSpawn(io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::ZeroBlockingThreads => {
                f.write_str("max_blocking_threads must be at least 1")
            }
            BuildError::TooManyWorkers { requested, max } => write!(
                f,
                "num_workers is {requested}, but a runtime supports at most {max} workers"
            ),
            BuildError::ZeroEventInterval => f.write_str("event_interval must be at least 1"),
            BuildError::ZeroGlobalQueueInterval => {
                f.write_str("global_queue_interval must be at least 1")
            }
            BuildError::ZeroMaxIoEventsPerTick => {
                f.write_str("max_io_events_per_tick must be at least 1")
            }
            BuildError::BackendUnavailable { backend, reason } => {
                write!(f, "backend {backend} is unavailable: {reason}")
            }
            BuildError::StartPausedMultiThread => f.write_str(
                "start_paused(true) needs a current-thread runtime (Builder::new_current_thread)",
            ),
            BuildError::ThreadSpawn(error) => {
                write!(f, "could not start a runtime thread: {error}")
            }
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::ThreadSpawn(error) => Some(error),
            _ => None,
        }
    }
}

impl From<BuildError> for io::Error {
    fn from(error: BuildError) -> io::Error {
        match error {
            BuildError::ThreadSpawn(error) => error,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}
