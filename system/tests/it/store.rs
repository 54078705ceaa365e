//! Properties of a store built by `system::world::World` from a small
//! scenario, run on its own timers: stock never goes negative, the outbox is a
//! gapless log consistent with the stock rows, the binlog stream is gapless
//! from every subscription, heartbeat rows come at their interval on the
//! store's own clock, restarts and clock skew do not change the outside world,
//! and a restore from a backup raises the epoch, resyncs every SKU above every
//! earlier version and sends a relay in the old epoch back to lsn 0.

use crate::{config, crash, on_clock, stock};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{EventId, Freshness, Scenario};
use std::collections::BTreeMap;
use system::history::{Kind, Record};
use system::message::{Msg, NodeId, Payload};
use system::node::{Clock, Ctx, Node, Timer};
use system::store::{Store, StoreDb};
use system::world::{AnyNode, World};
use system::{Micros, US_PER_S};

const STORE: NodeId = 0;
const RELAY: NodeId = 1;
/// The workload phase of `small_chain`.
const END_US: Micros = 3_600 * US_PER_S;

/// Something done to the store after a given number of timer firings.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The relay (re)subscribes from `fraction / 256` of the current log.
    Resubscribe(u8),
    /// The store crashes and restarts at once (pending timers are dropped, as a
    /// restarted process's are); the relay then resubscribes from `fraction / 256`.
    Restart(u8),
}

/// A one-store chain with a busy, short-stocked hour of workload; heartbeat
/// rows every `heartbeat_s` seconds if given.
fn small_chain(skus: u32, heartbeat_s: Option<u64>, epoch_in_version: bool) -> Scenario {
    let mut s = Scenario::default();
    s.chain.stores = 1;
    s.chain.skus_per_store = skus;
    s.chain.initial_on_hand_min = 0;
    s.chain.initial_on_hand_max = 3;
    s.chain.till_transactions_per_store_per_hour = 900.0;
    s.chain.random_restocks_per_store_per_hour = 30.0;
    s.chain.restock_quantity_min = 1;
    s.chain.restock_quantity_max = 5;
    s.chain.delivery_first_at_s = 900;
    s.chain.delivery_duration_s = 120;
    s.chain.delivery_reorder_point = 2;
    s.chain.delivery_order_up_to = 8;
    s.run.duration_s = END_US / US_PER_S;
    s.design.freshness = if heartbeat_s.is_some() { Freshness::OutboxHeartbeat } else { Freshness::None };
    s.design.heartbeat_interval_s = heartbeat_s.unwrap_or(5);
    s.design.event_id = if epoch_in_version { EventId::StoreSkuIncrementEpoch } else { EventId::StoreSkuIncrement };
    s
}

fn build_store(scenario: &Scenario, seed: u64) -> Store {
    let world = World::new(scenario, seed);
    assert_eq!(world.layout.relay(0), RELAY);
    match world.nodes.into_iter().next() {
        Some(AnyNode::Store(store)) => store,
        other => panic!("node 0 is {other:?}"),
    }
}

/// A store on its own timers, with the checks every input gets.
struct Driver {
    store: Store,
    /// The node clock reads the world clock plus this.
    skew: Micros,
    /// The heartbeat interval, if the store writes heartbeats.
    heartbeat_us: Option<Micros>,
    /// Pending timers as (world time, sequence, timer).
    timers: Vec<(Micros, u64, Timer)>,
    seq: u64,
    /// The world's clock.
    now: Micros,
    /// The next lsn the relay expects, while subscribed.
    stream: Option<u64>,
    /// (world time, timer) of every workload arrival that fired (tills, restocks, delivery starts).
    arrivals: Vec<(Micros, Timer)>,
    /// Store time of every heartbeat row, with the index of the start before it.
    heartbeats: Vec<(Micros, usize)>,
    /// Store time of every start, and of every crash.
    starts: Vec<Micros>,
    crashes: Vec<Micros>,
    fired: usize,
}

impl Driver {
    /// Starts the store and subscribes a relay from lsn 0.
    fn new(store: Store, skew: Micros, heartbeat_us: Option<Micros>) -> Result<Driver, TestCaseError> {
        let mut d = Driver {
            store,
            skew,
            heartbeat_us,
            timers: Vec::new(),
            seq: 0,
            now: 0,
            stream: None,
            arrivals: Vec::new(),
            heartbeats: Vec::new(),
            starts: vec![skew],
            crashes: Vec::new(),
            fired: 0,
        };
        let records = d.handle(&mut |s, c| s.start(c))?;
        prop_assert!(records.is_empty(), "a fresh store has nothing to resync");
        d.subscribe(0, 0)?;
        Ok(d)
    }

