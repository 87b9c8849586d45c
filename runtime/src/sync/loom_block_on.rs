//! `block_on` for loom models: polls a future on the current model thread and, while it is
//! pending, waits on a `loom::sync::Notify` that its waker signals (so a lost wakeup shows up as
//! a deadlock in the model). loom's own `loom::future` needs a feature this workspace leaves off.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Signal(loom::sync::Notify);

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.0.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify();
    }
}

/// Drives `future` to completion on this model thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let signal = Arc::new(Signal(loom::sync::Notify::new()));
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        signal.0.wait();
    }
}
