//! The broker (Kafka-like): one topic of keyed partitions, and the group
//! coordinator of the consumer group that feeds central.
//!
//! Durable: the partition logs and the group's committed offsets. Volatile:
//! membership, the generation and assignment, and parked long-poll fetches.
//! A member silent for `session.timeout` is removed; every membership change
//! is an eager rebalance (range assignor): a new generation, every member gets
//! its new partitions with the committed offsets. A commit from an older
//! generation is refused (`CommitFailed`), as Kafka refuses a zombie's.

use crate::Micros;
use crate::compact_log::CompactLog;
use crate::message::{BrokerRecord, Msg, NodeId};
use crate::node::{Ctx, Input, Node, Op, Timer};
use std::collections::BTreeMap;

/// Parameters of the broker, from the scenario.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub partitions: u32,
    pub fetch_max_wait_us: Micros,
    pub session_timeout_us: Micros,
    /// How often the coordinator looks for expired sessions.
    pub session_check_interval_us: Micros,
    /// `acks = leader`: acknowledge before replication, so a crash loses the
    /// records appended within the last `replication_lag_us`.
    pub acks_leader: bool,
    pub replication_lag_us: Micros,
}

/// A fetch waiting for data or for its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParkedFetch {
    consumer: NodeId,
    request_id: u64,
    generation: u32,
    positions: Vec<(u32, u64)>,
    max_records: u32,
    /// When it is answered empty if no record came (`fetch.max.wait.ms` after it arrived).
    deadline_us: Micros,
}

/// The broker node.
#[derive(Debug, Clone)]
pub struct Broker {
    config: BrokerConfig,
    // durable
    logs: Vec<CompactLog<BrokerRecord>>,
    /// When each record was appended (kept only with `acks = leader`), as
    /// compact as the logs: what a leader crash loses is read from it.
    appended_at_us: Vec<CompactLog<Micros>>,
    committed: Vec<u64>,
    // volatile
    /// Members and when each was last heard from.
    members: BTreeMap<NodeId, Micros>,
    generation: u32,
    assignment: BTreeMap<NodeId, Vec<u32>>,
    /// Parked fetches in arrival order.
    parked: Vec<ParkedFetch>,
    /// When the one pending `FetchDeadline` timer fires, if one is: a timer
    /// per fetch would mostly fire after its fetch was answered.
    deadline_timer_us: Option<Micros>,
    /// Rebalances so far (metrics).
    pub rebalances: u64,
    /// Acknowledged records lost with an unreplicated tail (metrics).
    pub records_lost: u64,
}

impl Broker {
    pub fn new(config: BrokerConfig) -> Self {
        let partitions = config.partitions as usize;
        Broker {
            config,
            logs: vec![CompactLog::default(); partitions],
            appended_at_us: vec![CompactLog::default(); partitions],
            committed: vec![0; partitions],
            members: BTreeMap::new(),
            generation: 0,
            assignment: BTreeMap::new(),
            parked: Vec::new(),
            deadline_timer_us: None,
            rebalances: 0,
            records_lost: 0,
        }
    }

    /// Lets the partition logs move sealed chunks to `cold`.
    pub fn attach_cold_store(&mut self, cold: &std::sync::Arc<dyn crate::compact_log::ColdStore>) {
        self.logs.iter_mut().for_each(|log| log.attach(cold.clone()));
        self.appended_at_us.iter_mut().for_each(|times| times.attach(cold.clone()));
    }

    /// The partition logs.
    pub fn logs(&self) -> &[CompactLog<BrokerRecord>] {
        &self.logs
    }

    /// The group's generation, its members and their partitions.
    pub fn group(&self) -> (u32, &BTreeMap<NodeId, Vec<u32>>) {
        (self.generation, &self.assignment)
    }

    /// The group's committed offsets per partition.
    pub fn committed(&self) -> &[u64] {
        &self.committed
    }

