//! Why a task produced no output: it was cancelled, or it panicked.

use std::any::Any;
use std::fmt;

use super::Id;

/// A task ended without producing its output.
///
/// Returned by awaiting a [`JoinHandle`](super::JoinHandle) (or
/// [`blocking_join`](super::JoinHandle::blocking_join)) when the task was aborted, was dropped
/// by runtime shutdown, or panicked.
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// Boxed so that `JoinError` stays two words: every task stores a `Result<T, JoinError>`
    /// in its allocation, and only a panic pays for the details.
    Panic(Box<Panic>),
}

struct Panic {
    payload: SyncWrapper<Box<dyn Any + Send + 'static>>,
    /// The payload's text, captured at creation so `Display` needs no access to it.
    message: Option<String>,
}

/// Makes a `Send` value `Sync` by never giving out a shared reference to it: it can only be
/// taken by value. That keeps `JoinError` `Sync` (so it converts into
/// `Box<dyn Error + Send + Sync>`) even though a panic payload is only `Send`.
struct SyncWrapper<T>(T);

// SAFETY: `&SyncWrapper<T>` exposes nothing of `T` (the only accessor takes `self` by value),
// so sharing it between threads cannot create shared access to `T`.
unsafe impl<T: Send> Sync for SyncWrapper<T> {}

impl<T> SyncWrapper<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = panic_message(payload.as_ref()).map(str::to_owned);
        JoinError {
            id,
            repr: Repr::Panic(Box::new(Panic {
                payload: SyncWrapper(payload),
                message,
            })),
        }
    }

    /// True when the task was aborted or dropped by runtime shutdown before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True when the task panicked, in `poll` or while its future was being dropped.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    /// When the task was cancelled rather than panicking; use [`try_into_panic`](Self::try_into_panic)
    /// to check first.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task; check `is_panic()` first")
    }

    /// The panic payload, or the error back when the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(panic) => Ok(panic.payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(panic) => match &panic.message {
                Some(message) => write!(f, "task {} panicked with message {message:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(panic) => match &panic.message {
                Some(message) => write!(f, "JoinError::Panic({:?}, {message:?})", self.id),
                None => write!(f, "JoinError::Panic({:?}, ..)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(error: JoinError) -> std::io::Error {
        std::io::Error::other(error.to_string())
    }
}
