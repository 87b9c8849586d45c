//! [`EnumMachine`]: the future that drives a [`StateEnum`] machine from variant to variant.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Progress, StateEnum, StateMachine};
use crate::task::dump;

/// An enum state machine in its slot: the machine's future.
///
/// The enum's discriminant is the current step, so the wrapper adds nothing but the `Option`
/// that marks "finished", which rustc stores in the discriminant's spare values: an
/// `EnumMachine<M>` is as large as `M`. Enum machines that hold one another (a wrapper state
/// whose `#[pin]` field is the inner machine) therefore nest without growing.
///
/// Polling it after it returned `Ready` panics (a programmer error, as for any future).
#[must_use = "a state machine does nothing until it is awaited or spawned"]
pub struct EnumMachine<M: StateEnum> {
    /// Structurally pinned: only handed to `poll_state` as `Pin<&mut Option<M>>`.
    slot: Slot<M>,
}

/// The machine's slot. Dropped while it still holds a state (the machine never finished), it
/// withdraws that state's step from the task dump; see `dump::withdraw_step`. Same layout as
/// the `Option`.
struct Slot<M: StateEnum>(Option<M>);

impl<M: StateEnum> Drop for Slot<M> {
    fn drop(&mut self) {
        // Only reads the state: a pinned state is not moved.
        if let Some(machine) = &self.0 {
            dump::withdraw_step(M::step_name_ref(machine.tag()));
        }
    }
}

impl<M: StateEnum> EnumMachine<M> {
    /// Wraps `machine`, ready to run from its current variant.
    pub fn new(machine: M) -> EnumMachine<M> {
        EnumMachine {
            slot: Slot(Some(machine)),
        }
    }

    /// The name of the step the next poll runs; `None` once the machine has finished.
    pub fn step_name(&self) -> Option<&'static str> {
        self.slot
            .0
            .as_ref()
            .map(|machine| M::step_name(machine.tag()))
    }

    /// Whether the machine has returned its output.
    pub fn is_finished(&self) -> bool {
        self.slot.0.is_none()
    }

    /// The current state; `None` once finished.
    pub fn get_ref(&self) -> Option<&M> {
        self.slot.0.as_ref()
    }

    fn slot(self: Pin<&mut Self>) -> Pin<&mut Option<M>> {
        // SAFETY: `slot` is structurally pinned: it is only ever used as `Pin<&mut Option<M>>`,
        // `EnumMachine` has no `Drop` impl and `Slot`'s only reads the state, neither is
        // `repr(packed)`, and `EnumMachine` is `Unpin` only when `M` is.
        unsafe { self.map_unchecked_mut(|this| &mut this.slot.0) }
    }
}

impl<M: StateEnum> Future for EnumMachine<M> {
    type Output = <M as StateMachine>::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot();
        let enclosing = dump::published_step();
        loop {
            let Some(machine) = slot.as_ref().get_ref() else {
                panic!(
                    "`EnumMachine<{}>` polled after it finished (or after one of its steps \
                     panicked); a future must not be polled again once it returned \
                     `Poll::Ready`",
                    std::any::type_name::<M>()
                );
            };
            dump::publish_step(Some(M::step_name_ref(machine.tag())));
            match M::poll_state(slot.as_mut(), cx) {
                Progress::Next => {}
                Progress::Wait => {
                    // The new state is installed: the dump shows the step it resumes at.
                    if let Some(machine) = slot.as_ref().get_ref() {
                        dump::publish_step(Some(M::step_name_ref(machine.tag())));
                    }
                    return Poll::Pending;
                }
                Progress::Done(output) => {
                    slot.set(None);
                    dump::publish_step(enclosing);
                    return Poll::Ready(output);
                }
            }
        }
    }
}

impl<M: StateEnum> fmt::Debug for EnumMachine<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnumMachine")
            .field("machine", &std::any::type_name::<M>())
            .field("step", &self.step_name().unwrap_or("<finished>"))
            .finish()
    }
}
