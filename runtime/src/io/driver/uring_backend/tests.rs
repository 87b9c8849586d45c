//! The ring on its own, with faults injected into `io_uring_enter`: an entry whose enter
//! failed after the push still belongs to the kernel, so its buffer lives until the
//! completion is reaped, whether its future is alive or was dropped.
//!
//! Each test skips (and says so on stderr) where the ring cannot be created.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{fault, UringPoller};

fn poller(test: &str) -> Option<UringPoller> {
    match UringPoller::new(crate::io::driver::DEFAULT_EVENTS_PER_TICK) {
        Ok(poller) => Some(poller),
        Err(why) => {
            eprintln!("{test}: skipped, the io_uring ring cannot be created here: {why}");
            None
        }
    }
}

/// A buffer that records when it is dropped.
struct TrackedBuf {
    bytes: Box<[u8]>,
    dropped: Arc<AtomicBool>,
}

impl Drop for TrackedBuf {
    fn drop(&mut self) {
        assert!(!self.dropped.swap(true, SeqCst), "dropped twice");
    }
}

impl TrackedBuf {
    /// Pushes a `RECV` on `fd` into the whole buffer; returns the op's slot.
    ///
    /// # Safety
    /// The buffer stays alive (here or in the op table) until the op's completion is reaped.
    unsafe fn submit_recv(&mut self, poller: &UringPoller, fd: RawFd) -> io::Result<usize> {
        // SAFETY: the caller's promise; `bytes` is valid for writes of its whole length.
        unsafe { poller.submit_recv(fd, self.bytes.as_mut_ptr(), self.bytes.len() as u32) }
    }
}

fn tracked(len: usize) -> (TrackedBuf, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let buf = TrackedBuf {
        bytes: vec![0u8; len].into_boxed_slice(),
        dropped: dropped.clone(),
    };
    (buf, dropped)
}

/// One turn of the ring, waiting up to 10 ms; readiness events are ignored.
fn turn(poller: &UringPoller) {
    poller.turn(Some(Duration::from_millis(10)), &|| true, &mut |events| {
        events.for_each(drop)
    });
}

/// Turns until `done` holds, for at most 10 s.
fn turn_until(poller: &UringPoller, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: never happened"
        );
        turn(poller);
    }
}

/// A blocking socket pair: a `RECV` on it waits in the kernel for data (no `-EAGAIN`).
fn socket_pair() -> (UnixStream, UnixStream) {
    UnixStream::pair().expect("socketpair")
}

#[test]
fn a_failed_enter_after_the_push_still_submits_and_completes_later() {
    let Some(poller) = poller("a_failed_enter_after_the_push_still_submits_and_completes_later")
    else {
        return;
    };
    let (mut writer, reader) = socket_pair();
    let (mut buf, dropped) = tracked(64);
    fault::fail_next_enters(1, libc::EAGAIN);
    // SAFETY: `buf` outlives the op: it is dropped only after the completion was reaped below.
    let index = unsafe { buf.submit_recv(&poller, reader.as_raw_fd()) }
        .expect("pushed: Ok although the enter failed");
    assert_eq!(
        poller.unsubmitted(),
        1,
        "the entry waits in the submission queue"
    );
    assert_eq!(poller.ops.in_flight_count(), 1);

    writer.write_all(b"sent after the failed enter").unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    // Nothing has reached the kernel yet, so nothing can have completed.
    assert!(poller.ops.poll(index, &mut cx).is_pending());

    turn(&poller);
    assert_eq!(
        poller.unsubmitted(),
        0,
        "the next turn submits the queued entry"
    );
    let mut result = None;
    turn_until(&poller, "the RECV's completion", || {
        match poller.ops.poll(index, &mut cx) {
            Poll::Ready(n) => result = Some(n),
            Poll::Pending => {}
        }
        result.is_some()
    });
    let n = result.unwrap();
    assert_eq!(n, 27, "the whole message, not an error");
    assert_eq!(&buf.bytes[..27], b"sent after the failed enter");
    assert!(!dropped.load(SeqCst));
    assert_eq!(poller.ops.in_flight_count(), 0);
    drop(buf);
    assert!(dropped.load(SeqCst));
}

