//! Percentiles of timings, the one way every benchmark sums up what it timed.

use std::time::Instant;

/// The 50th and 95th percentiles of timings in milliseconds (none: zero).
pub fn percentiles(ms: Vec<f64>) -> (f64, f64) {
    let mut ms = ms;
    ms.sort_by(|a, b| a.total_cmp(b));
    (percentile(&ms, 0.5), percentile(&ms, 0.95))
}

/// The value at `p` (0 to 1) of timings already sorted (none: zero).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds since `t`.
pub fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_sorted_and_unsorted_timings() {
        assert_eq!(percentile(&[], 0.5), 0.0);
        let sorted: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.5), 51.0);
        assert_eq!(percentile(&sorted, 0.99), 100.0);
        let mut shuffled = sorted.clone();
        shuffled.reverse();
        assert_eq!(percentiles(shuffled), (51.0, 96.0));
    }
}
