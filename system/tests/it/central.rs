//! Properties of central's apply path: the version design's high-water mark
//! never goes backwards and keeps the newest event, the inbox design
//! applies each event id once, reconciliation and legacy batch rows repair
//! what differs (never over a newer version) and are recorded as such, and
//! reads record the row they showed.

use crate::{config, event, on};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{EventSemantics, Freshness, Idempotency};
use std::collections::BTreeMap;
use system::central::{Central, CentralConfig};
use system::history::Kind;
use system::message::{Msg, NodeId, Payload, StockEvent};
use system::node::Node;

const CENTRAL: NodeId = 0;
const CONSUMER: NodeId = 7;
/// The store apps (central never talks to them here).
const FIRST_STORE: NodeId = 20;
const STORES: u32 = 2;
const SKUS: u32 = 3;

fn central(event_semantics: EventSemantics, idempotency: Idempotency, initial: &[Vec<i64>]) -> Central {
    Central::new(
        CentralConfig {
            stores: STORES,
            skus_per_store: SKUS,
            store_nodes: (0..STORES).map(|i| FIRST_STORE + i).collect(),
            event_semantics,
            idempotency,
            freshness: Freshness::None,
            stale_after_us: 60_000_000,
            health_check_interval_us: 5_000_000,
            batch_interval_us: None,
            certify_timeout_us: None,
            orders: system::orders::OrderDeskConfig::new(Vec::new(), 1, &scenarios::Design::default(), &scenarios::Online::default()),
        },
        initial,
    )
}

/// Applies one batch and checks the reply; returns the `(store, sku, version, on_hand)` of each write it recorded.
fn apply(c: &mut Central, now: u64, request_id: u64, events: Vec<StockEvent>) -> Result<Vec<(u32, u32, u64, i64)>, TestCaseError> {
    let events = events.into_iter().map(Payload::Stock).collect();
    let fx = on(c, now, CENTRAL, |n, ctx| n.message(ctx, CONSUMER, Msg::Apply { request_id, events }));
    prop_assert_eq!(fx.sends, vec![(CONSUMER, Msg::Applied { request_id })]);
    let mut writes = Vec::new();
    for r in fx.records {
        prop_assert_eq!((r.kind, r.detail.as_ref()), (Kind::CentralApply, ""), "an event's write");
        let (Some(store), Some(sku), Some(version), Some(on_hand)) = (r.store, r.sku, r.version, r.on_hand) else {
            return Err(TestCaseError::fail(format!("incomplete record {r:?}")));
        };
        writes.push((store, sku, version, on_hand));
    }
    Ok(writes)
}