#[test]
fn a_dropped_op_whose_enter_failed_keeps_its_buffer_until_reaped() {
    let Some(poller) = poller("a_dropped_op_whose_enter_failed_keeps_its_buffer_until_reaped")
    else {
        return;
    };
    let (_writer, reader) = socket_pair();
    let (mut buf, dropped) = tracked(64);
    // Every enter fails until the turn below: the RECV's, its cancel's and the flush that
    // the drop makes.
    fault::fail_next_enters(3, libc::ENOMEM);
    // SAFETY: the buffer goes to the op table below, which keeps it until the completion.
    let index = unsafe { buf.submit_recv(&poller, reader.as_raw_fd()) }
        .expect("pushed: Ok although the enter failed");
    // The future is dropped: the table takes the buffer and a cancel is pushed.
    poller.orphan_op(index, Box::new(buf));
    assert!(
        !dropped.load(SeqCst),
        "freed while the kernel may still write into it"
    );
    assert_eq!(
        poller.unsubmitted(),
        2,
        "the RECV and its cancel are both queued"
    );
    assert_eq!(poller.ops.in_flight_count(), 1);

    // No data ever comes: the cancel must end the RECV, and only its reaped completion frees
    // the buffer.
    turn_until(&poller, "the orphaned buffer's release", || {
        dropped.load(SeqCst)
    });
    assert_eq!(poller.unsubmitted(), 0);
    assert_eq!(poller.ops.in_flight_count(), 0);
    assert_eq!(poller.ops.leaked(), 0);
}

#[test]
fn a_dropped_op_whose_enter_failed_and_whose_data_came_is_freed_once_reaped() {
    let Some(poller) =
        poller("a_dropped_op_whose_enter_failed_and_whose_data_came_is_freed_once_reaped")
    else {
        return;
    };
    let (mut writer, reader) = socket_pair();
    let (mut buf, dropped) = tracked(64);
    fault::fail_next_enters(3, libc::EAGAIN);
    // SAFETY: the buffer goes to the op table below, which keeps it until the completion.
    let index = unsafe { buf.submit_recv(&poller, reader.as_raw_fd()) }.expect("pushed");
    // Data is there before the kernel sees the RECV: the RECV may complete before its cancel.
    writer.write_all(b"data").unwrap();
    poller.orphan_op(index, Box::new(buf));
    assert!(!dropped.load(SeqCst));
    turn_until(&poller, "the orphaned buffer's release", || {
        dropped.load(SeqCst)
    });
    assert_eq!(poller.ops.in_flight_count(), 0);
}

#[test]
fn a_flush_after_a_failed_enter_submits_the_queue() {
    let Some(poller) = poller("a_flush_after_a_failed_enter_submits_the_queue") else {
        return;
    };
    let (mut writer, reader) = socket_pair();
    let (mut buf, _dropped) = tracked(16);
    fault::fail_next_enters(1, libc::EAGAIN);
    // SAFETY: `buf` lives until the completion is reaped below.
    let index = unsafe { buf.submit_recv(&poller, reader.as_raw_fd()) }.expect("pushed");
    let (_, submit_enters) = poller.enter_counts();
    poller.flush();
    assert_eq!(poller.unsubmitted(), 0);
    assert_eq!(
        poller.enter_counts().1,
        submit_enters + 1,
        "one enter for the flush"
    );
    // An empty queue costs no enter.
    poller.flush();
    assert_eq!(poller.enter_counts().1, submit_enters + 1);
    writer.write_all(b"x").unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut done = false;
    turn_until(&poller, "the RECV's completion", || {
        done = done || poller.ops.poll(index, &mut cx) == Poll::Ready(1);
        done
    });
    assert_eq!(buf.bytes[0], b'x');
}

#[test]
fn the_fault_hook_is_per_thread_and_counts_down() {
    fault::fail_next_enters(2, libc::EAGAIN);
    assert_eq!(fault::take(), Some(libc::EAGAIN));
    assert_eq!(fault::take(), Some(libc::EAGAIN));
    assert_eq!(fault::take(), None);
    let other = std::thread::spawn(|| {
        fault::fail_next_enters(1, libc::EIO);
        fault::take()
    });
    assert_eq!(other.join().unwrap(), Some(libc::EIO));
    assert_eq!(fault::take(), None);
}

/// Whether thread `tid` of this process is blocked in `io_uring_enter` (426 on every
/// architecture's syscall table); `None` when `/proc` does not say.
fn blocked_in_enter(tid: libc::pid_t) -> Option<bool> {
    let line = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    Some(line.split_whitespace().next() == Some("426"))
}

