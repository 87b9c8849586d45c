// Type, lifetime and const parameters, bounds in both places and a where-clause.
use std::fmt::Display;
use std::pin::Pin;
use std::task::Context;

use blitz_io::machine::{StateMachine, Transition};

#[derive(StateMachine)]
#[machine(output = String, start = render, steps(render))]
struct Render<'a, T: Display, const N: usize>
where
    T: Clone,
{
    items: &'a [T; N],
    #[pin]
    ready: std::future::Ready<()>,
}

impl<'a, T: Display, const N: usize> Render<'a, T, N>
where
    T: Clone,
{
    fn render(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        let _pinned: Pin<&mut std::future::Ready<()>> = this.ready;
        Transition::Done(this.items.iter().map(ToString::to_string).collect())
    }
}

fn main() {
    let items = [1, 2, 3];
    let text = blitz_io::run(Render {
        items: &items,
        ready: std::future::ready(()),
    });
    assert_eq!(text, "123");
}
