//! A tiny pseudo-random generator for scheduling decisions (which worker to steal from first).
//!
//! The generator is xorshift64*: one `u64` of state, three shifts and a multiply per draw. It is
//! not cryptographic and does not need to be; it only has to spread workers over victims. Each
//! generator is owned by one worker, so there is no sharing and no atomics in the hot path.
//! [`seed`] gives every caller a different starting point without an OS randomness dependency.

/// A xorshift64* generator. Owned by a single thread; cheap to copy around.
#[derive(Debug, Clone)]
pub(crate) struct FastRand {
    /// Never zero: zero is the one fixed point of the xorshift step.
    state: u64,
}

/// Stand-in state used when mixing the seed happens to produce zero.
const NONZERO_FALLBACK: u64 = 0x9E37_79B9_7F4A_7C15;

impl FastRand {
    /// A generator whose stream is determined by `seed`. Any seed works, including zero.
    pub(crate) fn new(seed: u64) -> Self {
        // Scramble the seed first so that nearby seeds (0, 1, 2, ...) start far apart.
        let mixed = mix64(seed);
        FastRand {
            state: if mixed == 0 { NONZERO_FALLBACK } else { mixed },
        }
    }

    /// The next 64 bits of the stream.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The next 32 bits of the stream (the high half, which is the better-mixed one).
    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `0..n`, by Lemire's multiply-and-shift reduction.
    ///
    /// There is no rejection step, so values are biased by at most `n / 2^32`: irrelevant when
    /// `n` is a worker count. Panics in debug builds if `n` is zero (release builds return 0).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0, "FastRand::below needs a non-empty range");
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as u32
    }
}

/// The splitmix64 finaliser: a bijection on `u64` that spreads every input bit over the output.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed that differs on every call and on every thread, for [`FastRand::new`].
///
/// It hashes a process-wide call counter together with the calling thread's id. The hasher is
/// `std`'s randomly keyed one, so streams also differ from one process to the next.
#[cfg(not(blitz_loom))]
pub(crate) fn seed() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    // This counter is deliberately a plain `std` atomic rather than one from `crate::loom`: it
    // only hands out distinct numbers and orders nothing, and a loom atomic cannot be a static.
    use std::sync::atomic::{AtomicU64, Ordering};

    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);

    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    crate::loom::thread::current().id().hash(&mut hasher);
    call.hash(&mut hasher);
    hasher.finish()
}

/// Under loom every execution of a model must make the same choices, so the seed is fixed.
#[cfg(blitz_loom)]
pub(crate) fn seed() -> u64 {
    NONZERO_FALLBACK
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::*;

    #[test]
    fn zero_seed_is_usable() {
        let mut rng = FastRand::new(0);
        let draws: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert!(draws.iter().all(|&d| d != 0));
        assert_ne!(draws[0], draws[1]);
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = FastRand::new(7);
        let mut b = FastRand::new(7);
        for _ in 0..16 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = FastRand::new(seed());
        for n in [1u32, 2, 3, 7, 16] {
            let mut seen = vec![false; n as usize];
            for _ in 0..400 {
                let v = rng.below(n);
                assert!(v < n, "{v} out of 0..{n}");
                seen[v as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "not every value of 0..{n} drawn");
        }
        // Large bounds stay in range too.
        for _ in 0..100 {
            assert!(rng.below(u32::MAX) < u32::MAX);
        }
    }

    #[test]
    fn seeds_differ_across_calls_and_threads() {
        let here = [seed(), seed()];
        let there = std::thread::spawn(seed).join().unwrap();
        assert_ne!(here[0], here[1]);
        assert_ne!(here[0], there);
        assert_ne!(here[1], there);
    }
}
