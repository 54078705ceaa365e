//! SKU popularity: a Zipf draw over a store's SKUs (SKU 0 is the most popular).

use rand::Rng;
use rand_distr::{Distribution as _, Zipf};

/// Draws SKUs by Zipf popularity.
#[derive(Debug, Clone)]
pub struct Popularity {
    zipf: Zipf<f64>,
    skus: u32,
}

impl Popularity {
    /// `exponent` 0 is uniform; larger is more skewed.
    pub fn new(skus: u32, exponent: f64) -> Self {
        let skus = skus.max(1);
        let zipf = Zipf::new(f64::from(skus), exponent.max(0.0)).unwrap_or_else(|_| Zipf::new(1.0, 0.0).expect("a one-element Zipf is valid"));
        Popularity { zipf, skus }
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        (self.zipf.sample(rng) as u32).clamp(1, self.skus) - 1
    }
}
