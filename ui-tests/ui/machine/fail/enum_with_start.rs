use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = (), start = Only)]
enum Machine {
    Only,
}

impl Machine {
    fn only(_cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(())
    }
}

fn main() {}
