//! `mpmc::Selector`: it never takes a value it does not return, a receive dropped mid-wait
//! loses nothing (and passes its wakes on), closed receivers are skipped and all-closed is an
//! error, rotation, and exact accounting under multi-thread stress.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use blitz_io::channel::mpmc::{self, RecvError, Selector, TryRecvError};
use common::{counting_waker, scaled};

/// Counts the allocations made by the current thread (other tests run on other threads).
struct ThreadCountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` unchanged; the counter is a const-initialised
// thread-local `Cell`, whose access never allocates.
unsafe impl GlobalAlloc for ThreadCountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: ThreadCountingAllocator = ThreadCountingAllocator;

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn a_value_is_taken_only_when_it_is_returned() {
    let channels: Vec<_> = (0..4).map(|_| mpmc::bounded::<usize>(8)).collect();
    for (i, (tx, _)) in channels.iter().enumerate() {
        for k in 0..3 {
            tx.try_send(i * 10 + k).unwrap();
        }
    }
    let mut selector: Selector<'_, usize> = channels.iter().map(|(_, rx)| rx).collect();
    // Each try_recv takes exactly one value; everything else stays where it was.
    let (index, value) = selector.try_recv().unwrap();
    assert_eq!(value, index * 10);
    let lens: Vec<_> = channels.iter().map(|(_, rx)| rx.len()).collect();
    let expected: Vec<_> = (0..4).map(|i| if i == index { 2 } else { 3 }).collect();
    assert_eq!(lens, expected);
    // And each recv likewise.
    let rt = common::current();
    let (index2, value2) = rt.block_on(selector.recv()).unwrap();
    assert_ne!(index2, index, "the start rotates");
    assert_eq!(value2, index2 * 10);
    let total: usize = channels.iter().map(|(_, rx)| rx.len()).sum();
    assert_eq!(total, 12 - 2);
}

#[test]
fn rotation_serves_every_receiver() {
    let channels: Vec<_> = (0..3).map(|_| mpmc::unbounded::<usize>()).collect();
    for (i, (tx, _)) in channels.iter().enumerate() {
        for _ in 0..30 {
            tx.try_send(i).unwrap();
        }
    }
    let mut selector: Selector<'_, usize> = channels.iter().map(|(_, rx)| rx).collect();
    let mut per = [0; 3];
    for _ in 0..30 {
        let (index, value) = selector.try_recv().unwrap();
        assert_eq!(index, value);
        per[index] += 1;
    }
    assert_eq!(per, [10, 10, 10]);
}

#[test]
fn a_receive_dropped_mid_wait_loses_nothing_and_passes_its_wake_on() {
    let (tx_a, a) = mpmc::bounded::<u32>(2);
    let (_tx_b, b) = mpmc::bounded::<u32>(2);
    let mut selector: Selector<'_, u32> = [&a, &b].into_iter().collect();
    let (woken, waker) = counting_waker();
    let (other_woken, other_waker) = counting_waker();
    {
        let mut recv = Box::pin(selector.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
        // A plain receiver of `a` waits behind the selector.
        let mut other = Box::pin(a.recv());
        assert!(poll_once(other.as_mut(), &other_waker).is_pending());
        tx_a.try_send(5).unwrap(); // wakes the selector, which was first in line
        assert_eq!(woken.load(SeqCst), 1);
        assert_eq!(other_woken.load(SeqCst), 0);
        // Dropped before acting: the wake goes to the other receiver, which takes the value.
        drop(recv);
        assert_eq!(other_woken.load(SeqCst), 1);
        assert_eq!(poll_once(other.as_mut(), &other_waker), Poll::Ready(Ok(5)));
    }
    // Dropped while waiting, never woken: nothing happens to later values.
    {
        let mut recv = pin!(selector.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
    }
    tx_a.try_send(6).unwrap();
    assert_eq!(a.try_recv(), Ok(6));
    // A receive future that is never dropped (leaked) cannot leave waiters linked past the
    // selector. (`ManuallyDrop` on the stack: the future is forgotten, no memory leaks.)
    let mut leaked = std::mem::ManuallyDrop::new(selector.recv());
    assert!(poll_once(std::pin::Pin::new(&mut *leaked), &waker).is_pending());
    drop(selector);
    tx_a.try_send(7).unwrap();
    assert_eq!(a.try_recv(), Ok(7));
}

#[test]
fn closed_receivers_are_skipped_and_all_closed_is_an_error() {
    let (tx_a, a) = mpmc::bounded::<u32>(2);
    let (tx_b, b) = mpmc::unbounded::<u32>();
    let (tx_c, c) = mpmc::bounded::<u32>(1);
    let mut selector: Selector<'_, u32> = [&a, &b, &c].into_iter().collect();
    tx_a.try_send(1).unwrap();
    drop(tx_a); // closed, one value still buffered
    drop(tx_c); // closed and empty
    let rt = common::current();
    rt.block_on(async {
        assert_eq!(selector.recv().await, Ok((0, 1)));
        let waiting = blitz_io::task::spawn(async move {
            tx_b.send(2).await.unwrap();
            drop(tx_b);
        });
        assert_eq!(selector.recv().await, Ok((1, 2)));
        waiting.await.unwrap();
        assert_eq!(selector.recv().await, Err(RecvError));
        assert_eq!(selector.try_recv(), Err(TryRecvError::Closed));
    });
    let mut empty = Selector::<u32>::new();
    assert!(empty.is_empty());
    assert_eq!(rt.block_on(empty.recv()), Err(RecvError));
}

#[test]
fn a_waiting_selector_wakes_when_the_last_channel_closes() {
    let (tx_a, a) = mpmc::bounded::<u32>(1);
    let (tx_b, b) = mpmc::bounded::<u32>(1);
    let mut selector: Selector<'_, u32> = [&a, &b].into_iter().collect();
    let (woken, waker) = counting_waker();
    let mut recv = pin!(selector.recv());
    assert!(poll_once(recv.as_mut(), &waker).is_pending());
    drop(tx_a);
    assert!(poll_once(recv.as_mut(), &waker).is_pending());
    drop(tx_b);
    assert!(woken.load(SeqCst) >= 2);
    assert_eq!(
        poll_once(recv.as_mut(), &waker),
        Poll::Ready(Err(RecvError))
    );
}

/// Producers on threads feed several channels; one selector task and a plain receiver on one
/// of the channels compete. Every value arrives exactly once.
#[test]
fn stress_selector_against_plain_receivers() {
    const CHANNELS: usize = 4;
    let per = scaled(5_000);
    let rt = common::multi(2);
    let channels: Vec<_> = (0..CHANNELS)
        .map(|i| {
            if i % 2 == 0 {
                mpmc::bounded::<usize>(2)
            } else {
                mpmc::unbounded()
            }
        })
        .collect();
    let producers: Vec<_> = channels
        .iter()
        .enumerate()
        .map(|(i, (tx, _))| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for k in 0..per {
                    tx.blocking_send(i * per + k).unwrap();
                }
            })
        })
        .collect();
    let receivers: Vec<_> = channels.into_iter().map(|(_, rx)| rx).collect();
    let rival = receivers[0].clone();
    let rival = rt.spawn(async move {
        let (mut count, mut sum) = (0usize, 0usize);
        while let Ok(value) = rival.recv().await {
            count += 1;
            sum += value;
        }
        (count, sum)
    });
    let (count, sum) = rt.block_on(async {
        let mut selector: Selector<'_, usize> = receivers.iter().collect();
        let (mut count, mut sum) = (0usize, 0usize);
        while let Ok((index, value)) = selector.recv().await {
            assert_eq!(value / per, index);
            count += 1;
            sum += value;
        }
        (count, sum)
    });
    for producer in producers {
        producer.join().unwrap();
    }
    let (rival_count, rival_sum) = rt.block_on(rival).unwrap();
    assert_eq!(count + rival_count, CHANNELS * per);
    assert_eq!(sum + rival_sum, (0..CHANNELS * per).sum::<usize>());
}

#[test]
fn receiving_allocates_nothing_after_construction() {
    let (tx_a, a) = mpmc::bounded::<u64>(4);
    let (tx_b, b) = mpmc::bounded::<u64>(4);
    tx_a.try_send(0).unwrap(); // the ring's first chunk
    tx_b.try_send(0).unwrap();
    let mut selector: Selector<'_, u64> = [&a, &b].into_iter().collect();
    let (_, waker) = counting_waker();
    assert!(selector.try_recv().is_ok() && selector.try_recv().is_ok());
    let before = ALLOCATIONS.with(Cell::get);
    for i in 0..100 {
        let mut recv = pin!(selector.recv());
        assert!(poll_once(recv.as_mut(), &waker).is_pending());
        if i % 2 == 0 { &tx_a } else { &tx_b }.try_send(i).unwrap();
        assert!(matches!(poll_once(recv.as_mut(), &waker), Poll::Ready(Ok((_, v))) if v == i));
    }
    assert_eq!(ALLOCATIONS.with(Cell::get) - before, 0);
}
