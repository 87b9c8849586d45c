//! The idle path of a worker: the brief search before parking, and the park itself.
//!
//! A worker with nothing to run first keeps searching for a few microseconds (taking a
//! spinning slot), then registers as parked and sleeps: in the drivers if it holds the timer
//! token, on its parker otherwise, or on a timed watch of a driver holder that may be stuck in
//! a long poll (`watch.rs`). Waking re-enters the run loop as a searcher when a producer
//! picked it.

use std::time::Instant;

use super::super::watch;
use super::{Context, Core};
use crate::runtime::park::{Parked, SPIN_LIMIT};
use crate::task::Notified;

/// Pause instructions between two looks at the queues while a searcher spins.
const SEARCH_SPIN_PAUSES: usize = 32;

impl Context {
    /// A searcher that found nothing keeps looking for up to [`SPIN_LIMIT`] before it parks.
    ///
    /// While it searches, producers see a searcher and wake nobody, and it takes their work
    /// from the queues itself: a gap of a few microseconds between tasks then costs neither
    /// side the park bookkeeping (the sleeper lock, the unpark) that a spin inside `park`
    /// still pays. It takes a spinning slot like that spin, so it is bounded the same way: an
    /// idle worker spins for at most twice `SPIN_LIMIT` (here, then in `park`) before it
    /// sleeps. (Skipping the second spin left `threaded_scheduler_spawn` sleeping on one op in
    /// five instead of one in twenty-five, and cost more CPU per op than the spin saves.)
    ///
    /// Not while sockets are registered: their readiness reaches no queue until someone turns
    /// the driver, which this spin would put off (the rule `park` follows for the driver's
    /// holder, see `docs/decisions.md`).
    pub(super) fn search_briefly(&self, core: &mut Core) -> Option<Notified> {
        if SPIN_LIMIT.is_zero()
            || !core.is_searching
            || self.handle.io().is_some_and(|io| io.spin_cannot_help())
            || !self.handle.try_start_spinning(true)
        {
            return None;
        }
        let start = Instant::now();
        let found = loop {
            for _ in 0..SEARCH_SPIN_PAUSES {
                std::hint::spin_loop();
            }
            if self.handle.has_queued_work() {
                if let Some(task) = core.steal_work(self) {
                    break Some(task);
                }
            }
            if self.handle.is_shutdown() || start.elapsed() >= SPIN_LIMIT {
                break None;
            }
        };
        self.handle.stop_spinning();
        found
    }

    /// Parks until notified (or until a timer or socket needs this worker).
    pub(super) fn park(&self, mut core: Box<Core>) -> Box<Core> {
        let now = Instant::now();
        core.end_batch(now, &self.handle);
        let metrics = self.metrics();
        metrics.add_busy(core.busy_since, now);
        let idle = &self.handle.idle;
        let was_last_searcher = idle.transition_worker_to_parked(self.index, core.is_searching);
        core.is_searching = false;
        if was_last_searcher {
            self.handle.notify_if_work_pending();
        }
        metrics.parks.incr();
        core.is_parked = true;
        *self.core.borrow_mut() = Some(core);
        let time = &self.handle.time;
        let watch = &self.handle.watch;
        let mut holds_timer = time.try_acquire_token();
        if !holds_timer {
            // This thread will not turn the driver while parked: submit the io_uring entries
            // its tasks pushed, which would otherwise wait for its next maintenance.
            if let Some(io) = self.handle.io() {
                io.flush_submissions();
            }
        }
        let mut watching = false;
        loop {
            // Someone else holds the drivers: while they have sockets or timers to serve, one
            // parked worker keeps watch in case the holder leaves them for a long poll (see
            // `watch.rs`).
            if !holds_timer && !watching && self.drivers_need_watch() {
                watching = watch.try_claim(self.index);
            }
            let watch_mode = watching.then(|| watch.mode(self.index));
            // Spin first, unless this thread is about to wait in the driver for readiness a
            // spin cannot see (`Parker::park_in_io`). The slot is given back when the spin
            // ends, not when the park does: a sleeper that kept it stopped every other worker
            // from spinning for as long as it slept. A wake that ends the spin is left for the
            // park below, which then returns at once.
            let no_spin = holds_timer && self.handle.io().is_some_and(|io| io.spin_cannot_help());
            if !no_spin && self.handle.try_start_spinning(false) {
                self.parker.spin_until_notified();
                self.handle.stop_spinning();
            }
            let parked = match (holds_timer, watch_mode) {
                (true, _) => time.park(&self.parker, false, self.handle.io()),
                (false, Some(watch::Mode::Timed)) => {
                    self.parker.park_for(Some(watch::WATCH_INTERVAL), false)
                }
                (false, _) => self.parker.park_without_spinning(),
            };
            if parked == Parked::Slept {
                metrics.sleeps.incr();
            }
            if self.handle.is_shutdown() {
                break;
            }
            if !idle.is_parked(self.index) {
                break;
            }
            // Timers fired and sockets made ready while parked wake their tasks onto this
            // worker's queue.
            if holds_timer && self.core.borrow().as_ref().is_some_and(|c| c.has_tasks()) {
                break;
            }
            // A watch interval is over: take the drivers if nobody holds them, else sleep
            // until their holder leaves them (checking once more after saying so). A deep
            // watcher woken by the holder is back on timed watch: it sleeps an interval first,
            // giving the holder the time to come back.
            if watch_mode == Some(watch::Mode::Timed)
                && watch.end_timed_watch(self.index, || time.try_acquire_token())
            {
                watching = false;
                holds_timer = true;
            }
            // Otherwise a spurious wake: still registered as a sleeper, so sleep again.
        }
        if watching {
            watch.release(self.index);
        }
        let mut core = self.take_core();
        core.is_parked = false;
        metrics.unparks.incr();
        core.is_shutdown = self.handle.is_shutdown();
        if !core.is_shutdown {
            // Notified: the notifier counted us as unparked and searching.
            core.is_searching = idle.transition_worker_from_parked(self.index);
            // The drivers woke more than this worker can start at once: a sleeper may take
            // half. (A searcher wakes one anyway when it finds its first task.)
            if !core.is_searching && core.run_queue.len() > 1 {
                self.handle.notify_parked();
            }
        }
        if holds_timer {
            time.release_token();
            // Leaving the drivers to run tasks: a deep watcher goes back on timed watch, so a
            // long poll here cannot keep other sockets and timers waiting for more than an
            // interval. (Waking a worker to take over at every exit cost a futex wake and two
            // context switches per I/O event.)
            match watch.on_holder_leave() {
                watch::OnLeave::WakeWatcher(watcher) => {
                    self.handle.remotes[watcher].unpark.unpark();
                }
                watch::OnLeave::NoWatcher if self.drivers_need_watch() => {
                    self.handle.notify_parked();
                }
                _ => {}
            }
        }
        // The busy clock restarts here: everything in between, the spin included, was parked.
        core.busy_since = core.batch.start();
        core
    }

    /// Whether the drivers have anything that a long poll of their holder could delay.
    fn drivers_need_watch(&self) -> bool {
        self.handle.time.has_timers() || self.handle.io().is_some_and(|io| io.has_sockets())
    }
}
