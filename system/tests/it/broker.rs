//! Properties of the broker alone: partition logs keep produce order, the range
//! assignor covers every partition once, fetches return consecutive offsets,
//! commits from another generation or a non-owner are refused, and a crash
//! keeps the logs and committed offsets (`acks = all`) or loses exactly the
//! unreplicated tail (`acks = leader`).

use crate::{config, event, on, stock};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeMap;
use system::Micros;
use system::broker::{Broker, BrokerConfig};
use system::message::{BrokerRecord, Key, Msg, NodeId, Payload};
use system::node::{Clock, Input, Node, Op, Timer};

const BROKER: NodeId = 0;
const PRODUCERS: [NodeId; 2] = [100, 101];
const FIRST_MEMBER: NodeId = 10;

fn broker(partitions: u32) -> Broker {
    broker_with_acks(partitions, false, 0)
}

fn broker_with_acks(partitions: u32, acks_leader: bool, replication_lag_us: Micros) -> Broker {
    Broker::new(BrokerConfig {
        partitions,
        fetch_max_wait_us: 500_000,
        session_timeout_us: 45_000_000,
        session_check_interval_us: 3_000_000,
        acks_leader,
        replication_lag_us,
    })
}

/// A record tagged with `tag` (its event's version), so the test can tell records apart.
fn record(tag: u64) -> BrokerRecord {
    BrokerRecord { key: Key::None, payload: Payload::Stock(event(0, 0, tag)) }
}

fn tag(record: BrokerRecord) -> u64 {
    stock(&record.payload).expect("a stock record").version
}

/// Each member's latest assignment: member -> (generation, [(partition, committed offset)]).
type Assignments = BTreeMap<NodeId, (u32, Vec<(u32, u64)>)>;

/// Reads every `Assignment` out of `sends` into `assignments`.
fn take_assignments(sends: Vec<(NodeId, Msg)>, assignments: &mut Assignments) -> Result<(), TestCaseError> {
    for (to, msg) in sends {
        let Msg::Assignment { generation, partitions } = msg else {
            return Err(TestCaseError::fail(format!("a join sent {msg:?} to {to}")));
        };
        if let Some((before, _)) = assignments.get(&to) {
            prop_assert!(generation > *before, "generations only rise");
        }
        assignments.insert(to, (generation, partitions));
    }
    Ok(())
}

/// Checks that one generation's assignments split 0..partitions into contiguous
/// ranges in member order (Kafka's RangeAssignor) and carry the committed offsets.
fn check_assignments(assignments: &Assignments, partitions: u32, committed: &[u64]) -> Result<u32, TestCaseError> {
    let generation = assignments.values().next().expect("a member").0;
    prop_assert!(assignments.values().all(|(g, _)| *g == generation), "one generation for all: {assignments:?}");
    let owned: Vec<u32> = assignments.values().flat_map(|(_, ps)| ps.iter().map(|&(p, _)| p)).collect();
    prop_assert_eq!(owned, (0..partitions).collect::<Vec<_>>());
    for &(p, offset) in assignments.values().flat_map(|(_, ps)| ps) {
        prop_assert_eq!(offset, committed[p as usize], "an assignment carries the committed offset");
    }
    Ok(generation)
}

