// An enum machine: a by-value state, a state with a `#[pin]` sub-future, a tuple variant.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = u32)]
enum Countdown {
    #[machine(by_value)]
    Start { from: u32 },
    Yielding {
        #[pin]
        yielded: blitz_io::task::YieldNow,
        left: u32,
    },
    Finished(u32),
}

impl Countdown {
    fn start(from: u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Next(Countdown::Yielding {
            yielded: blitz_io::task::yield_now(),
            left: from,
        })
    }

    fn yielding(
        yielded: Pin<&mut blitz_io::task::YieldNow>,
        left: &mut u32,
        cx: &mut Context<'_>,
    ) -> Transition<Self, Self> {
        match yielded.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) if *left == 0 => Transition::Next(Countdown::Finished(7)),
            Poll::Ready(()) => Transition::Next(Countdown::Yielding {
                yielded: blitz_io::task::yield_now(),
                left: *left - 1,
            }),
        }
    }

    fn finished(value: &mut u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(*value)
    }
}

fn main() {
    assert_eq!(blitz_io::run(Countdown::Start { from: 3 }), 7);
}
