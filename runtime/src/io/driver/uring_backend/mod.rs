//! The io_uring backend (Linux).
//!
//! Completion-based operations (`RECV`/`SEND` on owned buffers) go through the ring.
//! Readiness (for the `AsyncRead`/`AsyncWrite`, try-op and `readable()` paths) comes from an
//! epoll instance whose fd the ring polls: sockets are registered once, edge-triggered, as on
//! the mio backend, and when the epoll fd turns readable the driver fetches its events with a
//! zero-timeout `epoll_wait`. Readiness through per-socket `POLL_ADD`s was tried first and
//! dropped: io_uring always reports `POLLRDHUP` (its `IO_POLL_UNMASK`), so a write poll on a
//! half-closed socket completes at once without `POLLOUT`, and a writer waiting for room could
//! only spin; it also cost one `io_uring_enter` per wait.
//!
//! Sockets stay `O_NONBLOCK` (the try-ops and the readiness path need it); the owned-buffer ops
//! treat an `-EAGAIN` completion as "not ready": they wait for readiness and submit again.
//!
//! Cross-thread wakes write an eventfd that a `POLL_ADD` on the ring watches; the thread
//! turning the driver waits in `io_uring_enter` with the next timer's deadline as timeout
//! (`IORING_ENTER_EXT_ARG`). Completions are reaped only by the thread turning the driver.
//!
//! Submissions are batched (no SQPOLL). Entries are pushed from any thread under a small lock;
//! who makes the `io_uring_enter` that hands them to the kernel depends on the pushing thread:
//! - a scheduler thread of the runtime that owns this ring (a worker, or the thread driving a
//!   current-thread runtime) only pushes: its next turn, flush or park submits the batch;
//! - any other thread (`block_on` of a multi-thread runtime, the blocking pool, a thread
//!   holding an `EnterGuard`, a worker of another runtime) submits at once.
//!
//! The bound: an entry pushed by a scheduler thread is in the kernel's hands by that thread's
//! next driver poll, which comes at its next maintenance (every `event_interval` ticks), when
//! it parks (a worker that parks outside the driver flushes first, and one that parks inside
//! the driver submits in the enter it waits in), or when its loop ends. Another thread
//! blocked in `io_uring_enter` meanwhile does not see the entry (the kernel reads the queue
//! when an enter starts), so a busy worker's turn that finds the driver taken still flushes.
//! One task polling for a long time without returning delays its worker's entries as it
//! delays that worker's other tasks. The exception: dropping an op's future flushes the queue
//! at once, since its entry names the socket by fd number and the stream may close the fd
//! next (see `UringPoller::orphan_op`).
//!
//! `user_data` layout: the top four bits say what completed (the epoll fd, the eventfd, one of
//! the driver's own sources, an owned-buffer op, or a cancel request); the rest carry the
//! source's token or the op's key (its slot and the slot's generation).

pub(crate) mod ops;
#[cfg(all(test, not(blitz_loom)))]
mod tests;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::Mutex;
use std::time::Duration;

use io_uring::{opcode, squeue, types, IoUring, Probe};

use super::mio_backend::MioPoller;
use crate::io::ready::{Interest, Ready};
use crate::util::wake_batch::WakeBatch;

const KIND_SHIFT: u32 = 60;
const KIND_EPOLL: u64 = 1;
const KIND_WAKE: u64 = 2;
const KIND_OWN: u64 = 3;
const KIND_OP: u64 = 4;
const KIND_CANCEL: u64 = 5;
const PAYLOAD_MASK: u64 = (1 << KIND_SHIFT) - 1;

const RING_ENTRIES: u32 = 256;

/// Every opcode this backend submits; the ring is used only if the kernel supports them all.
const REQUIRED_OPS: [(u8, &str); 5] = [
    (opcode::PollAdd::CODE, "POLL_ADD"),
    (opcode::AsyncCancel::CODE, "ASYNC_CANCEL"),
    (opcode::Recv::CODE, "RECV"),
    (opcode::Send::CODE, "SEND"),
    (opcode::Read::CODE, "READ"),
];