#[test]
fn a_turn_that_finds_the_driver_taken_still_submits_what_was_pushed() {
    let Some(poller) = poller("a_turn_that_finds_the_driver_taken_still_submits_what_was_pushed")
    else {
        return;
    };
    if std::env::var_os("BLITZ_VALGRIND").is_some() {
        // valgrind runs one thread at a time and none while one waits in `io_uring_enter`.
        eprintln!("skipped under valgrind: this test needs a thread blocked in the ring");
        return;
    }
    let poller = Arc::new(poller);
    // Arm the driver's own polls (the wake eventfd), so `unpark` can end a blocked turn.
    turn(&poller);
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = {
        let poller = poller.clone();
        std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tid_tx.send(unsafe { libc::gettid() }).unwrap();
            // Blocks in `io_uring_enter` with no timeout until a completion arrives.
            poller.turn(None, &|| true, &mut |events| events.for_each(drop));
            let _ = done_tx.send(());
        })
    };
    let tid = tid_rx.recv().unwrap();
    let start = Instant::now();
    while blocked_in_enter(tid) != Some(true) {
        if blocked_in_enter(tid).is_none() || start.elapsed() > Duration::from_secs(10) {
            eprintln!("skipped: cannot see the waiting thread's syscall in /proc");
            poller.unpark();
            waiter.join().unwrap();
            return;
        }
        std::thread::yield_now();
    }

    // The state a busy worker leaves behind: an entry pushed but not submitted (here because
    // its enter failed), while another thread waits inside the ring and will not see it.
    let (mut writer, reader) = socket_pair();
    writer.write_all(b"late").unwrap();
    let (mut buf, _dropped) = tracked(16);
    fault::fail_next_enters(1, libc::EAGAIN);
    // SAFETY: `buf` outlives the op: the test waits for its completion below.
    let index = unsafe { buf.submit_recv(&poller, reader.as_raw_fd()) }.expect("pushed");
    assert_eq!(poller.unsubmitted(), 1);
    // The busy thread's turn (a maintenance turn: zero timeout, so it does not wait for the
    // lock) finds the completion lock taken, and must submit anyway.
    poller.turn(Some(Duration::ZERO), &|| true, &mut |events| {
        events.for_each(drop)
    });
    let woke = done_rx.recv_timeout(Duration::from_secs(10)).is_ok();
    if !woke {
        poller.unpark();
    }
    waiter.join().unwrap();
    assert!(
        woke,
        "the entry stayed unsubmitted while the other thread waited in the ring"
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(poller.ops.poll(index, &mut cx), Poll::Ready(4));
    assert_eq!(&buf.bytes[..4], b"late");
}

/// Regression: `unsubmitted` once let its `SubmissionQueue` temporary outlive the `sq` guard
/// (a block's tail-expression temporaries are dropped after its locals in edition 2021), and
/// that queue's drop wrote its stale tail back unlocked: with a push in between, the tail went
/// backwards and the kernel consumed old entries a second time (duplicate completions, a
/// `RECV`'s result delivered to whichever op reused its slot).
#[test]
fn concurrent_queue_length_checks_never_resubmit_an_entry() {
    let Some(poller) = poller("concurrent_queue_length_checks_never_resubmit_an_entry") else {
        return;
    };
    let poller = Arc::new(poller);
    let stop = Arc::new(AtomicBool::new(false));
    let checker = {
        let (poller, stop) = (poller.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                std::hint::black_box(poller.unsubmitted());
            }
        })
    };
    let entries: u64 = if std::env::var_os("BLITZ_VALGRIND").is_some() {
        200
    } else {
        5000
    };
    let mut seen = vec![0u32; entries as usize];
    let reap = |seen: &mut Vec<u32>| {
        let _cq = poller.cq.lock().unwrap();
        // SAFETY: we hold `cq`, and nothing else reads completions in this test.
        for cqe in unsafe { poller.ring.completion_shared() } {
            let data = cqe.user_data();
            assert_eq!(data >> super::KIND_SHIFT, super::KIND_CANCEL);
            seen[(data & super::PAYLOAD_MASK) as usize] += 1;
        }
    };
    for k in 0..entries {
        // A cancel of an op that does not exist: no buffer, completes at once with -ENOENT.
        let entry = io_uring::opcode::AsyncCancel::new(super::encode(super::KIND_OP, 1 << 40))
            .build()
            .user_data(super::encode(super::KIND_CANCEL, k));
        // SAFETY: the entry refers to no memory.
        unsafe { poller.submit(&entry) }.unwrap();
        if k % 64 == 63 {
            reap(&mut seen);
        }
    }
    stop.store(true, SeqCst);
    checker.join().unwrap();
    poller.flush();
    let start = Instant::now();
    while seen.contains(&0) && start.elapsed() < Duration::from_secs(10) {
        reap(&mut seen);
        std::thread::yield_now();
    }
    reap(&mut seen);
    let duplicated = seen.iter().filter(|&&n| n > 1).count();
    let missing = seen.iter().filter(|&&n| n == 0).count();
    assert_eq!(
        (duplicated, missing),
        (0, 0),
        "entries completed twice / never"
    );
}