proptest! {
    #![proptest_config(config(0xB40C))]

    #[test]
    fn broker_keeps_per_partition_order(
        partitions in 1u32..6,
        produces in vec(vec(0u32..6, 0..6), 0..12),
        members in 1u32..5,
        max_records in 1u32..8,
    ) {
        // Goal: each partition log is the produced records in produce order; a
        // member of the group fetches them back in that order with consecutive
        // offsets; the coordinator refuses commits from an older generation or
        // for a partition the member does not own, and a rebalance hands out the
        // committed offsets. Method: produce random batches to random partitions
        // from two producers, let `members` consumers join, page through every
        // member's partitions with small `max_records`, commit (stale, foreign,
        // then current), rebalance once more and wake a parked fetch with a produce.
        let mut b = broker(partitions);
        let mut now: Micros = 0;
        on(&mut b, now, BROKER, |n, c| n.start(c));
        let mut expected: Vec<Vec<u64>> = vec![Vec::new(); partitions as usize];
        let mut next_tag = 0u64;
        for (i, batch) in produces.iter().enumerate() {
            let from = PRODUCERS[i % 2];
            let records: Vec<(u32, BrokerRecord)> = batch
                .iter()
                .map(|&p| {
                    let p = p % partitions;
                    next_tag += 1;
                    expected[p as usize].push(next_tag);
                    (p, record(next_tag))
                })
                .collect();
            now += 1_000;
            let produce = Msg::Produce { request_id: i as u64, records };
            prop_assert_eq!(b.cost(&Input::Message { from, msg: produce.clone() }), (Op::BrokerAppend, 1), "a produce is one unit of work, whatever its size");
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, from, produce));
            prop_assert_eq!(fx.sends, vec![(from, Msg::ProduceAck { request_id: i as u64 })]);
        }
        let logged: Vec<Vec<u64>> = b.logs().iter().map(|log| log.iter().map(tag).collect()).collect();
        prop_assert_eq!(&logged, &expected);
        prop_assert_eq!(b.lag(), next_tag);

        // Members join one by one; every join is a rebalance that re-sends every member its share.
        let mut assignments = Assignments::new();
        for m in 0..members {
            let id = FIRST_MEMBER + m;
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, id, Msg::JoinGroup));
            prop_assert_eq!(fx.sends.len(), m as usize + 1, "every member hears of the rebalance");
            take_assignments(fx.sends, &mut assignments)?;
        }
        let mut committed = vec![0u64; partitions as usize];
        let generation = check_assignments(&assignments, partitions, &committed)?;

        // Each member pages through its partitions.
        let mut fetched: Vec<Vec<u64>> = vec![Vec::new(); partitions as usize];
        let mut request_id = 0u64;
        let mut ends: BTreeMap<NodeId, Vec<(u32, u64)>> = BTreeMap::new();
        for (&member, (_, assigned)) in &assignments {
            let mut positions = assigned.clone();
            loop {
                request_id += 1;
                let fetch = Msg::Fetch { request_id, generation, positions: positions.clone(), max_records };
                let fx = on(&mut b, now, BROKER, |n, c| n.message(c, member, fetch));
                if fx.sends.is_empty() {
                    // Nothing left: the fetch is parked until its deadline, which answers empty.
                    let deadline = Timer::FetchDeadline;
                    prop_assert_eq!(fx.timers, vec![(now + 500_000, Clock::Node, deadline)]);
                    let fx = on(&mut b, now + 500_000, BROKER, |n, c| n.timer(c, deadline));
                    prop_assert_eq!(fx.sends, vec![(member, Msg::Fetched { request_id, generation, records: Vec::new() })]);
                    break;
                }
                prop_assert_eq!(fx.sends.len(), 1);
                let (to, Msg::Fetched { request_id: answered, generation: g, records }) = &fx.sends[0] else {
                    return Err(TestCaseError::fail(format!("a fetch was answered with {:?}", fx.sends)));
                };
                prop_assert_eq!((*to, *answered, *g), (member, request_id, generation));
                prop_assert!(!records.is_empty() && records.len() <= max_records as usize, "{} records", records.len());
                for (p, offset, rec) in records {
                    let Some(position) = positions.iter_mut().find(|(q, _)| q == p) else {
                        return Err(TestCaseError::fail(format!("partition {p} is not the member's")));
                    };
                    prop_assert_eq!(*offset, position.1, "offsets are consecutive from the position");
                    position.1 += 1;
                    fetched[*p as usize].push(tag(*rec));
                }
            }
            ends.insert(member, positions);
        }
        prop_assert_eq!(&fetched, &expected);

        // Commits: an older generation is refused, another member's partition is
        // refused, the member's own partitions in this generation are taken.
        for (&member, positions) in &ends {
            let stale = generation - 1;
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, member, Msg::CommitOffsets { generation: stale, offsets: positions.clone() }));
            prop_assert_eq!(fx.sends, vec![(member, Msg::CommitFailed { generation: stale })]);
            if let Some(&(foreign, _)) = ends.iter().filter(|(m, _)| **m != member).flat_map(|(_, ps)| ps).next() {
                let fx = on(&mut b, now, BROKER, |n, c| n.message(c, member, Msg::CommitOffsets { generation, offsets: vec![(foreign, 1)] }));
                prop_assert_eq!(fx.sends, vec![(member, Msg::CommitFailed { generation })]);
            }
        }
        let outsider = FIRST_MEMBER + members + 7;
        let all: Vec<(u32, u64)> = (0..partitions).map(|p| (p, 0)).collect();
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, outsider, Msg::CommitOffsets { generation, offsets: all }));
        prop_assert_eq!(fx.sends, vec![(outsider, Msg::CommitFailed { generation })]);
        prop_assert_eq!(b.lag(), next_tag, "refused commits leave the lag alone");
        for (&member, positions) in &ends {
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, member, Msg::CommitOffsets { generation, offsets: positions.clone() }));
            prop_assert!(fx.sends.is_empty(), "a current commit is taken silently: {:?}", fx.sends);
            for &(p, offset) in positions {
                committed[p as usize] = offset;
            }
        }
        prop_assert_eq!(b.lag(), 0);

        // One more member: a new generation carrying the committed offsets, and
        // the old generation's commits become zombie commits.
        let newcomer = FIRST_MEMBER + members;
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, newcomer, Msg::JoinGroup));
        take_assignments(fx.sends, &mut assignments)?;
        let next_generation = check_assignments(&assignments, partitions, &committed)?;
        prop_assert_eq!(next_generation, generation + 1);
        let (&owner0, _) = assignments.iter().find(|(_, (_, ps))| ps.iter().any(|&(p, _)| p == 0)).expect("partition 0 is owned");
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::CommitOffsets { generation, offsets: vec![(0, 0)] }));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::CommitFailed { generation })]);
        // A heartbeat or a fetch of the old generation is told to join again
        // (Kafka's ILLEGAL_GENERATION); one of the current generation is not.
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::Heartbeat { generation }));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::RejoinGroup)]);
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::Heartbeat { generation: next_generation }));
        prop_assert!(fx.sends.is_empty(), "a current heartbeat is taken silently: {:?}", fx.sends);
        request_id += 1;
        let stale_fetch = Msg::Fetch { request_id, generation, positions: assignments[&owner0].1.clone(), max_records };
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, stale_fetch));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::RejoinGroup)]);
        // A member that joins again while still in the group gets its current
        // assignment back, with no rebalance.
        let rebalances = b.rebalances;
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::JoinGroup));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::Assignment { generation: next_generation, partitions: assignments[&owner0].1.clone() })]);
        prop_assert_eq!(b.rebalances, rebalances);

        // A parked fetch wakes up when its partition gets a record.
        request_id += 1;
        let positions: Vec<(u32, u64)> = assignments[&owner0].1.clone();
        let fetch = Msg::Fetch { request_id, generation: next_generation, positions, max_records };
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, fetch));
        prop_assert!(fx.sends.is_empty(), "everything was read, so the fetch parks");
        next_tag += 1;
        let produced = record(next_tag);
        let fx = on(&mut b, now + 1, BROKER, |n, c| n.message(c, PRODUCERS[0], Msg::Produce { request_id: 999, records: vec![(0, produced)] }));
        let woken = Msg::Fetched { request_id, generation: next_generation, records: vec![(0, expected[0].len() as u64, produced)] };
        prop_assert_eq!(fx.sends, vec![(PRODUCERS[0], Msg::ProduceAck { request_id: 999 }), (owner0, woken)]);
        expected[0].push(next_tag);

        // A crash (acks = all) keeps the logs and the committed offsets and
        // forgets the group: old members must join again, under a newer generation.
        now += 2;
        let lag = b.lag();
        crate::crash(&mut b, now);
        let fx = on(&mut b, now, BROKER, |n, c| n.start(c));
        prop_assert_eq!(fx.timers, vec![(now + 3_000_000, Clock::Node, Timer::SessionCheck)]);
        let logged: Vec<Vec<u64>> = b.logs().iter().map(|log| log.iter().map(tag).collect()).collect();
        prop_assert_eq!(&logged, &expected);
        prop_assert_eq!((b.lag(), b.records_lost), (lag, 0));
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::Heartbeat { generation: next_generation }));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::RejoinGroup)]);
        request_id += 1;
        let fetch = Msg::Fetch { request_id, generation: next_generation, positions: vec![(0, 0)], max_records };
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, fetch));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::RejoinGroup)]);
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::JoinGroup));
        let mut rejoined = Assignments::new();
        take_assignments(fx.sends, &mut rejoined)?;
        prop_assert_eq!(rejoined.keys().copied().collect::<Vec<_>>(), vec![owner0], "only the member that rejoined is in the group");
        let rejoined_generation = check_assignments(&rejoined, partitions, &committed)?;
        prop_assert!(rejoined_generation > next_generation, "generation {rejoined_generation} after {next_generation}");
        let fx = on(&mut b, now, BROKER, |n, c| n.message(c, owner0, Msg::CommitOffsets { generation: next_generation, offsets: vec![(0, 0)] }));
        prop_assert_eq!(fx.sends, vec![(owner0, Msg::CommitFailed { generation: next_generation })]);
    }

    #[test]
    fn broker_crash_loses_only_the_unreplicated_tail_with_acks_leader(
        partitions in 1u32..4,
        produces in vec((0u32..4, 1u64..20_000), 1..40),
        replication_lag_us in 0u64..50_000,
        commit in any::<u8>(),
        crash_after in 0u64..60_000,
    ) {
        // Goal: with `acks = leader` a broker crash drops, per partition,
        // exactly the records appended within the last `replication_lag` before
        // the crash (acknowledged all the same), counts them in `records_lost`,
        // and pulls a committed offset back to the end of what survived; with
        // `acks = all` the same schedule loses nothing. Method: produce one
        // record at a time at random gaps (every produce is acknowledged at
        // once), commit a fraction of each partition through a member, crash
        // at a random time after the last produce; compare with a model built
        // from the append times.
        for acks_leader in [true, false] {
            let mut b = broker_with_acks(partitions, acks_leader, replication_lag_us);
            let mut now: Micros = 0;
            on(&mut b, now, BROKER, |n, c| n.start(c));
            // (append time, tag) per partition.
            let mut appended: Vec<Vec<(Micros, u64)>> = vec![Vec::new(); partitions as usize];
            for (i, &(p, gap)) in produces.iter().enumerate() {
                let p = p % partitions;
                now += gap;
                let tag_i = i as u64 + 1;
                let fx = on(&mut b, now, BROKER, |n, c| n.message(c, PRODUCERS[0], Msg::Produce { request_id: tag_i, records: vec![(p, record(tag_i))] }));
                prop_assert_eq!(fx.sends, vec![(PRODUCERS[0], Msg::ProduceAck { request_id: tag_i })], "acknowledged at once either way");
                appended[p as usize].push((now, tag_i));
            }
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, FIRST_MEMBER, Msg::JoinGroup));
            let mut assignments = Assignments::new();
            take_assignments(fx.sends, &mut assignments)?;
            let generation = assignments[&FIRST_MEMBER].0;
            let committed: Vec<u64> = appended.iter().map(|log| log.len() as u64 * u64::from(commit) / 255).collect();
            let offsets: Vec<(u32, u64)> = committed.iter().enumerate().map(|(p, &o)| (p as u32, o)).collect();
            let fx = on(&mut b, now, BROKER, |n, c| n.message(c, FIRST_MEMBER, Msg::CommitOffsets { generation, offsets }));
            prop_assert!(fx.sends.is_empty());
            let crash_at = now + crash_after;
            crate::crash(&mut b, crash_at);
            let replicated_before = crash_at.saturating_sub(replication_lag_us);
            let mut lost = 0u64;
            for (p, log) in appended.iter().enumerate() {
                let kept: Vec<u64> = log.iter().filter(|&&(t, _)| !acks_leader || t <= replicated_before).map(|&(_, tag)| tag).collect();
                lost += (log.len() - kept.len()) as u64;
                let logged: Vec<u64> = b.logs()[p].iter().map(tag).collect();
                prop_assert_eq!(&logged, &kept, "partition {} after a crash at {} (acks_leader {})", p, crash_at, acks_leader);
            }
            prop_assert_eq!(b.records_lost, lost);
            let lag: u64 = appended
                .iter()
                .zip(&committed)
                .zip(b.logs())
                .map(|((_, &c), log)| log.len() as u64 - c.min(log.len() as u64))
                .sum();
            prop_assert_eq!(b.lag(), lag, "committed offsets are clipped to the surviving log");
            // Rejoining hands out the clipped committed offsets.
            on(&mut b, crash_at, BROKER, |n, c| n.start(c));
            let fx = on(&mut b, crash_at, BROKER, |n, c| n.message(c, FIRST_MEMBER, Msg::JoinGroup));
            let mut rejoined = Assignments::new();
            take_assignments(fx.sends, &mut rejoined)?;
            let clipped: Vec<u64> = committed.iter().zip(b.logs()).map(|(&c, log)| c.min(log.len() as u64)).collect();
            check_assignments(&rejoined, partitions, &clipped)?;
        }
    }
}

