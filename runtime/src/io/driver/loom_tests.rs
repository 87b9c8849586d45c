//! loom models of a socket's readiness state (`ScheduledIo`): a task waiting while the driver
//! reports readiness (no lost wake, for the waker slot, two tasks sharing the slot and the
//! node list), and a stale
//! `clear_readiness` racing a newer report (the newer readiness survives).

use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst as StdSeqCst};
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use super::scheduled_io::{Direction, ScheduledIo};
use crate::io::ready::{Interest, Ready};
use crate::loom::sync::Arc;
use crate::util::waiters::Waiter;
use crate::util::wake_batch::WakeBatch;

struct CountingWaker(StdAtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, StdSeqCst);
    }
}

fn counting_waker() -> (StdArc<CountingWaker>, Waker) {
    let counter = StdArc::new(CountingWaker(StdAtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

fn report(io: &ScheduledIo, ready: Ready) {
    let mut batch = WakeBatch::new();
    io.set_readiness(ready, &mut batch);
    batch.wake_all();
}

#[test]
fn a_reader_waiting_in_its_slot_is_never_missed() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let driver = {
            let io = io.clone();
            thread::spawn(move || report(&io, Ready::READABLE))
        };
        let (count, waker) = counting_waker();
        let polled = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        driver.join().unwrap();
        if polled.is_pending() {
            assert_eq!(count.0.load(StdSeqCst), 1, "the reader was never woken");
        }
    });
}

/// Two tasks waiting in the same direction's slot (two `read_owned` on one `&TcpStream`)
/// while the driver reports readiness: each is woken or sees the readiness itself.
#[test]
fn two_readers_sharing_the_slot_are_both_woken() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let second = {
            let io = io.clone();
            thread::spawn(move || {
                let (count, waker) = counting_waker();
                let polled = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
                (polled.is_pending(), count)
            })
        };
        let (count, waker) = counting_waker();
        let polled = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        report(&io, Ready::READABLE);
        let (second_pending, second_count) = second.join().unwrap();
        if polled.is_pending() {
            assert_eq!(
                count.0.load(StdSeqCst),
                1,
                "the first reader was never woken"
            );
        }
        if second_pending {
            assert!(
                second_count.0.load(StdSeqCst) >= 1,
                "the second reader was never woken"
            );
        }
    });
}

#[test]
fn a_readiness_future_waiting_on_its_node_is_never_missed() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let node = Box::pin(Waiter::new());
        let node_ptr = NonNull::from(&*Pin::as_ref(&node));
        let driver = {
            let io = io.clone();
            thread::spawn(move || report(&io, Ready::WRITABLE))
        };
        let (count, waker) = counting_waker();
        // SAFETY: the node is pinned in a box that outlives the registration; it is removed
        // below before the box drops.
        let polled = unsafe {
            io.poll_ready_with_node(
                &mut Context::from_waker(&waker),
                Interest::WRITABLE,
                node_ptr,
            )
        };
        driver.join().unwrap();
        if polled.is_pending() {
            assert_eq!(
                count.0.load(StdSeqCst),
                1,
                "the waiting future was never woken"
            );
        }
        // SAFETY: the node is live; it was only ever registered here.
        unsafe { io.remove_waiter(node_ptr) };
    });
}

#[test]
fn a_stale_clear_never_erases_newer_readiness() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        report(&io, Ready::READABLE);
        let (_count, waker) = counting_waker();
        let Poll::Ready(Ok(seen)) =
            io.poll_ready(&mut Context::from_waker(&waker), Direction::Read)
        else {
            panic!("the reported readiness is visible");
        };
        let driver = {
            let io = io.clone();
            thread::spawn(move || report(&io, Ready::READABLE))
        };
        // The task's read said WouldBlock for the readiness it saw.
        io.clear_readiness(seen);
        driver.join().unwrap();
        let after = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        assert!(
            after.is_ready(),
            "readiness reported after the task looked was erased"
        );
    });
}
