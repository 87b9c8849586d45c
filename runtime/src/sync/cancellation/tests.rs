//! Unit tests of the token tree: propagation, detachment and the waiting futures.

use std::pin::pin;
use std::task::Poll;

use super::*;
use crate::sync::test_waker::{poll_once, Counter};

#[test]
fn cancelling_a_parent_cancels_children_not_the_reverse() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let sibling = root.child_token();
    grandchild.cancel();
    assert!(!child.is_cancelled() && !root.is_cancelled());
    child.cancel();
    assert!(!root.is_cancelled() && !sibling.is_cancelled());
    root.cancel();
    assert!(sibling.is_cancelled());
}

#[test]
fn dropped_children_detach_from_their_parent() {
    let root = CancellationToken::new();
    let children: Vec<_> = (0..5).map(|_| root.child_token()).collect();
    assert_eq!(root.node.child_count(), 5);
    let clone = children[2].clone();
    drop(children);
    assert_eq!(root.node.child_count(), 1, "the cloned child is still held");
    drop(clone);
    assert_eq!(root.node.child_count(), 0);
}

#[test]
fn a_tokenless_middle_node_relays_until_its_children_go() {
    let root = CancellationToken::new();
    let middle = root.child_token();
    let leaf = middle.child_token();
    drop(middle);
    assert_eq!(
        root.node.child_count(),
        1,
        "the middle node relays to the leaf"
    );
    root.cancel();
    assert!(leaf.is_cancelled());

    let root = CancellationToken::new();
    let middle = root.child_token();
    let leaf = middle.child_token();
    drop(middle);
    drop(leaf);
    assert_eq!(root.node.child_count(), 0, "the whole branch detached");
}

#[test]
fn cancelling_a_child_detaches_it() {
    let root = CancellationToken::new();
    let child = root.child_token();
    child.cancel();
    assert_eq!(root.node.child_count(), 0);
}

#[test]
fn a_deep_chain_cancels_without_recursion() {
    let root = CancellationToken::new();
    let mut tokens = vec![root.clone()];
    for _ in 0..100_000 {
        let next = tokens.last().unwrap().child_token();
        tokens.push(next);
    }
    root.cancel();
    assert!(tokens.last().unwrap().is_cancelled());
    // Dropping from the root down must not recurse either.
    drop(tokens);
}

#[test]
fn cancelled_futures_wake_on_cancel() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let counter = Counter::new();
    let mut waiting = Box::pin(child.cancelled());
    assert!(counter.poll(waiting.as_mut()).is_pending());
    let unpolled = child.cancelled();
    let owned = child.clone().cancelled_owned();
    root.cancel();
    assert_eq!(counter.wakes(), 1);
    assert!(counter.poll(waiting.as_mut()).is_ready());
    assert_eq!(poll_once(pin!(unpolled)), Poll::Ready(()));
    assert_eq!(poll_once(pin!(owned)), Poll::Ready(()));
    assert_eq!(poll_once(pin!(child.cancelled())), Poll::Ready(()));
}

#[test]
fn a_dropped_waiting_future_leaves_the_others_waiting() {
    let token = CancellationToken::new();
    let (a, b) = (Counter::new(), Counter::new());
    let mut first = Box::pin(token.cancelled());
    let mut second = Box::pin(token.cancelled());
    assert!(a.poll(first.as_mut()).is_pending());
    assert!(b.poll(second.as_mut()).is_pending());
    drop(first);
    token.cancel();
    assert_eq!(b.wakes(), 1);
    assert!(b.poll(second.as_mut()).is_ready());
}

#[test]
fn drop_guard_cancels_unless_disarmed() {
    let token = CancellationToken::new();
    let disarmed = token.clone().drop_guard().disarm();
    assert!(!token.is_cancelled());
    drop(disarmed);
    let guard = token.clone().drop_guard();
    assert!(format!("{guard:?}").contains("is_cancelled: false"));
    drop(guard);
    assert!(token.is_cancelled());
}

#[test]
fn run_until_cancelled_stops_the_future_on_cancel() {
    let token = CancellationToken::new();
    let counter = Counter::new();
    let mut run = Box::pin(token.run_until_cancelled(std::future::pending::<u8>()));
    assert!(counter.poll(run.as_mut()).is_pending());
    token.cancel();
    assert_eq!(counter.wakes(), 1);
    assert_eq!(counter.poll(run.as_mut()), Poll::Ready(None));
}
