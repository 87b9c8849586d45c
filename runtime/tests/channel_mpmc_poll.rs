//! `mpmc::Receiver::poll_recv` and `poll_recv_many`: the poll-based receive registers the
//! latest waker only (shared with the `Stream` impl), ends with the channel, passes a wake it
//! did not use on when the receiver is dropped, and fills a buffer up to its limit.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use blitz_io::channel::mpmc::{self, RecvError};
use common::counting_waker;
use futures_core::Stream;

#[test]
fn poll_recv_waits_for_a_value_and_then_for_the_end() {
    let (tx, mut rx) = mpmc::bounded::<u32>(2);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.try_send(1).unwrap();
    assert_eq!(wakes.load(SeqCst), 1);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(1)));
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(tx);
    assert_eq!(wakes.load(SeqCst), 2, "the close wakes it");
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
}

#[test]
fn only_the_latest_waker_is_woken_across_poll_recv_and_the_stream() {
    let (tx, mut rx) = mpmc::unbounded::<u32>();
    let (stream_wakes, stream_waker) = counting_waker();
    let (poll_wakes, poll_waker) = counting_waker();
    assert!(Stream::poll_next(
        pin!(&mut rx).as_mut(),
        &mut Context::from_waker(&stream_waker)
    )
    .is_pending());
    assert!(rx
        .poll_recv(&mut Context::from_waker(&poll_waker))
        .is_pending());
    tx.try_send(3).unwrap();
    assert_eq!(
        (stream_wakes.load(SeqCst), poll_wakes.load(SeqCst)),
        (0, 1),
        "one node, holding the latest waker"
    );
    assert_eq!(
        rx.poll_recv(&mut Context::from_waker(&poll_waker)),
        Poll::Ready(Ok(3))
    );
}

#[test]
fn a_receiver_dropped_after_a_poll_recv_wake_passes_it_on() {
    let (tx, mut rx) = mpmc::bounded::<u32>(1);
    let other = rx.clone();
    let (first_wakes, first_waker) = counting_waker();
    let (other_wakes, other_waker) = counting_waker();
    assert!(rx
        .poll_recv(&mut Context::from_waker(&first_waker))
        .is_pending());
    let mut recv = pin!(other.recv());
    let mut other_cx = Context::from_waker(&other_waker);
    assert!(recv.as_mut().poll(&mut other_cx).is_pending());
    tx.try_send(8).unwrap();
    assert_eq!((first_wakes.load(SeqCst), other_wakes.load(SeqCst)), (1, 0));
    drop(rx);
    assert_eq!(other_wakes.load(SeqCst), 1, "the unused wake moved on");
    assert_eq!(recv.as_mut().poll(&mut other_cx), Poll::Ready(Ok(8)));
}

#[test]
fn poll_recv_many_fills_up_to_the_limit() {
    let (tx, mut rx) = mpmc::bounded::<u32>(8);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buffer = vec![100];
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 0), Poll::Ready(0));
    assert!(rx.poll_recv_many(&mut cx, &mut buffer, 3).is_pending());
    for i in 0..5 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(wakes.load(SeqCst), 1);
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 3), Poll::Ready(3));
    assert_eq!(buffer, [100, 0, 1, 2], "appended, not replaced");
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 10), Poll::Ready(2));
    drop(tx);
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 10), Poll::Ready(0));
    assert_eq!(buffer, [100, 0, 1, 2, 3, 4]);
}

/// `poll_recv` inside a hand-written future on the multi-thread runtime: every value sent from
/// several tasks arrives once.
#[test]
fn poll_recv_in_a_hand_written_future() {
    let rt = common::multi(2);
    let total = rt.block_on(async {
        let (tx, mut rx) = mpmc::bounded::<u64>(4);
        for id in 0..3u64 {
            let tx = tx.clone();
            drop(blitz_io::task::spawn(async move {
                for i in 0..200 {
                    tx.send(id * 1000 + i).await.unwrap();
                }
            }));
        }
        drop(tx);
        let mut total = 0;
        while let Ok(value) = std::future::poll_fn(|cx| rx.poll_recv(cx)).await {
            total += value;
        }
        total
    });
    let expected: u64 = (0..3u64)
        .map(|id| (0..200).map(|i| id * 1000 + i).sum::<u64>())
        .sum();
    assert_eq!(total, expected);
}
