//! Seeded random streams, one per `(seed, stream name)`.
//!
//! Adding a node or a design knob never shifts another stream, so the same
//! seed gives every design the same workload (common random numbers).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random stream called `name` in the run seeded with `seed`.
pub fn stream(seed: u64, name: &str) -> ChaCha8Rng {
    // FNV-1a of the name, then SplitMix64 over (seed, name hash) fills the key.
    let mut name_hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        name_hash ^= u64::from(byte);
        name_hash = name_hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = seed ^ name_hash.rotate_left(32);
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_depend_on_seed_and_name_only() {
        // Goal: the same (seed, name) repeats; another seed or name differs.
        let draw = |seed, name| stream(seed, name).random::<u64>();
        assert_eq!(draw(1, "till/store-0"), draw(1, "till/store-0"));
        assert_ne!(draw(1, "till/store-0"), draw(2, "till/store-0"));
        assert_ne!(draw(1, "till/store-0"), draw(1, "till/store-1"));
    }
}
