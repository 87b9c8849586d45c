//! `channel::broadcast`: every receiver sees every value, exact lag counts, close semantics,
//! cancel safety of `recv()`, no leaked values, a multi-thread run with exact accounting, and
//! the sender's view: `len` (values some receiver has yet to read), `closed()`, counts, and
//! weak senders.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use blitz_io::channel::broadcast::{self, RecvError, TryRecvError};
use common::DropCounter;

#[blitz_io::test]
async fn every_receiver_sees_every_value_sent_after_it_subscribed() {
    let (tx, mut early) = broadcast::channel(8);
    tx.send(1).unwrap();
    let mut late = tx.subscribe();
    assert_eq!(tx.send(2).unwrap(), 2);
    assert_eq!(early.recv().await.unwrap(), 1);
    assert_eq!(early.recv().await.unwrap(), 2);
    assert_eq!(late.recv().await.unwrap(), 2);
    assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
    assert!(early.is_empty());
}

#[blitz_io::test]
async fn a_lagging_receiver_learns_exactly_how_many_it_missed() {
    let (tx, mut rx) = broadcast::channel(3);
    let mut try_rx = tx.subscribe();
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    // 10 sent, 3 kept (7, 8, 9): 7 missed, then the oldest kept value.
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.recv().await, Err(RecvError::Lagged(7)));
    assert_eq!(rx.recv().await, Ok(7));
    assert_eq!(rx.recv().await, Ok(8));
    assert_eq!(try_rx.try_recv(), Err(TryRecvError::Lagged(7)));
    assert_eq!(try_rx.try_recv(), Ok(7));
    tx.send(10).unwrap();
    assert_eq!(rx.recv().await, Ok(9));
    assert_eq!(rx.recv().await, Ok(10));
}

#[blitz_io::test]
async fn receivers_drain_then_see_closed() {
    let (tx, mut rx) = broadcast::channel(4);
    let tx2 = tx.clone();
    tx.send("a").unwrap();
    drop(tx);
    tx2.send("b").unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv().await, Ok("a"));
    assert_eq!(rx.try_recv(), Ok("b"));
    assert_eq!(rx.recv().await, Err(RecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = broadcast::channel(2);
    assert_eq!(tx.receiver_count(), 1);
    drop(rx);
    assert_eq!(tx.send(5).unwrap_err().0, 5);
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(6), Ok(1));
    assert_eq!(rx.try_recv(), Ok(6));
    let mut again = rx.resubscribe();
    assert_eq!(again.try_recv(), Err(TryRecvError::Empty));
}

#[test]
#[should_panic(expected = "needs a capacity of at least 1")]
fn zero_capacity_is_a_clear_panic() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn a_dropped_recv_loses_no_value() {
    let (tx, mut rx) = broadcast::channel(4);
    {
        let mut recv = std::pin::pin!(rx.recv());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.send(1).unwrap();
        // Dropped after being woken, before taking the value.
    }
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn buffered_values_are_dropped_with_the_channel_exactly_once() {
    let drops = DropCounter::new();
    let (tx, mut rx) = broadcast::channel(3);
    for _ in 0..5 {
        tx.send(Arc::new(drops.guard())).unwrap();
    }
    // Two were overwritten (dropped by the sends), three are held.
    assert_eq!(drops.get(), 2);
    let read = rx.try_recv();
    assert!(matches!(read, Err(TryRecvError::Lagged(2))));
    let clone = rx.try_recv().unwrap();
    drop((tx, rx));
    assert_eq!(
        drops.get(),
        4,
        "the ring is dropped; one value is still held by `clone`"
    );
    drop(clone);
    assert_eq!(drops.get(), 5);
}

#[test]
fn many_receivers_on_many_threads_get_every_value_in_order() {
    const VALUES: u64 = 20_000;
    const RECEIVERS: usize = 4;
    let rt = common::multi(2);
    let (tx, rx) = broadcast::channel(VALUES as usize);
    let ready = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let mut rx = rx.resubscribe();
            let ready = ready.clone();
            rt.spawn(async move {
                ready.fetch_add(1, Ordering::Relaxed);
                let (mut count, mut sum, mut last) = (0u64, 0u64, None);
                loop {
                    match rx.recv().await {
                        Ok(value) => {
                            assert!(last.is_none_or(|last| value == last + 1), "in order");
                            last = Some(value);
                            count += 1;
                            sum += value;
                        }
                        Err(RecvError::Closed) => return (count, sum),
                        Err(RecvError::Lagged(n)) => {
                            panic!("the ring holds everything: lagged {n}")
                        }
                    }
                }
            })
        })
        .collect();
    drop(rx);
    common::wait_until("every reader started", || {
        ready.load(Ordering::Relaxed) == RECEIVERS
    });
    let writer = std::thread::spawn(move || {
        for value in 0..VALUES {
            tx.send(value).unwrap();
        }
    });
    writer.join().unwrap();
    for reader in readers {
        let (count, sum) = rt.block_on(reader).unwrap();
        assert_eq!(count, VALUES);
        assert_eq!(sum, VALUES * (VALUES - 1) / 2);
    }
}

