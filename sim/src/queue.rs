//! The event queue of the `des` engine: ordered by `(time, sequence)`, with
//! small heap entries and the actions stored apart in a slab, so that sifting
//! the heap moves 24 bytes, not whole messages.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use system::Micros;

/// A queue of `T` ordered by time, then by insertion order.
#[derive(Debug)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Reverse<(Micros, u64, u32)>>,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0 }
    }
}

impl<T> EventQueue<T> {
    /// Schedules `item` at `at_us`, after everything already scheduled at that time.
    pub fn push(&mut self, at_us: Micros, item: T) {
        self.seq += 1;
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
        self.heap.push(Reverse((at_us, self.seq, slot)));
    }

    /// The earliest item and its time.
    pub fn pop(&mut self) -> Option<(Micros, T)> {
        let Reverse((at_us, _, slot)) = self.heap.pop()?;
        let item = self.slots[slot as usize].take().expect("a scheduled slot holds its item");
        self.free.push(slot);
        Some((at_us, item))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        // Goal: ties at one time come out in the order they went in; slots are reused.
        let mut q = EventQueue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(1, "a"), (1, "b"), (5, "c"), (5, "d")]);
        q.push(2, "e");
        assert_eq!(q.slots.len(), 4, "a freed slot is reused");
    }
}
