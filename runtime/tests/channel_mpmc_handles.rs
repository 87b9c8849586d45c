//! `mpmc::Sender::closed`: it completes on every kind of close (and at once after one), and a
//! dropped `closed()` future is unlinked.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use blitz_io::channel::mpmc::{self, TrySendError};
use common::counting_waker;

#[test]
fn closed_completes_when_the_last_receiver_goes() {
    let rt = common::multi(2);
    let (tx, rx) = mpmc::bounded::<u32>(2);
    let rx2 = rx.clone();
    let (parked, is_parked) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    let waiting = rt.spawn(async move { common::signal_when_pending(tx2.closed(), parked).await });
    is_parked.recv().unwrap();
    drop(rx);
    assert!(!tx.is_closed(), "one receiver is left");
    std::thread::spawn(move || drop(rx2)).join().unwrap();
    rt.block_on(waiting).unwrap();
    assert!(matches!(tx.try_send(1), Err(TrySendError::Closed(1))));
    // Already closed: completes at once.
    rt.block_on(tx.closed());
}

#[test]
fn closed_completes_on_an_explicit_close_from_either_side() {
    for close_from_receiver in [false, true] {
        let (tx, rx) = mpmc::unbounded::<u32>();
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut closed = pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        tx.try_send(1).unwrap();
        assert_eq!(wakes.load(SeqCst), 0, "a send does not wake `closed()`");
        if close_from_receiver {
            rx.close();
        } else {
            tx.close();
        }
        assert_eq!(wakes.load(SeqCst), 1);
        assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
        assert_eq!(rx.try_recv(), Ok(1), "buffered values survive the close");
    }
}

#[test]
fn a_dropped_closed_future_is_unlinked_and_not_woken() {
    let (tx, rx) = mpmc::bounded::<u32>(1);
    let (dropped_wakes, dropped_waker) = counting_waker();
    {
        let mut closed = pin!(tx.closed());
        assert!(closed
            .as_mut()
            .poll(&mut Context::from_waker(&dropped_waker))
            .is_pending());
    }
    let (wakes, waker) = counting_waker();
    let mut closed = pin!(tx.closed());
    assert!(closed
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(rx);
    assert_eq!(dropped_wakes.load(SeqCst), 0);
    assert_eq!(wakes.load(SeqCst), 1);
}