#[test]
fn blocking_recv_on_a_plain_thread() {
    let (tx, mut rx) = broadcast::channel(1);
    // The receiver exists before the send, so it gets the value whether it is already
    // blocked or not.
    let reader = std::thread::spawn(move || rx.blocking_recv());
    tx.send(9).unwrap();
    assert_eq!(reader.join().unwrap(), Ok(9));
}

#[test]
fn recv_wakes_when_the_last_sender_goes() {
    let rt = common::multi(2);
    let (tx, mut rx) = broadcast::channel::<u8>(1);
    let waiting = rt.spawn(async move { rx.recv().await });
    std::thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(rt.block_on(waiting).unwrap(), Err(RecvError::Closed));
}

#[test]
fn sender_len_counts_values_until_every_receiver_has_read_them() {
    let (tx, mut rx1) = broadcast::channel(4);
    let mut rx2 = tx.subscribe();
    assert!(tx.is_empty());
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    assert_eq!(tx.len(), 3);
    for i in 0..3 {
        assert_eq!(rx1.try_recv(), Ok(i));
    }
    assert_eq!(tx.len(), 3, "rx2 has read nothing");
    assert_eq!(rx2.try_recv(), Ok(0));
    assert_eq!(tx.len(), 2);
    // A receiver that joins later only holds back what is sent after it joined.
    let mut rx3 = tx.subscribe();
    tx.send(3).unwrap();
    assert_eq!(tx.len(), 3);
    assert_eq!(rx2.try_recv(), Ok(1));
    assert_eq!(rx2.try_recv(), Ok(2));
    assert_eq!(tx.len(), 1, "3 is unread by all three");
    assert_eq!(rx1.try_recv(), Ok(3));
    assert_eq!(rx2.try_recv(), Ok(3));
    assert_eq!(tx.len(), 1, "rx3 has not read 3");
    assert_eq!(rx3.try_recv(), Ok(3));
    assert!(tx.is_empty());
}

#[test]
fn sender_len_is_capped_by_the_ring_and_freed_by_a_dropped_receiver() {
    let (tx, rx) = broadcast::channel(2);
    let mut reader = tx.subscribe();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(tx.len(), 2, "only the last two are still held");
    assert_eq!(reader.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(reader.try_recv(), Ok(3));
    assert_eq!(tx.len(), 2, "`rx` has read neither");
    // Dropping the lagging receiver (its next position long overwritten) counts off only
    // what is still held.
    drop(rx);
    assert_eq!(tx.len(), 1, "4 still waits for `reader`");
    drop(reader);
    assert!(tx.is_empty());
    assert_eq!(tx.receiver_count(), 0);
}

#[test]
fn a_panicking_clone_leaves_the_value_unread_until_the_receiver_goes() {
    #[derive(Debug)]
    struct FragileClone(bool);
    impl Clone for FragileClone {
        fn clone(&self) -> Self {
            assert!(!self.0, "{}", common::EXPECTED);
            FragileClone(self.0)
        }
    }
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(FragileClone(true)).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.try_recv()));
    assert!(panicked.is_err());
    assert_eq!(tx.len(), 1, "the value was not delivered");
    drop(rx);
    assert!(tx.is_empty());
}

