use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = (), start = begin, steps(run, finish))]
struct Machine;

impl Machine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Next(MachineStep::Finish)
    }

    fn finish(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(())
    }
}

fn main() {}
