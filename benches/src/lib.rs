//! Home of shelfcheck's benchmarks: the floor (a bare event loop to measure
//! the harness against) here, criterion benchmarks in `benches/`.
//!
//! Run them with `cargo bench -p benches`; `cargo xtask bench` prints the
//! whole-run table.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The floor: a binary heap of `(time, seq)` events with no-op handlers.
/// `pending` events are kept in the queue (a real run keeps about a thousand:
/// timers and messages in flight); each handled event schedules the next one
/// a pseudo-random delay later, until `events` have been handled. Returns a
/// checksum so the work cannot be optimised away.
pub fn floor(events: u64, pending: u64) -> u64 {
    let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(pending as usize);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let next = |state: &mut u64| {
        // xorshift64*: cheap, deterministic delays.
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d) % 1_000_000
    };
    let mut seq = 0;
    for _ in 0..pending {
        seq += 1;
        heap.push(Reverse((next(&mut state), seq)));
    }
    let mut checksum = 0u64;
    for _ in 0..events {
        let Some(Reverse((time, id))) = heap.pop() else { break };
        checksum = checksum.wrapping_add(time ^ id);
        seq += 1;
        heap.push(Reverse((time + next(&mut state), seq)));
    }
    checksum
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_floor_handles_every_event_in_time_order() {
        // Goal: the floor is deterministic and does the work it claims. Method: same inputs, same checksum.
        assert_eq!(super::floor(10_000, 100), super::floor(10_000, 100));
        assert_ne!(super::floor(10_000, 100), super::floor(10_001, 100));
    }
}