#[test]
fn sender_count_and_same_channel() {
    let (tx, rx) = broadcast::channel::<u8>(1);
    let (other_tx, other_rx) = broadcast::channel::<u8>(1);
    assert_eq!(tx.sender_count(), 1);
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    assert!(tx.same_channel(&tx2));
    assert!(!tx.same_channel(&other_tx));
    assert!(rx.same_channel(&tx.subscribe()));
    assert!(!rx.same_channel(&other_rx));
    drop(tx2);
    assert_eq!(tx.sender_count(), 1);
}

#[test]
fn a_sender_made_alone_gets_receivers_by_subscribing() {
    let tx = broadcast::Sender::new(2);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send("lost").unwrap_err().0, "lost");
    assert!(tx.is_empty(), "a failed send holds nothing");
    let mut rx = tx.subscribe();
    assert_eq!(tx.send("kept"), Ok(1));
    assert_eq!(rx.try_recv(), Ok("kept"));
}

#[test]
#[should_panic(expected = "needs a capacity of at least 1")]
fn a_sender_made_alone_with_zero_capacity_is_a_clear_panic() {
    let _ = broadcast::Sender::<u8>::new(0);
}

#[test]
fn closed_completes_when_the_last_receiver_goes() {
    let rt = common::multi(2);
    let (tx, rx) = broadcast::channel::<u8>(1);
    let rx2 = rx.resubscribe();
    let tx = Arc::new(tx);
    let (parked, is_parked) = std::sync::mpsc::channel();
    let waiting = rt.spawn({
        let tx = tx.clone();
        async move { common::signal_when_pending(tx.closed(), parked).await }
    });
    drop(rx);
    is_parked.recv().unwrap();
    std::thread::spawn(move || drop(rx2)).join().unwrap();
    rt.block_on(waiting).unwrap();
    assert_eq!(tx.receiver_count(), 0);
    // With no receiver it completes at once.
    rt.block_on(tx.closed());
}

#[test]
fn a_dropped_closed_future_is_not_woken() {
    let (tx, rx) = broadcast::channel::<u8>(1);
    let (wakes, waker) = common::counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut closed = std::pin::pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
    }
    let mut closed = std::pin::pin!(tx.closed());
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        1,
        "only the live future is woken"
    );
    assert!(closed.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn a_weak_sender_does_not_keep_the_channel_open() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert!(weak.same_channel(&weak2));
    let upgraded = weak.upgrade().expect("a sender is alive");
    upgraded.send(1).unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "the upgraded sender keeps it open");
    drop(upgraded);
    assert!(rx.is_closed(), "weak handles alone do not");
    assert!(weak.upgrade().is_none(), "and cannot reopen it");
    assert!(weak2.upgrade().is_none());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_weak_sender_upgrades_while_nobody_listens() {
    let tx = broadcast::Sender::<u32>::new(2);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().expect("a sender is alive");
    assert!(upgraded.send(1).is_err(), "no receiver yet");
    let mut rx = upgraded.subscribe();
    upgraded.send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn strong_and_weak_counts_follow_every_handle() {
    let (tx, rx) = broadcast::channel::<u32>(1);
    let counts = |tx: &broadcast::Sender<u32>| (tx.strong_count(), tx.weak_count());
    assert_eq!(counts(&tx), (1, 0));
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    let tx2 = tx.clone();
    assert_eq!(counts(&tx), (2, 2));
    assert_eq!(tx.strong_count(), tx.sender_count());
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 2));
    let upgraded = weak.upgrade().unwrap();
    assert_eq!(counts(&tx), (3, 2));
    drop((upgraded, tx2, weak2));
    assert_eq!(counts(&tx), (1, 1));
    drop(tx);
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 1));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 0);
}
