// User items named like the derive's hidden module, `core`, `Option`/`Some` and its guard trait
// must not capture its paths or collide with its names. (Constants named like its locals do
// break it, as they would any macro: see the derive's documentation.)
#![allow(dead_code)]

use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

mod __private {
    pub struct Machine;
    pub trait StateMachine {}
}
mod core {}
const FIELD: u32 = 1;
trait MachineWithPinFieldsMustNotImplementDrop {}
struct Option;
struct Some;

#[derive(StateMachine)]
#[machine(output = u32, start = run, steps(run))]
struct Tuple(u32, #[pin] std::future::Ready<u32>);

impl Tuple {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        Transition::Done(*this.0 + 4 * FIELD)
    }
}

#[derive(StateMachine)]
#[machine(output = u32)]
enum States {
    #[machine(by_value)]
    First(u32),
    Second {
        value: u32,
    },
}

impl States {
    fn first(value: u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Next(States::Second { value })
    }

    fn second(value: &mut u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(*value)
    }
}

fn main() {
    assert_eq!(blitz_io::run(Tuple(1, std::future::ready(0))), 5);
    assert_eq!(blitz_io::run(States::First(9)), 9);
}