/// A broker of 2 partitions with two members, each owning one: the broker and the generation.
fn two_members() -> (Broker, u32) {
    let mut b = broker(2);
    on(&mut b, 0, BROKER, |n, c| n.message(c, FIRST_MEMBER, Msg::JoinGroup));
    let fx = on(&mut b, 0, BROKER, |n, c| n.message(c, FIRST_MEMBER + 1, Msg::JoinGroup));
    let generation = fx.sends.iter().find_map(|(_, m)| if let Msg::Assignment { generation, .. } = m { Some(*generation) } else { None });
    (b, generation.expect("an assignment"))
}

/// A fetch of up to 10 records of `partition` from offset 0.
fn fetch_from_start(request_id: u64, generation: u32, partition: u32) -> Msg {
    Msg::Fetch { request_id, generation, positions: vec![(partition, 0)], max_records: 10 }
}

#[test]
fn one_deadline_timer_answers_each_parked_fetch_at_its_own_deadline() {
    // Goal: the broker keeps one FetchDeadline timer, not one per fetch, and
    // still answers each parked fetch empty exactly at fetch.max.wait after it
    // arrived. Method: two members park fetches 200 ms apart; the first
    // deadline answers only the first and re-arms for the second; a fetch
    // answered by a record before its deadline arms nothing more.
    let (mut b, generation) = two_members();
    let (a, z) = (FIRST_MEMBER, FIRST_MEMBER + 1);
    let fetch = |request_id: u64, partition: u32| fetch_from_start(request_id, generation, partition);
    let fx = on(&mut b, 1_000_000, BROKER, |n, c| n.message(c, a, fetch(1, 0)));
    assert_eq!(fx.timers, vec![(1_500_000, Clock::Node, Timer::FetchDeadline)], "the first parked fetch arms the timer");
    let fx = on(&mut b, 1_200_000, BROKER, |n, c| n.message(c, z, fetch(2, 1)));
    assert!(fx.sends.is_empty() && fx.timers.is_empty(), "a pending timer fires no later than the second deadline");
    let fx = on(&mut b, 1_500_000, BROKER, |n, c| n.timer(c, Timer::FetchDeadline));
    assert_eq!(fx.sends, vec![(a, Msg::Fetched { request_id: 1, generation, records: Vec::new() })]);
    assert_eq!(fx.timers, vec![(1_700_000, Clock::Node, Timer::FetchDeadline)], "re-armed for the fetch still parked");
    let produce = Msg::Produce { request_id: 0, records: vec![(1, record(7))] };
    let fx = on(&mut b, 1_600_000, BROKER, |n, c| n.message(c, PRODUCERS[0], produce));
    assert!(fx.sends.iter().any(|(to, m)| *to == z && matches!(m, Msg::Fetched { request_id: 2, records, .. } if records.len() == 1)));
    let fx = on(&mut b, 1_700_000, BROKER, |n, c| n.timer(c, Timer::FetchDeadline));
    assert!(fx.sends.is_empty() && fx.timers.is_empty(), "nothing parked: no answer, no timer");
}

