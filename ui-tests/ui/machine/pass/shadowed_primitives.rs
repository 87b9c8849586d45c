// Types named like the primitives the derive's expansion names (`usize`, `str`) must not
// capture them.
#![allow(dead_code, non_camel_case_types)]

use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

struct usize;
struct str;

#[derive(StateMachine)]
#[machine(output = u32, start = run, steps(run))]
struct Plain {
    value: u32,
}

impl Plain {
    fn run(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(*self.project().value)
    }
}

#[derive(StateMachine)]
#[machine(output = u32)]
enum States {
    Only(u32),
}

impl States {
    fn only(value: &mut u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(*value)
    }
}

fn main() {
    assert_eq!(blitz_io::run(Plain { value: 3 }), 3);
    assert_eq!(blitz_io::run(States::Only(4)), 4);
}
