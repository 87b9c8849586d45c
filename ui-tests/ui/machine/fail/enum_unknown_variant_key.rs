use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = ())]
enum Machine {
    #[machine(by_ref)]
    Only,
}

impl Machine {
    fn only(_cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(())
    }
}

fn main() {}
