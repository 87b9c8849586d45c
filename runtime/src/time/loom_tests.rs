//! loom models of a timer entry's life: the poller registering its waker while the driver
//! fires, a cancel (drop) racing a fire, and a reset racing a fire. They run the real wheel
//! and entry state word behind a loom mutex standing in for the driver's lock. And the park
//! handshake of the per-worker wheels, on the real driver: a thread parking for the wheels
//! against a timer registered in another wheel.

use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst as StdSeqCst};
use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};

use loom::thread;

use super::wheel::entry::TimerEntry;
use super::wheel::Wheel;
use crate::loom::sync::{Arc, Mutex};

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

/// An entry linked in a fresh wheel to fire at `when`.
fn linked_entry(when: u64) -> (Arc<Mutex<Wheel>>, Pin<Box<TimerEntry>>, NonNull<TimerEntry>) {
    let wheel = Arc::new(Mutex::new(Wheel::new()));
    let entry = Box::pin(TimerEntry::new());
    let ptr = NonNull::from(&*entry);
    // SAFETY: the entry is pinned, unlinked, and removed from the wheel before it drops.
    unsafe {
        TimerEntry::set_when(ptr, when);
        assert!(wheel.lock().insert(ptr));
    }
    (wheel, entry, ptr)
}

/// The driver's side: advance to `now`, fire what is due under the lock, wake outside it.
fn spawn_driver(wheel: &Arc<Mutex<Wheel>>, now: u64) -> thread::JoinHandle<()> {
    let wheel = wheel.clone();
    thread::spawn(move || {
        let waker = {
            let mut wheel = wheel.lock();
            // SAFETY: entries handed out by the wheel are live while we hold its lock.
            wheel
                .poll(now)
                .and_then(|entry| unsafe { entry.as_ref().state.fire() })
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    })
}

fn unlink(wheel: &Mutex<Wheel>, ptr: NonNull<TimerEntry>) {
    // SAFETY: the entry is live and belongs to this wheel.
    unsafe { wheel.lock().remove(ptr) };
}

/// Registration racing the fire: either the poll sees FIRED itself, or the fire wakes the
/// waker it stored, exactly once; a later poll is always ready.
#[test]
fn register_races_fire() {
    loom::model(|| {
        let (wheel, entry, ptr) = linked_entry(1);
        let (wakes, waker) = counting_waker();
        let driver = spawn_driver(&wheel, 1);
        let first = entry.state.poll_fired(&waker);
        driver.join().unwrap();
        let woken = wakes.0.load(StdSeqCst);
        if first.is_ready() {
            assert_eq!(woken, 0, "a poll that saw FIRED must not be woken too");
        } else {
            assert_eq!(woken, 1, "a registered waker must be woken by the fire");
        }
        assert!(entry.state.poll_fired(&waker).is_ready());
        unlink(&wheel, ptr);
        drop(entry);
    });
}

/// Cancel racing the fire: the future unlinks under the lock and frees the entry; the driver
/// never touches it afterwards (loom's cell tracking checks the accesses), and wakes at most
/// once.
#[test]
fn cancel_races_fire() {
    loom::model(|| {
        let (wheel, entry, ptr) = linked_entry(1);
        let (wakes, waker) = counting_waker();
        assert!(entry.state.poll_fired(&waker).is_pending());
        let driver = spawn_driver(&wheel, 1);
        unlink(&wheel, ptr);
        drop(entry);
        driver.join().unwrap();
        assert!(wakes.0.load(StdSeqCst) <= 1);
    });
}

/// Reset (later deadline) racing the fire of the old deadline: a fire that came first leaves
/// at most a stale wake, and the reset timer is pending until its own deadline fires it.
#[test]
fn reset_races_fire() {
    loom::model(|| {
        let (wheel, entry, ptr) = linked_entry(1);
        let (wakes, waker) = counting_waker();
        assert!(entry.state.poll_fired(&waker).is_pending());
        let driver = spawn_driver(&wheel, 1);
        {
            let mut wheel = wheel.lock();
            // SAFETY: we own the entry and hold the wheel lock, as `Driver::schedule` does.
            unsafe {
                wheel.remove(ptr);
                entry.state.reset();
                TimerEntry::set_when(ptr, 2);
                assert!(wheel.insert(ptr));
            }
        }
        driver.join().unwrap();
        assert!(wakes.0.load(StdSeqCst) <= 1);
        assert!(entry.state.poll_fired(&waker).is_pending());
        let fired = {
            let mut wheel = wheel.lock();
            let due = wheel.poll(2);
            assert_eq!(due, Some(ptr));
            // SAFETY: live, and we hold the lock.
            unsafe { entry.state.fire() }
        };
        assert!(fired.is_some(), "the reset timer fires at its new deadline");
        assert!(entry.state.poll_fired(&waker).is_ready());
        unlink(&wheel, ptr);
        drop(entry);
    });
}

/// The thread parking for the wheels reads them while another thread links an earlier timer
/// into a different wheel: either the parker's deadline already covers the new timer, or the
/// registration unparks it. (Remove the "computing" store in `publish_park` and this fails.)
#[test]
fn a_timer_linked_while_the_holder_parks_is_never_slept_through() {
    loom::model(|| {
        let driver = Arc::new(super::driver::Driver::new(false, 2));
        let parker = crate::runtime::park::Parker::new();
        let far = Box::pin(TimerEntry::new());
        let far_ptr = NonNull::from(&*far);
        // SAFETY: pinned, and unregistered below before it drops.
        unsafe { driver.schedule(far_ptr, 1_000_000, 0) };
        let near_when = 10;
        let near = Box::pin(TimerEntry::new());
        let near_ptr = SendPtr(NonNull::from(&*near));
        let registering = {
            let driver = driver.clone();
            thread::spawn(move || {
                let near_ptr = near_ptr;
                // SAFETY: pinned by the main thread, which unregisters it after the join and
                // only then drops it; nothing else touches it meanwhile.
                unsafe { driver.schedule(near_ptr.0, near_when, 1) };
            })
        };
        let deadline = driver.publish_park(&parker);
        registering.join().unwrap();
        let covered = deadline.is_some_and(|tick| tick <= near_when);
        assert!(
            covered || parker.is_notified(),
            "parked until {deadline:?} and never woken for the timer at {near_when}"
        );
        // SAFETY: as above.
        unsafe {
            driver.unregister(NonNull::from(&*near), 1);
            driver.unregister(far_ptr, 0);
        }
    });
}

/// A pinned entry's address, handed to the thread that registers it.
struct SendPtr(NonNull<TimerEntry>);

// SAFETY: the receiving thread only passes the pointer to the driver, whose lock orders every
// access to the entry; the owner keeps the entry alive until after the join.
unsafe impl Send for SendPtr {}
