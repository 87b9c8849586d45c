//! `mpmc::Sender::reserve_many`/`try_reserve_many` and `PermitIterator`: all-or-nothing
//! reservations counted against the capacity, unused room given back in one step (waking as
//! many senders), a waiting batch that keeps its place until its room is free at once and
//! then passes a wake on, closing, cancellation, and exact accounting under stress.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use blitz_io::channel::mpmc::{self, RecvError, SendError, TryRecvError, TrySendError};
use common::{counting_waker, scaled};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn try_reserve_many_is_all_or_nothing_and_counts_against_the_capacity() {
    let (tx, rx) = mpmc::bounded::<u32>(4);
    tx.try_send(0).unwrap();
    assert!(matches!(
        tx.try_reserve_many(4),
        Err(TrySendError::Full(()))
    ));
    // The failed attempt took nothing: three units are still free.
    let mut permits = tx.try_reserve_many(3).unwrap();
    assert_eq!(permits.len(), 3);
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    permits.next().unwrap().send(1);
    assert_eq!(permits.len(), 2);
    assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
    // Dropping the iterator gives back the two units it still held.
    drop(permits);
    tx.try_send(2).unwrap();
    tx.try_send(3).unwrap();
    assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
    for expected in 0..4 {
        assert_eq!(rx.try_recv(), Ok(expected));
    }
}

#[test]
fn zero_and_oversized_requests() {
    let (tx, rx) = mpmc::bounded::<u32>(2);
    let mut none = tx.try_reserve_many(0).unwrap();
    assert!(none.next().is_none());
    assert!(none.next().is_none(), "fused");
    // More than the channel can ever hold: `Full`, even while it is empty.
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Full(()))
    ));
    assert_eq!(tx.try_reserve_many(2).unwrap().len(), 2);
    rx.close();
    assert!(matches!(
        tx.try_reserve_many(0),
        Err(TrySendError::Closed(()))
    ));
    assert!(matches!(
        tx.try_reserve_many(1),
        Err(TrySendError::Closed(()))
    ));
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Closed(()))
    ));
}

#[test]
#[should_panic(expected = "at most 2 values can be reserved at once")]
fn reserve_many_beyond_the_capacity_panics_instead_of_waiting_forever() {
    let (tx, _rx) = mpmc::bounded::<u32>(2);
    let _never = tx.reserve_many(3);
}

#[test]
fn unbounded_reserve_many_succeeds_until_closed() {
    let (tx, rx) = mpmc::unbounded::<usize>();
    let permits = tx.try_reserve_many(1000).unwrap();
    let mut waiting = pin!(tx.reserve_many(50));
    let (_, waker) = counting_waker();
    let Poll::Ready(Ok(more)) = poll_once(waiting.as_mut(), &waker) else {
        panic!("an unbounded channel always has room");
    };
    for (i, permit) in permits.chain(more).enumerate() {
        permit.send(i);
    }
    assert_eq!(rx.len(), 1050);
    rx.close();
    assert!(matches!(
        tx.try_reserve_many(1),
        Err(TrySendError::Closed(()))
    ));
}

#[test]
fn dropping_an_iterator_wakes_one_waiting_sender_per_unit_it_gives_back() {
    let (tx, rx) = mpmc::bounded::<u32>(3);
    let mut permits = tx.try_reserve_many(3).unwrap();
    permits.next().unwrap().send(7);
    let counters: Vec<_> = (0..3).map(|_| counting_waker()).collect();
    let mut sends: Vec<_> = (0..3).map(|i| Box::pin(tx.send(i))).collect();
    for (send, (_, waker)) in sends.iter_mut().zip(&counters) {
        assert!(poll_once(send.as_mut(), waker).is_pending());
    }
    drop(permits); // two units back
    let wakes: Vec<_> = counters.iter().map(|(w, _)| w.load(SeqCst)).collect();
    assert_eq!(wakes, [1, 1, 0]);
    for (send, (_, waker)) in sends.iter_mut().zip(&counters).take(2) {
        assert_eq!(poll_once(send.as_mut(), waker), Poll::Ready(Ok(())));
    }
    assert!(poll_once(sends[2].as_mut(), &counters[2].1).is_pending());
    assert_eq!(
        [rx.try_recv(), rx.try_recv(), rx.try_recv()],
        [Ok(7), Ok(0), Ok(1)]
    );
}