    /// Records not yet committed by the group, over all partitions.
    pub fn lag(&self) -> u64 {
        self.logs.iter().zip(&self.committed).map(|(log, &committed)| (log.len() as u64).saturating_sub(committed)).sum()
    }

    /// Range assignment over the members in id order, as Kafka's RangeAssignor does.
    fn rebalance(&mut self, ctx: &mut Ctx) {
        self.generation += 1;
        self.rebalances += 1;
        self.parked.clear();
        self.assignment.clear();
        let members: Vec<NodeId> = self.members.keys().copied().collect();
        let count = members.len() as u32;
        let mut next = 0;
        for (i, &member) in members.iter().enumerate() {
            let share = self.config.partitions / count + u32::from((i as u32) < self.config.partitions % count);
            let partitions: Vec<u32> = (next..next + share).collect();
            next += share;
            let with_offsets = partitions.iter().map(|&p| (p, self.committed[p as usize])).collect();
            ctx.send(member, Msg::Assignment { generation: self.generation, partitions: with_offsets });
            self.assignment.insert(member, partitions);
        }
    }

    fn owns(&self, member: NodeId, generation: u32, partitions: impl IntoIterator<Item = u32>) -> bool {
        generation == self.generation && self.assignment.get(&member).is_some_and(|owned| partitions.into_iter().all(|p| owned.contains(&p)))
    }

    /// Up to `max_records` records from the given positions, in offset order per partition.
    fn collect(&self, positions: &[(u32, u64)], max_records: u32) -> Vec<(u32, u64, BrokerRecord)> {
        let mut records = Vec::new();
        for &(partition, offset) in positions {
            let Some(log) = self.logs.get(partition as usize) else { continue };
            let from = offset as usize;
            if from >= log.len() {
                continue;
            }
            let room = max_records as usize - records.len();
            let to = log.len().min(from + room);
            records.extend(log.range(from, to).zip(from as u64..).map(|(record, offset)| (partition, offset, record)));
            if records.len() >= max_records as usize {
                break;
            }
        }
        records
    }

    fn answer(&self, ctx: &mut Ctx, fetch: &ParkedFetch, records: Vec<(u32, u64, BrokerRecord)>) {
        ctx.send(fetch.consumer, Msg::Fetched { request_id: fetch.request_id, generation: fetch.generation, records });
    }

    /// Arms the deadline timer for the earliest parked deadline, unless a
    /// timer that fires no later is pending.
    fn arm_deadline(&mut self, ctx: &mut Ctx) {
        let Some(earliest) = self.parked.iter().map(|f| f.deadline_us).min() else { return };
        if self.deadline_timer_us.is_none_or(|pending| pending > earliest) {
            self.deadline_timer_us = Some(earliest);
            ctx.set_timer_at(earliest, Timer::FetchDeadline);
        }
    }

    /// Answers the parked fetches that now have data.
    fn wake_parked(&mut self, ctx: &mut Ctx) {
        self.answer_parked(ctx, |broker, fetch| Some(broker.collect(&fetch.positions, fetch.max_records)).filter(|records| !records.is_empty()));
    }

    /// Answers, in the order they parked, the parked fetches `answer_of` has
    /// an answer for; the others stay parked, in order.
    fn answer_parked(&mut self, ctx: &mut Ctx, answer_of: impl Fn(&Self, &ParkedFetch) -> Option<Vec<(u32, u64, BrokerRecord)>>) {
        let mut i = 0;
        while let Some(fetch) = self.parked.get(i) {
            match answer_of(self, fetch) {
                Some(records) => {
                    let fetch = self.parked.remove(i);
                    self.answer(ctx, &fetch, records);
                }
                None => i += 1,
            }
        }
    }
}

