//! `Barrier`: `n` tasks wait until all of them have arrived; reusable, one leader per round.
//!
//! Design: one mutex guards the round's arrival count, the round number (*generation*) and the
//! queue of waiting futures, whose nodes are embedded in the pinned `BarrierWait` futures. The
//! arrival that completes a round is its leader: it bumps the generation, resets the count,
//! pops every queued node (marking it released) and wakes them after unlocking, in batches of
//! a [`WakeBatch`]. Each node remembers its generation, so a node the leader has not popped yet
//! (the batch was full) still knows its round is over. A future dropped while its round is
//! incomplete withdraws its arrival; once the round completed, dropping changes nothing.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::waiter::{Waiter, WaiterList, WAITING};
use crate::loom::sync::Mutex;
use crate::task::coop;
use crate::util::linked_list::LinkedList;
use crate::util::wake_batch::WakeBatch;

/// The mark of a node its round's leader released.
const RELEASED: u8 = 1;

/// A barrier for `n` tasks, reusable round after round.
///
/// Each round completes when `n` [`wait`](Barrier::wait) futures have arrived; exactly one of
/// them, the last to arrive, is told it is the round's leader. `Barrier::new(0)` behaves as
/// `Barrier::new(1)`: every `wait` completes at once as its own round's leader. Construction
/// and waiting allocate nothing.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::Barrier;
///
/// # blitz_io::run(async {
/// let barrier = Arc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         blitz_io::task::spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for task in tasks {
///     leaders += usize::from(task.await.unwrap());
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<Round>,
}

struct Round {
    /// Arrivals in the current round (always `< n` between rounds).
    arrived: usize,
    /// Completed rounds.
    generation: usize,
    waiters: WaiterList,
}

/// Whether a [`Barrier::wait`] call was its round's leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one waiter per round: the one whose arrival completed it.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

/// Future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    waiter: Waiter,
    state: WaitState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WaitState {
    /// Not arrived yet (arrival happens on the first poll).
    Init,
    /// Arrived and queued.
    Waiting,
    /// Returned its result.
    Done,
}

impl Barrier {
    /// A barrier for `n` tasks (`0` is treated as `1`). Allocates nothing.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let solo = blitz_io::sync::Barrier::new(0);
    /// assert!(solo.wait().await.is_leader());
    /// # });
    /// ```
    #[cfg(not(blitz_loom))]
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            n: if n == 0 { 1 } else { n },
            state: Mutex::new(Round {
                arrived: 0,
                generation: 0,
                waiters: LinkedList::new(),
            }),
        }
    }

    /// A barrier for `n` tasks (`0` is treated as `1`). (Not `const` under loom.)
    #[cfg(blitz_loom)]
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: if n == 0 { 1 } else { n },
            state: Mutex::new(Round {
                arrived: 0,
                generation: 0,
                waiters: LinkedList::new(),
            }),
        }
    }

    /// Arrives at the barrier (on the future's first poll) and waits until `n` tasks have
    /// arrived in this round.
    ///
    /// Cancel safety: dropping the future before its round completes withdraws its arrival, as
    /// if it had never polled, so the round still needs `n` other arrivals; dropping it after
    /// the round completed changes nothing (the round stays complete and its leader is not
    /// re-chosen). A recreated future arrives again, so it is not a no-op once the first one
    /// had been polled: the wait is not cancel-safe in Tokio's sense.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            waiter: Waiter::new(0),
            state: WaitState::Init,
        }
    }

    /// The number of tasks a round waits for (at least 1).
    pub fn n(&self) -> usize {
        self.n
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let round = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &round.arrived)
            .field("generation", &round.generation)
            .finish()
    }
}

impl BarrierWait<'_> {
    fn arrive(&mut self, waker: &Waker) -> Poll<BarrierWaitResult> {
        let barrier = self.barrier;
        let mut round = barrier.state.lock();
        round.arrived += 1;
        if round.arrived < barrier.n {
            self.waiter.set_generation(round.generation);
            // SAFETY: the node is not linked yet; nobody else can reach it.
            unsafe { self.waiter.set_waker(waker) };
            round.waiters.push_back(self.waiter.handle());
            self.state = WaitState::Waiting;
            return Poll::Pending;
        }
        // Leader: complete the round and release everyone queued in it.
        round.arrived = 0;
        round.generation = round.generation.wrapping_add(1);
        self.state = WaitState::Done;
        let mut batch = WakeBatch::new();
        while let Some(node) = round.waiters.front() {
            if !batch.can_push() {
                drop(round);
                batch.wake_all();
                round = barrier.state.lock();
                continue;
            }
            // SAFETY: `node` is linked in our queue and we hold its lock.
            if unsafe { Waiter::generation_of(node) } == round.generation {
                // Queued in a later round, after we unlocked to wake a batch.
                break;
            }
            let node = round.waiters.pop_front().expect("the front node");
            // SAFETY: just popped from our queue; we still hold its lock.
            if let Some(waker) = unsafe { Waiter::release(node, RELEASED) } {
                batch.push(waker);
            }
        }
        drop(round);
        batch.wake_all();
        Poll::Ready(BarrierWaitResult(true))
    }

    fn poll_waiting(&mut self, waker: &Waker) -> Poll<BarrierWaitResult> {
        if self.waiter.mark() == WAITING {
            let mut round = self.barrier.state.lock();
            if self.waiter.mark() == WAITING {
                if round.generation == self.waiter.generation() {
                    // SAFETY: the node is linked in our queue and we hold its lock.
                    unsafe { self.waiter.set_waker(waker) };
                    return Poll::Pending;
                }
                // Our round completed but its leader has not reached our node yet.
                // SAFETY: the node is linked in this barrier's queue, whose lock we hold.
                unsafe { self.waiter.unlink_from(&mut round.waiters) };
            }
        }
        self.state = WaitState::Done;
        Poll::Ready(BarrierWaitResult(false))
    }
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let coop = core::task::ready!(coop::poll_proceed(cx));
        // SAFETY: the node is never moved out; fields are updated in place.
        let this = unsafe { self.get_unchecked_mut() };
        let poll = match this.state {
            WaitState::Init => this.arrive(cx.waker()),
            WaitState::Waiting => this.poll_waiting(cx.waker()),
            WaitState::Done => panic!("`BarrierWait` polled after it completed"),
        };
        if poll.is_ready() {
            coop.made_progress();
        }
        poll
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if self.state != WaitState::Waiting || self.waiter.mark() != WAITING {
            return;
        }
        let mut round = self.barrier.state.lock();
        if self.waiter.mark() != WAITING {
            return;
        }
        // SAFETY: the node is linked in this barrier's queue, whose lock we hold.
        unsafe { self.waiter.unlink_from(&mut round.waiters) };
        if round.generation == self.waiter.generation() {
            // Our round is still open: withdraw our arrival.
            round.arrived -= 1;
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("n", &self.barrier.n)
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(all(test, not(blitz_loom)))]
#[path = "barrier_tests.rs"]
mod tests;

#[cfg(all(test, blitz_loom))]
#[path = "barrier_loom.rs"]
mod loom_tests;
