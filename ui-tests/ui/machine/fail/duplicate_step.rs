use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = (), start = run, steps(run, run))]
struct Machine;

impl Machine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(())
    }
}

fn main() {}
