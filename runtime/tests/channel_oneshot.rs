//! `channel::oneshot`: delivery across threads, the sender's `closed()`, close and drop in
//! every order, the value dropped exactly once whoever ends up owning it, and the receiver's
//! `is_empty`/`is_terminated`.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use blitz_io::channel::oneshot::{self, TryRecvError};
use common::DropCounter;

fn scaled(n: usize) -> usize {
    let valgrind = std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("vgpreload"));
    if valgrind {
        (n / 50).max(10)
    } else {
        n
    }
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn many_round_trips_across_workers() {
    let rounds = scaled(2_000);
    let rt = common::multi(4);
    let total = rt.block_on(async move {
        let mut total = 0u64;
        for i in 0..rounds as u64 {
            let (ask_tx, ask_rx) = oneshot::channel::<u64>();
            let (answer_tx, answer_rx) = oneshot::channel::<u64>();
            drop(blitz_io::task::spawn(async move {
                let question = ask_rx.await.unwrap();
                answer_tx.send(question * 2).unwrap();
            }));
            ask_tx.send(i).unwrap();
            total += answer_rx.await.unwrap();
        }
        total
    });
    let n = rounds as u64;
    assert_eq!(total, n * (n - 1));
}

#[test]
fn threads_race_send_against_receiver_drop_and_every_value_drops_once() {
    let drops = DropCounter::new();
    let rounds = scaled(2_000);
    let mut delivered = 0;
    for _ in 0..rounds {
        let (tx, rx) = oneshot::channel();
        let guard = drops.guard();
        let sender = std::thread::spawn(move || tx.send(guard).is_ok());
        drop(rx);
        if sender.join().unwrap() {
            delivered += 1;
        }
    }
    // Whether delivered (then dropped with the channel) or handed back, each value drops once.
    assert_eq!(drops.get(), rounds);
    assert!(delivered <= rounds);
}

#[test]
fn sender_dropped_without_sending_is_an_error() {
    let rt = common::multi(2);
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        drop(blitz_io::task::spawn(async move { drop(tx) }));
        assert!(rx.await.is_err());
    });
    let (tx, mut rx) = oneshot::channel::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_future_wakes_on_receiver_drop_and_close() {
    for close_explicitly in [false, true] {
        let (mut tx, mut rx) = oneshot::channel::<u8>();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        {
            let mut closed = std::pin::pin!(tx.closed());
            assert!(closed.as_mut().poll(&mut cx).is_pending());
            // A second poll with the same waker keeps the registration.
            assert!(closed.as_mut().poll(&mut cx).is_pending());
            if close_explicitly {
                rx.close();
            } else {
                drop(std::mem::replace(&mut rx, oneshot::channel().1));
            }
            assert_eq!(count.0.load(SeqCst), 1);
            assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
        }
        assert!(tx.is_closed());
        assert_eq!(tx.send(5), Err(5));
    }
}

#[test]
fn a_receiver_polled_with_a_new_waker_is_woken_through_the_new_one() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    let first = Arc::new(Count::default());
    let second = Arc::new(Count::default());
    let first_waker = Waker::from(first.clone());
    let second_waker = Waker::from(second.clone());
    let mut pinned = std::pin::Pin::new(&mut rx);
    assert!(pinned
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(pinned
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    tx.send(4).unwrap();
    assert_eq!(first.0.load(SeqCst), 0);
    assert_eq!(second.0.load(SeqCst), 1);
    assert_eq!(
        pinned.poll(&mut Context::from_waker(&second_waker)),
        Poll::Ready(Ok(4))
    );
}

#[test]
fn value_sent_before_close_is_still_received() {
    let drops = DropCounter::new();
    let (tx, mut rx) = oneshot::channel();
    tx.send(drops.guard()).ok().unwrap();
    rx.close();
    let value = rx.try_recv().ok().unwrap();
    assert_eq!(drops.get(), 0);
    drop(value);
    assert_eq!(drops.get(), 1);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Closed));
}

#[test]
fn unreceived_value_drops_with_the_channel() {
    let drops = DropCounter::new();
    let (tx, rx) = oneshot::channel();
    tx.send(drops.guard()).ok().unwrap();
    assert_eq!(drops.get(), 0);
    drop(rx);
    assert_eq!(drops.get(), 1);
}