proptest! {
    #![proptest_config(config(0xCE27))]

    #[test]
    fn central_version_never_goes_backwards(
        initial in vec(vec(0i64..50, SKUS as usize), STORES as usize),
        batches in vec(vec((0..STORES, 0..SKUS, 1u64..20), 0..8), 1..12),
    ) {
        // Goal: with absolute versioned events and the version high-water mark,
        // central's version of a row never decreases, every write it records is
        // above the previous one, and at the end each row is the event with the
        // highest version (or the initial snapshot if no event came).
        // Method: batches of events with random versions (duplicates, reordering,
        // stale replays) for a few (store, sku); after each batch compare every
        // row with the previous one and with a model of "highest version seen".
        let mut c = central(EventSemantics::AbsoluteVersioned, Idempotency::Version, &initial);
        let mut highest: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        let mut written: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        let mut writes = 0u64;
        let mut before: Vec<(u64, i64)> = (0..STORES).flat_map(|s| (0..SKUS).map(move |k| (s, k))).map(|(s, k)| {
            let row = c.row(s, k).expect("in range");
            (row.version, row.on_hand)
        }).collect();
        for (i, batch) in batches.iter().enumerate() {
            let events: Vec<StockEvent> = batch.iter().map(|&(s, k, v)| event(s, k, v)).collect();
            for e in &events {
                let h = highest.entry((e.store, e.sku)).or_insert(0);
                *h = (*h).max(e.version);
            }
            for (store, sku, version, on_hand) in apply(&mut c, 1_000 * (i as u64 + 1), i as u64, events)? {
                writes += 1;
                let last = written.entry((store, sku)).or_insert(0);
                prop_assert!(version > *last, "wrote version {version} of ({store}, {sku}) after {last}");
                *last = version;
                prop_assert_eq!(on_hand, event(store, sku, version).on_hand);
            }
            for (j, (s, k)) in (0..STORES).flat_map(|s| (0..SKUS).map(move |k| (s, k))).enumerate() {
                let row = c.row(s, k).expect("in range");
                prop_assert!(row.version >= before[j].0, "({s}, {k}) went from version {} to {}", before[j].0, row.version);
                before[j] = (row.version, row.on_hand);
            }
        }
        for s in 0..STORES {
            for k in 0..SKUS {
                let row = c.row(s, k).expect("in range");
                match highest.get(&(s, k)) {
                    Some(&v) => {
                        let newest = event(s, k, v);
                        prop_assert_eq!((row.version, row.on_hand), (newest.version, newest.on_hand));
                    }
                    None => prop_assert_eq!((row.version, row.on_hand), (0, initial[s as usize][k as usize])),
                }
            }
        }
        prop_assert_eq!(c.events_applied, writes, "one history record per write");
        prop_assert_eq!(c.events_applied + c.events_skipped, batches.iter().map(Vec::len).sum::<usize>() as u64);
        prop_assert!(c.row(STORES, 0).is_none() && c.row(0, SKUS).is_none());
    }

    #[test]
    fn central_inbox_applies_each_event_id_once(
        initial in vec(vec(0i64..50, SKUS as usize), STORES as usize),
        batches in vec(vec((0..STORES, 0..SKUS, 1u64..10, -3i64..4), 0..8), 1..12),
    ) {
        // Goal: with delta events and the inbox, a redelivered event id changes
        // nothing: each row ends at its initial value plus the deltas of its
        // distinct event ids. Method: batches of delta events whose ids repeat
        // (a redelivery carries the same delta as the first delivery); compare with a model.
        let mut c = central(EventSemantics::Delta, Idempotency::Inbox, &initial);
        let mut first_delta: BTreeMap<(u32, u32, u64), i64> = BTreeMap::new();
        let mut deliveries = 0u64;
        for (i, batch) in batches.iter().enumerate() {
            let events: Vec<StockEvent> = batch
                .iter()
                .map(|&(s, k, v, d)| {
                    let delta = *first_delta.entry((s, k, v)).or_insert(d);
                    StockEvent { delta, ..event(s, k, v) }
                })
                .collect();
            deliveries += events.len() as u64;
            apply(&mut c, 1_000 * (i as u64 + 1), i as u64, events)?;
        }
        for s in 0..STORES {
            for k in 0..SKUS {
                let sum: i64 = first_delta.iter().filter(|((s2, k2, _), _)| (*s2, *k2) == (s, k)).map(|(_, d)| d).sum();
                prop_assert_eq!(c.row(s, k).expect("in range").on_hand, initial[s as usize][k as usize] + sum);
            }
        }
        prop_assert_eq!(c.events_applied, first_delta.len() as u64);
        prop_assert_eq!(c.events_skipped, deliveries - first_delta.len() as u64);
    }
}

/// One input to central in [`central_snapshots_batches_and_reads_follow_the_view`].
#[derive(Debug, Clone)]
enum Call {
    /// A consumer's batch: stock events and reconciliation rows, `(store, sku, version, Some(on_hand))`
    /// for a snapshot row with that value, `None` for an event.
    Apply(Vec<(u32, u32, u64, Option<i64>)>),
    /// A store's legacy batch snapshot: rows `(sku, version, on_hand)` of store `store`.
    Batch(u32, Vec<(u32, u64, i64)>),
    /// An online read.
    Read(u32, u32),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        3 => vec((0..STORES, 0..SKUS, 1u64..12, prop_oneof![Just(None), (0i64..40).prop_map(Some)]), 0..6).prop_map(Call::Apply),
        1 => (0..STORES, vec((0..SKUS, 0u64..12, 0i64..40), 0..4)).prop_map(|(s, rows)| Call::Batch(s, rows)),
        2 => (0..STORES, 0..SKUS).prop_map(|(s, k)| Call::Read(s, k)),
    ]
}

