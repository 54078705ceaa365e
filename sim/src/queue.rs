//! The event queue of the `des` engine: ordered by `(time, sequence)`, with
//! small entries and the actions stored apart in a slab.
//!
//! Simulated time never goes backwards, so the queue is monotone: nothing is
//! pushed before the last time popped. That allows a radix heap: each entry
//! waits in the bucket of the highest bit where its time differs from the
//! last time popped, and moves to a lower bucket only when its bucket is the
//! first non-empty one (each entry moves at most once per bit, against a
//! binary heap's sift on every push and pop). Entries at the time being
//! popped wait in a FIFO, in insertion order.
//!
//! The earliest item is often the one just pushed (a service time or a short
//! hop, before anything else is due): it waits apart, in `front`, and goes
//! out without touching the slab or the buckets.

use system::Micros;

/// Buckets: one per bit of a 64-bit time, and one for the time just popped.
const BUCKETS: usize = 65;

/// A queue of `T` ordered by time, then by insertion order; the time pushed
/// must not be before the time of the last item popped.
#[derive(Debug)]
pub struct EventQueue<T> {
    /// The earliest item, when it was earlier than everything queued as it
    /// came: before everything in `now` and the buckets, ties included.
    front: Option<(Micros, u64, T)>,
    /// Items at the time `last`, in insertion order.
    now: std::collections::VecDeque<(u64, u32)>,
    /// Bucket `b` holds entries `(time, sequence, slot)` whose time first differs from `last` at bit `b - 1`.
    buckets: Vec<Vec<(Micros, u64, u32)>>,
    /// Bit `b` is set when bucket `b` holds entries.
    occupied: u128,
    /// The time the buckets are filed against: of the last item popped from
    /// them (an item popped from `front` is not later than anything queued).
    last: Micros,
    len: usize,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            front: None,
            now: std::collections::VecDeque::new(),
            buckets: vec![Vec::new(); BUCKETS],
            occupied: 0,
            last: 0,
            len: 0,
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }
}

impl<T> EventQueue<T> {
    /// Schedules `item` at `at_us`, after everything already scheduled at that time.
    pub fn push(&mut self, at_us: Micros, item: T) {
        self.seq += 1;
        self.len += 1;
        debug_assert!(at_us >= self.last, "the queue is monotone: nothing is scheduled before the last item popped");
        let seq = self.seq;
        let earliest = match &self.front {
            Some((front_at, _, _)) => at_us < *front_at,
            None => self.before_everything_queued(at_us),
        };
        if !earliest {
            self.enqueue(at_us, seq, item);
        } else if let Some((at, earlier_seq, earlier)) = self.front.replace((at_us, seq, item)) {
            // The item it displaces joins the queue, keeping its place among ties.
            self.enqueue(at, earlier_seq, earlier);
        }
    }

    /// Whether `at_us` is surely before everything in `now` and the buckets:
    /// nothing waits at `last`, and `at_us` is `last` or would go in a lower
    /// bucket than the first occupied one (whose entries are all later).
    fn before_everything_queued(&self, at_us: Micros) -> bool {
        self.now.is_empty() && (at_us == self.last || Self::bucket(at_us, self.last) < self.occupied.trailing_zeros() as usize)
    }

    /// The bucket of an entry at `at`, later than `last`.
    fn bucket(at: Micros, last: Micros) -> usize {
        BUCKETS - (at ^ last).leading_zeros() as usize
    }

    /// Puts an item in the slab, and its entry in `now` or a bucket.
    fn enqueue(&mut self, at_us: Micros, seq: u64, item: T) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                (self.slots.len() - 1) as u32
            }
        };
        if at_us == self.last {
            self.now.push_back((seq, slot));
        } else {
            self.file(at_us, seq, slot);
        }
    }

    /// The earliest item and its time.
    pub fn pop(&mut self) -> Option<(Micros, T)> {
        if let Some((at, _, item)) = self.front.take() {
            self.len -= 1;
            return Some((at, item));
        }
        if self.now.is_empty() {
            if self.occupied == 0 {
                return None;
            }
            let first = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << first);
            let mut entries = std::mem::take(&mut self.buckets[first]);
            self.last = entries.iter().map(|&(at, _, _)| at).min().expect("a non-empty bucket");
            // The entries at the new time go out in insertion order; the others move to lower buckets.
            for &(at, seq, slot) in &entries {
                if at == self.last {
                    self.now.push_back((seq, slot));
                } else {
                    self.file(at, seq, slot);
                }
            }
            self.now.make_contiguous().sort_unstable_by_key(|&(seq, _)| seq);
            entries.clear();
            if self.buckets[first].is_empty() {
                self.buckets[first] = entries;
            }
        }
        let (_, slot) = self.now.pop_front()?;
        self.len -= 1;
        let item = self.slots[slot as usize].take().expect("a scheduled slot holds its item");
        self.free.push(slot);
        Some((self.last, item))
    }

    /// Puts an entry later than `last` in its bucket.
    fn file(&mut self, at: Micros, seq: u64, slot: u32) {
        let bucket = Self::bucket(at, self.last);
        self.buckets[bucket].push((at, seq, slot));
        self.occupied |= 1 << bucket;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        // Goal: ties at one time come out in the order they went in, whether
        // they waited in `front` or in the buckets; slots are reused.
        let mut q = EventQueue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(1, "a"), (1, "b"), (5, "c"), (5, "d")]);
        let slots = q.slots.len();
        q.push(6, "e");
        q.push(7, "f");
        assert_eq!(q.slots.len(), slots, "a freed slot is reused");
    }

    #[test]
    fn a_monotone_run_pops_in_the_order_a_sort_gives() {
        // Goal: the radix heap pops exactly what a stable sort by time would,
        // however pushes and pops interleave. Method: a seeded mix of pushes at
        // or after the last time popped, checked against a model.
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut q = EventQueue::default();
        let mut model: Vec<(u64, u64)> = Vec::new();
        let (mut now, mut n) = (0u64, 0u64);
        for _ in 0..20_000 {
            if rng.random_bool(0.55) || model.is_empty() {
                let at = now + [0, 1, 7, 1_000, 1 << 33][rng.random_range(0..5)];
                n += 1;
                q.push(at, n);
                model.push((at, n));
            } else {
                model.sort_by_key(|&(at, n)| (at, n));
                let expected = model.remove(0);
                assert_eq!(q.pop(), Some(expected));
                now = expected.0;
            }
            assert_eq!(q.len(), model.len());
        }
    }
}
