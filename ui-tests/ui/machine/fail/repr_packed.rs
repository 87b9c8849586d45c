use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = u8, start = run, steps(run))]
#[repr(packed)]
struct Machine {
    value: u8,
}

impl Machine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(0)
    }
}

fn main() {}
