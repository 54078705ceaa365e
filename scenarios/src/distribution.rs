//! Latency and service-time distributions, as written in scenario files.
//!
//! Each one is an inline table tagged by `kind`; every sample is a whole number
//! of microseconds (simulated time is in microseconds), never negative.

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, Exp, LogNormal};
use serde::{Deserialize, Serialize};

/// A distribution of durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    /// Always `ms`.
    Constant { ms: f64 },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// Exponential with mean `mean_ms`.
    Exponential { mean_ms: f64 },
    /// Log-normal with median `median_ms` and shape `sigma` (of the log).
    Lognormal { median_ms: f64, sigma: f64 },
}

/// A [`Distribution`] with its parameters computed, to draw many samples.
#[derive(Debug, Clone, Copy)]
pub enum Sampler {
    Fixed(f64),
    Uniform(f64, f64),
    Exponential(Exp<f64>),
    Lognormal(LogNormal<f64>),
}

impl Sampler {
    /// Draws one duration in microseconds (the same draw as [`Distribution::sample_us`]).
    pub fn sample_us<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let ms = match *self {
            Sampler::Fixed(ms) => ms,
            Sampler::Uniform(min_ms, max_ms) => rng.random_range(min_ms..max_ms),
            Sampler::Exponential(exp) => exp.sample(rng),
            Sampler::Lognormal(log_normal) => log_normal.sample(rng),
        };
        round_us(ms * 1000.0)
    }
}

/// `us.round().max(0.0) as u64`, without calling libm's `round` (the x86-64
/// baseline has no rounding instruction, and every latency draw ends here).
fn round_us(us: f64) -> u64 {
    const EXACT_FROM: f64 = (1u64 << 52) as f64;
    if us.is_nan() || us <= 0.0 {
        return 0;
    }
    if us >= EXACT_FROM {
        return us as u64;
    }
    // Below 2^52 the whole part and the fraction are exact; halves round up, as `round` does.
    let whole = us as u64;
    if us - whole as f64 >= 0.5 { whole + 1 } else { whole }
}

impl Distribution {
    pub const fn constant(ms: f64) -> Self {
        Self::Constant { ms }
    }

    pub const fn lognormal(median_ms: f64, sigma: f64) -> Self {
        Self::Lognormal { median_ms, sigma }
    }

    /// Draws one duration in microseconds.
    pub fn sample_us<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        self.sampler().sample_us(rng)
    }

    /// The distribution ready to draw from, its parameters computed once (hot paths keep one).
    pub fn sampler(&self) -> Sampler {
        match *self {
            Self::Constant { ms } => Sampler::Fixed(ms),
            Self::Uniform { min_ms, max_ms } if max_ms > min_ms => Sampler::Uniform(min_ms, max_ms),
            Self::Uniform { min_ms, .. } => Sampler::Fixed(min_ms),
            Self::Exponential { mean_ms } => Exp::new(1.0 / mean_ms).map_or(Sampler::Fixed(mean_ms), Sampler::Exponential),
            Self::Lognormal { median_ms, sigma } => LogNormal::new(median_ms.ln(), sigma).map_or(Sampler::Fixed(median_ms), Sampler::Lognormal),
        }
    }

    /// The median in milliseconds (used to compare link models across engines).
    pub fn median_ms(&self) -> f64 {
        match *self {
            Self::Constant { ms } => ms,
            Self::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
            Self::Exponential { mean_ms } => mean_ms * std::f64::consts::LN_2,
            Self::Lognormal { median_ms, .. } => median_ms,
        }
    }

    /// Why the parameters are impossible, if they are.
    pub fn problem(&self) -> Option<String> {
        let finite_non_negative = |v: f64| v.is_finite() && v >= 0.0;
        match *self {
            Self::Constant { ms } if !finite_non_negative(ms) => Some(format!("ms = {ms}: allowed is a number >= 0")),
            Self::Uniform { min_ms, max_ms } if !(finite_non_negative(min_ms) && finite_non_negative(max_ms) && min_ms <= max_ms) => {
                Some(format!("min_ms = {min_ms}, max_ms = {max_ms}: allowed is 0 <= min_ms <= max_ms"))
            }
            Self::Exponential { mean_ms } if !(mean_ms.is_finite() && mean_ms > 0.0) => Some(format!("mean_ms = {mean_ms}: allowed is a number > 0")),
            Self::Lognormal { median_ms, sigma } if !(median_ms.is_finite() && median_ms > 0.0 && sigma.is_finite() && sigma >= 0.0) => {
                Some(format!("median_ms = {median_ms}, sigma = {sigma}: allowed is median_ms > 0 and sigma >= 0"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn samples_are_whole_microseconds_near_the_median() {
        // Goal: each kind samples around its stated median. Method: 20k draws, sorted.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for d in [
            Distribution::constant(2.0),
            Distribution::Uniform { min_ms: 1.0, max_ms: 3.0 },
            Distribution::Exponential { mean_ms: 2.0 / std::f64::consts::LN_2 },
            Distribution::lognormal(2.0, 0.5),
        ] {
            let mut draws: Vec<u64> = (0..20_000).map(|_| d.sample_us(&mut rng)).collect();
            draws.sort_unstable();
            let median = draws[draws.len() / 2] as f64;
            assert!((median - 2000.0).abs() < 100.0, "{d:?} median {median}");
        }
    }

    #[test]
    fn round_us_rounds_as_std_does() {
        // Goal: the hand-written rounding gives exactly `round().max(0.0) as u64`.
        // Method: edge values (halves, the largest double below a half, 2^52
        // and around it, infinities, NaN, negatives), then a million random bit patterns.
        use rand::RngExt;
        let std_round = |us: f64| us.round().max(0.0) as u64;
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            1.4999999999999998,
            4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            1e19,
            1e20,
            -0.5,
            -3.7,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            1234.5,
        ];
        for us in edges {
            assert_eq!(round_us(us), std_round(us), "{us:e}");
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for _ in 0..1_000_000 {
            let bits: u64 = rng.random();
            let scaled = rng.random_range(0.0..1e7) * if rng.random_bool(0.1) { -1.0 } else { 1.0 };
            for us in [f64::from_bits(bits), scaled, scaled.floor() + 0.5] {
                assert_eq!(round_us(us), std_round(us), "{us:e}");
            }
        }
    }
}
