//! The unbounded queue: a list of fixed blocks of [`BLOCK`] values behind a short mutex.
//!
//! Blocks are allocated lazily, one per [`BLOCK`] values, and the most recently emptied block
//! is kept as a spare, so a channel whose backlog stays under one block allocates nothing after
//! its first message and a steady stream allocates at most once per block. Each critical
//! section is a few loads and stores (no allocation happens while other threads could wait
//! behind it except the occasional new block), which keeps the lock uncontended in practice;
//! a lock-free segment list (crossbeam's design) is the known next step if contention shows.

use std::collections::VecDeque;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;

use super::queue::{Pop, Push, Reservation};

/// Values per block.
pub(super) const BLOCK: usize = 32;

struct Block<T> {
    values: [Option<T>; BLOCK],
    /// `values[read..write]` are `Some`.
    read: usize,
    write: usize,
}

impl<T> Block<T> {
    fn new() -> Box<Block<T>> {
        Box::new(Block {
            values: std::array::from_fn(|_| None),
            read: 0,
            write: 0,
        })
    }
}

struct Inner<T> {
    blocks: VecDeque<Box<Block<T>>>,
    spare: Option<Box<Block<T>>>,
    /// Permits out: each may still push, even after the close.
    permits: usize,
}

pub(super) struct Segments<T> {
    inner: Mutex<Inner<T>>,
    /// Mirrors of the state under the lock, for lock-free `len` and `is_closed`.
    len: AtomicUsize,
    closed: AtomicBool,
}

impl<T> Segments<T> {
    pub(super) fn new() -> Segments<T> {
        Segments {
            inner: Mutex::new(Inner {
                blocks: VecDeque::new(),
                spare: None,
                permits: 0,
            }),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    pub(super) fn push(&self, value: T) -> Push<T> {
        let mut inner = self.inner.lock();
        // Read under the lock: `close` sets it under the lock too, so no push lands after it.
        if self.closed.load(Ordering::Relaxed) {
            return Push::Closed(value);
        }
        self.push_locked(&mut inner, value);
        Push::Done
    }

    /// Reserves `n` pushes: only closed, never full (short of a permit count past
    /// `usize::MAX`, which is reported as full rather than wrapped).
    pub(super) fn reserve(&self, n: usize) -> Reservation {
        let mut inner = self.inner.lock();
        if self.closed.load(Ordering::Relaxed) {
            return Reservation::Closed;
        }
        match inner.permits.checked_add(n) {
            Some(permits) => inner.permits = permits,
            None => return Reservation::Full,
        }
        Reservation::Done
    }

    /// Pushes on a permit; returns whether the queue is closed and that was the last permit.
    pub(super) fn send_reserved(&self, value: T) -> bool {
        let mut inner = self.inner.lock();
        inner.permits -= 1;
        self.push_locked(&mut inner, value);
        inner.permits == 0 && self.closed.load(Ordering::Relaxed)
    }

    /// Gives `n` permits back; returns whether the queue is closed and those were the last
    /// permits out.
    pub(super) fn release(&self, n: usize) -> bool {
        let mut inner = self.inner.lock();
        inner.permits -= n;
        inner.permits == 0 && self.closed.load(Ordering::Relaxed)
    }

    fn push_locked(&self, inner: &mut Inner<T>, value: T) {
        if inner.blocks.back().is_none_or(|b| b.write == BLOCK) {
            let block = inner.spare.take().unwrap_or_else(Block::new);
            inner.blocks.push_back(block);
        }
        let block = inner
            .blocks
            .back_mut()
            .expect("a block with room was just ensured");
        block.values[block.write] = Some(value);
        block.write += 1;
        self.len.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn pop(&self) -> Pop<T> {
        let mut inner = self.inner.lock();
        let permits = inner.permits;
        let Some(block) = inner.blocks.front_mut() else {
            // Closed and drained once no permit can still push.
            return if self.closed.load(Ordering::Relaxed) && permits == 0 {
                Pop::Closed
            } else {
                Pop::Empty
            };
        };
        let value = block.values[block.read].take();
        block.read += 1;
        if block.read == block.write {
            // Emptied (a block is never left empty at the front): recycle it as the spare.
            let mut block = inner.blocks.pop_front().expect("the front block exists");
            block.read = 0;
            block.write = 0;
            inner.spare = Some(block);
        }
        self.len.fetch_sub(1, Ordering::SeqCst);
        Pop::Value(value.expect("values[read..write] are Some"))
    }

    pub(super) fn close(&self) -> bool {
        let _inner = self.inner.lock();
        !self.closed.swap(true, Ordering::SeqCst)
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }
}