/// A dropped op's cancel names the op by its slot. If the op completes, is reaped and its slot
/// goes to a new op before the cancel reaches the kernel (the dropping thread preempted in
/// `orphan_op`), the cancel must not hit the new op.
#[test]
fn a_late_cancel_of_a_dropped_op_leaves_the_next_op_in_its_slot_alone() {
    let Some(poller) = poller("a_late_cancel_of_a_dropped_op_leaves_the_next_op_in_its_slot_alone")
    else {
        return;
    };
    let poller = Arc::new(poller);
    let (mut first_writer, first_reader) = socket_pair();
    let (mut second_writer, second_reader) = socket_pair();
    let (mut first, first_dropped) = tracked(16);
    // SAFETY: the buffer goes to the op table below, which keeps it until the completion.
    let index = unsafe { first.submit_recv(&poller, first_reader.as_raw_fd()) }.expect("pushed");
    poller.flush();
    // The RECV completes; its completion waits in the ring, unreaped.
    first_writer.write_all(b"a").unwrap();

    let (mut second, _second_dropped) = tracked(16);
    let second_buf = second.bytes.as_mut_ptr();
    let hook_poller = poller.clone();
    let second_index = Arc::new(std::sync::Mutex::new(None));
    let hook_index = second_index.clone();
    let second_fd = second_reader.as_raw_fd();
    fault::before_next_orphan_cancel(move || {
        // Another thread reaps the first op (freeing its slot) and starts a new op.
        turn_until(&hook_poller, "the first op's reaping", || {
            first_dropped.load(SeqCst)
        });
        // SAFETY: `second` is kept alive by the test until the op's completion is reaped.
        let index = unsafe { hook_poller.submit_recv(second_fd, second_buf, 16) }.unwrap();
        hook_poller.flush();
        *hook_index.lock().unwrap() = Some(index);
    });
    poller.orphan_op(index, Box::new(first));
    let second_index = second_index.lock().unwrap().expect("the hook ran");
    assert_eq!(second_index, index, "the slot was reused");

    second_writer.write_all(b"b").unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut result = None;
    turn_until(&poller, "the second op's completion", || {
        if let Poll::Ready(n) = poller.ops.poll(second_index, &mut cx) {
            result = Some(n);
        }
        result.is_some()
    });
    assert_eq!(
        result,
        Some(1),
        "the second RECV was cancelled by the first's cancel"
    );
    assert_eq!(&second.bytes[..1], b"b");
}

/// `EBUSY` from `io_uring_enter`: the completion queue overflowed and the kernel takes no
/// entry until someone reaps. With the submission queue full too, `submit` must not wait for
/// that reaper while holding the queue's lock: the reaper may be this very thread (the one
/// driving a current-thread runtime, inside a task's poll), or a turn blocked on that lock to
/// re-arm its polls. It fails at once and leaves the queue as it was; the queued entries go
/// in with the next enter that succeeds.
#[test]
fn a_full_queue_that_the_kernel_refuses_busy_fails_the_push_at_once() {
    let Some(poller) = poller("a_full_queue_that_the_kernel_refuses_busy_fails_the_push_at_once")
    else {
        return;
    };
    // A cancel of an op that does not exist: no buffer, completes at once with -ENOENT.
    let cancel = |k: u64| {
        io_uring::opcode::AsyncCancel::new(super::encode(super::KIND_OP, 1 << 40))
            .build()
            .user_data(super::encode(super::KIND_CANCEL, k))
    };
    let capacity = super::RING_ENTRIES as u64;
    // Fill the queue: every submit's own enter fails, so the entries stay queued.
    fault::fail_next_enters(capacity as u32, libc::EAGAIN);
    for k in 0..capacity {
        // SAFETY: the entry refers to no memory.
        unsafe { poller.submit(&cancel(k)) }.expect("room in the queue");
    }
    assert_eq!(poller.unsubmitted(), capacity as usize);

    fault::fail_next_enters(1000, libc::EBUSY);
    let (_, before) = poller.enter_counts();
    // SAFETY: as above.
    let error = unsafe { poller.submit(&cancel(capacity)) }
        .expect_err("nothing can be pushed while the kernel is busy");
    fault::fail_next_enters(0, 0);
    assert_eq!(error.raw_os_error(), Some(libc::EBUSY), "{error}");
    assert_eq!(
        poller.enter_counts().1,
        before + 1,
        "one enter, no spinning"
    );
    assert_eq!(
        poller.unsubmitted(),
        capacity as usize,
        "the queue is untouched"
    );

    // Once the kernel takes entries again, every queued one goes in and completes.
    poller.flush();
    assert_eq!(poller.unsubmitted(), 0);
    let mut reaped = 0;
    let start = Instant::now();
    while reaped < capacity && start.elapsed() < Duration::from_secs(10) {
        let _cq = poller.cq.lock().unwrap();
        // SAFETY: we hold `cq`, and nothing else reads completions in this test.
        reaped += unsafe { poller.ring.completion_shared() }.count() as u64;
    }
    assert_eq!(reaped, capacity);
}
