//! The `des` engine: a deterministic discrete-event loop over the system's nodes.
//!
//! One queue ordered by `(time, sequence)`; simulated time in microseconds.
//! A message or timer *arrives* at a node, waits for a free worker, takes its
//! operation's service time, then is *handled*: the node's effects become
//! deliveries (through [`NetworkModel`]), timers and history records.
//!
//! Faults ([`PlannedFault`]) act here: a partition holds messages like TCP
//! retransmits until `network.connection_timeout_s`, then the connection
//! resets, the held messages are lost and both ends learn of it; a crash
//! drops the node's volatile state and everything queued for it until its
//! restart; a restore also rolls the store's DB back to a backup; a pause
//! defers a node's inputs; latency spikes, duplication and reordering act on
//! links; clock skew changes the node's own clock. At the end of the workload
//! every fault heals, then the drain phase checks once a simulated second
//! whether the pipeline is empty, and stops when it is or when the drain
//! bound passes.

use crate::cold::{self, ColdFile};
use crate::faults::{FaultEffect, FaultReport, Origin, PlannedFault};
use crate::network::NetworkModel;
use crate::queue::EventQueue;
use crate::recorded::History;
use crate::swarm::{self, SwarmDraw};
use crate::timeseries::{self, Sample};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use scenarios::distribution::Sampler;
use scenarios::{FaultKind, Scenario};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use system::compact_log::ColdStore;
use system::history::{ENGINE, Kind, Record};
use system::layout::Role;
use system::message::{Msg, NodeId};
use system::node::{Clock, Ctx, Effects, Input, Node, Op};
use system::rng::stream;
use system::store::StoreDb;
use system::world::{AnyNode, World};
use system::{Micros, US_PER_S};

/// How often the drain phase looks at the pipeline.
pub const DRAIN_CHECK_INTERVAL_US: Micros = US_PER_S;

/// What the engine does at a point in time.
#[derive(Debug)]
enum Action {
    /// An input reaches a node and queues for a worker. Timers carry the
    /// incarnation that set them: a crash cancels them.
    Arrive {
        node: NodeId,
        input: Input,
        incarnation: Option<u32>,
    },
    /// A worker finished serving the input: the node handles it now.
    Handle {
        node: NodeId,
        incarnation: u32,
        input: Input,
    },
    FaultStart(usize),
    FaultEnd(usize),
    /// Take the backup a later restore will bring back.
    Backup(usize),
    /// A partition held messages on a link this long: the connection resets.
    ConnectionTimeout {
        from: NodeId,
        to: NodeId,
        episode: u64,
    },
    /// The workload is over: every fault heals.
    HealAll,
    /// Read the pipeline gauges.
    Sample,
    /// Drain phase: is the pipeline empty?
    DrainCheck,
}

/// A node's own clock: the world's, shifted and drifting under a clock fault.
#[derive(Debug, Clone, Copy, Default)]
struct NodeClock {
    offset_us: i64,
    drift: f64,
    since_us: Micros,
    fault: Option<usize>,
}

impl NodeClock {
    fn local(&self, world_us: Micros) -> Micros {
        if self.fault.is_none() {
            return world_us;
        }
        let drifted = (world_us.saturating_sub(self.since_us)) as f64 * self.drift;
        (world_us as i64 + self.offset_us + drifted as i64).max(0) as Micros
    }

    /// The world time at which this clock reads `local_us` (never before `now_us`).
    fn world(&self, local_us: Micros, now_us: Micros) -> Micros {
        if self.fault.is_none() {
            return local_us.max(now_us);
        }
        let world = (local_us as f64 - self.offset_us as f64 + self.since_us as f64 * self.drift) / (1.0 + self.drift);
        (world.ceil().max(0.0) as Micros).max(now_us)
    }
}

/// The engine's view of one node: its workers, incarnation, service stream and faults.
#[derive(Debug)]
struct Runtime {
    workers_free_at_us: Vec<Micros>,
    /// Bumped by a crash: work and timers of an older incarnation are dropped.
    incarnation: u32,
    busy_us: Micros,
    service_rng: ChaCha8Rng,
    /// The fault that keeps the node down.
    down: Option<usize>,
    /// The last crash (work of older incarnations is charged to it).
    last_crash: Option<usize>,
    /// The pause fault freezing the node, and its inputs waiting in arrival order.
    paused_by: Option<usize>,
    deferred: VecDeque<Action>,
    clock: NodeClock,
}

