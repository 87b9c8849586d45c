//! Poll-time tracking for the adaptive global-queue interval.
//!
//! The interval is counted in ticks, and a tick is one `run_task` (a poll plus up to three
//! LIFO polls), so the mean is taken per `run_task` too; counting LIFO polls would make the
//! interval up to four times too long for spawn-heavy tasks.

use std::time::{Duration, Instant};

use super::Handle;

/// The poll time the adaptive global-queue interval aims to spend between global checks.
const TARGET_GLOBAL_QUEUE_INTERVAL: Duration = Duration::from_micros(200);

/// Weight of the newest batch in the moving average of poll time.
const POLL_TIME_EWMA_ALPHA: f64 = 0.1;

/// A run of polls between two retunings, and the moving average of their mean time.
pub(super) struct Batch {
    started: Instant,
    pub(super) polls: u32,
    mean_poll_ns: f64,
}

impl Batch {
    pub(super) fn new(global_queue_interval: u32) -> Batch {
        Batch {
            started: Instant::now(),
            polls: 0,
            mean_poll_ns: TARGET_GLOBAL_QUEUE_INTERVAL.as_nanos() as f64
                / f64::from(global_queue_interval),
        }
    }

    /// Starts a batch now; returns the stamp, for the worker's busy clock to reuse.
    pub(super) fn start(&mut self) -> Instant {
        let now = Instant::now();
        self.started = now;
        self.polls = 0;
        now
    }

    /// Folds this batch's mean poll time (the batch ended at `now`) into the average and
    /// retunes the interval.
    pub(super) fn end(&mut self, now: Instant, handle: &Handle, interval: &mut u32) {
        if self.polls == 0 {
            return;
        }
        let elapsed = now.saturating_duration_since(self.started);
        let mean = elapsed.as_nanos() as f64 / f64::from(self.polls);
        // Weigh a batch by its size, so one slow poll in a short batch does not swing it.
        let weight = 1.0 - (1.0 - POLL_TIME_EWMA_ALPHA).powi(self.polls.min(64) as i32);
        self.mean_poll_ns = weight * mean + (1.0 - weight) * self.mean_poll_ns;
        if handle.config.global_queue_interval.is_none() {
            let target = TARGET_GLOBAL_QUEUE_INTERVAL.as_nanos() as f64;
            *interval = (target / self.mean_poll_ns.max(1.0)).clamp(2.0, 127.0) as u32;
        }
        self.polls = 0;
    }
}
