//! The compact log (`system::compact_log`) behaves as a vector of its entries:
//! what is read back, at any range, after any pushes and truncations, is what
//! a plain vector holds, for every kind of payload and key at its extremes.

use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use system::compact_log::{CHUNK, ColdStore, CompactLog};
use system::message::{BrokerRecord, Key, OrderOutcome, OrderReply, Payload, StockEvent};

fn stock_event() -> impl Strategy<Value = StockEvent> {
    (any::<(u32, u32, i64, i64, u64)>(), any::<(u32, u32, u32, u32)>(), any::<u64>()).prop_map(
        |((store, sku, delta, on_hand, version), id, committed_at_us)| StockEvent { store, sku, delta, on_hand, version, id, committed_at_us },
    )
}

fn payload() -> impl Strategy<Value = Payload> {
    let outcome = prop_oneof![
        any::<i64>().prop_map(|on_hand| OrderOutcome::Accepted { on_hand }),
        any::<i64>().prop_map(|on_hand| OrderOutcome::Rejected { on_hand }),
        Just(OrderOutcome::Fulfilled),
        any::<i64>().prop_map(|on_hand| OrderOutcome::Failed { on_hand }),
        Just(OrderOutcome::Released),
    ];
    prop_oneof![
        stock_event().prop_map(Payload::Stock),
        any::<(u32, u64)>().prop_map(|(store, store_ts_us)| Payload::Heartbeat { store, store_ts_us }),
        any::<(u32, u64)>().prop_map(|(store, relay_ts_us)| Payload::RelayHeartbeat { store, relay_ts_us }),
        stock_event().prop_map(Payload::Snapshot),
        (any::<(u32, u32, u64)>(), outcome).prop_map(|((store, sku, order), outcome)| Payload::Order(OrderReply { store, sku, order, outcome })),
    ]
}

fn record() -> impl Strategy<Value = BrokerRecord> {
    let key = prop_oneof![any::<u32>().prop_map(Key::Store), any::<(u32, u32)>().prop_map(|(s, k)| Key::StoreSku(s, k)), Just(Key::None)];
    (key, payload()).prop_map(|(key, payload)| BrokerRecord { key, payload })
}

/// A cold store in memory that takes whatever it is offered.
#[derive(Debug, Default)]
struct MemoryCold(Mutex<Vec<u8>>);

impl ColdStore for MemoryCold {
    fn resident(&self, _bytes: isize) {}

    fn put(&self, bytes: &[u8]) -> Option<u64> {
        let mut stored = self.0.lock().unwrap();
        stored.extend_from_slice(bytes);
        Some((stored.len() - bytes.len()) as u64)
    }

    fn get(&self, at: u64, len: usize) -> Vec<u8> {
        self.0.lock().unwrap()[at as usize..at as usize + len].to_vec()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(Vec<BrokerRecord>),
    Truncate(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec(record(), 0..16 * CHUNK).prop_map(Op::Push),
        1 => (0..6 * CHUNK).prop_map(Op::Truncate),
    ]
}

proptest! {
    #![proptest_config(crate::config(0xC0C7))]

    #[test]
    fn a_compact_log_reads_back_as_the_vector_it_stands_for(ops in proptest::collection::vec(op(), 1..8), reads in proptest::collection::vec((0..7 * CHUNK, 0..7 * CHUNK), 8)) {
        // One log in memory, one whose sealed chunks move to a cold store.
        let cold = Arc::new(MemoryCold::default());
        let mut spilled = CompactLog::default();
        spilled.attach(cold.clone());
        let mut log = CompactLog::default();
        let mut model: Vec<BrokerRecord> = Vec::new();
        for op in ops {
            match op {
                Op::Push(records) => {
                    for record in records {
                        log.push(record);
                        spilled.push(record);
                        model.push(record);
                    }
                }
                Op::Truncate(keep) => {
                    log.truncate(keep);
                    spilled.truncate(keep);
                    model.truncate(keep);
                }
            }
            prop_assert_eq!(log.len(), model.len());
            prop_assert_eq!(log.iter().collect::<Vec<_>>(), model.clone());
            for &(from, to) in &reads {
                let expected: Vec<BrokerRecord> = model.get(from.min(to)..to.min(model.len())).unwrap_or_default().to_vec();
                prop_assert_eq!(log.range(from, to).collect::<Vec<_>>(), expected.clone(), "range {}..{}", from, to);
                prop_assert_eq!(spilled.range(from, to).collect::<Vec<_>>(), expected, "cold: range {}..{}", from, to);
            }
            // Equal entries, equal logs: a log rebuilt by pushes alone compares equal.
            let mut rebuilt = CompactLog::default();
            model.iter().for_each(|&r| rebuilt.push(r));
            prop_assert_eq!(&rebuilt, &log);
            prop_assert_eq!(&spilled, &log);
        }
        prop_assert!(model.len() < 2_000 || !cold.0.lock().unwrap().is_empty(), "a long log moved chunks to the cold store");
    }
}
