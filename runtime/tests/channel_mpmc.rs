//! `channel::mpmc`: exact accounting under multi-thread stress, FIFO per sender, the
//! cancellation rule at every point a future can be dropped, close semantics and drops of
//! buffered values.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use blitz_io::channel::mpmc::{self, Receiver, RecvError, SendError, Sender, TryRecvError};
use common::{DropCounter, DropGuard, Tagged};

/// Smaller counts under valgrind (detected through its preload library).
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

fn counter() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    (count.clone(), Waker::from(count))
}

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// `producers` tasks each send `per` values `(id, seq)`; `consumers` tasks receive until
/// closed, each checking that it sees every producer's values in increasing order. Every value
/// is received exactly once: the count and the sum match.
fn stress(make: fn() -> (Sender<Tagged>, Receiver<Tagged>), workers: usize) {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    let per = scaled(5_000);
    let rt = common::multi(workers);
    let received = rt.block_on(async move {
        let (tx, rx) = make();
        for id in 0..PRODUCERS {
            let tx = tx.clone();
            drop(blitz_io::task::spawn(async move {
                for seq in 0..per {
                    tx.send((id, seq)).await.unwrap();
                }
            }));
        }
        drop(tx);
        common::drain_tagged(rx, PRODUCERS, CONSUMERS, |_| {}).await
    });
    common::assert_all_tagged_received(received, PRODUCERS, per, "stress");
}

#[test]
fn stress_bounded_small_ring() {
    stress(|| mpmc::bounded(4), 4);
}

#[test]
fn stress_bounded_large_ring() {
    stress(|| mpmc::bounded(1000), 2);
}

#[test]
fn stress_unbounded() {
    stress(mpmc::unbounded, 4);
}

#[test]
fn stress_blocking_threads() {
    let per = scaled(5_000);
    let (tx, rx) = mpmc::bounded::<usize>(8);
    let producers: Vec<_> = (0..3)
        .map(|id| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for seq in 0..per {
                    tx.blocking_send(id * per + seq).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(value) = rx.blocking_recv() {
                    got.push(value);
                }
                got
            })
        })
        .collect();
    drop(rx);
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..3 * per).collect::<Vec<_>>());
}

/// The Zig original's waiting `send` reported success but dropped the value.
#[test]
fn a_sender_that_had_to_wait_delivers_its_value() {
    let rt = common::multi(2);
    rt.block_on(async {
        let (tx, rx) = mpmc::bounded(1);
        tx.send(1).await.unwrap();
        let waiting = blitz_io::task::spawn(async move { tx.send(2).await });
        assert_eq!(rx.recv().await, Ok(1));
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Ok(2));
        assert_eq!(rx.recv().await, Err(RecvError));
    });
}

#[test]
fn dropped_send_futures_deliver_nothing_at_every_point() {
    let drops = DropCounter::new();
    let (tx, rx) = mpmc::bounded::<DropGuard>(1);
    let (_, waker) = counter();
    tx.try_send(drops.guard()).unwrap();

    // Never polled: the value goes with the future.
    drop(tx.send(drops.guard()));
    assert_eq!(drops.get(), 1);

    // Pending (queued): same.
    let mut queued = Box::pin(tx.send(drops.guard()));
    assert!(poll_once(queued.as_mut(), &waker).is_pending());
    drop(queued);
    assert_eq!(drops.get(), 2);

    // Woken for the free slot but dropped before acting: the wake goes to the next sender.
    let mut woken = Box::pin(tx.send(drops.guard()));
    let (next_count, next_waker) = counter();
    let mut next = pin!(tx.send(drops.guard()));
    assert!(poll_once(woken.as_mut(), &waker).is_pending());
    assert!(poll_once(next.as_mut(), &next_waker).is_pending());
    drop(rx.try_recv().unwrap()); // frees the slot, wakes `woken`
    assert_eq!(drops.get(), 3);
    drop(woken);
    assert_eq!(drops.get(), 4);
    assert_eq!(next_count.0.load(SeqCst), 1);
    assert!(matches!(
        poll_once(next.as_mut(), &next_waker),
        Poll::Ready(Ok(()))
    ));
    // Exactly one value is in the channel: `next`'s.
    assert_eq!(rx.len(), 1);
    drop(rx.try_recv().unwrap());
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    assert_eq!(drops.get(), 5);
}

