//! `mpmc::Sender::reserve_owned` and `OwnedPermit`: a `'static` permit moves into another
//! task, gives its sender back when used or released, waits for room like `reserve`, passes
//! on a wake when cancelled, and orders "room back, then sender gone" when it holds the last
//! sender.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use blitz_io::channel::mpmc::{self, RecvError, SendError, TryRecvError, TrySendError};
use common::counting_waker;

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[blitz_io::test]
async fn an_owned_permit_moves_into_a_task_and_gives_the_sender_back() {
    let (tx, rx) = mpmc::bounded(1);
    let permit = tx.clone().reserve_owned().await.unwrap();
    assert!(
        matches!(tx.try_send(0), Err(TrySendError::Full(0))),
        "the permit holds the only slot"
    );
    let sender = blitz_io::task::spawn(async move { permit.send(1) })
        .await
        .unwrap();
    assert!(sender.same_channel(&tx));
    assert_eq!(rx.recv().await, Ok(1));
    sender.send(2).await.unwrap();
    assert_eq!(rx.recv().await, Ok(2));
}

#[test]
fn try_reserve_owned_hands_the_sender_back_on_failure() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else {
        panic!("the channel is full")
    };
    rx.close();
    let Err(TrySendError::Closed(tx)) = tx.try_reserve_owned() else {
        panic!("the channel is closed")
    };
    assert!(tx.is_closed());
}

#[test]
fn release_gives_the_room_back_and_wakes_a_waiting_sender() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let permit = tx.clone().try_reserve_owned().unwrap();
    let (woken, waker) = counting_waker();
    let mut waiting = pin!(tx.send(7));
    assert!(poll_once(waiting.as_mut(), &waker).is_pending());
    let _sender = permit.release();
    assert_eq!(woken.load(SeqCst), 1);
    assert_eq!(poll_once(waiting.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(7));
}

#[test]
fn a_waiting_reserve_owned_gets_room_or_passes_the_wake_on_when_dropped() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    tx.try_send(0).unwrap();
    let (woken, waker) = counting_waker();
    let (next_woken, next_waker) = counting_waker();
    let mut first = Box::pin(tx.clone().reserve_owned());
    let mut next = pin!(tx.clone().reserve_owned());
    assert!(poll_once(first.as_mut(), &waker).is_pending());
    assert!(poll_once(next.as_mut(), &next_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(woken.load(SeqCst), 1);
    assert_eq!(next_woken.load(SeqCst), 0);
    // Woken for the room, dropped before taking it: the wake (and room) go to `next`.
    drop(first);
    assert_eq!(next_woken.load(SeqCst), 1);
    let Poll::Ready(Ok(permit)) = poll_once(next.as_mut(), &next_waker) else {
        panic!("the wake was passed on with the room");
    };
    let _tx = permit.send(1);
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_closed_channel_fails_a_waiting_reserve_owned() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let (woken, waker) = counting_waker();
    let mut reserve = pin!(tx.clone().reserve_owned());
    assert!(poll_once(reserve.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(woken.load(SeqCst), 1);
    assert!(matches!(
        poll_once(reserve.as_mut(), &waker),
        Poll::Ready(Err(SendError(())))
    ));
}

#[test]
fn a_permit_holding_the_last_sender_still_sends_after_close_or_ends_the_channel_unused() {
    // Used: the value is delivered even though the receiver closed meanwhile.
    let (tx, rx) = mpmc::bounded::<u32>(2);
    let permit = tx.try_reserve_owned().unwrap();
    rx.close();
    drop(permit.send(3));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    // Dropped unused while holding the last sender: the room comes back, then the sender
    // goes, and a waiting receiver sees the end.
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let permit = tx.try_reserve_owned().unwrap();
    let (woken, waker) = counting_waker();
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), &waker).is_pending());
    drop(permit);
    assert_eq!(woken.load(SeqCst), 1);
    assert_eq!(
        poll_once(recv.as_mut(), &waker),
        Poll::Ready(Err(RecvError))
    );
}
