//! One idle worker keeps watch over the drivers while their holder runs tasks.
//!
//! The first worker to park holds the drivers (the timer token) and sleeps inside them. Woken
//! by a socket or a timer, it releases them and runs what it woke. If one of those polls runs
//! long, nobody turns the drivers meanwhile and every other socket and timer waits for it.
//! Waking a parked worker to take the drivers over at each such exit closes that gap, but costs
//! a futex wake and two context switches per I/O event (measured on the one-connection echo
//! with 2 workers: 1.8 futex calls and 2.7 context switches per request, against Tokio's 0 and
//! 1, and 33 % more server CPU per request).
//!
//! Instead, while sockets or timers exist, one parked worker is the watcher. It sleeps for
//! [`WATCH_INTERVAL`] ("timed") and then takes the drivers if nobody holds them. If their
//! holder is asleep in them, the watcher sleeps without a timeout ("deep"), and the holder
//! wakes it the next time it leaves the drivers, which puts it back on timed watch. So a
//! driver left unattended is picked up within about one interval, an idle runtime does not
//! wake every interval, and a busy one pays at most one wake per interval instead of one per
//! event. A worker that parked while there was nothing to watch does not watch; a holder that
//! leaves with nobody watching while there is something to watch wakes a sleeper to take the
//! watch ([`OnLeave::NoWatcher`]).
//!
//! No lost hand-over: the holder releases the token and then reads the watch state; the
//! watcher marks itself deep and then reads the token, both with a SeqCst fence between. One
//! of them sees the other: the holder wakes a deep watcher, or the watcher finds the token
//! free and takes it.

use std::time::Duration;

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};

/// How long a watcher sleeps before it checks that someone holds the drivers: the longest a
/// long poll can keep other sockets and timers waiting.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_millis(10);

const NO_WATCHER: usize = 0;
const TIMED: usize = 1;
const DEEP: usize = 2;
const MODE_MASK: usize = 0b11;
const INDEX_SHIFT: u32 = 2;

/// How the watcher sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// With a timeout of [`WATCH_INTERVAL`].
    Timed,
    /// Until the holder wakes it on leaving the drivers.
    Deep,
}

/// What a holder leaving the drivers must do ([`Watch::on_holder_leave`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OnLeave {
    /// A timed watcher is on duty (or the watch changed hands meanwhile): nothing.
    Nothing,
    /// Wake this deep watcher, now back on timed watch.
    WakeWatcher(usize),
    /// Nobody watches. Workers that parked while there was nothing to watch sleep without a
    /// timeout and never claim the watch by themselves: if the drivers now need one, the
    /// holder wakes a sleeper, which claims the watch (or the drivers) when it parks again.
    NoWatcher,
}

/// The watch state: the watcher's worker index and mode in one word (`NO_WATCHER`: none).
pub(super) struct Watch {
    word: AtomicUsize,
}

impl Watch {
    pub(super) fn new() -> Watch {
        Watch {
            word: AtomicUsize::new(NO_WATCHER),
        }
    }

    /// Becomes the watcher (timed) unless another worker is.
    pub(super) fn try_claim(&self, index: usize) -> bool {
        self.word
            .compare_exchange(NO_WATCHER, (index << INDEX_SHIFT) | TIMED, SeqCst, SeqCst)
            .is_ok()
    }

    /// The watcher `index`'s current mode.
    pub(super) fn mode(&self, index: usize) -> Mode {
        let word = self.word.load(SeqCst);
        debug_assert_eq!(word >> INDEX_SHIFT, index, "only the watcher asks");
        if word & MODE_MASK == DEEP {
            Mode::Deep
        } else {
            Mode::Timed
        }
    }

    /// The watcher `index`'s timed sleep is over: takes the drivers through `try_take` if
    /// nobody holds them; else goes deep (it will sleep until their holder leaves them) and
    /// tries once more, which closes the race with a holder leaving meanwhile (module doc).
    /// True when it took them, and then it no longer watches.
    pub(super) fn end_timed_watch(&self, index: usize, try_take: impl Fn() -> bool) -> bool {
        let took = try_take() || {
            self.go_deep(index);
            try_take()
        };
        if took {
            self.release(index);
        }
        took
    }

    /// The watcher found the drivers held: it will sleep until their holder leaves them.
    fn go_deep(&self, index: usize) {
        let _ = self.word.compare_exchange(
            (index << INDEX_SHIFT) | TIMED,
            (index << INDEX_SHIFT) | DEEP,
            SeqCst,
            SeqCst,
        );
        fence(SeqCst);
    }

    /// The watcher `index` stops watching (it took the drivers, or it leaves its park).
    pub(super) fn release(&self, index: usize) {
        let mut word = self.word.load(SeqCst);
        while word != NO_WATCHER && word >> INDEX_SHIFT == index {
            match self.word.compare_exchange(word, NO_WATCHER, SeqCst, SeqCst) {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
    }

    /// The holder has released the token and is leaving the drivers: what it must do about
    /// the watch.
    pub(super) fn on_holder_leave(&self) -> OnLeave {
        fence(SeqCst);
        let word = self.word.load(SeqCst);
        if word == NO_WATCHER {
            return OnLeave::NoWatcher;
        }
        if word & MODE_MASK != DEEP {
            return OnLeave::Nothing;
        }
        let timed = (word & !MODE_MASK) | TIMED;
        match self.word.compare_exchange(word, timed, SeqCst, SeqCst) {
            Ok(_) => OnLeave::WakeWatcher(word >> INDEX_SHIFT),
            Err(_) => OnLeave::Nothing,
        }
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_watcher_at_a_time_and_the_holder_wakes_it_only_when_deep() {
        let watch = Watch::new();
        assert!(watch.try_claim(3));
        assert!(!watch.try_claim(5), "a second watcher");
        assert_eq!(watch.mode(3), Mode::Timed);
        assert_eq!(
            watch.on_holder_leave(),
            OnLeave::Nothing,
            "a timed watcher wakes by itself"
        );
        watch.go_deep(3);
        assert_eq!(watch.mode(3), Mode::Deep);
        assert_eq!(watch.on_holder_leave(), OnLeave::WakeWatcher(3));
        assert_eq!(watch.mode(3), Mode::Timed, "woken back onto timed watch");
        assert_eq!(watch.on_holder_leave(), OnLeave::Nothing, "woken once");
        watch.release(5);
        assert!(!watch.try_claim(5), "only the watcher itself releases");
        watch.release(3);
        assert!(watch.try_claim(0), "index 0 is a valid watcher");
        assert_eq!(watch.mode(0), Mode::Timed);
        assert!(!watch.end_timed_watch(0, || false), "the drivers are held");
        assert_eq!(watch.mode(0), Mode::Deep);
        watch.release(0);
        assert!(watch.try_claim(1));
        assert!(watch.end_timed_watch(1, || true), "the drivers were free");
        assert!(watch.try_claim(2), "taking the drivers ends the watch");
        watch.release(2);
        assert_eq!(watch.on_holder_leave(), OnLeave::NoWatcher);
    }
}
