//! [`ShareCorrection`]: how many of a set of posts are negative, neutral and positive, estimated
//! from the classes a model gave them and the errors the model is known to make.
//!
//! Counting a classifier's labels ("classify and count") gives biased shares whenever the model
//! confuses classes unevenly: the opinion model calls 63 % of SemEval's negative tweets negative and
//! 30 % neutral, so a topic whose posts are two-thirds complaints reads as well under half
//! negative. Quantification corrects the count with the model's error rates, measured on labelled
//! posts it was not trained on ("adjusted classify and count", Forman 2008): if `M[i][j]` is the
//! share of class-`i` posts the model labels `j`, the observed label shares are `q = Mᵀ·p` for the
//! true shares `p`, so `p = (Mᵀ)⁻¹·q`, clipped to `[0, 1]` and renormalised. Individual posts keep
//! the model's label; only shares of a set are corrected.

/// Sentiment classes, in the order of every array here and of the model's weights: negative,
/// neutral, positive.
pub const CLASSES: usize = 3;

/// Corrects class counts by a model's error rates (class order: negative, neutral, positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareCorrection {
    /// `(Mᵀ)⁻¹`: observed label shares to true shares.
    inverse: [[f64; CLASSES]; CLASSES],
}

impl ShareCorrection {
    /// Leaves counts as they are (a model with no measured error rates).
    pub const IDENTITY: ShareCorrection =
        ShareCorrection { inverse: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] };

    /// From the model's error rates: `rates[i][j]` is the share of posts of class `i` labelled
    /// `j` (rows sum to 1). `None` when the rates cannot be inverted (a model no better than
    /// chance on some class cannot be corrected).
    pub fn from_rates(rates: [[f32; CLASSES]; CLASSES]) -> Option<ShareCorrection> {
        let m: [[f64; CLASSES]; CLASSES] = std::array::from_fn(|j| std::array::from_fn(|i| f64::from(rates[i][j])));
        let inverse = invert(m)?;
        Some(ShareCorrection { inverse })
    }

    /// Estimated shares (negative, neutral, positive) of posts whose labels were counted as
    /// `counts`; `None` when nothing was counted.
    pub fn shares(&self, counts: [u64; CLASSES]) -> Option<[f64; CLASSES]> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let observed = counts.map(|c| c as f64 / total as f64);
        let estimate: [f64; CLASSES] =
            std::array::from_fn(|i| (0..CLASSES).map(|j| self.inverse[i][j] * observed[j]).sum::<f64>().max(0.0));
        let sum: f64 = estimate.iter().sum();
        Some(if sum > 0.0 { estimate.map(|x| x / sum) } else { observed })
    }
}

/// The inverse of a 3×3 matrix by its adjugate; `None` when it is (nearly) singular.
fn invert(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let cofactor = |r: usize, c: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (c1, c2) = ((c + 1) % 3, (c + 2) % 3);
        m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]
    };
    let det = (0..3).map(|c| m[0][c] * cofactor(0, c)).sum::<f64>();
    (det.abs() > 1e-6).then(|| std::array::from_fn(|r| std::array::from_fn(|c| cofactor(c, r) / det)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: [[f32; 3]; 3] = [[0.63, 0.30, 0.07], [0.13, 0.63, 0.24], [0.04, 0.25, 0.71]];

    #[test]
    fn the_labels_of_a_known_mix_give_the_mix_back() {
        let correction = ShareCorrection::from_rates(RATES).unwrap();
        // 700 negative, 200 neutral, 100 positive posts, labelled at the model's error rates.
        let truth = [700.0, 200.0, 100.0];
        let labelled: [u64; 3] =
            std::array::from_fn(|j| (0..3).map(|i| truth[i] * f64::from(RATES[i][j])).sum::<f64>().round() as u64);
        assert!(labelled[0] < 500, "the raw count under-calls negatives: {labelled:?}");
        let shares = correction.shares(labelled).unwrap();
        for (got, want) in shares.iter().zip([0.7, 0.2, 0.1]) {
            assert!((got - want).abs() < 0.002, "{shares:?}");
        }
    }

    #[test]
    fn shares_stay_in_range_and_sum_to_one() {
        let correction = ShareCorrection::from_rates(RATES).unwrap();
        for counts in [[1, 0, 0], [0, 0, 1], [0, 5, 0], [3, 0, 9], [100, 1, 0]] {
            let shares = correction.shares(counts).unwrap();
            assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)), "{counts:?} → {shares:?}");
            assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{counts:?} → {shares:?}");
        }
        assert!(correction.shares([1, 0, 0]).unwrap()[0] > 0.9);
        assert_eq!(correction.shares([0, 0, 0]), None);
    }

    #[test]
    fn identity_and_singular_rates() {
        assert_eq!(ShareCorrection::IDENTITY.shares([1, 1, 2]), Some([0.25, 0.25, 0.5]));
        assert_eq!(ShareCorrection::from_rates([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]), None);
    }
}
