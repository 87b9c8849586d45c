// The runtime under another name, reached through `crate = "..."`; custom tag and projection
// names.
extern crate blitz_io as runtime;

use std::pin::Pin;
use std::task::Context;

use runtime::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(crate = "runtime", output = u8, start = go, steps(go))]
#[machine(tag = Phase, project = fields)]
struct Machine {
    value: u8,
}

impl Machine {
    fn go(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let _phase: Phase = Phase::Go;
        Transition::Done(*self.fields().value)
    }
}

fn main() {
    assert_eq!(runtime::run(Machine { value: 4 }), 4);
}