#[test]
fn a_clock_set_back_arms_the_earlier_fetch_deadline() {
    // Goal: with one pending timer, a fetch whose deadline comes before the
    // pending one (the broker's clock was set back) still gets its own. Method:
    // park at 2 s, then at 1 s by the broker's clock; the second arms 1.5 s and
    // answers only itself there.
    let (mut b, generation) = two_members();
    let (a, z) = (FIRST_MEMBER, FIRST_MEMBER + 1);
    let fetch = |request_id: u64, partition: u32| fetch_from_start(request_id, generation, partition);
    let fx = on(&mut b, 2_000_000, BROKER, |n, c| n.message(c, a, fetch(1, 0)));
    assert_eq!(fx.timers, vec![(2_500_000, Clock::Node, Timer::FetchDeadline)]);
    let fx = on(&mut b, 1_000_000, BROKER, |n, c| n.message(c, z, fetch(2, 1)));
    assert_eq!(fx.timers, vec![(1_500_000, Clock::Node, Timer::FetchDeadline)], "an earlier deadline gets its own timer");
    let fx = on(&mut b, 1_500_000, BROKER, |n, c| n.timer(c, Timer::FetchDeadline));
    assert_eq!(fx.sends, vec![(z, Msg::Fetched { request_id: 2, generation, records: Vec::new() })]);
    assert_eq!(fx.timers, vec![(2_500_000, Clock::Node, Timer::FetchDeadline)]);
}