/// Messages a partition holds on one directed link.
#[derive(Debug)]
struct HeldLink {
    messages: VecDeque<Msg>,
    episode: u64,
    fault: usize,
}

/// What a finished run leaves behind.
#[derive(Debug)]
pub struct Outcome {
    pub world: World,
    pub history: History,
    /// Engine events processed (arrivals, handlings, faults and drain checks).
    pub events: u64,
    pub messages: u64,
    /// Estimated bytes of those messages.
    pub bytes: u64,
    /// When the run stopped.
    pub end_us: Micros,
    /// When the workload stopped (and every fault healed).
    pub workload_end_us: Micros,
    /// When the drain phase found the pipeline empty, if it did within the bound.
    pub drained_at_us: Option<Micros>,
    /// Service time spent per node.
    pub busy_us: Vec<Micros>,
    pub faults: Vec<FaultReport>,
    pub swarm: Option<SwarmDraw>,
    /// Pipeline gauges over time.
    pub samples: Vec<Sample>,
}

/// The discrete-event engine for one run.
pub struct Engine<'a> {
    scenario: &'a Scenario,
    world: World,
    queue: EventQueue<Action>,
    now_us: Micros,
    runtime: Vec<Runtime>,
    network: NetworkModel,
    history: History,
    effects: Effects,
    events: u64,
    drained_at_us: Option<Micros>,
    faults: Vec<PlannedFault>,
    fault_effects: Vec<FaultEffect>,
    fault_started: Vec<bool>,
    fault_ended: Vec<bool>,
    active_link_faults: Vec<usize>,
    held: BTreeMap<(NodeId, NodeId), HeldLink>,
    episodes: u64,
    backups: Vec<Option<StoreDb>>,
    fault_rng: ChaCha8Rng,
    swarm: Option<SwarmDraw>,
    samples: Vec<Sample>,
    /// Service time per operation, in `Op` order after `Free`.
    service_samplers: [Sampler; 7],
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64) -> Self {
        let mut world = World::new(scenario, seed);
        let layout = world.layout;
        // One cold store for the history and the logs: a large run spills to it.
        let cold: Arc<dyn ColdStore> = Arc::new(ColdFile::new(cold::SPILL_AFTER_BYTES));
        world.attach_cold_store(&cold);
        let runtime = (0..layout.count())
            .map(|id| Runtime {
                workers_free_at_us: vec![0; workers(scenario, &world, id) as usize],
                incarnation: 0,
                busy_us: 0,
                service_rng: stream(seed, &format!("service/{}", layout.name(id))),
                down: None,
                last_crash: None,
                paused_by: None,
                deferred: VecDeque::new(),
                clock: NodeClock::default(),
            })
            .collect();
        let swarm = scenario.faults.swarm.then(|| swarm::draw(scenario, seed));
        let mut faults: Vec<PlannedFault> = scenario.fault.iter().map(|spec| PlannedFault::new(spec.clone(), Origin::Explicit, &layout)).collect();
        if let Some(draw) = &swarm {
            faults.extend(draw.faults.iter().map(|spec| PlannedFault::new(spec.clone(), Origin::Swarm, &layout)));
        }
        let count = faults.len();
        Engine {
            scenario,
            network: NetworkModel::new(seed, layout, scenario.network.clone()),
            world,
            queue: EventQueue::default(),
            now_us: 0,
            runtime,
            history: History::with_cold_store(&layout, cold),
            effects: Effects::default(),
            events: 0,
            drained_at_us: None,
            faults,
            fault_effects: vec![FaultEffect::default(); count],
            fault_started: vec![false; count],
            fault_ended: vec![false; count],
            active_link_faults: Vec::new(),
            held: BTreeMap::new(),
            episodes: 0,
            backups: vec![None; count],
            fault_rng: stream(seed, "faults/effects"),
            swarm,
            samples: Vec::new(),
            service_samplers: {
                let s = &scenario.service;
                [&s.store_commit, &s.relay_read, &s.broker_append, &s.broker_fetch, &s.consumer_decode, &s.central_apply, &s.central_read]
                    .map(|d| d.sampler())
            },
        }
    }

    fn schedule(&mut self, at_us: Micros, action: Action) {
        self.queue.push(at_us, action);
    }

    fn record(&mut self, node: NodeId, record: Record) {
        self.history.push(&Record { t_us: self.now_us, node, ..record });
    }

    /// The service time of `op` (none for free work), ready to draw from.
    fn service_sampler(&self, op: Op) -> Option<Sampler> {
        let index = match op {
            Op::Free => return None,
            Op::StoreCommit => 0,
            Op::RelayRead => 1,
            Op::BrokerAppend => 2,
            Op::BrokerFetch => 3,
            Op::ConsumerDecode => 4,
            Op::CentralApply => 5,
            Op::CentralRead => 6,
        };
        Some(self.service_samplers[index])
    }

    /// Tells `node` that its connection to `peer` reset.
    fn notify_disconnected(&mut self, node: NodeId, peer: NodeId) {
        self.schedule(self.now_us, Action::Arrive { node, input: Input::Disconnected { peer }, incarnation: None });
    }

    /// An input reaches `node`: dropped if the node is down (a sender learns
    /// of it), deferred if it is paused, else queued for a worker.
    fn arrive(&mut self, node: NodeId, input: Input, incarnation: Option<u32>) {
        let now = self.now_us;
        let runtime = &self.runtime[node as usize];
        if incarnation.is_some_and(|i| i != runtime.incarnation) {
            if let Some(fault) = runtime.last_crash {
                self.fault_effects[fault].lost += 1;
            }
            return;
        }
        if let Some(fault) = runtime.down {
            self.fault_effects[fault].dropped += 1;
            if let Input::Message { from, .. } = input {
                self.fault_effects[fault].resets += 1;
                self.notify_disconnected(from, node);
            }
            return;
        }
        if let Some(fault) = runtime.paused_by {
            self.fault_effects[fault].deferred += 1;
            self.runtime[node as usize].deferred.push_back(Action::Arrive { node, input, incarnation });
            return;
        }
        let (op, units) = self.world.nodes[node as usize].cost(&input);
        let sampler = self.service_sampler(op);
        let runtime = &mut self.runtime[node as usize];
        let service_us = sampler.map_or(0, |d| d.sample_us(&mut runtime.service_rng) * u64::from(units));
        let (worker, free_at) = runtime.workers_free_at_us.iter().copied().enumerate().min_by_key(|&(_, t)| t).expect("every node has a worker");
        let start = free_at.max(now);
        if start == now && service_us == 0 {
            self.handle(node, input);
            return;
        }
        let finish = start + service_us;
        runtime.workers_free_at_us[worker] = finish;
        runtime.busy_us += service_us;
        let incarnation = runtime.incarnation;
        self.schedule(finish, Action::Handle { node, incarnation, input });
    }

    fn handle(&mut self, node: NodeId, input: Input) {
        let runtime = &self.runtime[node as usize];
        let clock = runtime.clock;
        let incarnation = runtime.incarnation;
        if let Some(fault) = clock.fault {
            self.fault_effects[fault].skewed += 1;
        }
        let mut effects = std::mem::take(&mut self.effects);
        effects.clear();
        let mut ctx = Ctx::with_clock(clock.local(self.now_us), self.now_us, node, &mut effects);
        self.world.nodes[node as usize].handle(&mut ctx, input);
        for record in effects.records.drain(..) {
            self.record(node, record);
        }
        for (at_us, on, timer) in effects.timers.drain(..) {
            let at_us = match on {
                Clock::Node => clock.world(at_us, self.now_us),
                Clock::World => at_us.max(self.now_us),
            };
            self.schedule(at_us, Action::Arrive { node, input: Input::Timer(timer), incarnation: Some(incarnation) });
        }
        for (to, msg) in effects.sends.drain(..) {
            self.send(node, to, msg);
        }
        self.effects = effects;
    }

    /// Puts a message on the wire, through whatever link faults are active.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let (mut factor, mut jitter_us, mut duplicate_by, mut cut_by) = (1.0, None::<Micros>, None, None);
        for &i in &self.active_link_faults {
            let fault = &self.faults[i];
            if !fault.crosses(from, to) {
                continue;
            }
            let effect = &mut self.fault_effects[i];
            effect.crossed += 1;
            match fault.kind() {
                FaultKind::Partition => cut_by = cut_by.or(Some(i)),
                FaultKind::LatencySpike => {
                    factor *= fault.spec.factor.unwrap_or(1.0);
                    effect.delayed += 1;
                }
                FaultKind::Duplicate if self.fault_rng.random_bool(fault.spec.probability.unwrap_or(0.0).clamp(0.0, 1.0)) => {
                    duplicate_by = Some(i);
                }
                FaultKind::Reorder => jitter_us = Some(jitter_us.unwrap_or(0).max(fault.spec.jitter.map_or(0, |j| j.us()))),
                _ => {}
            }
        }
        if let Some(fault) = cut_by {
            self.hold(from, to, msg, fault);
            return;
        }
        if let Some(fault) = duplicate_by {
            self.fault_effects[fault].duplicated += 1;
            let (at_us, _) = self.network.delivery_time(self.now_us, from, to, factor, jitter_us);
            self.schedule(at_us, Action::Arrive { node: to, input: Input::Message { from, msg: msg.clone() }, incarnation: None });
        }
        self.network.bytes += msg.wire_bytes();
        let (at_us, overtook) = self.network.delivery_time(self.now_us, from, to, factor, jitter_us);
        if overtook
            && let Some(&i) =
                self.active_link_faults.iter().find(|&&i| self.faults[i].kind() == FaultKind::Reorder && self.faults[i].crosses(from, to))
        {
            self.fault_effects[i].reordered += 1;
        }
        self.schedule(at_us, Action::Arrive { node: to, input: Input::Message { from, msg }, incarnation: None });
    }

    /// A partition holds the message; the first one held arms the connection timeout.
    fn hold(&mut self, from: NodeId, to: NodeId, msg: Msg, fault: usize) {
        self.fault_effects[fault].held += 1;
        if let Some(link) = self.held.get_mut(&(from, to)) {
            link.messages.push_back(msg);
            return;
        }
        self.episodes += 1;
        let episode = self.episodes;
        self.held.insert((from, to), HeldLink { messages: VecDeque::from([msg]), episode, fault });
        let timeout = self.scenario.network.connection_timeout_s * US_PER_S;
        self.schedule(self.now_us + timeout, Action::ConnectionTimeout { from, to, episode });
    }

    fn connection_timeout(&mut self, from: NodeId, to: NodeId, episode: u64) {
        if self.held.get(&(from, to)).is_none_or(|link| link.episode != episode) {
            return;
        }
        let link = self.held.remove(&(from, to)).expect("checked above");
        let effect = &mut self.fault_effects[link.fault];
        effect.dropped += link.messages.len() as u64;
        effect.resets += 1;
        // Both ends of a reset connection learn of it (the sender by its
        // retransmit timeout, the receiver by its own keepalive).
        self.notify_disconnected(from, to);
        self.notify_disconnected(to, from);
    }

    /// Sends again what partitions held on links that are no longer cut.
    fn release_held(&mut self) {
        let links: Vec<(NodeId, NodeId)> = self.held.keys().copied().collect();
        for (from, to) in links {
            let still_cut =
                self.active_link_faults.iter().any(|&i| self.faults[i].kind() == FaultKind::Partition && self.faults[i].crosses(from, to));
            if still_cut {
                continue;
            }
            if let Some(link) = self.held.remove(&(from, to)) {
                for msg in link.messages {
                    self.send(from, to, msg);
                }
            }
        }
    }

    fn crash_node(&mut self, node: NodeId, fault: usize) {
        let now = self.now_us;
        let runtime = &mut self.runtime[node as usize];
        runtime.down = Some(fault);
        runtime.last_crash = Some(fault);
        runtime.incarnation += 1;
        runtime.workers_free_at_us.iter_mut().for_each(|t| *t = now);
        let lost_before = self.broker_records_lost();
        self.world.nodes[node as usize].crash(now);
        self.fault_effects[fault].lost += self.broker_records_lost() - lost_before;
        self.record(node, Record::event(Kind::Crash, self.faults[fault].description.clone()));
        // Peers with a connection to it see it close.
        for peer in self.network.peers_sending_to(node) {
            self.fault_effects[fault].resets += 1;
            self.notify_disconnected(peer, node);
        }
    }

    fn broker_records_lost(&self) -> u64 {
        self.world.broker().records_lost
    }

    fn restart_node(&mut self, node: NodeId) {
        let runtime = &mut self.runtime[node as usize];
        if runtime.down.take().is_none() {
            return;
        }
        let incarnation = runtime.incarnation;
        self.record(node, Record::event(Kind::Restart, ""));
        self.schedule(self.now_us, Action::Arrive { node, input: Input::Start, incarnation: Some(incarnation) });
    }

    fn fault_start(&mut self, i: usize) {
        let fault = self.faults[i].clone();
        self.record(ENGINE, Record::event(Kind::FaultStart, fault.description.clone()));
        match fault.kind() {
            FaultKind::Partition | FaultKind::LatencySpike | FaultKind::Duplicate | FaultKind::Reorder => self.active_link_faults.push(i),
            FaultKind::Crash => {
                for &node in &fault.nodes {
                    self.crash_node(node, i);
                }
            }
            FaultKind::Restore => {
                for &node in &fault.nodes {
                    self.crash_node(node, i);
                    if let Some(record) = crate::faults::restore_store(&mut self.world, node, self.backups[i].take(), &fault.spec) {
                        self.record(node, record);
                    }
                }
            }
            FaultKind::Pause => {
                for &node in &fault.nodes {
                    self.runtime[node as usize].paused_by = Some(i);
                }
            }
            FaultKind::ClockSkew => {
                let clock = NodeClock {
                    offset_us: fault.spec.offset.map_or(0, |o| o.0),
                    drift: fault.spec.drift_ppm.unwrap_or(0.0) / 1e6,
                    since_us: self.now_us,
                    fault: Some(i),
                };
                for &node in &fault.nodes {
                    self.runtime[node as usize].clock = clock;
                }
            }
        }
        if let Some(end) = fault.end_us {
            self.schedule(end, Action::FaultEnd(i));
        }
    }

    fn fault_end(&mut self, i: usize) {
        if std::mem::replace(&mut self.fault_ended[i], true) {
            return;
        }
        let fault = self.faults[i].clone();
        self.record(ENGINE, Record::event(Kind::FaultEnd, fault.description.clone()));
        match fault.kind() {
            FaultKind::Partition | FaultKind::LatencySpike | FaultKind::Duplicate | FaultKind::Reorder => {
                self.active_link_faults.retain(|&active| active != i);
                self.release_held();
            }
            FaultKind::Crash | FaultKind::Restore => {
                for &node in &fault.nodes {
                    self.restart_node(node);
                }
            }
            FaultKind::Pause => {
                for &node in &fault.nodes {
                    if self.runtime[node as usize].paused_by == Some(i) {
                        self.resume(node);
                    }
                }
            }
            FaultKind::ClockSkew => {
                for &node in &fault.nodes {
                    let runtime = &mut self.runtime[node as usize];
                    if runtime.clock.fault == Some(i) {
                        runtime.clock = NodeClock::default();
                    }
                }
            }
        }
    }

    /// Ends a pause: the inputs that waited are served in the order they came.
    fn resume(&mut self, node: NodeId) {
        let runtime = &mut self.runtime[node as usize];
        runtime.paused_by = None;
        let deferred = std::mem::take(&mut runtime.deferred);
        for action in deferred {
            self.dispatch(action);
        }
    }

    /// Every fault that started heals now; those not yet started never will.
    fn heal_all(&mut self) {
        for i in 0..self.faults.len() {
            if self.fault_started[i] {
                self.fault_end(i);
            } else {
                self.fault_ended[i] = true;
            }
        }
    }

    /// Carries out one action (the drain check is the run loop's own).
    fn dispatch(&mut self, action: Action) {
        match action {
            Action::Arrive { node, input, incarnation } => self.arrive(node, input, incarnation),
            Action::Handle { node, incarnation, input } => {
                let runtime = &self.runtime[node as usize];
                if incarnation != runtime.incarnation {
                    if let Some(fault) = runtime.last_crash {
                        self.fault_effects[fault].lost += 1;
                    }
                } else if let Some(fault) = runtime.paused_by {
                    self.fault_effects[fault].deferred += 1;
                    self.runtime[node as usize].deferred.push_back(Action::Handle { node, incarnation, input });
                } else {
                    self.handle(node, input);
                }
            }
            Action::FaultStart(i) => {
                if !self.fault_ended[i] {
                    self.fault_started[i] = true;
                    self.fault_start(i);
                }
            }
            Action::FaultEnd(i) => self.fault_end(i),
            Action::Backup(i) => {
                if let Some(&node) = self.faults[i].nodes.first()
                    && let AnyNode::Store(store) = &self.world.nodes[node as usize]
                {
                    self.backups[i] = Some(store.backup());
                }
            }
            Action::ConnectionTimeout { from, to, episode } => self.connection_timeout(from, to, episode),
            Action::HealAll => self.heal_all(),
            Action::Sample => {
                timeseries::sample(&self.world, self.now_us, &mut self.samples);
                let interval = self.scenario.run.sample_interval_s * US_PER_S;
                self.schedule(self.now_us + interval, Action::Sample);
            }
            Action::DrainCheck => {}
        }
    }

    /// Runs the workload phase, then the drain phase, and returns what happened.
    pub fn run(mut self) -> Outcome {
        let workload_end_us = self.scenario.run.duration_s * US_PER_S;
        let drain_deadline_us = drain_deadline_us(self.scenario);
        for i in 0..self.faults.len() {
            let fault = &self.faults[i];
            if fault.kind() == FaultKind::Restore {
                let age = fault.spec.backup_age.map_or(0, |a| a.us());
                self.schedule(fault.start_us.saturating_sub(age), Action::Backup(i));
            }
        }
        for node in 0..self.world.layout.count() {
            self.schedule(0, Action::Arrive { node, input: Input::Start, incarnation: Some(0) });
        }
        for i in 0..self.faults.len() {
            self.schedule(self.faults[i].start_us, Action::FaultStart(i));
        }
        self.schedule(workload_end_us, Action::HealAll);
        self.schedule(0, Action::Sample);
        self.schedule(workload_end_us, Action::DrainCheck);
        while let Some((at_us, action)) = self.queue.pop() {
            debug_assert!(at_us >= self.now_us, "simulated time never goes backwards");
            self.now_us = at_us;
            self.events += 1;
            if let Action::DrainCheck = action {
                if self.world.backlog() == 0 {
                    self.drained_at_us = Some(self.now_us);
                    break;
                }
                if self.now_us >= drain_deadline_us {
                    break;
                }
                let next = (self.now_us + DRAIN_CHECK_INTERVAL_US).min(drain_deadline_us);
                self.schedule(next, Action::DrainCheck);
                continue;
            }
            self.dispatch(action);
        }

        let faults = crate::faults::reports(&self.faults, &self.fault_effects, workload_end_us);
        Outcome {
            busy_us: self.runtime.iter().map(|r| r.busy_us).collect(),
            world: self.world,
            history: self.history,
            events: self.events,
            messages: self.network.messages,
            bytes: self.network.bytes,
            end_us: self.now_us,
            workload_end_us,
            drained_at_us: self.drained_at_us,
            faults,
            swarm: self.swarm,
            samples: self.samples,
        }
    }
}

/// When the drain phase gives up: `run.drain_bound_s` after the workload, and
/// one batch interval more for a legacy batch (it catches up only at its next pull).
pub fn drain_deadline_us(scenario: &Scenario) -> Micros {
    let batch_s = if scenario.design.pipeline == scenarios::Pipeline::LegacyBatch { scenario.design.batch_interval_s } else { 0 };
    (scenario.run.duration_s + scenario.run.drain_bound_s + batch_s) * US_PER_S
}

/// Workers of a node, from the scenario's `[workers]`.
fn workers(scenario: &Scenario, world: &World, id: NodeId) -> u32 {
    let w = &scenario.workers;
    match world.layout.role(id) {
        Role::Store(_) => w.store,
        Role::Relay(_) => w.relay,
        Role::Broker => w.broker,
        Role::Central => w.central,
        Role::Customers => w.customers,
        Role::Consumer(_) | Role::Mirror(_) => w.consumer,
        Role::StoreBroker(_) => w.broker,
    }
    .max(1)
}