/// A batch at the front of the sender queue completes only when its whole room is free; the
/// single units freed before that wake it (it keeps its place), not the sender queued behind
/// it. Once through, it passes a wake on to that sender.
#[test]
fn a_waiting_batch_keeps_its_place_and_then_passes_a_wake_on() {
    let (tx, rx) = mpmc::bounded::<u32>(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    let (batch_woken, batch_waker) = counting_waker();
    let (send_woken, send_waker) = counting_waker();
    let mut batch = pin!(tx.reserve_many(2));
    let mut send = pin!(tx.send(10));
    assert!(poll_once(batch.as_mut(), &batch_waker).is_pending());
    assert!(poll_once(send.as_mut(), &send_waker).is_pending());

    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(batch_woken.load(SeqCst), 1);
    assert!(
        poll_once(batch.as_mut(), &batch_waker).is_pending(),
        "one unit is not enough"
    );
    assert_eq!(send_woken.load(SeqCst), 0, "the batch kept its place");

    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(batch_woken.load(SeqCst), 2);
    let Poll::Ready(Ok(permits)) = poll_once(batch.as_mut(), &batch_waker) else {
        panic!("two units are free");
    };
    assert_eq!(send_woken.load(SeqCst), 1, "the batch passed a wake on");
    // The channel is full again (one value, two permits): the woken send waits on.
    assert!(poll_once(send.as_mut(), &send_waker).is_pending());
    for (permit, value) in permits.zip([11, 12]) {
        permit.send(value);
    }
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(send_woken.load(SeqCst) >= 2);
    assert_eq!(poll_once(send.as_mut(), &send_waker), Poll::Ready(Ok(())));
    assert_eq!(
        [rx.try_recv(), rx.try_recv(), rx.try_recv()],
        [Ok(11), Ok(12), Ok(10)]
    );
}

#[test]
fn a_woken_batch_dropped_before_acting_passes_the_wake_on() {
    let (tx, rx) = mpmc::bounded::<u32>(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let (_, batch_waker) = counting_waker();
    let (next_woken, next_waker) = counting_waker();
    let mut batch = Box::pin(tx.reserve_many(2));
    let mut next = pin!(tx.reserve());
    assert!(poll_once(batch.as_mut(), &batch_waker).is_pending());
    assert!(poll_once(next.as_mut(), &next_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(next_woken.load(SeqCst), 0);
    drop(batch);
    assert_eq!(next_woken.load(SeqCst), 1);
    assert!(matches!(
        poll_once(next.as_mut(), &next_waker),
        Poll::Ready(Ok(_))
    ));
}

#[test]
fn close_fails_a_waiting_batch_and_held_permits_still_send() {
    let (tx, rx) = mpmc::bounded::<u32>(3);
    let held = tx.try_reserve_many(2).unwrap();
    let (woken, waker) = counting_waker();
    let mut batch = pin!(tx.reserve_many(2));
    assert!(poll_once(batch.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(woken.load(SeqCst), 1);
    assert!(matches!(
        poll_once(batch.as_mut(), &waker),
        Poll::Ready(Err(SendError(())))
    ));
    // The held iterator still sends; the receivers see the end only once it is gone.
    let mut held = held;
    held.next().unwrap().send(5);
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let (recv_woken, recv_waker) = counting_waker();
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), &recv_waker).is_pending());
    drop(held);
    assert_eq!(recv_woken.load(SeqCst), 1);
    assert_eq!(
        poll_once(recv.as_mut(), &recv_waker),
        Poll::Ready(Err(RecvError))
    );
}

/// Producers send in batches of varying size through `reserve_many` (sometimes giving part of
/// a batch back) next to producers that use plain `send`; consumers receive until closed.
/// Every value arrives exactly once, in order per producer, and nobody hangs.
#[test]
fn stress_batches_and_single_sends() {
    const PRODUCERS: usize = 4;
    for cap in [1, 3, 16] {
        let per = scaled(3_000);
        let rt = common::multi(4);
        let received = rt.block_on(async move {
            let (tx, rx) = mpmc::bounded::<(usize, usize)>(cap);
            for id in 0..PRODUCERS {
                let tx = tx.clone();
                drop(blitz_io::task::spawn(async move {
                    let mut seq = 0;
                    let mut round = 0;
                    while seq < per {
                        round += 1;
                        if id % 2 == 1 {
                            tx.send((id, seq)).await.unwrap();
                            seq += 1;
                            continue;
                        }
                        let want = (round % cap) + 1;
                        let mut permits = tx.reserve_many(want).await.unwrap();
                        assert_eq!(permits.len(), want);
                        // Every third batch gives its last unit back unused.
                        let use_now = if round % 3 == 0 { want - 1 } else { want };
                        for permit in permits.by_ref().take(use_now) {
                            if seq < per {
                                permit.send((id, seq));
                                seq += 1;
                            }
                        }
                    }
                }));
            }
            drop(tx);
            common::drain_tagged(rx, PRODUCERS, 2, |_| {}).await
        });
        common::assert_all_tagged_received(received, PRODUCERS, per, &format!("cap {cap}"));
    }
}