#[test]
fn dropped_recv_futures_never_lose_a_value() {
    let (tx, rx) = mpmc::bounded::<u32>(2);
    let (count, waker) = counter();
    // Pending, then dropped.
    let mut pending = Box::pin(rx.recv());
    assert!(poll_once(pending.as_mut(), &waker).is_pending());
    drop(pending);
    // Woken by a send, then dropped before taking: the value stays for the next receive.
    let mut woken = Box::pin(rx.recv());
    assert!(poll_once(woken.as_mut(), &waker).is_pending());
    tx.try_send(3).unwrap();
    assert_eq!(count.0.load(SeqCst), 1);
    drop(woken);
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn close_semantics() {
    let rt = common::current();
    rt.block_on(async {
        // All receivers dropped: waiting senders get their value back.
        let (tx, rx) = mpmc::bounded(1);
        tx.send(1).await.unwrap();
        let rx2 = rx.clone();
        let waiting = blitz_io::task::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        blitz_io::task::yield_now().await;
        drop((rx, rx2));
        assert!(matches!(waiting.await.unwrap(), Err(SendError(2))));
        assert!(tx.is_closed());

        // All senders dropped: receivers drain, then see the close.
        let (tx, rx) = mpmc::unbounded();
        tx.send('a').await.unwrap();
        tx.send('b').await.unwrap();
        drop(tx);
        assert_eq!(rx.recv().await, Ok('a'));
        assert_eq!(rx.recv().await, Ok('b'));
        assert_eq!(rx.recv().await, Err(RecvError));

        // Explicit close from a sender while receivers wait.
        let (tx, rx) = mpmc::bounded::<u8>(4);
        let waiting = blitz_io::task::spawn(async move { rx.recv().await });
        blitz_io::task::yield_now().await;
        tx.close();
        assert_eq!(waiting.await.unwrap(), Err(RecvError));
        assert_eq!(tx.try_send(1).unwrap_err().into_inner(), 1);
    });
}

#[test]
fn dropping_every_handle_drops_buffered_values_once() {
    let drops = DropCounter::new();
    {
        let (tx, rx) = mpmc::bounded(5);
        // Wrap the ring around before leaving values in it.
        for _ in 0..7 {
            tx.try_send(drops.guard()).unwrap();
            drop(rx.try_recv().unwrap());
        }
        for _ in 0..4 {
            tx.try_send(drops.guard()).unwrap();
        }
    }
    assert_eq!(drops.get(), 11);
    {
        let (tx, rx) = mpmc::unbounded();
        for _ in 0..100 {
            tx.try_send(drops.guard()).unwrap();
        }
        drop(rx.try_recv().unwrap());
        drop(tx);
    }
    assert_eq!(drops.get(), 111);
}

#[test]
fn recv_many_takes_up_to_the_limit() {
    let rt = common::current();
    rt.block_on(async {
        let (tx, rx) = mpmc::bounded(8);
        for i in 0..6 {
            tx.send(i).await.unwrap();
        }
        let mut buffer = Vec::new();
        assert_eq!(rx.recv_many(&mut buffer, 0).await, 0);
        assert_eq!(rx.recv_many(&mut buffer, 4).await, 4);
        assert_eq!(rx.recv_many(&mut buffer, 4).await, 2);
        assert_eq!(buffer, [0, 1, 2, 3, 4, 5]);
        drop(tx);
        assert_eq!(rx.recv_many(&mut buffer, 4).await, 0);
    });
}

#[test]
fn blocking_calls_inside_a_runtime_panic_with_a_fix() {
    common::quiet_expected_panics();
    let rt = common::current();
    let (tx, rx) = mpmc::bounded::<u8>(1);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { rx.blocking_recv() })
    }));
    let payload = outcome.unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(text.contains("recv().await"), "{text}");
    drop(tx);
}

#[test]
fn the_receiver_is_a_stream() {
    use futures_util::StreamExt;
    let rt = common::current();
    rt.block_on(async {
        let (tx, rx) = mpmc::bounded(2);
        drop(blitz_io::task::spawn(async move {
            for i in 0..10 {
                tx.send(i).await.unwrap();
            }
        }));
        let all: Vec<i32> = rx.collect().await;
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    });
}