impl Node for Broker {
    fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer_after(self.config.session_check_interval_us, Timer::SessionCheck);
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Produce { request_id, records } => {
                for (partition, record) in records {
                    if let Some(log) = self.logs.get_mut(partition as usize) {
                        log.push(record);
                        if self.config.acks_leader {
                            self.appended_at_us[partition as usize].push(ctx.now_us);
                        }
                    }
                }
                ctx.send(from, Msg::ProduceAck { request_id });
                self.wake_parked(ctx);
            }
            Msg::JoinGroup => {
                if self.members.insert(from, ctx.now_us).is_some() {
                    // A member that lost track of the generation gets the current one, no rebalance.
                    let partitions = self.assignment.get(&from).into_iter().flatten().map(|&p| (p, self.committed[p as usize])).collect();
                    ctx.send(from, Msg::Assignment { generation: self.generation, partitions });
                } else {
                    self.rebalance(ctx);
                }
            }
            Msg::Heartbeat { generation } => match self.members.get_mut(&from) {
                // Kafka answers ILLEGAL_GENERATION: the member must join again.
                Some(last_seen) if generation == self.generation => *last_seen = ctx.now_us,
                _ => ctx.send(from, Msg::RejoinGroup),
            },
            Msg::Fetch { request_id, generation, positions, max_records } => {
                if !self.members.contains_key(&from) {
                    ctx.send(from, Msg::RejoinGroup);
                    return;
                }
                let deadline_us = ctx.now_us.saturating_add(self.config.fetch_max_wait_us);
                let fetch = ParkedFetch { consumer: from, request_id, generation, positions, max_records, deadline_us };
                if !self.owns(from, generation, fetch.positions.iter().map(|&(p, _)| p)) {
                    // An older generation: the member must join again.
                    ctx.send(from, Msg::RejoinGroup);
                    return;
                }
                let records = self.collect(&fetch.positions, max_records);
                if records.is_empty() {
                    self.parked.push(fetch);
                    self.arm_deadline(ctx);
                } else {
                    self.answer(ctx, &fetch, records);
                }
            }
            Msg::CommitOffsets { generation, offsets } => {
                if self.owns(from, generation, offsets.iter().map(|&(p, _)| p)) {
                    for (partition, offset) in offsets {
                        self.committed[partition as usize] = offset;
                    }
                } else {
                    ctx.send(from, Msg::CommitFailed { generation });
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::SessionCheck => {
                let deadline = ctx.now_us.saturating_sub(self.config.session_timeout_us);
                let before = self.members.len();
                self.members.retain(|_, last_seen| *last_seen >= deadline);
                if self.members.len() != before {
                    self.rebalance(ctx);
                }
                ctx.set_timer_after(self.config.session_check_interval_us, Timer::SessionCheck);
            }
            Timer::FetchDeadline => {
                self.deadline_timer_us = None;
                let now_us = ctx.now_us;
                self.answer_parked(ctx, |_, fetch| (fetch.deadline_us <= now_us).then(Vec::new));
                self.arm_deadline(ctx);
            }
            _ => {}
        }
    }

    fn crash(&mut self, now_us: Micros) {
        if self.config.acks_leader {
            // The leader's unreplicated tail dies with it.
            let replicated_before = now_us.saturating_sub(self.config.replication_lag_us);
            for ((log, appended), committed) in self.logs.iter_mut().zip(&mut self.appended_at_us).zip(&mut self.committed) {
                // A clock set back leaves the times unsorted: the split is std's binary search over them.
                let keep = appended.iter().collect::<Vec<Micros>>().partition_point(|&t| t <= replicated_before);
                self.records_lost += (log.len() - keep) as u64;
                log.truncate(keep);
                appended.truncate(keep);
                *committed = (*committed).min(keep as u64);
            }
        }
        self.members.clear();
        self.assignment.clear();
        self.parked.clear();
        self.deadline_timer_us = None;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: Msg::Produce { .. }, .. } => (Op::BrokerAppend, 1),
            Input::Message { msg: Msg::Fetch { .. }, .. } => (Op::BrokerFetch, 1),
            _ => (Op::Free, 1),
        }
    }
}