    fn node_now(&self) -> Micros {
        self.now + self.skew
    }

    /// Runs one input at the current time and checks its effects: stock stays
    /// non-negative, every new stock row has its history record (a resync only
    /// on start), every new heartbeat row is the store's clock, the rows
    /// streamed continue the stream, and timers use the right clock. Returns
    /// the history records.
    fn handle(&mut self, input: &mut dyn FnMut(&mut Store, &mut Ctx)) -> Result<Vec<Record>, TestCaseError> {
        let before = self.store.db().outbox.len();
        let (node_now, world_now) = (self.node_now(), self.now);
        let fx = on_clock(&mut self.store, node_now, world_now, STORE, |s, c| input(s, c));
        let db = self.store.db();
        prop_assert!(db.stock.iter().all(|r| r.on_hand >= 0), "negative stock");
        let new_rows = &db.outbox_rows(before)[..];
        let stock_rows: Vec<_> = new_rows.iter().filter_map(|row| stock(&row.payload)).collect();
        prop_assert_eq!(fx.records.len(), stock_rows.len(), "one history record per stock row");
        for (record, e) in fx.records.iter().zip(&stock_rows) {
            prop_assert_eq!(
                (record.store, record.sku, record.qty, record.on_hand, record.version),
                (Some(e.store), Some(e.sku), Some(e.delta), Some(e.on_hand), Some(e.version))
            );
            let kind = match e.delta {
                d if d < 0 => Kind::Sale,
                0 => Kind::Resync,
                _ => Kind::Restock,
            };
            prop_assert_eq!(record.kind, kind);
            prop_assert!(e.on_hand >= 0 && e.committed_at_us == node_now, "{e:?} at {node_now}");
        }
        for row in new_rows {
            if let Payload::Heartbeat { store, store_ts_us } = row.payload {
                prop_assert_eq!((store, store_ts_us), (0, node_now), "a heartbeat row carries the store's clock");
                self.heartbeats.push((store_ts_us, self.starts.len() - 1));
            }
        }
        self.check_stream(&fx.sends)?;
        for (at, clock, timer) in fx.timers {
            let world_at = match (timer, clock) {
                (Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStart | Timer::DeliveryStep, Clock::World) => at,
                (Timer::Heartbeat, Clock::Node) => {
                    prop_assert!(at >= node_now);
                    at - self.skew
                }
                _ => return Err(TestCaseError::fail(format!("{timer:?} on the {clock:?} clock"))),
            };
            prop_assert!(world_at >= world_now, "{timer:?} in the past");
            self.seq += 1;
            self.timers.push((world_at, self.seq, timer));
        }
        Ok(fx.records)
    }

    /// The rows streamed to the relay are the log from where it stood, up to its end.
    fn check_stream(&mut self, sends: &[(NodeId, Msg)]) -> Result<(), TestCaseError> {
        for (to, msg) in sends {
            let Msg::LogRows { epoch, rows } = msg else {
                return Err(TestCaseError::fail(format!("the store sent {msg:?}")));
            };
            prop_assert_eq!(*to, RELAY);
            let Some(next) = self.stream else {
                return Err(TestCaseError::fail("rows streamed with no subscription"));
            };
            let db = self.store.db();
            prop_assert_eq!(*epoch, db.epoch);
            prop_assert!(!rows.is_empty());
            prop_assert_eq!(rows[0].lsn, next, "the stream continues where it was");
            prop_assert_eq!(&rows[..], &db.outbox_rows(next as usize)[..], "the stream is the log from there on, up to its end");
            self.stream = Some(db.outbox.len() as u64);
        }
        Ok(())
    }

    /// A relay subscribes with its position `(epoch, from_lsn)`: a position in
    /// the current epoch's log streams from there; one in another epoch's log
    /// gets `LogReset` with the current epoch, then the log from lsn 0.
    fn subscribe(&mut self, epoch: u32, from_lsn: u64) -> Result<(), TestCaseError> {
        let (node_now, world_now) = (self.node_now(), self.now);
        let fx = on_clock(&mut self.store, node_now, world_now, STORE, |s, c| s.message(c, RELAY, Msg::Subscribe { epoch, from_lsn }));
        prop_assert!(fx.timers.is_empty() && fx.records.is_empty());
        let db = self.store.db();
        let from = if epoch == db.epoch { from_lsn.min(db.outbox.len() as u64) } else { 0 };
        let mut expected = Vec::new();
        if epoch != db.epoch {
            expected.push((RELAY, Msg::LogReset { epoch: db.epoch }));
        }
        if (from as usize) < db.outbox.len() {
            expected.push((RELAY, Msg::LogRows { epoch: db.epoch, rows: db.outbox_rows(from as usize) }));
        }
        prop_assert_eq!(fx.sends, expected);
        self.stream = Some(db.outbox.len() as u64);
        Ok(())
    }