pub(crate) struct UringPoller {
    ring: IoUring,
    /// Readiness: an epoll instance the ring polls.
    readiness: MioPoller,
    epoll_armed: AtomicBool,
    /// Guards the submission queue (one producer at a time).
    sq: Mutex<()>,
    /// `io_uring_enter` calls: all of them, and those made only to submit (not a turn).
    enters: AtomicU64,
    submit_enters: AtomicU64,
    /// Held by the thread turning the driver (the only consumer of completions).
    cq: Mutex<()>,
    eventfd: OwnedFd,
    eventfd_armed: AtomicBool,
    /// The driver's own sources (the signal pipe): fd, token, whether a poll is in flight.
    own: Mutex<Vec<(RawFd, usize, bool)>>,
    pub(crate) ops: ops::OpTable,
}

impl UringPoller {
    /// Creates the ring and checks every opcode we use; the error says why not. `events`
    /// bounds the readiness events one fetch from the epoll instance takes (at least 1): the
    /// rest keep the epoll fd readable, so its re-armed poll completes at once and the next
    /// turn fetches them.
    pub(crate) fn new(events: usize) -> Result<UringPoller, String> {
        let ring = IoUring::builder()
            .build(RING_ENTRIES)
            .map_err(|error| format!("io_uring_setup failed: {error}"))?;
        if !ring.params().is_feature_ext_arg() {
            return Err("the kernel lacks IORING_FEAT_EXT_ARG (needs Linux 5.11+)".to_owned());
        }
        let mut probe = Probe::new();
        ring.submitter()
            .register_probe(&mut probe)
            .map_err(|error| format!("IORING_REGISTER_PROBE failed: {error}"))?;
        let missing: Vec<&str> = REQUIRED_OPS
            .iter()
            .filter(|(code, _)| !probe.is_supported(*code))
            .map(|(_, name)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the kernel does not support {}",
                missing.join(", ")
            ));
        }
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(format!("eventfd failed: {}", io::Error::last_os_error()));
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let readiness =
            MioPoller::new(events).map_err(|error| format!("epoll setup failed: {error}"))?;
        Ok(UringPoller {
            ring,
            readiness,
            epoll_armed: AtomicBool::new(false),
            sq: Mutex::new(()),
            enters: AtomicU64::new(0),
            submit_enters: AtomicU64::new(0),
            cq: Mutex::new(()),
            eventfd,
            eventfd_armed: AtomicBool::new(false),
            own: Mutex::new(Vec::new()),
            ops: ops::OpTable::default(),
        })
    }

    /// Pushes `entry`, and submits it at once unless this thread is a scheduler thread of the
    /// runtime that owns the ring (which submits it with its next driver poll; see the module
    /// docs for the bound).
    ///
    /// Once the entry is pushed this returns `Ok` even if `io_uring_enter` then fails: the
    /// entry stays in the submission queue and the kernel will consume it on the next enter,
    /// so its resources must be treated as in flight. An error means the entry was never
    /// pushed (the queue stayed full), and the caller may free what it refers to.
    ///
    /// # Safety
    /// Every buffer and fd the entry refers to stays valid until its completion is reaped.
    pub(crate) unsafe fn submit(&self, entry: &squeue::Entry) -> io::Result<()> {
        let guard = self.sq.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // SAFETY: we hold `sq`, so no other SubmissionQueue exists; the entry's resources
            // are the caller's promise.
            let pushed = unsafe {
                let mut sq = self.ring.submission_shared();
                let pushed = sq.push(entry).is_ok();
                sq.sync();
                pushed
            };
            if pushed {
                break;
            }
            // Full: hand what is queued to the kernel and try again. If the kernel refuses
            // (EBUSY: completions must be reaped first), give up rather than wait: the reaper
            // may be this thread, or a turn waiting for `sq` to re-arm its polls.
            self.enter_submit()?;
        }
        drop(guard);
        // Pushed: from here on the kernel owns the entry, whatever enter says.
        if !self.batches_here() {
            let _ = self.enter_submit();
        }
        Ok(())
    }

    /// Whether this thread runs a scheduler loop that turns this ring: it may leave pushed
    /// entries for its next driver poll.
    fn batches_here(&self) -> bool {
        crate::runtime::context::with_scheduler(|cx| {
            cx.and_then(|cx| cx.io())
                .and_then(|io| io.uring())
                .is_some_and(|uring| std::ptr::eq(uring, self))
        })
    }

    /// Entries pushed but not yet consumed by the kernel.
    pub(crate) fn unsubmitted(&self) -> usize {
        let guard = self.sq.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: we hold `sq`, so no other SubmissionQueue exists.
        let sq = unsafe { self.ring.submission_shared() };
        let len = sq.len();
        // A SubmissionQueue writes its tail back when dropped: that must happen under the
        // lock, or a stale tail could overwrite a newer push and the kernel would consume old
        // entries again. (As a block's tail expression it would be dropped after the guard.)
        drop(sq);
        drop(guard);
        len
    }

    /// Submits the entries pushed so far, if any (one `io_uring_enter`, none when empty).
    pub(crate) fn flush(&self) {
        if self.unsubmitted() > 0 {
            // An error leaves the entries queued for the next turn or flush.
            let _ = self.enter_submit();
        }
    }

    fn enter_submit(&self) -> io::Result<usize> {
        loop {
            self.enters.fetch_add(1, Relaxed);
            self.submit_enters.fetch_add(1, Relaxed);
            // An injected fault goes through the same handling as the kernel's answer.
            #[cfg(all(test, not(blitz_loom)))]
            let entered = match fault::take() {
                Some(errno) => Err(io::Error::from_raw_os_error(errno)),
                None => self.ring.submitter().submit(),
            };
            #[cfg(not(all(test, not(blitz_loom))))]
            let entered = self.ring.submitter().submit();
            match entered {
                Err(error) if error.raw_os_error() == Some(libc::EINTR) => continue,
                // Any other error, EBUSY included (the completion queue overflowed and the
                // kernel takes nothing until a turn reaps), leaves the entries queued for the
                // next enter; only a push into a full queue must know (see `submit`).
                other => return other,
            }
        }
    }

    /// (every `io_uring_enter`, those made only to submit).
    pub(crate) fn enter_counts(&self) -> (u64, u64) {
        (self.enters.load(Relaxed), self.submit_enters.load(Relaxed))
    }

    /// Submits a `RECV` into `ptr[..len]` on `fd`; returns the op's slot.
    ///
    /// # Safety
    /// `ptr` is valid for writes of `len` bytes until the completion is reaped (the caller
    /// keeps the buffer, or hands it to [`orphan_op`](Self::orphan_op)).
    pub(crate) unsafe fn submit_recv(
        &self,
        fd: RawFd,
        ptr: *mut u8,
        len: u32,
    ) -> io::Result<usize> {
        let (index, key) = self.ops.insert();
        let entry = opcode::Recv::new(types::Fd(fd), ptr, len)
            .build()
            .user_data(encode(KIND_OP, key));
        // SAFETY: per this function's contract.
        unsafe { self.submit_op(index, &entry) }
    }

    /// Submits a `SEND` of `ptr[..len]` on `fd`; returns the op's slot.
    ///
    /// # Safety
    /// `ptr` is valid for reads of `len` bytes until the completion is reaped.
    pub(crate) unsafe fn submit_send(
        &self,
        fd: RawFd,
        ptr: *const u8,
        len: u32,
    ) -> io::Result<usize> {
        let (index, key) = self.ops.insert();
        let entry = opcode::Send::new(types::Fd(fd), ptr, len)
            .flags(libc::MSG_NOSIGNAL)
            .build()
            .user_data(encode(KIND_OP, key));
        // SAFETY: per this function's contract.
        unsafe { self.submit_op(index, &entry) }
    }

    /// # Safety
    /// As for [`submit`](Self::submit).
    unsafe fn submit_op(&self, index: usize, entry: &squeue::Entry) -> io::Result<usize> {
        // SAFETY: forwarded.
        match unsafe { self.submit(entry) } {
            Ok(()) => Ok(index),
            Err(error) => {
                // Never pushed: the kernel cannot know the buffer.
                self.ops.abandon(index);
                Err(error)
            }
        }
    }

    /// Asks the kernel to cancel the op in `index` (it may still complete). For the op's
    /// future, which owns the slot until it takes the result.
    pub(crate) fn cancel_op(&self, index: usize) {
        self.cancel_key(self.ops.key(index));
    }

    /// Asks the kernel to cancel the op with `key`, if it is still in flight; an op that
    /// completed and whose slot went to a new op has another key, so the new op is safe.
    fn cancel_key(&self, key: u64) {
        let entry = opcode::AsyncCancel::new(encode(KIND_OP, key))
            .build()
            .user_data(encode(KIND_CANCEL, 0));
        // SAFETY: a cancel refers to no buffer.
        let _ = unsafe { self.submit(&entry) };
    }

    /// The op's future is gone: keep `keep` until its completion (and cancel it), or drop it
    /// now if the op already completed.
    ///
    /// A kept op's entry may still be queued (pushed by a scheduler thread for its next turn),
    /// and it names its socket by fd number: the stream, borrowed by the future until now, may
    /// close that fd next and a new socket reuse the number. So the queue is flushed here,
    /// while the fd is still this socket's: the kernel takes its own reference to the file
    /// when it consumes the entry.
    ///
    /// The cancel names the op by the key `orphan` read while the slot was still the
    /// future's: once the table has the buffer, the op may complete, be reaped and its slot go
    /// to a new op before the cancel is pushed.
    pub(crate) fn orphan_op(&self, index: usize, keep: Box<dyn std::any::Any + Send>) {
        let (outcome, give_back) = self.ops.orphan(index, keep);
        if let ops::Orphan::Kept(key) = outcome {
            #[cfg(all(test, not(blitz_loom)))]
            fault::before_orphan_cancel();
            self.cancel_key(key);
            self.flush();
        }
        drop(give_back);
    }

    /// Registers a socket with the epoll instance behind the ring.
    pub(crate) fn register<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        self.readiness.register(source, token, interest)
    }

    pub(crate) fn deregister<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
    ) -> io::Result<()> {
        self.readiness.deregister(source)
    }

    /// Watches `fd` (owned by the caller for the driver's lifetime) for readability.
    pub(crate) fn watch_own(&self, fd: RawFd, token: usize) {
        self.own
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((fd, token, false));
    }

    pub(crate) fn unpark(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd; the result is irrelevant (a
        // full counter already means "woken").
        unsafe {
            libc::write(self.eventfd.as_raw_fd(), (&one as *const u64).cast(), 8);
        }
    }

    fn arm_driver_polls(&self) {
        if !self.epoll_armed.swap(true, AcqRel) {
            let entry =
                opcode::PollAdd::new(types::Fd(self.readiness.as_raw_fd()), libc::POLLIN as u32)
                    .build()
                    .user_data(encode(KIND_EPOLL, 0));
            // SAFETY: no buffer; the epoll fd lives as long as the ring.
            if unsafe { self.submit(&entry) }.is_err() {
                self.epoll_armed.store(false, Release);
            }
        }
        if !self.eventfd_armed.swap(true, AcqRel) {
            let entry =
                opcode::PollAdd::new(types::Fd(self.eventfd.as_raw_fd()), libc::POLLIN as u32)
                    .build()
                    .user_data(encode(KIND_WAKE, 0));
            // SAFETY: no buffer; the eventfd lives as long as the ring.
            if unsafe { self.submit(&entry) }.is_err() {
                self.eventfd_armed.store(false, Release);
            }
        }
        let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        for (fd, token, armed) in own.iter_mut() {
            if !*armed {
                let entry = opcode::PollAdd::new(types::Fd(*fd), libc::POLLIN as u32)
                    .build()
                    .user_data(encode(KIND_OWN, *token as u64));
                // SAFETY: no buffer; the fd lives as long as the driver (its owner's promise).
                *armed = unsafe { self.submit(&entry) }.is_ok();
            }
        }
    }

    /// Waits for up to `timeout`, but without blocking if `may_block()` is false once the
    /// completion lock is held (see `Driver::turn_parked`).
    pub(crate) fn turn(
        &self,
        timeout: Option<Duration>,
        may_block: &dyn Fn() -> bool,
        dispatch: super::Dispatch<'_>,
    ) {
        let Some(_cq) = super::lock_for_turn(&self.cq, timeout) else {
            // Another thread is turning, perhaps blocked in `io_uring_enter`: it will not see
            // entries pushed since its enter began, so submit them here.
            self.flush();
            return;
        };
        self.arm_driver_polls();
        let timeout = super::turn_timeout(timeout, may_block);
        // SAFETY: we hold `cq`, the only place completions are read.
        let ready_now = unsafe { !self.ring.completion_shared().is_empty() };
        let submitter = self.ring.submitter();
        self.enters.fetch_add(1, Relaxed);
        let waited = match timeout {
            _ if ready_now => submitter.submit(),
            Some(timeout) if timeout.is_zero() => submitter.submit(),
            Some(timeout) => {
                let ts = types::Timespec::from(timeout);
                let args = types::SubmitArgs::new().timespec(&ts);
                submitter.submit_with_args(1, &args)
            }
            None => submitter.submit_and_wait(1),
        };
        if let Err(error) = waited {
            match error.raw_os_error() {
                Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN) => {}
                _ => panic!("blitz-io: io_uring_enter failed: {error}"),
            }
        }
        let mut op_wakes = WakeBatch::new();
        let mut epoll_ready = false;
        // SAFETY: we hold `cq`.
        let completions = unsafe { self.ring.completion_shared() };
        let mut readiness = completions.filter_map(|cqe| {
            let data = cqe.user_data();
            let payload = data & PAYLOAD_MASK;
            match data >> KIND_SHIFT {
                KIND_EPOLL => {
                    epoll_ready = true;
                    self.epoll_armed.store(false, Release);
                    None
                }
                KIND_WAKE => {
                    self.drain_eventfd();
                    self.eventfd_armed.store(false, Release);
                    None
                }
                KIND_OWN => {
                    let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
                    for entry in own.iter_mut().filter(|e| e.1 as u64 == payload) {
                        entry.2 = false;
                    }
                    Some((payload as usize, Ready::READABLE))
                }
                KIND_OP => {
                    self.ops
                        .complete(ops::index_of(payload), cqe.result(), &mut op_wakes);
                    None
                }
                _ => None,
            }
        });
        dispatch(&mut readiness);
        drop(readiness);
        op_wakes.wake_all();
        if epoll_ready {
            self.readiness
                .turn(Some(Duration::ZERO), &|| false, dispatch);
        }
    }

    fn drain_eventfd(&self) {
        let mut value: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; non-blocking, result irrelevant.
        unsafe {
            libc::read(self.eventfd.as_raw_fd(), (&mut value as *mut u64).cast(), 8);
        }
    }

    /// Runtime shutdown: cancels every owned-buffer op in flight and reaps completions until
    /// each is accounted for or a bounded wait ends; what is still in flight then is leaked
    /// (never freed: the kernel may still write into it) and counted.
    pub(crate) fn shutdown(&self) {
        for key in self.ops.in_flight() {
            self.cancel_key(key);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while self.ops.in_flight_count() > 0 {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            self.turn(
                Some((deadline - now).min(Duration::from_millis(50))),
                &|| true,
                &mut |events| events.for_each(drop),
            );
        }
        self.ops.leak_remaining();
    }
}

