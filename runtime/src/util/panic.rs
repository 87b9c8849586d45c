//! Keeping panics from user code out of the runtime's own threads.
//!
//! The runtime drops user values (futures, outputs, panic payloads) and calls foreign wakers on
//! worker threads and inside destructors. A panic there must not unwind into the worker (it
//! would take the thread down) nor out of a destructor that is already unwinding (that aborts).
//! [`contain`] runs such code so that nothing escapes, including the pathological payload whose
//! own `Drop` panics: that payload is leaked rather than dropped.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f` so that no panic leaves it: neither one raised by `f` nor one raised while dropping
/// that panic's payload. A payload whose drop panics yet again is leaked.
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}