    /// Fires the earliest timer if it is due by `until` (world time); returns whether one fired.
    fn fire(&mut self, until: Micros) -> Result<bool, TestCaseError> {
        let Some(i) = (0..self.timers.len()).min_by_key(|&i| (self.timers[i].0, self.timers[i].1)) else { return Ok(false) };
        if self.timers[i].0 > until {
            return Ok(false);
        }
        prop_assert!(self.fired < 200_000, "the workload never ends");
        let (at, _, timer) = self.timers.swap_remove(i);
        self.now = at;
        if matches!(timer, Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStart) {
            self.arrivals.push((at, timer));
        }
        let records = self.handle(&mut |s, c| s.timer(c, timer))?;
        prop_assert!(records.iter().all(|r| r.kind != Kind::Resync), "a resync only at start");
        self.fired += 1;
        Ok(true)
    }

    fn run_until(&mut self, until: Micros) -> Result<(), TestCaseError> {
        while self.fire(until)? {}
        self.now = self.now.max(until);
        Ok(())
    }

    /// The store crashes at the current time (pending timers die, the stream
    /// ends), optionally has its DB restored from `backup`, and starts again
    /// `down_us` later. Returns the history records of the start.
    fn crash_and_start(&mut self, down_us: Micros, backup: Option<StoreDb>) -> Result<Vec<Record>, TestCaseError> {
        crash(&mut self.store, self.now);
        self.crashes.push(self.node_now());
        self.timers.clear();
        self.stream = None;
        if let Some(backup) = backup {
            self.store.restore(backup);
        }
        self.now += down_us;
        self.starts.push(self.node_now());
        let records = self.handle(&mut |s, c| s.start(c))?;
        Ok(records)
    }

    /// Heartbeat rows came every interval on the store's clock, the first one
    /// an interval after each start, none missing up to the next crash or
    /// `until` (world time), none while the store was down.
    /// Without heartbeats there are none.
    fn check_heartbeats(&self, until: Micros) -> Result<(), TestCaseError> {
        let Some(h) = self.heartbeat_us else {
            prop_assert!(self.heartbeats.is_empty());
            return Ok(());
        };
        for (segment, &start) in self.starts.iter().enumerate() {
            let end = self.crashes.get(segment).copied().unwrap_or(until + self.skew);
            let got: Vec<Micros> = self.heartbeats.iter().filter(|&&(_, s)| s == segment).map(|&(t, _)| t).collect();
            let expected: Vec<Micros> = (1..).map(|k| start + k * h).take_while(|&t| t <= end).collect();
            prop_assert_eq!(got, expected, "heartbeats after the start at {} (node clock), up to {}", start, end);
        }
        Ok(())
    }
}

/// Checks the log row by row: lsns 0, 1, 2...; each stock row's on_hand is the
/// previous on_hand of its SKU plus its delta, its version the SKU's next
/// counter under the epoch `epoch_at(lsn)` (which the event id carries too);
/// store times never go back; the stock rows end where the stock table is.
/// Returns the number of stock rows.
fn check_log(db: &StoreDb, initial: &[i64], epoch_at: impl Fn(u64) -> u32) -> Result<usize, TestCaseError> {
    let mut on_hand = initial.to_vec();
    let mut counter = vec![0u32; initial.len()];
    let mut last_ts = 0;
    let mut stock_rows = 0;
    for (i, row) in db.outbox_rows(0).into_iter().enumerate() {
        prop_assert_eq!(row.lsn, i as u64);
        let ts = match row.payload {
            Payload::Stock(e) => {
                let k = e.sku as usize;
                on_hand[k] += e.delta;
                counter[k] += 1;
                let epoch = epoch_at(row.lsn);
                let version = (u64::from(epoch) << 32) | u64::from(counter[k]);
                prop_assert_eq!((e.store, e.on_hand, e.version, e.id), (0, on_hand[k], version, (0, epoch, e.sku, counter[k])));
                stock_rows += 1;
                e.committed_at_us
            }
            Payload::Heartbeat { store_ts_us, .. } => store_ts_us,
            other => return Err(TestCaseError::fail(format!("a store with no reconciliation wrote {other:?} at lsn {i}"))),
        };
        prop_assert!(ts >= last_ts, "store time went back in the log at lsn {i}");
        last_ts = ts;
    }
    prop_assert_eq!(db.stock.iter().map(|r| (r.on_hand, r.counter)).collect::<Vec<_>>(), on_hand.into_iter().zip(counter).collect::<Vec<_>>());
    Ok(stock_rows)
}