#[test]
fn blocking_recv_from_a_thread_and_its_panic_inside_a_runtime() {
    let (tx, rx) = oneshot::channel();
    let rt = common::multi(1);
    drop(rt.spawn(async move { tx.send(11).unwrap() }));
    assert_eq!(rx.blocking_recv(), Ok(11));

    common::quiet_expected_panics();
    let (_tx, rx) = oneshot::channel::<u8>();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        common::current().block_on(async move { rx.blocking_recv() })
    }));
    let payload = outcome.unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(text.contains("receiver.await"), "{text}");
}

/// With a waker registered on both sides (and the receiver's replaced once), every way the
/// two handles can end frees the cell once: the value and every waker clone are dropped
/// exactly once (the wakers' reference counts return to 1).
#[test]
fn every_ending_drops_the_value_and_the_wakers_once() {
    for ending in 0..5 {
        let drops = DropCounter::new();
        let rx_count = Arc::new(Count::default());
        let rx_waker = Waker::from(rx_count.clone());
        let other_rx_waker = Waker::from(Arc::new(Count::default()));
        let tx_count = Arc::new(Count::default());
        let tx_waker = Waker::from(tx_count.clone());
        let (mut tx, mut rx) = oneshot::channel();
        let mut recv = std::pin::pin!(&mut rx);
        let pending = recv
            .as_mut()
            .poll(&mut Context::from_waker(&other_rx_waker));
        assert!(pending.is_pending());
        let pending = recv.as_mut().poll(&mut Context::from_waker(&rx_waker));
        assert!(pending.is_pending());
        assert!(tx
            .poll_closed(&mut Context::from_waker(&tx_waker))
            .is_pending());
        match ending {
            0 => {
                assert!(tx.send(drops.guard()).is_ok());
                assert!(rx.try_recv().is_ok());
            }
            1 => {
                assert!(tx.send(drops.guard()).is_ok());
                drop(rx); // the value goes with the channel
            }
            2 => {
                drop(rx);
                assert!(tx.send(drops.guard()).is_err());
            }
            3 => {
                drop(tx);
                assert_eq!(rx.try_recv().err(), Some(TryRecvError::Closed));
                drop(drops.guard());
            }
            _ => {
                rx.close();
                assert!(tx.send(drops.guard()).is_err());
                assert_eq!(rx.try_recv().err(), Some(TryRecvError::Closed));
            }
        }
        assert_eq!(drops.get(), 1, "ending {ending}");
        drop((rx_waker, tx_waker));
        assert_eq!(Arc::strong_count(&rx_count), 1, "ending {ending}");
        assert_eq!(Arc::strong_count(&tx_count), 1, "ending {ending}");
    }
}

#[test]
fn is_empty_is_false_exactly_while_a_sent_value_waits() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    assert!(rx.is_empty());
    tx.send(1).unwrap();
    assert!(!rx.is_empty());
    rx.close();
    assert!(
        !rx.is_empty(),
        "a value sent before the close is still receivable"
    );
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.is_empty());

    let (tx, mut rx) = oneshot::channel::<u32>();
    drop(tx);
    assert!(rx.is_empty(), "the sender left without sending");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_empty());
}

#[test]
fn is_terminated_once_the_result_was_produced() {
    use futures_core::future::FusedFuture;

    let mut cx = Context::from_waker(Waker::noop());

    // By a poll that returned the value.
    let (tx, mut rx) = oneshot::channel::<u32>();
    assert!(std::pin::Pin::new(&mut rx).poll(&mut cx).is_pending());
    assert!(!rx.is_terminated());
    tx.send(2).unwrap();
    assert!(!rx.is_terminated(), "sent, not yet received");
    assert_eq!(
        std::pin::Pin::new(&mut rx).poll(&mut cx),
        Poll::Ready(Ok(2))
    );
    assert!(rx.is_terminated());
    assert!(FusedFuture::is_terminated(&rx));

    // By a poll that returned the error.
    let (tx, mut rx) = oneshot::channel::<u32>();
    drop(tx);
    assert!(!rx.is_terminated());
    assert!(std::pin::Pin::new(&mut rx).poll(&mut cx).is_ready());
    assert!(rx.is_terminated());

    // By `try_recv`: `Empty` does not terminate, the value does; `close` alone does not.
    let (tx, mut rx) = oneshot::channel::<u32>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    rx.close();
    assert!(!rx.is_terminated());
    assert_eq!(tx.send(3), Err(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed), "and stays closed");
}
