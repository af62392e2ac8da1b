//! The RR-OPIM+ certificate: the single definition of the bounds every emission reports.
//!
//! - spread estimate: σ̂ = n·Λ_R2(S) / |R2|;
//! - lower bound on σ(S), from R2: σ_l = max(0, (√(Λ_R2(S) + 2L/9) − √(L/2))² − L/18) · n/|R2|;
//! - upper bound on σ(OPT), from R1: σ_u = (√(Λ^u + L/2) + √(L/2))² · n/|R1|;
//! - ratio = σ_l / σ_u (1 when σ_u = 0), and S is certified (1/2 − ε)-approximate when
//!   ratio ≥ 1/2 − ε.
//!
//! Each bound fails with probability ≤ p_f = e^−L. With no sample at all in a half, that half
//! says nothing: σ̂ = σ_l = 0 without R2, and σ_u = n (no spread exceeds |V|) without R1.

/// Whether a selection whose bounds have `ratio` is certified (1/2 − ε)-approximate: the one
/// definition of the certified test.
pub fn certifies(ratio: f64, epsilon: f64) -> bool {
    ratio >= 0.5 - epsilon
}

/// θ, the spread estimate and the certificate of one selection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// [|R1|, |R2|].
    pub theta: [usize; 2],
    /// n·Λ_R2(S)/|R2|.
    pub spread: f64,
    /// σ_l: a lower bound on σ(S).
    pub lower: f64,
    /// σ_u: an upper bound on σ(OPT).
    pub upper: f64,
    /// σ_l / σ_u.
    pub ratio: f64,
}

/// The bounds from the coverages Λ_R2(S) (`cov2`) and Λ^u (`upper_cov`), with L = ln(1/p_f).
/// Coverages are real: under acceptance each sample counts its probability of being covered,
/// a value in [0, 1], for which the same concentration bounds hold (docs/ACCEPTANCE.md).
pub fn bounds(n: usize, theta: [usize; 2], cov2: f64, upper_cov: f64, l: f64) -> Bounds {
    let n = n as f64;
    let (spread, lower) = if theta[1] == 0 {
        (0.0, 0.0)
    } else {
        let scale = n / theta[1] as f64;
        let c = cov2;
        let root = (c + 2.0 * l / 9.0).sqrt() - (l / 2.0).sqrt();
        // The bracket is ≤ 0 on 0 ≤ c ≤ 2L/3 (0 at both ends), where the square is not yet
        // monotone; clamping it at 0 makes σ_l monotone in c.
        let lower = ((root * root - l / 18.0) * scale).max(0.0);
        (c * scale, lower)
    };
    let upper = if theta[0] == 0 {
        n
    } else {
        let r = (upper_cov + l / 2.0).sqrt() + (l / 2.0).sqrt();
        r * r * n / theta[0] as f64
    };
    let ratio = if upper == 0.0 { 1.0 } else { lower / upper };
    Bounds {
        theta,
        spread,
        lower,
        upper,
        ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: f64 = 8.342_839_804_271_46;

    #[test]
    fn bounds_bracket_the_estimate() {
        for cov in [0u64, 1, 5, 50, 500, 5000, 10_000] {
            let b = bounds(1000, [10_000, 10_000], cov as f64, cov as f64, L);
            assert!(b.lower <= b.spread, "{b:?}");
            assert!(b.spread <= b.upper, "{b:?}");
            assert!((0.0..=1.0).contains(&b.ratio), "{b:?}");
            assert_eq!(b.spread, cov as f64 / 10.0);
        }
    }

    #[test]
    fn monotone_in_the_coverages() {
        let mut last = bounds(1000, [4096, 4096], 0.0, 0.0, L);
        assert_eq!(last.lower, 0.0);
        for cov in 1..3000u64 {
            let b = bounds(1000, [4096, 4096], cov as f64, cov as f64, L);
            assert!(
                b.lower >= last.lower && b.upper >= last.upper,
                "{cov}: {b:?} {last:?}"
            );
            last = b;
        }
        // Plenty of evidence: the bounds close in on the estimate.
        assert!(last.ratio > 0.85, "{last:?}");
    }

    /// θ1 ≠ θ2: the lower bound scales by |R2|, the upper by |R1| (swapping them, or using one
    /// for both, changes both numbers).
    #[test]
    fn unequal_halves_scale_each_bound_by_its_own() {
        // c = 100, L = 18: as in `hand_computed`, with n/|R2| = 100/40 and n/|R1| = 100/10.
        let b = bounds(100, [10, 40], 100.0, 100.0, 18.0);
        assert!(
            (b.lower - (112.0 - 6.0 * 104f64.sqrt()) * 2.5).abs() < 1e-9,
            "{b:?}"
        );
        assert!(
            (b.upper - (118.0 + 6.0 * 109f64.sqrt()) * 10.0).abs() < 1e-9,
            "{b:?}"
        );
        assert_eq!(b.spread, 100.0 * 2.5);
        assert_eq!(b.theta, [10, 40]);
        let swapped = bounds(100, [40, 10], 100.0, 100.0, 18.0);
        assert!(swapped.lower > b.lower && swapped.upper < b.upper);
    }

    /// The certified test is ratio ≥ 1/2 − ε, inclusive, and nothing stricter.
    #[test]
    fn certified_at_half_minus_epsilon_and_not_below() {
        for eps in [0.05, 0.1, 0.2, 0.3] {
            let at = 0.5 - eps;
            assert!(certifies(at, eps), "{eps}");
            assert!(!certifies(at - 1e-9, eps), "{eps}");
            assert!(certifies(at + 0.04, eps), "{eps}");
            assert!(!certifies(at - 0.04, eps), "{eps}");
        }
        assert!(certifies(1.0, 0.0) && !certifies(0.49, 0.0));
    }

    #[test]
    fn hand_computed() {
        // c = 100, L = 18: (√104 − 3)² − 1 = 112 − 6√104 ≈ 50.81; ×10.
        // Λ^u = 100: (√109 + 3)² = 118 + 6√109 ≈ 180.64; ×10.
        let b = bounds(100, [10, 10], 100.0, 100.0, 18.0);
        assert!((b.lower - (112.0 - 6.0 * 104f64.sqrt()) * 10.0).abs() < 1e-9);
        assert!((b.upper - (118.0 + 6.0 * 109f64.sqrt()) * 10.0).abs() < 1e-9);
        assert!((b.ratio - b.lower / b.upper).abs() < 1e-15);
    }

    #[test]
    fn degenerate_cases() {
        let b = bounds(0, [0, 0], 0.0, 0.0, L);
        assert_eq!((b.spread, b.lower, b.upper, b.ratio), (0.0, 0.0, 0.0, 1.0));
        let b = bounds(50, [0, 0], 0.0, 0.0, L);
        assert_eq!((b.spread, b.lower, b.upper, b.ratio), (0.0, 0.0, 50.0, 0.0));
    }

    /// One half empty and the other not: each branch of σ_u on its own.
    #[test]
    fn one_empty_half() {
        // R1 empty, R2 not: σ_u = n, whatever R2 holds.
        let b = bounds(50, [0, 4], 0.0, 0.0, 18.0);
        assert_eq!((b.upper, b.ratio), (50.0, 0.0), "{b:?}");
        // R2 empty, R1 not: σ_u = (√9 + 3)²·50/4 = 450.
        let b = bounds(50, [4, 0], 0.0, 0.0, 18.0);
        assert_eq!((b.spread, b.lower), (0.0, 0.0));
        assert!((b.upper - 450.0).abs() < 1e-9, "{b:?}");
    }
}
