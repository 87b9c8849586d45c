use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::StateMachine;

#[derive(StateMachine)]
#[machine(output = (), start = run, steps(run))]
struct Machine;

impl Machine {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Option<()> {
        None
    }
}

fn main() {}
