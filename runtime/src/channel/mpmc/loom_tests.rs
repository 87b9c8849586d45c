//! loom models of the bounded channel: the slot hand-off through a full ring, close against
//! waiting senders and receivers, wake forwarding from a dropped, notified receiver, and
//! permits (against a close and a receiver; a dropped permit waking a sender), batches of
//! permits (a waiting batch woken unit by unit; a dropped batch waking two senders), and a
//! `Selector` waiting on two channels.

use std::future::Future;
use std::task::{Context, Waker};

use loom::future::block_on;
use loom::thread;

use super::*;

/// A sender pushes two values through a one-slot ring (the second must wait for the receiver
/// to free the slot); the receiver gets both, in order.
#[test]
fn slot_hand_off_through_a_full_ring() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let sender = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Ok(1));
        assert_eq!(block_on(rx.recv()), Ok(2));
        sender.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// A waiting receiver races the last sender's send-then-drop: it gets the value, then sees
/// the close; nothing is lost and it is never left asleep.
#[test]
fn close_vs_waiting_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let sender = thread::spawn(move || {
            tx.try_send(7).unwrap();
            drop(tx);
        });
        assert_eq!(block_on(rx.recv()), Ok(7));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        sender.join().unwrap();
    });
}

/// A sender waits on a full ring while the receiver closes the channel: the send either went
/// through before the close (and the value is still received) or fails with its value back.
#[test]
fn close_vs_waiting_send() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(2)).map_err(|e| e.0));
        rx.close();
        let sent = sender.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        match sent {
            Ok(()) => unreachable!("the ring stayed full until the close"),
            Err(value) => assert_eq!(value, 2),
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// Two receivers wait; one is dropped after its first poll, possibly after the sender's wake
/// picked it. The value still reaches the other receiver (the wake is passed on).
#[test]
fn wake_forwarding_when_a_woken_receiver_is_dropped() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || block_on(rx2.recv()));
        let mut dropped = Box::pin(rx.recv());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            dropped.as_mut().poll(&mut cx).is_pending(),
            "nothing sent yet"
        );
        let sender = thread::spawn(move || tx.try_send(9).unwrap());
        drop(dropped);
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(9));
    });
}

/// Two senders race to allocate the same lazily allocated chunk; one install wins, the other
/// frees its copy, and both values arrive.
#[test]
fn senders_race_to_allocate_a_chunk() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let tx2 = tx.clone();
        let other = thread::spawn(move || tx2.try_send(2).unwrap());
        tx.try_send(1).unwrap();
        other.join().unwrap();
        let mut got = [rx.try_recv().unwrap(), rx.try_recv().unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// A permit races a close and a waiting receiver: a value sent on a permit taken before the
/// close is received; a reservation after the close fails; the receiver always sees the end.
#[test]
fn permit_vs_close_vs_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let sender = thread::spawn(move || match tx2.try_reserve() {
            Ok(permit) => {
                permit.send(1);
                true
            }
            Err(TrySendError::Closed(())) => false,
            Err(TrySendError::Full(())) => unreachable!("nothing else holds the slot"),
        });
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(value) = block_on(rx2.recv()) {
                got.push(value);
            }
            got
        });
        rx.close();
        let sent = sender.join().unwrap();
        let got = receiver.join().unwrap();
        assert_eq!(got, if sent { vec![1] } else { vec![] });
        drop(tx);
    });
}

/// A sender waits on a ring whose only slot a permit holds; dropping the permit wakes it.
#[test]
fn permit_drop_wakes_a_waiting_sender() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let permit = tx.try_reserve().unwrap();
        let tx2 = tx.clone();
        let sender = thread::spawn(move || block_on(tx2.send(2)).unwrap());
        drop(permit);
        sender.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

/// After a close, a receiver waits for the last permit; dropping it unused ends the wait.
#[test]
fn last_permit_dropped_after_close_ends_a_waiting_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let permit = tx.try_reserve().unwrap();
        tx.close();
        let receiver = thread::spawn(move || block_on(rx.recv()));
        drop(permit);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

/// A batch of two waits on a full two-slot ring while a receiver on another thread frees the
/// slots one at a time: the batch is woken (possibly more than once) and gets both units; it
/// is never left asleep with both free.
#[test]
fn waiting_batch_vs_slots_freed_one_at_a_time() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        let receiver = thread::spawn(move || {
            assert_eq!(rx.try_recv(), Ok(1));
            assert_eq!(rx.try_recv(), Ok(2));
            rx
        });
        let mut permits = block_on(tx.reserve_many(2)).unwrap();
        permits.next().unwrap().send(3);
        permits.next().unwrap().send(4);
        let rx = receiver.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.try_recv(), Ok(4));
    });
}

/// Two senders wait on a ring whose two slots one batch of permits holds; dropping the batch
/// unused wakes both.
#[test]
fn dropped_batch_wakes_two_waiting_senders() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let permits = tx.try_reserve_many(2).unwrap();
        let senders: Vec<_> = (0..2)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || block_on(tx.send(i)).unwrap())
            })
            .collect();
        drop(permits);
        for sender in senders {
            sender.join().unwrap();
        }
        let mut got = [rx.try_recv().unwrap(), rx.try_recv().unwrap()];
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
    });
}

/// A selector waits on two channels while each gets one value from its own thread and is then
/// closed: it returns both values, each once, then the error.
#[test]
fn selector_waits_on_two_channels() {
    loom::model(|| {
        let (tx_a, a) = bounded::<u32>(1);
        let (tx_b, b) = unbounded::<u32>();
        let sender_a = thread::spawn(move || tx_a.try_send(1).unwrap());
        let sender_b = thread::spawn(move || tx_b.try_send(2).unwrap());
        let mut selector: Selector<'_, u32> = [&a, &b].into_iter().collect();
        let mut got = [
            block_on(selector.recv()).unwrap(),
            block_on(selector.recv()).unwrap(),
        ];
        got.sort_unstable();
        assert_eq!(got, [(0, 1), (1, 2)]);
        assert_eq!(block_on(selector.recv()), Err(RecvError));
        sender_a.join().unwrap();
        sender_b.join().unwrap();
    });
}

/// `Sender::closed` parked while the last receiver is dropped on another thread is woken.
#[test]
fn closed_wakes_when_the_last_receiver_drops() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let receiver = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        receiver.join().unwrap();
    });
}

/// A weak sender upgrading while the last sender drops: either the upgrade fails and the
/// channel is closed, or it succeeds and the channel stays open until the upgraded sender goes.
#[test]
fn upgrade_races_the_last_sender_drop() {
    loom::model(|| {
        let (tx, rx) = unbounded::<u32>();
        let weak = tx.downgrade();
        let dropper = thread::spawn(move || drop(tx));
        match weak.upgrade() {
            Some(sender) => {
                assert!(
                    sender.try_send(1).is_ok(),
                    "an upgraded sender keeps it open"
                );
                drop(sender);
                dropper.join().unwrap();
                assert_eq!(rx.try_recv(), Ok(1));
            }
            None => {
                dropper.join().unwrap();
            }
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}