pub(crate) fn encode(kind: u64, payload: u64) -> u64 {
    (kind << KIND_SHIFT) | (payload & PAYLOAD_MASK)
}

/// Test scaffolding: makes this thread's next submission enters fail, as a kernel refusal
/// would, without touching the ring.
#[cfg(all(test, not(blitz_loom)))]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        /// (enters left to fail, errno to fail them with).
        static FAIL: Cell<(u32, i32)> = const { Cell::new((0, 0)) };
    }

    /// The next `count` submission enters made on this thread fail with `errno`.
    pub(crate) fn fail_next_enters(count: u32, errno: i32) {
        FAIL.with(|fail| fail.set((count, errno)));
    }

    thread_local! {
        /// Runs inside `orphan_op` between handing the buffer to the table and pushing the
        /// cancel: what another thread may do while this one is preempted there.
        static BEFORE_ORPHAN_CANCEL: Cell<Option<Box<dyn FnOnce()>>> = const { Cell::new(None) };
    }

    /// This thread's next `orphan_op` that keeps its op runs `hook` before pushing the cancel.
    pub(crate) fn before_next_orphan_cancel(hook: impl FnOnce() + 'static) {
        BEFORE_ORPHAN_CANCEL.with(|cell| cell.set(Some(Box::new(hook))));
    }

    pub(super) fn before_orphan_cancel() {
        if let Some(hook) = BEFORE_ORPHAN_CANCEL.with(Cell::take) {
            hook();
        }
    }

    /// The errno to fail this enter with, if one is due.
    pub(super) fn take() -> Option<i32> {
        FAIL.with(|fail| match fail.get() {
            (0, _) => None,
            (left, errno) => {
                fail.set((left - 1, errno));
                Some(errno)
            }
        })
    }
}