proptest! {
    #![proptest_config(config(0xCE28))]

    #[test]
    fn central_snapshots_batches_and_reads_follow_the_view(
        initial in vec(vec(0i64..50, SKUS as usize), STORES as usize),
        versioned in any::<bool>(),
        calls in vec(call(), 1..30),
    ) {
        // Goal: the repair paths and the read API. A reconciliation row
        // (`Payload::Snapshot`) or a legacy batch row (`Msg::SnapshotRows`)
        // writes the store's absolute value when it differs from the view (in
        // value, or by a newer version) and,
        // with the version design, only if its version is not older than the
        // row's (a stale snapshot never overwrites a newer event); events
        // follow the design (version: only newer; no idempotency: always);
        // every write is recorded as `central_apply` with `qty` = new minus
        // old, the written version and detail "" (event), "snapshot" or
        // "batch"; with the version design the row's version never goes back;
        // a read records the row's on_hand and version (detail "fresh" with no
        // freshness monitor) and answers the on_hand. Method: random batches
        // mixing events and snapshot rows (same or different value at a
        // version), batch snapshots and reads, against a model of the view.
        let idempotency = if versioned { Idempotency::Version } else { Idempotency::None };
        let mut c = central(EventSemantics::AbsoluteVersioned, idempotency, &initial);
        let mut model: BTreeMap<(u32, u32), (u64, i64)> = (0..STORES)
            .flat_map(|s| (0..SKUS).map(move |k| (s, k)))
            .map(|(s, k)| ((s, k), (0, initial[s as usize][k as usize])))
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            let now = 1_000 * (i as u64 + 1);
            let request_id = i as u64;
            // Writes the model expects, as (store, sku, qty, on_hand, version, detail).
            let mut expected: Vec<(u32, u32, i64, i64, u64, &str)> = Vec::new();
            let mut write = |model: &mut BTreeMap<(u32, u32), (u64, i64)>, s: u32, k: u32, version: u64, on_hand: i64, snapshot: Option<&'static str>| {
                let (row_version, row_on_hand) = model[&(s, k)];
                let writes = match snapshot {
                    Some(_) => (on_hand != row_on_hand || version > row_version) && (!versioned || version >= row_version),
                    None => !versioned || version > row_version,
                };
                if writes {
                    expected.push((s, k, on_hand - row_on_hand, on_hand, version, snapshot.unwrap_or("")));
                    model.insert((s, k), (version, on_hand));
                }
            };
            let (fx, reply) = match call {
                Call::Apply(rows) => {
                    let events: Vec<Payload> = rows
                        .iter()
                        .map(|&(s, k, v, snapshot)| match snapshot {
                            Some(on_hand) => {
                                write(&mut model, s, k, v, on_hand, Some("snapshot"));
                                Payload::Snapshot(StockEvent { delta: 0, on_hand, ..event(s, k, v) })
                            }
                            None => {
                                write(&mut model, s, k, v, event(s, k, v).on_hand, None);
                                Payload::Stock(event(s, k, v))
                            }
                        })
                        .collect();
                    let fx = on(&mut c, now, CENTRAL, |n, ctx| n.message(ctx, CONSUMER, Msg::Apply { request_id, events }));
                    (fx, vec![(CONSUMER, Msg::Applied { request_id })])
                }
                Call::Batch(s, rows) => {
                    let rows: Vec<StockEvent> = rows
                        .iter()
                        .map(|&(k, v, on_hand)| {
                            write(&mut model, s, k, v, on_hand, Some("batch"));
                            StockEvent { delta: 0, on_hand, ..event(s, k, v) }
                        })
                        .collect();
                    let store = FIRST_STORE + s;
                    (on(&mut c, now, CENTRAL, |n, ctx| n.message(ctx, store, Msg::SnapshotRows { rows })), Vec::new())
                }
                Call::Read(s, k) => {
                    let fx = on(&mut c, now, CENTRAL, |n, ctx| n.message(ctx, CONSUMER, Msg::ReadStock { request_id, store: s, sku: k }));
                    let (version, on_hand) = model[&(s, k)];
                    prop_assert_eq!(fx.records.len(), 1);
                    let r = &fx.records[0];
                    prop_assert_eq!((r.kind, r.store, r.sku, r.on_hand, r.version, r.detail.as_ref()), (Kind::Read, Some(s), Some(k), Some(on_hand), Some(version), "fresh"));
                    prop_assert_eq!(fx.sends, vec![(CONSUMER, Msg::StockShown { request_id, on_hand: Some(on_hand) })]);
                    continue;
                }
            };
            prop_assert_eq!(fx.sends, reply);
            let writes: Vec<(u32, u32, i64, i64, u64, &str)> = fx
                .records
                .iter()
                .map(|r| {
                    prop_assert_eq!(r.kind, Kind::CentralApply);
                    Ok((r.store.unwrap_or(u32::MAX), r.sku.unwrap_or(u32::MAX), r.qty.unwrap_or(i64::MIN), r.on_hand.unwrap_or(i64::MIN), r.version.unwrap_or(u64::MAX), r.detail.as_ref()))
                })
                .collect::<Result<_, TestCaseError>>()?;
            prop_assert_eq!(writes, expected);
            for (&(s, k), &(version, on_hand)) in &model {
                let row = c.row(s, k).expect("in range");
                prop_assert_eq!((row.version, row.on_hand), (version, on_hand), "({}, {})", s, k);
            }
        }
    }
}
