//! `mpmc::Sender::reserve` and `Permit`: values plus permits never exceed the capacity, exact
//! accounting under multi-thread stress with permits, a permit held across a close, and the
//! cancellation of a waiting `reserve()`.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use blitz_io::channel::mpmc::{self, RecvError, SendError, TryRecvError, TrySendError};
use common::{counting_waker, scaled, DropCounter};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn permits_and_values_never_exceed_the_capacity() {
    for cap in [1, 3, 8] {
        let (tx, rx) = mpmc::bounded::<usize>(cap);
        // Over several laps: mix buffered values and held permits, check the room left.
        for round in 0..(4 * cap + 3) {
            let buffered = round % (cap + 1);
            for i in 0..buffered {
                tx.try_send(i).unwrap();
            }
            let mut permits = Vec::new();
            while let Ok(permit) = tx.try_reserve() {
                permits.push(permit);
            }
            assert_eq!(permits.len(), cap - buffered, "cap {cap}, round {round}");
            assert_eq!(tx.try_send(99), Err(TrySendError::Full(99)));
            assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
            // Half the permits send, half give their room back.
            let sent = permits.len() / 2;
            for (i, permit) in permits.drain(..).enumerate() {
                if i < sent {
                    permit.send(1000 + i);
                }
            }
            assert_eq!(rx.len(), buffered + sent);
            for i in 0..buffered {
                assert_eq!(rx.try_recv(), Ok(i));
            }
            for i in 0..sent {
                assert_eq!(rx.try_recv(), Ok(1000 + i));
            }
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    }
}

#[test]
fn a_held_permit_does_not_hold_back_other_values() {
    let (tx, rx) = mpmc::bounded::<u32>(3);
    let permit = tx.try_reserve().unwrap();
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(1)); // the permit's room is not a position in the ring
    permit.send(3);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn unbounded_reserve_succeeds_until_closed() {
    let (tx, rx) = mpmc::unbounded::<u32>();
    let permits: Vec<_> = (0..100).map(|_| tx.try_reserve().unwrap()).collect();
    for (i, permit) in permits.into_iter().enumerate() {
        permit.send(i as u32);
    }
    assert_eq!(rx.len(), 100);
    tx.close();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    let rt = common::current();
    rt.block_on(async { assert!(matches!(tx.reserve().await, Err(SendError(())))) });
}

/// Chosen semantics (as Tokio's): a permit taken before the close still sends, and receivers
/// see the end only after every permit was used or dropped.
#[test]
fn a_permit_held_across_close_still_sends_and_delays_the_end() {
    for (tx, rx) in [mpmc::bounded::<u32>(2), mpmc::unbounded()] {
        let (woken, waker) = counting_waker();
        let sending = tx.try_reserve().unwrap();
        let dropping = tx.try_reserve().unwrap();
        rx.close();
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
        assert_eq!(tx.try_send(5), Err(TrySendError::Closed(5)));
        // Closed, but two permits are out: a receiver waits rather than seeing the end.
        let mut recv = pin!(rx.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
        sending.send(7);
        assert_eq!(woken.load(SeqCst), 1);
        assert_eq!(poll_once(recv.as_mut(), &waker), Poll::Ready(Ok(7)));
        let mut recv = pin!(rx.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
        // The last permit goes unused: now the waiting receiver sees the end.
        drop(dropping);
        assert_eq!(woken.load(SeqCst), 2);
        assert_eq!(
            poll_once(recv.as_mut(), &waker),
            Poll::Ready(Err(RecvError))
        );
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

#[test]
fn a_dropped_permit_wakes_a_waiting_sender() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let permit = tx.try_reserve().unwrap();
    let (woken, waker) = counting_waker();
    let mut send = pin!(tx.send(4));
    assert!(poll_once(send.as_mut(), &waker).is_pending());
    drop(permit);
    assert_eq!(woken.load(SeqCst), 1);
    assert_eq!(poll_once(send.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn cancelling_a_waiting_reserve_loses_nothing_and_passes_the_wake_on() {
    let drops = DropCounter::new();
    let (tx, rx) = mpmc::bounded(1);
    tx.try_send(drops.guard()).unwrap();
    let (woken, waker) = counting_waker();
    let (next_woken, next_waker) = counting_waker();

    // Pending, then dropped: holds no room afterwards.
    let mut pending = Box::pin(tx.reserve());
    assert!(poll_once(pending.as_mut(), &waker).is_pending());
    drop(pending);

    // Woken for the free slot, then dropped before acting: the next waiter gets the wake.
    let mut first = Box::pin(tx.reserve());
    let mut next = pin!(tx.reserve());
    assert!(poll_once(first.as_mut(), &waker).is_pending());
    assert!(poll_once(next.as_mut(), &next_waker).is_pending());
    drop(rx.try_recv().unwrap());
    assert_eq!(woken.load(SeqCst), 1);
    assert_eq!(next_woken.load(SeqCst), 0);
    drop(first);
    assert_eq!(next_woken.load(SeqCst), 1);
    let Poll::Ready(Ok(permit)) = poll_once(next.as_mut(), &next_waker) else {
        panic!("the wake was passed on with the room");
    };
    permit.send(drops.guard());
    assert_eq!(rx.len(), 1);
    drop(rx.try_recv().unwrap());
    assert_eq!(drops.get(), 2);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
}

#[test]
fn a_closed_channel_fails_a_waiting_reserve() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let (woken, waker) = counting_waker();
    let mut reserve = pin!(tx.reserve());
    assert!(poll_once(reserve.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(woken.load(SeqCst), 1);
    assert!(matches!(
        poll_once(reserve.as_mut(), &waker),
        Poll::Ready(Err(SendError(())))
    ));
}

/// Producers alternate between `send`, `reserve` + `Permit::send` and a reserved permit given
/// back unused; consumers receive until closed. Every value arrives exactly once (count and
/// sum), in order per producer.
#[test]
fn stress_with_permits() {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 3;
    for cap in [1, 4, 64] {
        let per = scaled(4_000);
        let rt = common::multi(4);
        let received = rt.block_on(async move {
            let (tx, rx) = mpmc::bounded::<(usize, usize)>(cap);
            for id in 0..PRODUCERS {
                let tx = tx.clone();
                drop(blitz_io::task::spawn(async move {
                    for seq in 0..per {
                        match seq % 3 {
                            0 => tx.send((id, seq)).await.unwrap(),
                            1 => tx.reserve().await.unwrap().send((id, seq)),
                            _ => {
                                drop(tx.reserve().await.unwrap());
                                let permit = tx.reserve().await.unwrap();
                                permit.send((id, seq));
                            }
                        }
                    }
                }));
            }
            drop(tx);
            common::drain_tagged(rx, PRODUCERS, CONSUMERS, move |rx| assert!(rx.len() <= cap)).await
        });
        common::assert_all_tagged_received(received, PRODUCERS, per, &format!("cap {cap}"));
    }
}

/// Plain threads: permits taken and used with `try_reserve` in a spin alongside blocking
/// receivers; exact accounting.
#[test]
fn stress_try_reserve_on_threads() {
    let per = scaled(20_000);
    let (tx, rx) = mpmc::bounded::<usize>(2);
    let producers: Vec<_> = (0..2)
        .map(|id| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..per {
                    loop {
                        match tx.try_reserve() {
                            Ok(permit) => {
                                permit.send(id * per + i);
                                break;
                            }
                            Err(TrySendError::Full(())) => std::thread::yield_now(),
                            Err(TrySendError::Closed(())) => unreachable!("receivers live"),
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let (mut count, mut sum) = (0usize, 0usize);
                while let Ok(value) = rx.blocking_recv() {
                    count += 1;
                    sum += value;
                }
                (count, sum)
            })
        })
        .collect();
    drop(rx);
    for producer in producers {
        producer.join().unwrap();
    }
    let (mut count, mut sum) = (0, 0);
    for consumer in consumers {
        let (c, s) = consumer.join().unwrap();
        count += c;
        sum += s;
    }
    assert_eq!(count, 2 * per);
    assert_eq!(sum, (0..2 * per).sum::<usize>());
}

/// `reserve()`s that wait only because the permit count is at its limit (the capacity has
/// room) are woken as permits are used, not only when one is dropped or a value is received:
/// each permit sent lets one more waiting reserve through.
#[cfg(target_pointer_width = "64")]
#[test]
fn used_permits_wake_reserves_waiting_at_the_permit_limit() {
    const MAX_OUTSTANDING: usize = (1 << 16) - 1;
    let (tx, rx) = mpmc::bounded::<usize>(MAX_OUTSTANDING + 10);
    let mut permits = Vec::new();
    while let Ok(permit) = tx.try_reserve() {
        permits.push(permit);
    }
    assert_eq!(
        permits.len(),
        MAX_OUTSTANDING,
        "the permit count is the limit here"
    );
    let (first_woken, first_waker) = counting_waker();
    let (second_woken, second_waker) = counting_waker();
    let mut first = pin!(tx.reserve());
    let mut second = pin!(tx.reserve());
    assert!(poll_once(first.as_mut(), &first_waker).is_pending());
    assert!(poll_once(second.as_mut(), &second_waker).is_pending());
    permits.pop().unwrap().send(1);
    permits.pop().unwrap().send(2);
    assert_eq!(
        first_woken.load(SeqCst),
        1,
        "the first waiting reserve was not woken"
    );
    assert_eq!(
        second_woken.load(SeqCst),
        1,
        "the second waiting reserve was not woken"
    );
    for (reserve, waker, value) in [(first, &first_waker, 3), (second, &second_waker, 4)] {
        let Poll::Ready(Ok(permit)) = poll_once(reserve, waker) else {
            panic!("a woken reserve found no room");
        };
        permit.send(value);
    }
    drop(permits);
    for expected in 1..=4 {
        assert_eq!(rx.try_recv(), Ok(expected));
    }
}
