//! [`Machine`]: the future that drives a [`TaggedSteps`] machine step by step.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{TaggedSteps, Transition};
use crate::task::dump;

/// A [`TaggedSteps`] machine together with its current step: the machine's future.
///
/// Derived machines reach it through `IntoFuture` (`machine.await`, `task::spawn(machine)`);
/// [`Machine::new`] wraps one explicitly. It stores the machine inline (no allocation) and
/// adds one byte for the step tag, whose spare value marks "finished".
///
/// Polling it after it returned `Ready`, or after one of its steps panicked, panics (a
/// programmer error, as for any future).
#[must_use = "a state machine does nothing until it is awaited or spawned"]
pub struct Machine<M: TaggedSteps> {
    /// The next step to run; `None` once the machine has finished or one of its steps panicked.
    tag: StepTag<M>,
    /// Structurally pinned: `poll` hands out `Pin<&mut M>` only.
    machine: M,
}

/// The step tag. Dropped with the step still set (the machine never finished), it withdraws
/// that step from the task dump; see `dump::withdraw_step`. Same layout as the `Option`.
struct StepTag<M: TaggedSteps>(Option<M::Tag>);

impl<M: TaggedSteps> Drop for StepTag<M> {
    fn drop(&mut self) {
        if let Some(tag) = self.0 {
            dump::withdraw_step(M::step_name_ref(tag));
        }
    }
}

impl<M: TaggedSteps> Machine<M> {
    /// Wraps `machine`, ready to run from its start step.
    pub fn new(machine: M) -> Machine<M> {
        Machine {
            tag: StepTag(Some(machine.start_tag())),
            machine,
        }
    }

    /// The name of the step the next poll runs; `None` once the machine has finished.
    pub fn step_name(&self) -> Option<&'static str> {
        self.tag.0.map(M::step_name)
    }

    /// Whether the machine has returned its output.
    pub fn is_finished(&self) -> bool {
        self.tag.0.is_none()
    }

    /// The machine's data.
    pub fn get_ref(&self) -> &M {
        &self.machine
    }

    /// The machine's data, mutably: only for machines that are `Unpin`.
    pub fn get_mut(&mut self) -> &mut M
    where
        M: Unpin,
    {
        &mut self.machine
    }

    /// The machine's data behind the pin.
    pub fn machine_pin_mut(self: Pin<&mut Self>) -> Pin<&mut M> {
        self.project().1
    }

    /// Unwraps the machine (whatever step it is at).
    pub fn into_inner(self) -> M
    where
        M: Unpin,
    {
        self.machine
    }

    fn project(self: Pin<&mut Self>) -> (&mut Option<M::Tag>, Pin<&mut M>) {
        // SAFETY: `machine` is structurally pinned: it is only ever handed out as `Pin<&mut M>`
        // (or by value/`&mut` when `M: Unpin`), `Machine` has no `Drop` impl and is not
        // `repr(packed)`, and its `Unpin` auto-impl requires `M: Unpin`. `tag` is never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.machine` stays where it is for as long as `self` is pinned.
        let machine = unsafe { Pin::new_unchecked(&mut this.machine) };
        (&mut this.tag.0, machine)
    }
}

impl<M: TaggedSteps> Future for Machine<M> {
    type Output = M::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M::Output> {
        let (tag, mut machine) = self.project();
        // Taken, not copied: if a step panics, the tag stays `None` and a later poll panics
        // below instead of re-running steps that already completed in this poll.
        let Some(mut step) = tag.take() else {
            panic!(
                "`Machine<{}>` polled after it finished (or after one of its steps \
                 panicked); a future must not be polled again once it returned \
                 `Poll::Ready`",
                std::any::type_name::<M>()
            );
        };
        let enclosing = dump::published_step();
        loop {
            dump::publish_step(Some(M::step_name_ref(step)));
            match M::poll_step(machine.as_mut(), step, cx) {
                Transition::Next(next) => step = next,
                Transition::Wait(next) => {
                    *tag = Some(next);
                    // The task now waits to resume at `next`: that is the step the dump shows.
                    dump::publish_step(Some(M::step_name_ref(next)));
                    return Poll::Pending;
                }
                Transition::Pending => {
                    *tag = Some(step);
                    // An inner machine this step dropped while it waited withdrew its step:
                    // this machine waits in `step` again, so the dump shows that.
                    if dump::published_step().is_none() {
                        dump::publish_step(Some(M::step_name_ref(step)));
                    }
                    return Poll::Pending;
                }
                Transition::Done(output) => {
                    dump::publish_step(enclosing);
                    return Poll::Ready(output);
                }
            }
        }
    }
}

impl<M: TaggedSteps> fmt::Debug for Machine<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
            .field("machine", &std::any::type_name::<M>())
            .field("step", &self.step_name().unwrap_or("<finished>"))
            .finish()
    }
}
