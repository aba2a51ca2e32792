//! Latency statistics: percentiles of raw samples, and a small mergeable
//! log-linear histogram for measurements too numerous to keep (one value per
//! bot frame at thousands of calls).

use serde::Serialize;

/// Percentiles of one metric, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample (for server histograms: the upper bound of the highest
    /// non-empty bucket).
    pub max: f64,
}

impl Summary {
    /// Percentiles (nearest rank) of `samples` in milliseconds.
    pub fn of(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Self {
            count: v.len() as u64,
            mean: v.iter().sum::<f64>() / v.len() as f64,
            p50: rank(0.50),
            p90: rank(0.90),
            p95: rank(0.95),
            p99: rank(0.99),
            p999: rank(0.999),
            max: v[v.len() - 1],
        }
    }
}

/// Sub-buckets per power of two: values are kept within ~3 %.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

/// Counts of non-negative integer values (microseconds) in log-linear
/// buckets: exact below 32, then 32 buckets per doubling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let e = 63 - v.leading_zeros();
        let sub = (v >> (e - SUB_BITS)) & (SUB - 1);
        (SUB + (e - SUB_BITS) as u64 * SUB + sub) as usize
    }

    /// The smallest value that falls in bucket `i`.
    fn lower(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let e = (i - SUB) / SUB + SUB_BITS as u64;
        let sub = (i - SUB) % SUB;
        (1 << e) | (sub << (e - SUB_BITS as u64))
    }

    /// Adds one value.
    pub fn record(&mut self, v: u64) {
        let i = Self::index(v);
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
        self.sum += v as u128;
        self.max = self.max.max(v);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1): the middle of its bucket, capped at
    /// the largest value seen.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let want = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if want == self.total {
            return self.max;
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                let (lo, hi) = (Self::lower(i), Self::lower(i + 1));
                return (lo + (hi - lo) / 2).min(self.max);
            }
        }
        self.max
    }

    /// `(value, cumulative fraction)` at each non-empty bucket's upper edge,
    /// for a CDF plot.
    pub fn cdf(&self) -> Vec<(u64, f64)> {
        let mut seen = 0;
        let mut out = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                seen += c;
                out.push(((Self::lower(i + 1) - 1).min(self.max), seen as f64 / self.total as f64));
            }
        }
        out
    }

    /// Percentiles in milliseconds of values recorded in microseconds.
    pub fn summary_ms(&self) -> Summary {
        let ms = |v: u64| v as f64 / 1000.0;
        Summary {
            count: self.total,
            mean: if self.total == 0 {
                0.0
            } else {
                self.sum as f64 / self.total as f64 / 1000.0
            },
            p50: ms(self.quantile(0.50)),
            p90: ms(self.quantile(0.90)),
            p95: ms(self.quantile(0.95)),
            p99: ms(self.quantile(0.99)),
            p999: ms(self.quantile(0.999)),
            max: ms(self.max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Summary::of(&(1..=100).map(f64::from).collect::<Vec<_>>());
        assert_eq!((s.count, s.p50, s.p90, s.p99, s.max), (100, 50.0, 90.0, 99.0, 100.0));
        assert_eq!(s.mean, 50.5);
        assert_eq!(Summary::of(&[]), Summary::default());
        assert_eq!(Summary::of(&[7.0]).p999, 7.0);
    }

    #[test]
    fn buckets_are_contiguous_and_tight() {
        for v in [0u64, 1, 31, 32, 33, 63, 64, 100, 1000, 20_000, 1_000_000, 123_456_789] {
            let i = Histogram::index(v);
            assert!(Histogram::lower(i) <= v && v < Histogram::lower(i + 1), "{v}");
            let width = Histogram::lower(i + 1) - Histogram::lower(i);
            assert!(width as f64 <= (v as f64 / 16.0).max(1.0), "{v}: width {width}");
        }
        for i in 0..600 {
            assert!(Histogram::lower(i) < Histogram::lower(i + 1));
            assert_eq!(Histogram::index(Histogram::lower(i)), i);
        }
    }

    #[test]
    fn quantiles_within_a_few_percent_and_merge() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for v in 1..=5000u64 {
            a.record(v * 10);
        }
        for v in 5001..=10_000u64 {
            b.record(v * 10);
        }
        a.merge(&b);
        assert_eq!(a.count(), 10_000);
        for (q, exact) in [(0.5, 50_000.0), (0.9, 90_000.0), (0.99, 99_000.0)] {
            let got = a.quantile(q) as f64;
            assert!((got - exact).abs() / exact < 0.04, "q{q}: {got}");
        }
        assert_eq!(a.quantile(1.0), 100_000);
        let s = a.summary_ms();
        assert!((s.mean - 50.005).abs() < 1e-9);
        assert_eq!(s.max, 100.0);
        let cdf = a.cdf();
        assert_eq!(cdf.last().unwrap().1, 1.0);
        assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }
}
