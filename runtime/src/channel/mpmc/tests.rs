//! Unit tests of the ring, the segment list and the waiter queues, driven by hand-made wakers
//! so every interleaving step is explicit.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use super::*;

/// Counts how often it was woken.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counter() -> (StdArc<Count>, Waker) {
    let count = StdArc::new(Count::default());
    (count.clone(), Waker::from(count))
}

fn poll<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn ring_wraps_around_many_laps_with_odd_capacity() {
    let (tx, rx) = bounded(3);
    let mut next = 0;
    for round in 0..50 {
        let burst = round % 4;
        for i in 0..burst.min(3) {
            tx.try_send(round * 10 + i).unwrap();
        }
        if burst >= 3 {
            assert_eq!(tx.try_send(0), Err(TrySendError::Full(0)));
        }
        assert_eq!(rx.len(), burst.min(3));
        for i in 0..burst.min(3) {
            assert_eq!(rx.try_recv(), Ok(round * 10 + i));
            next += 1;
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
    assert!(next > 0);
}

#[test]
fn ring_positions_wrap_around_the_word() {
    for cap in [1, 3, 4] {
        let (tx, rx) = new::<usize>(Queue::Bounded(ring::Ring::near_wrap(cap)));
        let mut next = 0;
        for round in 0..(5 * cap + 2) {
            let permit = (round % 2 == 0).then(|| tx.try_reserve().unwrap());
            let room = cap - usize::from(permit.is_some());
            for i in 0..room {
                tx.try_send(round * 100 + i).unwrap();
            }
            assert!(tx.try_send(0).is_err());
            assert_eq!(rx.len(), room);
            if let Some(permit) = permit {
                permit.send(round * 100 + 99);
            }
            for i in 0..room {
                assert_eq!(rx.try_recv(), Ok(round * 100 + i));
                next += 1;
            }
            if round % 2 == 0 {
                assert_eq!(rx.try_recv(), Ok(round * 100 + 99));
            }
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
        assert!(next > 0);
    }
}

#[test]
fn close_keeps_buffered_values_then_reports_closed() {
    for (tx, rx) in [bounded(4), unbounded()] {
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        rx.close();
        assert!(tx.is_closed() && rx.is_closed());
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

#[test]
fn segments_recycle_blocks_across_many_values() {
    let (tx, rx) = unbounded();
    for i in 0..(segments::BLOCK * 5 + 7) {
        tx.try_send(i).unwrap();
    }
    assert_eq!(rx.len(), segments::BLOCK * 5 + 7);
    for i in 0..(segments::BLOCK * 5 + 7) {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert!(rx.is_empty());
    assert_eq!(rx.capacity(), None);
}

#[test]
#[should_panic(expected = "use mpmc::bounded(1)")]
fn zero_capacity_is_refused() {
    let _ = bounded::<u8>(0);
}

#[test]
fn waiting_receiver_is_woken_by_a_send_and_takes_from_the_ring() {
    let (tx, rx) = bounded(1);
    let (count, waker) = counter();
    let mut recv = pin!(rx.recv());
    assert!(poll(recv.as_mut(), &waker).is_pending());
    assert_eq!(rx.chan.recv_waiters.count.load(SeqCst), 1);
    tx.try_send(5).unwrap();
    assert_eq!(count.0.load(SeqCst), 1);
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Ok(5)));
    assert_eq!(rx.chan.recv_waiters.count.load(SeqCst), 0);
}

#[test]
fn a_notified_receiver_dropped_before_acting_passes_the_wake_on() {
    let (tx, rx) = bounded(2);
    let (first_count, first_waker) = counter();
    let (second_count, second_waker) = counter();
    let mut first = Box::pin(rx.recv());
    let mut second = pin!(rx.recv());
    assert!(poll(first.as_mut(), &first_waker).is_pending());
    assert!(poll(second.as_mut(), &second_waker).is_pending());
    tx.try_send(1).unwrap();
    assert_eq!(first_count.0.load(SeqCst), 1);
    assert_eq!(second_count.0.load(SeqCst), 0);
    drop(first);
    assert_eq!(second_count.0.load(SeqCst), 1, "the wake moved on");
    assert_eq!(poll(second.as_mut(), &second_waker), Poll::Ready(Ok(1)));
}

#[test]
fn a_notified_sender_dropped_before_acting_passes_the_wake_on() {
    let (tx, rx) = bounded(1);
    tx.try_send(0).unwrap();
    let (first_count, first_waker) = counter();
    let (second_count, second_waker) = counter();
    let mut first = Box::pin(tx.send(1));
    let mut second = pin!(tx.send(2));
    assert!(poll(first.as_mut(), &first_waker).is_pending());
    assert!(poll(second.as_mut(), &second_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(first_count.0.load(SeqCst), 1);
    drop(first); // its value 1 was never delivered
    assert_eq!(second_count.0.load(SeqCst), 1);
    assert_eq!(poll(second.as_mut(), &second_waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn close_wakes_every_waiter_with_an_error() {
    let (tx, rx) = bounded::<u32>(1);
    let (count, waker) = counter();
    let mut receivers: Vec<_> = (0..40).map(|_| Box::pin(rx.recv())).collect();
    for recv in &mut receivers {
        assert!(poll(recv.as_mut(), &waker).is_pending());
    }
    tx.close();
    assert_eq!(
        count.0.load(SeqCst),
        40,
        "more waiters than one wake batch holds"
    );
    for recv in &mut receivers {
        assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Err(RecvError)));
    }
}

#[test]
fn a_refused_notified_receiver_keeps_its_place_at_the_front() {
    let (tx, rx) = bounded(2);
    let (a_count, a_waker) = counter();
    let (b_count, b_waker) = counter();
    let mut a = pin!(rx.recv());
    let mut b = pin!(rx.recv());
    assert!(poll(a.as_mut(), &a_waker).is_pending());
    assert!(poll(b.as_mut(), &b_waker).is_pending());
    tx.try_send(1).unwrap(); // notifies `a`
    assert_eq!(rx.try_recv(), Ok(1)); // a third receiver takes the value first
    assert!(poll(a.as_mut(), &a_waker).is_pending()); // `a` re-links at the front
    tx.try_send(2).unwrap();
    assert_eq!(a_count.0.load(SeqCst), 2);
    assert_eq!(b_count.0.load(SeqCst), 0);
    assert_eq!(poll(a.as_mut(), &a_waker), Poll::Ready(Ok(2)));
}

#[test]
fn stream_yields_values_then_ends() {
    use futures_core::{FusedStream, Stream};
    let (tx, mut rx) = bounded(4);
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(std::pin::Pin::new(&mut rx).poll_next(&mut cx).is_pending());
    tx.try_send(7).unwrap();
    assert_eq!(count.0.load(SeqCst), 1);
    assert_eq!(
        std::pin::Pin::new(&mut rx).poll_next(&mut cx),
        Poll::Ready(Some(7))
    );
    drop(tx);
    assert_eq!(
        std::pin::Pin::new(&mut rx).poll_next(&mut cx),
        Poll::Ready(None)
    );
    assert!(rx.is_terminated());
}

#[test]
fn lazily_allocated_chunks_wrap_and_drop_cleanly() {
    let cap = 2 * 1024 + 5; // three chunks, the last one short
    let (tx, rx) = bounded(cap);
    for lap in 0..3 {
        for i in 0..cap {
            tx.try_send(lap * cap + i).unwrap();
        }
        assert!(tx.try_send(0).is_err(), "full at exactly cap");
        for i in 0..cap - 7 {
            assert_eq!(rx.try_recv(), Ok(lap * cap + i));
        }
        for i in cap - 7..cap {
            assert_eq!(rx.try_recv(), Ok(lap * cap + i));
        }
    }
    // Leave values in two chunks and drop the channel with them.
    let drops = StdArc::new(());
    let (tx, rx) = bounded(cap);
    for _ in 0..1500 {
        tx.try_send(drops.clone()).unwrap();
    }
    drop((tx, rx));
    assert_eq!(StdArc::strong_count(&drops), 1);
}

#[test]
#[should_panic(expected = "capacity too large")]
fn a_capacity_without_room_for_laps_is_refused() {
    let _ = bounded::<u8>(if usize::BITS >= 64 {
        1 << 38
    } else {
        usize::MAX
    });
}

#[test]
fn buffered_values_are_dropped_once_across_the_stamp_wrap() {
    let value = StdArc::new(());
    for cap in [1, 3, 4] {
        let (tx, rx) = new::<StdArc<()>>(Queue::Bounded(ring::Ring::near_wrap(cap)));
        for _ in 0..(2 * cap + 1) {
            // Move head and tail across the wrap, then leave the ring full.
            tx.try_send(value.clone()).unwrap();
            drop(rx.try_recv().unwrap());
        }
        for _ in 0..cap {
            tx.try_send(value.clone()).unwrap();
        }
        assert_eq!(StdArc::strong_count(&value), 1 + cap);
        drop((tx, rx));
        assert_eq!(StdArc::strong_count(&value), 1);
    }
}
