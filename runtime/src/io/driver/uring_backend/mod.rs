//! The io_uring backend (Linux).
//!
//! Readiness for the `AsyncRead`/`AsyncWrite`, try-op and `readable()` paths comes from one-shot
//! `POLL_ADD` operations, armed on demand: when a task finds a socket not ready in a direction
//! that has no poll in flight. The kernel checks readiness when the poll is armed, so a socket
//! that became ready in between completes at once and no wake is lost. Sockets stay
//! `O_NONBLOCK` (the try-ops and the readiness path need it); the owned-buffer ops treat an
//! `-EAGAIN` completion as "not ready": they wait for readiness and submit again (see `ops`).
//!
//! Cross-thread wakes write an eventfd that a `POLL_ADD` on the ring watches; the thread
//! turning the driver waits in `io_uring_enter` with the next timer's deadline as timeout
//! (`IORING_ENTER_EXT_ARG`). Submissions come from any thread under a small lock and are
//! submitted at once (no SQPOLL). Completions are reaped only by the thread turning the
//! driver.
//!
//! `user_data` layout: the top four bits say what completed (a readiness poll, the eventfd,
//! one of the driver's own sources, an owned-buffer op, or a cancel request); the rest carry
//! the socket token and direction, or the op's slot.

pub(crate) mod ops;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Mutex;
use std::time::Duration;

use io_uring::{opcode, squeue, types, IoUring, Probe};

use super::ScheduledIo;
use crate::io::ready::{Interest, Ready};
use crate::util::wake_batch::WakeBatch;

const KIND_SHIFT: u32 = 60;
const KIND_POLL: u64 = 1;
const KIND_WAKE: u64 = 2;
const KIND_OWN: u64 = 3;
const KIND_OP: u64 = 4;
const KIND_CANCEL: u64 = 5;
const PAYLOAD_MASK: u64 = (1 << KIND_SHIFT) - 1;

const READ_BIT: u8 = 1;
const WRITE_BIT: u8 = 2;

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
    /// Guards the submission queue (one producer at a time).
    sq: Mutex<()>,
    /// Held by the thread turning the driver (the only consumer of completions).
    cq: Mutex<()>,
    eventfd: OwnedFd,
    eventfd_armed: AtomicBool,
    /// The driver's own sources (the signal pipe): fd, token, whether a poll is in flight.
    own: Mutex<Vec<(RawFd, usize, bool)>>,
    pub(crate) ops: ops::OpTable,
}

impl UringPoller {
    /// Creates the ring and checks every opcode we use; the error says why not.
    pub(crate) fn new() -> Result<UringPoller, String> {
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
        Ok(UringPoller {
            ring,
            sq: Mutex::new(()),
            cq: Mutex::new(()),
            eventfd,
            eventfd_armed: AtomicBool::new(false),
            own: Mutex::new(Vec::new()),
            ops: ops::OpTable::default(),
        })
    }

