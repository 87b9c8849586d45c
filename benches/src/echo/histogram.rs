//! A log-linear latency histogram (HdrHistogram's layout, written small): values below
//! 2^8 have a bucket each; above that, every power of two is split into 2^7 = 128
//! equal buckets, so a bucket is at most 1/128 of its value wide (< 0.8 % error) whatever the
//! range. Recording is an index computation and an increment; histograms of several client
//! threads merge by adding counts. Values are nanoseconds here but the type does not care.

/// Sub-bucket precision: 2^(BITS-1) buckets per power of two.
const BITS: u32 = 8;
const HALF: u64 = 1 << (BITS - 1);
/// Enough buckets for any `u64`.
const LEN: usize = ((64 - BITS as usize + 1) * HALF as usize) + HALF as usize;

/// Counts of recorded values by bucket.
///
/// ```
/// use blitz_io_benches::echo::histogram::Histogram;
///
/// let mut h = Histogram::new();
/// for micros in 1..=100u64 {
///     h.record(micros * 1000); // nanoseconds
/// }
/// assert_eq!(h.len(), 100);
/// let p50 = h.quantile(0.5);
/// assert!((50_000..=50_400).contains(&p50), "{p50}"); // within one bucket (< 1 %)
/// assert_eq!(h.quantile(1.0), 100_000);
/// ```
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

fn index(value: u64) -> usize {
    let msb = 63 - (value | 1).leading_zeros();
    if msb < BITS {
        return value as usize;
    }
    let shift = msb - BITS + 1;
    (shift as u64 * HALF + (value >> shift)) as usize
}

/// The largest value that falls into bucket `i`.
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < 2 * HALF {
        return i;
    }
    let shift = i / HALF - 1;
    let sub = i - shift * HALF;
    ((sub + 1) << shift).wrapping_sub(1)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; LEN].into_boxed_slice(),
            total: 0,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The largest value recorded (exact), 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0.0 to 1.0): the upper bound of the bucket holding the
    /// `ceil(q × len)`-th smallest value, never above the recorded maximum; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_bound(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::{index, upper_bound, Histogram, LEN};

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        let mut prev = 0;
        for v in (0..100_000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let i = index(v);
            assert!(i < LEN, "{v}");
            assert!(v <= upper_bound(i), "{v} above bucket {i}");
            if v < 100_000 {
                assert!(i == prev || i == prev + 1 || v == 0, "gap at {v}");
                prev = i;
            }
            if i > 0 {
                assert!(upper_bound(i - 1) < v, "{v} belongs lower");
            }
        }
    }

    #[test]
    fn relative_error_is_small() {
        for v in [300u64, 1_000, 12_345, 1_000_000, 987_654_321] {
            let ub = upper_bound(index(v));
            assert!((ub - v) as f64 / v as f64 <= 1.0 / 128.0, "{v} -> {ub}");
        }
    }

    #[test]
    fn quantiles_of_a_uniform_range() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 5_000_000.0 - 1.0).abs() < 0.01, "{p50}");
        assert!((p99 / 9_900_000.0 - 1.0).abs() < 0.01, "{p99}");
        assert_eq!(h.quantile(1.0), 10_000_000);
        assert_eq!(h.len(), 10_000);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(20);
        b.record(30);
        a.merge(&b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.max(), 30);
        assert_eq!(a.quantile(0.5), 20);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }
}