/// What one run of a store saw.
struct Run {
    driver: Driver,
    initial: Vec<i64>,
}

/// Runs the store's timers to the end of its workload, applying `faults` after the given firings.
fn run(skus: u32, seed: u64, heartbeat_s: Option<u64>, skew: Micros, faults: &BTreeMap<usize, Fault>) -> Result<Run, TestCaseError> {
    let store = build_store(&small_chain(skus, heartbeat_s, true), seed);
    let initial: Vec<i64> = store.db().stock.iter().map(|r| r.on_hand).collect();
    let mut d = Driver::new(store, skew, heartbeat_s.map(|s| s * US_PER_S))?;
    while d.fire(END_US)? {
        match faults.get(&d.fired) {
            Some(&Fault::Resubscribe(fraction)) => {
                let from_lsn = d.store.db().outbox.len() as u64 * u64::from(fraction) / 256;
                d.subscribe(0, from_lsn)?;
            }
            Some(&Fault::Restart(fraction)) => {
                let records = d.crash_and_start(0, None)?;
                prop_assert!(records.is_empty(), "a restart without a restore resyncs nothing");
                let from_lsn = d.store.db().outbox.len() as u64 * u64::from(fraction) / 256;
                d.subscribe(0, from_lsn)?;
            }
            None => {}
        }
    }
    d.check_heartbeats(END_US)?;
    Ok(Run { driver: d, initial })
}

