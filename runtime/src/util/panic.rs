//! Keeping panics from user code out of the runtime's own threads.
//!
//! The runtime drops user values (futures, outputs, panic payloads) and calls foreign wakers on
//! worker threads and inside destructors. A panic there must not unwind into the worker (it
//! would take the thread down) nor out of a destructor that is already unwinding (that aborts).
//! [`contain`] runs such code so that nothing escapes, including the pathological payload whose
//! own `Drop` panics: the panic that drop raises is caught too (and its payload dropped), and
//! only a chain of such payloads deeper than a few levels is leaked.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f` so that no panic leaves it: neither one raised by `f` nor one raised while dropping
/// that panic's payload (nor while dropping that one's, a few levels deep). A payload still
/// panicking when dropped at the last level is leaked.
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        drop_payload(payload);
    }
}

/// How many nested "the payload's drop panicked" levels are dropped before the last payload is
/// leaked. One is the realistic case (a payload whose drop panics with a message).
const PAYLOAD_DROP_LEVELS: usize = 4;

fn drop_payload(mut payload: Box<dyn Any + Send>) {
    for _ in 0..PAYLOAD_DROP_LEVELS {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}
