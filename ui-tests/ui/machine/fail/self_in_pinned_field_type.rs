// `Self` in a `#[pin]` field's type is the machine, also in the generated `Unpin` guard: here
// the field `W<Self>` is `!Unpin` (the machine is `!Sync`), so the machine must not be `Unpin`.
use std::cell::Cell;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

struct W<T>(PhantomData<T>, PhantomPinned);

impl<T: Sync> Unpin for W<T> {}

#[derive(StateMachine)]
#[machine(output = ())]
enum States {
    Run {
        #[pin]
        pinned: W<Self>,
        not_sync: Cell<u8>,
    },
}

impl States {
    fn run(
        _pinned: Pin<&mut W<Self>>,
        _not_sync: &mut Cell<u8>,
        _cx: &mut Context<'_>,
    ) -> Transition<Self, Self> {
        Transition::Done(())
    }
}

fn assert_unpin<T: Unpin>() {}

fn main() {
    assert_unpin::<States>();
}