proptest! {
    #![proptest_config(config(0x5709))]

    #[test]
    fn store_keeps_stock_non_negative_and_streams_a_gapless_outbox(
        skus in 2u32..20,
        seed in any::<u64>(),
        heartbeat_s in prop_oneof![Just(None), (1u64..30).prop_map(Some)],
        skew in 0u64..120_000_000,
        faults in vec((1usize..1_000, prop_oneof![any::<u8>().prop_map(Fault::Resubscribe), any::<u8>().prop_map(Fault::Restart)]), 0..6),
    ) {
        // Goal: the store's local transactions, its binlog stream and its
        // heartbeats. Stock never goes negative; outbox lsns are 0, 1, 2...;
        // each stock row's on_hand is the previous on_hand of its SKU plus its
        // delta and its version is the SKU's next counter; every commit writes
        // one history record per stock row; the rows streamed to the relay
        // after a subscription are exactly the log from `from_lsn` on, in
        // order, with no gap or repeat; heartbeat rows (when configured) carry
        // the store's clock and come once per interval; workload timers are on
        // the world's clock and the heartbeat on the store's; and neither a
        // crash-restart nor a skewed store clock nor heartbeats change when
        // tills, restocks and deliveries arrive. Method: a one-store chain from
        // `World::new` with a busy, short-stocked workload, run on its own
        // timers for an hour with the store's clock `skew` ahead of the world's,
        // with random resubscriptions and crash-restarts; compared with a run of
        // the same seed with no faults, no skew and no heartbeats.
        let faults: BTreeMap<usize, Fault> = faults.into_iter().collect();
        let faulty = run(skus, seed, heartbeat_s, skew, &faults)?;
        let db = faulty.driver.store.db();
        let stock_rows = check_log(db, &faulty.initial, |_| 0)?;
        prop_assert!(stock_rows > 20, "a busy hour: {} stock rows", stock_rows);
        prop_assert_eq!(db.epoch, 0);
        let clean = run(skus, seed, None, 0, &BTreeMap::new())?;
        prop_assert_eq!(&faulty.driver.arrivals, &clean.driver.arrivals, "restarts, skew or heartbeats change the arrivals");
    }

    #[test]
    fn store_restore_raises_the_epoch_and_resyncs_every_sku(
        skus in 2u32..12,
        seed in any::<u64>(),
        heartbeat_s in 1u64..30,
        skew in 0u64..120_000_000,
        epoch_in_version in any::<bool>(),
        backup_at_s in 60u64..1_200,
        crash_after_s in 1u64..1_200,
        down_s in 0u64..300,
    ) {
        // Goal: a restore from a backup (taken earlier) after a crash. The
        // epoch rises past every epoch the DB had; the DB is the backup's (stock
        // and outbox); `start` writes one `resync` record and outbox row per SKU,
        // with delta 0, the backup's on_hand and the SKU's next counter in the
        // new epoch, so that with epoch versions every resync version is above
        // every version committed before the crash (without them it is the
        // backup's counter + 1, which is how that design goes wrong); nothing is
        // streamed until a relay subscribes; a relay in the old epoch gets
        // `LogReset` and the log from lsn 0, one in the new epoch resumes where
        // it was; heartbeats go on at their interval; a plain restart resyncs
        // nothing; and a second restore of the same old backup raises the epoch
        // again, above the first restore's. Method: a one-store chain from
        // `World::new` with heartbeats, run on its own timers; back up at
        // `backup_at`, crash `crash_after` later, restore, restart after
        // `down`; run 10 minutes, restart plainly, run 10 minutes, crash and
        // restore the same backup; run 10 minutes; check the log after each step.
        let scenario = small_chain(skus, Some(heartbeat_s), epoch_in_version);
        let store = build_store(&scenario, seed);
        let initial: Vec<i64> = store.db().stock.iter().map(|r| r.on_hand).collect();
        let h = heartbeat_s * US_PER_S;
        let mut d = Driver::new(store, skew, Some(h))?;
        d.run_until(backup_at_s * US_PER_S)?;
        let backup = d.store.backup();
        d.run_until((backup_at_s + crash_after_s) * US_PER_S)?;
        let mut relay_at = (d.store.db().epoch, d.store.db().outbox.len() as u64);

        for (restore, expected_epoch) in [(true, 1u32), (false, 1), (true, 2)] {
            let before = d.store.db().clone();
            let highest_before: Vec<u64> = (0..skus)
                .map(|sku| before.outbox.iter().filter_map(|payload| stock(&payload)).filter(|e| e.sku == sku).map(|e| e.version).max().unwrap_or(0))
                .collect();
            let records = d.crash_and_start(down_s * US_PER_S, restore.then(|| backup.clone()))?;
            let db = d.store.db().clone();
            prop_assert_eq!(db.epoch, expected_epoch, "the epoch after a {} start", if restore { "restored" } else { "plain" });
            prop_assert!(!db.resync_pending);
            if !restore {
                prop_assert!(records.is_empty(), "a plain restart resyncs nothing");
                prop_assert_eq!(&db, &before, "a plain restart keeps the DB as it was");
            } else {
                let kept = backup.outbox.len();
                prop_assert_eq!(&db.outbox_rows(0)[..kept], &backup.outbox_rows(0)[..], "the new epoch's log starts as the backup's");
                prop_assert_eq!(db.outbox.len(), kept + skus as usize, "one resync row per SKU, nothing else");
                prop_assert_eq!(records.len(), skus as usize);
                for (sku, (record, row)) in records.iter().zip(&db.outbox_rows(kept)).enumerate() {
                    let sku = sku as u32;
                    let Some(e) = stock(&row.payload) else {
                        return Err(TestCaseError::fail(format!("a resync row is {row:?}")));
                    };
                    let backed_up = backup.stock[sku as usize];
                    let epoch = if epoch_in_version { db.epoch } else { 0 };
                    let version = (u64::from(epoch) << 32) | u64::from(backed_up.counter + 1);
                    prop_assert_eq!(record.kind, Kind::Resync);
                    prop_assert_eq!((e.sku, e.delta, e.on_hand, e.version, e.id), (sku, 0, backed_up.on_hand, version, (0, epoch, sku, backed_up.counter + 1)));
                    prop_assert_eq!(db.stock[sku as usize].on_hand, backed_up.on_hand);
                    if epoch_in_version {
                        prop_assert!(e.version > highest_before[sku as usize], "sku {sku}: resync version {:#x} not above {:#x}", e.version, highest_before[sku as usize]);
                    }
                }
            }
            // The backup's rows were committed in epoch 0, the rest in the current epoch.
            let current = if epoch_in_version { db.epoch } else { 0 };
            check_log(&db, &initial, |lsn| if lsn < backup.outbox.len() as u64 { 0 } else { current })?;
            // The relay comes back with the position it had: in the old epoch's
            // log after a restore (LogReset, then lsn 0), else where it was.
            d.subscribe(relay_at.0, relay_at.1)?;
            if restore {
                // A relay already in the new epoch resumes where it stands.
                d.subscribe(db.epoch, db.outbox.len() as u64 / 2)?;
            }
            d.run_until(d.now + 600 * US_PER_S)?;
            relay_at = (d.store.db().epoch, d.store.db().outbox.len() as u64);
        }
        let end = d.now;
        check_log(d.store.db(), &initial, |lsn| if lsn < backup.outbox.len() as u64 || !epoch_in_version { 0 } else { 2 })?;
        d.check_heartbeats(end)?;
    }
}