    /// Pushes `entry` and submits it at once.
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
            // Full: hand what is queued to the kernel and try again.
            self.enter_submit()?;
        }
        drop(guard);
        self.enter_submit().map(drop)
    }

    fn enter_submit(&self) -> io::Result<usize> {
        loop {
            match self.ring.submitter().submit() {
                Err(error) if error.raw_os_error() == Some(libc::EINTR) => continue,
                // EBUSY: the completion queue is full; the turning thread will drain it and
                // the entries stay queued until then.
                Err(error) if error.raw_os_error() == Some(libc::EBUSY) => return Ok(0),
                other => return other,
            }
        }
    }

    /// Makes sure a readiness poll is in flight for each direction of `interest`.
    pub(crate) fn arm(&self, token: usize, shared: &ScheduledIo, interest: Interest) {
        for (wanted, bit, mask) in [
            (
                interest.is_readable(),
                READ_BIT,
                libc::POLLIN | libc::POLLRDHUP | libc::POLLPRI,
            ),
            (interest.is_writable(), WRITE_BIT, libc::POLLOUT),
        ] {
            if !wanted || shared.armed.fetch_or(bit, AcqRel) & bit != 0 {
                continue;
            }
            let entry = opcode::PollAdd::new(types::Fd(shared.fd), mask as u32)
                .build()
                .user_data(encode(KIND_POLL, ((token as u64) << 2) | u64::from(bit)));
            // SAFETY: a poll refers to no buffer; the kernel holds its own reference to the
            // file, and deregistration cancels the poll before the socket closes.
            if unsafe { self.submit(&entry) }.is_err() {
                // Could not submit: report the socket ready so the task retries its syscall
                // (which yields the real error) instead of waiting forever.
                shared.armed.fetch_and(!bit, AcqRel);
                let mut batch = WakeBatch::new();
                shared.set_readiness(Ready::ERROR, &mut batch);
                batch.wake_all();
            }
        }
    }

    /// The socket is being deregistered: cancels its polls in flight (their completions carry a
    /// stale token and are dropped).
    pub(crate) fn cancel_polls(&self, token: usize, shared: &ScheduledIo) {
        let armed = shared.armed.swap(0, AcqRel);
        for bit in [READ_BIT, WRITE_BIT] {
            if armed & bit != 0 {
                let target = encode(KIND_POLL, ((token as u64) << 2) | u64::from(bit));
                let entry = opcode::AsyncCancel::new(target)
                    .build()
                    .user_data(encode(KIND_CANCEL, 0));
                // SAFETY: a cancel refers to no buffer.
                let _ = unsafe { self.submit(&entry) };
            }
        }
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

    pub(crate) fn turn(
        &self,
        timeout: Option<Duration>,
        dispatch: &mut dyn FnMut(&mut dyn Iterator<Item = (usize, Ready, u8)>),
    ) {
        let Ok(_cq) = self.cq.try_lock() else {
            return;
        };
        self.arm_driver_polls();
        // SAFETY: we hold `cq`, the only place completions are read.
        let ready_now = unsafe { !self.ring.completion_shared().is_empty() };
        let submitter = self.ring.submitter();
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
        // SAFETY: we hold `cq`.
        let completions = unsafe { self.ring.completion_shared() };
        let mut readiness = completions.filter_map(|cqe| {
            let data = cqe.user_data();
            let payload = data & PAYLOAD_MASK;
            match data >> KIND_SHIFT {
                KIND_POLL => {
                    let token = (payload >> 2) as usize;
                    let bit = (payload & 3) as u8;
                    Some((token, poll_readiness(cqe.result(), bit), bit))
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
                    Some((payload as usize, Ready::READABLE, 0))
                }
                KIND_OP => {
                    self.ops
                        .complete(payload as usize, cqe.result(), &mut op_wakes);
                    None
                }
                _ => None,
            }
        });
        dispatch(&mut readiness);
        drop(readiness);
        op_wakes.wake_all();
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
        let in_flight = self.ops.in_flight();
        for index in in_flight {
            let entry = opcode::AsyncCancel::new(encode(KIND_OP, index as u64))
                .build()
                .user_data(encode(KIND_CANCEL, 0));
            // SAFETY: a cancel refers to no buffer.
            let _ = unsafe { self.submit(&entry) };
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while self.ops.in_flight_count() > 0 {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            self.turn(
                Some((deadline - now).min(Duration::from_millis(50))),
                &mut |events| events.for_each(drop),
            );
        }
        self.ops.leak_remaining();
    }
}

pub(crate) fn encode(kind: u64, payload: u64) -> u64 {
    (kind << KIND_SHIFT) | (payload & PAYLOAD_MASK)
}

/// What a completed readiness poll says, for the direction it watched.
fn poll_readiness(result: i32, bit: u8) -> Ready {
    if result < 0 {
        return if result == -libc::ECANCELED {
            Ready::EMPTY
        } else {
            Ready::ERROR
        };
    }
    let revents = result as i16;
    let mut ready = Ready::EMPTY;
    if bit == READ_BIT && revents & (libc::POLLIN | libc::POLLPRI) != 0 {
        ready = ready | Ready::READABLE;
    }
    if bit == WRITE_BIT && revents & libc::POLLOUT != 0 {
        ready = ready | Ready::WRITABLE;
    }
    if revents & libc::POLLRDHUP != 0 {
        ready = ready | Ready::READ_CLOSED;
    }
    if revents & libc::POLLHUP != 0 {
        ready = ready | Ready::READ_CLOSED | Ready::WRITE_CLOSED;
    }
    if revents & libc::POLLERR != 0 {
        ready = ready | Ready::ERROR;
    }
    ready
}
