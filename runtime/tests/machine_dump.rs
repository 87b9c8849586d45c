//! The task dump's step for machines that go away before they finish: a machine dropped while
//! waiting (by a timeout, a select, or its enclosing machine) must not leave its step in the
//! dump of a task that has moved on.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use blitz_io::machine::{EnumMachine, Machine, StateMachine, Transition};
use common::{Gate, GateWait};

/// The step the task dump shows for the task polling this code.
fn dumped_step() -> Option<&'static str> {
    let id = blitz_io::task::id();
    blitz_io::runtime::Handle::current()
        .dump()
        .tasks()
        .iter()
        .find(|t| t.id() == id)
        .and_then(|t| t.step())
}

/// Waits for its gate in one step.
#[derive(StateMachine)]
#[machine(output = (), start = wait, steps(wait))]
struct WaitForGate {
    #[pin]
    waiting: GateWait,
}

impl WaitForGate {
    fn wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        match self.project().waiting.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Done(()),
        }
    }
}

/// The enum form: a single waiting variant.
#[derive(StateMachine)]
#[machine(output = ())]
enum WaitForGateEnum {
    Waiting {
        #[pin]
        waiting: GateWait,
    },
}

impl WaitForGateEnum {
    fn waiting(waiting: Pin<&mut GateWait>, cx: &mut Context<'_>) -> Transition<Self, Self> {
        match waiting.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Done(()),
        }
    }
}

/// Polls `future` once; true if it was pending.
async fn poll_once<F: Future>(future: Pin<&mut F>) -> bool {
    let mut future = Some(future);
    std::future::poll_fn(|cx| Poll::Ready(future.take().unwrap().poll(cx).is_pending())).await
}

#[test]
fn a_machine_dropped_while_waiting_leaves_no_step_in_the_dump() {
    let runtime = common::current();
    let steps = runtime.block_on(runtime.spawn(async {
        let gate = Gate::new();
        let mut machine = Box::pin(Machine::new(WaitForGate {
            waiting: gate.wait(),
        }));
        assert!(poll_once(machine.as_mut()).await);
        let waiting = dumped_step();
        drop(machine);
        let struct_steps = (waiting, dumped_step());

        let mut machine = Box::pin(EnumMachine::new(WaitForGateEnum::Waiting {
            waiting: gate.wait(),
        }));
        assert!(poll_once(machine.as_mut()).await);
        let waiting = dumped_step();
        drop(machine);
        (struct_steps, (waiting, dumped_step()))
    }));
    let (struct_steps, enum_steps) = steps.unwrap();
    assert_eq!(struct_steps, (Some("wait"), None));
    assert_eq!(enum_steps, (Some("waiting"), None));
}

/// In its one step, polls an inner machine once, drops it while it waits, then waits for a
/// gate of its own.
#[derive(StateMachine)]
#[machine(output = (), start = outer_step, steps(outer_step))]
struct DropsItsInner {
    inner: Option<Pin<Box<Machine<WaitForGate>>>>,
    #[pin]
    own: GateWait,
}

impl DropsItsInner {
    fn outer_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        if let Some(mut inner) = this.inner.take() {
            assert!(inner.as_mut().poll(cx).is_pending());
        }
        match this.own.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Done(()),
        }
    }
}

/// The enclosing machine, still waiting in the step that dropped the inner one, is what the
/// dump shows.
#[test]
fn an_inner_machine_dropped_while_waiting_gives_the_step_back_to_the_enclosing_one() {
    let runtime = common::current();
    let (inner_gate, own_gate) = (Gate::new(), Gate::new());
    let task = runtime.spawn(Machine::new(DropsItsInner {
        inner: Some(Box::pin(Machine::new(WaitForGate {
            waiting: inner_gate.wait(),
        }))),
        own: own_gate.wait(),
    }));
    runtime.block_on(common::yield_until("the outer machine to wait", || {
        own_gate.num_waiters() == 1
    }));
    let dump = runtime.handle().dump();
    let step = dump
        .tasks()
        .iter()
        .find(|t| t.id() == task.id())
        .and_then(|t| t.step());
    assert_eq!(step, Some("outer_step"), "{dump}");
    own_gate.open();
    runtime.block_on(task).unwrap();
}
