//! Explicit, stackless state machines: the runtime side of `#[derive(StateMachine)]`.
//!
//! A state machine is a value that knows how to make progress one *step* at a time. Each step
//! is an ordinary method that returns a [`Transition`]: go on to another step now
//! ([`Transition::Next`]), wait for a wake-up and resume at a step ([`Transition::Wait`]), or
//! finish with the output ([`Transition::Done`]). The derive writes the [`StateMachine`]
//! implementation — a `u8`-sized step tag and a `match` that calls the step the tag names —
//! and [`Machine`] (or [`EnumMachine`] for an enum) turns the machine into a [`Future`](std::future::Future) that keeps
//! the tag beside the machine and loops over steps until one waits or finishes.
//!
//! Design:
//! - **Where the tag lives.** A derive cannot add fields to the user's type, so the tag lives in
//!   the wrapper [`Machine`], reached through [`IntoFuture`](std::future::IntoFuture): a machine
//!   is plain data until it is awaited or spawned (`task::spawn` accepts any `IntoFuture`), and
//!   its type stays free of bookkeeping the user would have to initialise. The wrapper adds one
//!   byte (the tag, with a niche for "finished") plus padding.
//! - **No allocation, no `dyn`.** `Machine<M>` stores `M` inline and dispatches through `M`'s
//!   generated `match`, which inlines the step methods; nothing is boxed.
//! - **Pinning.** Steps receive `Pin<&mut Self>`, so a machine may hold `!Unpin` sub-futures
//!   (a sleep, a lock future) inline and poll them through the derive's projection.
//!   `Machine<M>` is `Unpin` exactly when `M` is.
//! - **Observability.** The current step's name is in `Debug`, in [`Machine::step_name`], and
//!   in the task dump ([`Handle::dump`](crate::runtime::Handle::dump)): before each step the
//!   wrapper stores a pointer to the step's `&'static str` in the running task's header (one
//!   relaxed store, no lock), and a finished machine puts back whatever an enclosing machine
//!   had published. A machine dropped before it finished withdraws its step, so a task that
//!   moved on shows no step of a machine that is gone.
//!
//! A hand-written machine implements [`StateMachine`] directly; see the trait's example.

mod enum_future;
mod future;

pub use enum_future::EnumMachine;
pub use future::Machine;

use std::pin::Pin;
use std::task::Context;

/// What a step asks the machine to do next.
///
/// `M` is the machine; `N` names the next step: the step tag for a struct machine (the
/// default), the next state value (`Self`) for an enum machine, whose variants are its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a step's transition decides what the machine does next"]
pub enum Transition<M: StateMachine, N = <M as StateMachine>::Tag> {
    /// Run step `N` now, in the same poll.
    Next(N),
    /// Return `Poll::Pending`; resume at step `N` on the next poll. The step must have
    /// arranged a wake-up (usually by polling a sub-future that returned `Pending`).
    Wait(N),
    /// Return `Poll::Pending` and run the same step, with the same state, on the next poll:
    /// what a step returns when the sub-future it polls is pending. (An enum step that took
    /// its state by value has given it away and must return `Wait(state)` instead.)
    Pending,
    /// Finish with the output: the future returns `Poll::Ready`.
    Done(M::Output),
}

/// What every state machine declares: its output, its step tag and its steps' names.
///
/// A machine also implements one of the two ways to run it: [`TaggedSteps`] (a struct whose
/// steps are methods picked by a tag the wrapper [`Machine`] keeps) or [`StateEnum`] (an enum
/// whose variants are the steps, run by [`EnumMachine`]). `#[derive(StateMachine)]` writes
/// both impls; a hand-written machine looks like this:
///
/// ```
/// use std::pin::Pin;
/// use std::task::Context;
/// use blitz_io::machine::{Machine, StateMachine, TaggedSteps, Transition};
///
/// /// Counts down to zero, yielding to the scheduler between steps.
/// struct Countdown { left: u32 }
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum CountdownStep { Tick, Yielded }
///
/// impl StateMachine for Countdown {
///     type Output = &'static str;
///     type Tag = CountdownStep;
///     const STEP_NAMES: &'static [&'static str] = &["tick", "yielded"];
///     fn tag_index(tag: CountdownStep) -> usize { tag as usize }
/// }
///
/// impl TaggedSteps for Countdown {
///     fn start_tag(&self) -> CountdownStep { CountdownStep::Tick }
///     fn poll_step(self: Pin<&mut Self>, tag: CountdownStep, cx: &mut Context<'_>)
///         -> Transition<Self>
///     {
///         let this = self.get_mut();
///         match tag {
///             CountdownStep::Tick if this.left == 0 => Transition::Done("lift-off"),
///             CountdownStep::Tick => {
///                 this.left -= 1;
///                 cx.waker().wake_by_ref(); // ask to be polled again, then yield
///                 Transition::Wait(CountdownStep::Yielded)
///             }
///             CountdownStep::Yielded => Transition::Next(CountdownStep::Tick),
///         }
///     }
/// }
///
/// let output = blitz_io::run(async { Machine::new(Countdown { left: 3 }).await });
/// assert_eq!(output, "lift-off");
/// ```
pub trait StateMachine: Sized {
    /// What the machine produces when it finishes.
    type Output;
    /// The step tag: a fieldless enum with one variant per step (one byte).
    type Tag: Copy + 'static;
    /// The steps' names, indexed by [`tag_index`](Self::tag_index).
    const STEP_NAMES: &'static [&'static str];

    /// The position of `tag`'s name in [`STEP_NAMES`](Self::STEP_NAMES).
    fn tag_index(tag: Self::Tag) -> usize;

    /// The name of step `tag`, as the derive spells it (the step method's name).
    fn step_name(tag: Self::Tag) -> &'static str {
        Self::step_name_ref(tag)
    }

    #[doc(hidden)]
    /// The name behind a `'static` reference, so the task header can hold a thin pointer to it.
    fn step_name_ref(tag: Self::Tag) -> &'static &'static str {
        Self::STEP_NAMES
            .get(Self::tag_index(tag))
            .unwrap_or(&"<unnamed step>")
    }
}

/// A machine whose steps are methods chosen by a tag: what the derive implements for a struct.
pub trait TaggedSteps: StateMachine {
    /// The step a fresh machine runs first.
    fn start_tag(&self) -> Self::Tag;

    /// Runs step `tag` once and says what to do next.
    fn poll_step(self: Pin<&mut Self>, tag: Self::Tag, cx: &mut Context<'_>) -> Transition<Self>;
}

/// A machine whose variants are its steps: what the derive implements for an enum.
///
/// [`EnumMachine`] keeps it in an `Option` (so "finished" costs no byte when the enum has a
/// niche) and lets a step whose variant holds no pinned data take that data by value.
pub trait StateEnum: StateMachine {
    /// The tag of the current variant.
    fn tag(&self) -> Self::Tag;

    /// Runs the current variant's step. The slot is `None` afterwards only if a by-value step
    /// panicked (its data was moved out) or the machine finished.
    fn poll_state(slot: Pin<&mut Option<Self>>, cx: &mut Context<'_>) -> Progress<Self::Output>;
}

/// What [`StateEnum::poll_state`] tells [`EnumMachine`]: the next state is already installed.
#[doc(hidden)]
#[derive(Debug)]
pub enum Progress<T> {
    /// Run the new state now.
    Next,
    /// Return `Pending`.
    Wait,
    /// Finished: the slot is empty and this is the output.
    Done(T),
}

#[cfg(feature = "macros")]
pub use blitz_io_macros::StateMachine;
