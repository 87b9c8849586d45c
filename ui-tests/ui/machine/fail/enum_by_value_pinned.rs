use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = ())]
enum Machine {
    #[machine(by_value)]
    Waiting {
        #[pin]
        inner: std::future::Ready<()>,
    },
}

impl Machine {
    fn waiting(_inner: std::future::Ready<()>, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(())
    }
}

fn main() {}
