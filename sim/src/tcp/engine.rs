//! The turmoil simulation of one run: every node a host, the fault schedule
//! mapped onto turmoil's own faults, then the drain phase.
//!
//! Mapping: a partition holds the link (`hold`, like TCP retransmitting) and,
//! once it outlasts `network.connection_timeout_s`, drops what is held
//! (`partition`) and resets every connection across it (both ends learn);
//! a one-way partition drops from its start (`partition_oneway`: turmoil
//! cannot hold one way); a crash is `crash`, its restart `bounce`; a restore
//! also swaps the store's DB for the backup while the host is down; a pause
//! holds every link of the node (its timers still run); a latency spike
//! scales the link latency; clock skew offsets the node's clock. Duplication,
//! reordering and clock drift have no turmoil counterpart and are refused.
//!
//! Link latency is fixed per link at its class's median (turmoil samples no
//! distribution; the WAN's is the default, the others are set per pair),
//! delivery happens at 1 ms ticks, and nodes take no service
//! time: a node handles an input when it arrives.

use crate::des::{DRAIN_CHECK_INTERVAL_US, Outcome};
use crate::faults::{FaultEffect, Origin, PlannedFault};
use crate::swarm;
use crate::tcp::hosts::HostPlan;
use crate::tcp::net::TurmoilNet;
use crate::tcp::shell::{self, Inbound, Shared, Stats};
use crate::timeseries;
use scenarios::{Distribution, FaultKind, Scenario};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use system::history::{ENGINE, Kind, Record};
use system::layout::LinkClass;
use system::message::NodeId;
use system::node::Node;
use system::store::StoreDb;
use system::world::{AnyNode, World};
use system::{Micros, US_PER_S};

/// turmoil's tick: message delivery and host scheduling happen at these steps.
pub const TICK: Duration = Duration::from_millis(1);
/// Most nodes a turmoil run takes: each listens on its own port.
pub const NODES_MAX: u32 = 50_000;

/// Why the turmoil engine cannot run `scenario`, if it cannot: a fault it cannot express, or too many nodes.
pub fn unsupported(scenario: &Scenario) -> Option<String> {
    let nodes = crate::history::layout(scenario).count();
    if nodes > NODES_MAX {
        return Some(format!("the turmoil engine runs at most {NODES_MAX} nodes (one port each); this chain has {nodes}"));
    }
    let cannot = |kind: FaultKind| matches!(kind, FaultKind::Duplicate | FaultKind::Reorder);
    for (i, fault) in scenario.fault.iter().enumerate() {
        if cannot(fault.kind) {
            return Some(format!(
                "fault[{i}]: the turmoil engine cannot express a {} fault (its TCP neither duplicates nor reorders)",
                fault.kind.as_str()
            ));
        }
        if fault.kind == FaultKind::ClockSkew && fault.drift_ppm.is_some_and(|d| d != 0.0) {
            return Some(format!("fault[{i}]: the turmoil engine expresses clock skew as an offset only, not a drift"));
        }
    }
    if scenario.faults.swarm {
        // Swarm mode draws clock skew with a drift.
        let drawn = if scenario.faults.kinds.is_empty() { &swarm::DEFAULT_KINDS[..] } else { &scenario.faults.kinds[..] };
        let kinds: Vec<&str> = drawn.iter().filter(|&&k| cannot(k) || k == FaultKind::ClockSkew).map(|k| k.as_str()).collect();
        if !kinds.is_empty() {
            return Some(format!(
                "swarm mode may draw {}, which the turmoil engine cannot express (duplication, reordering, clock drift): set faults.kinds to partition, crash, restore, pause or latency_spike",
                kinds.join(", ")
            ));
        }
    }
    None
}

/// One thing the engine does at a point in simulated time.
#[derive(Debug, Clone, Copy)]
enum Event {
    FaultStart(usize),
    FaultEnd(usize),
    /// A partition outlasted the connection timeout: what it held is lost.
    Reset(usize),
    Backup(usize),
    Sample,
    HealAll,
    DrainCheck,
}

/// A link class's one-way latency: its distribution's median.
fn median(distribution: &Distribution) -> Duration {
    Duration::from_micros((distribution.median_ms().max(0.0) * 1000.0).round() as u64)
}

struct Run<'s> {
    scenario: &'s Scenario,
    sim: turmoil::Sim<'s>,
    shared: Rc<Shared>,
    plan: HostPlan,
    faults: Vec<PlannedFault>,
    effects: Vec<FaultEffect>,
    started: Vec<bool>,
    ended: Vec<bool>,
    reset: Vec<bool>,
    backups: Vec<Option<StoreDb>>,
    events: BTreeMap<(Micros, u64), Event>,
    seq: u64,
    samples: Vec<timeseries::Sample>,
    drained_at_us: Option<Micros>,
}

/// Runs `scenario` with `seed` on turmoil. The scenario must pass [`unsupported`].
pub fn run(scenario: &Scenario, seed: u64) -> Result<Outcome, String> {
    if let Some(why) = unsupported(scenario) {
        return Err(why);
    }
    let world = World::new(scenario, seed);
    let layout = world.layout;
    let count = layout.count();
    let swarm = scenario.faults.swarm.then(|| swarm::draw(scenario, seed));
    let mut faults: Vec<PlannedFault> = scenario.fault.iter().map(|spec| PlannedFault::new(spec.clone(), Origin::Explicit, &layout)).collect();
    if let Some(draw) = &swarm {
        faults.extend(draw.faults.iter().map(|spec| PlannedFault::new(spec.clone(), Origin::Swarm, &layout)));
    }
    let plan = HostPlan::new(&layout, &faults);
    let shared = Rc::new(Shared {
        world: RefCell::new(world),
        history: RefCell::new(Vec::new()),
        clock_offsets_us: RefCell::new(vec![0; count as usize]),
        inboxes: RefCell::new(vec![None; count as usize]),
        stats: Cell::new(Stats::default()),
        hosts: (0..count).map(|id| plan.host_name(id).to_string()).collect(),
        connect_timeout: Duration::from_secs(scenario.network.connection_timeout_s),
    });
    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(seed)
        .epoch(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .simulation_duration(Duration::from_secs(u64::MAX / 4_000_000))
        .tick_duration(TICK)
        .min_message_latency(median(&scenario.network.wan))
        .max_message_latency(median(&scenario.network.wan))
        .tcp_capacity(4096);
    let mut sim = builder.build();
    for (name, members) in &plan.hosts {
        let (shared, members) = (shared.clone(), members.clone());
        sim.host(name.as_str(), move || {
            let (shared, members) = (shared.clone(), members.clone());
            async move {
                for &id in &members[1..] {
                    tokio::task::spawn_local(shell::run::<TurmoilNet>(id, shared.clone()));
                }
                shell::run::<TurmoilNet>(members[0], shared).await
            }
        });
    }
    let n = faults.len();
    let run = Run {
        scenario,
        sim,
        shared,
        plan,
        faults,
        effects: vec![FaultEffect::default(); n],
        started: vec![false; n],
        ended: vec![false; n],
        reset: vec![false; n],
        backups: vec![None; n],
        events: BTreeMap::new(),
        seq: 0,
        samples: Vec::new(),
        drained_at_us: None,
    };
    // Links are configured only where they differ from the WAN default.
    let hosts = run.plan.hosts.len();
    for a in 0..hosts {
        for b in a + 1..hosts {
            let (x, y) = (run.plan.hosts[a].1[0], run.plan.hosts[b].1[0]);
            if run.local_pair(x, y) {
                run.set_base_latency(x, y);
            }
        }
    }
    let outcome = run.drive()?;
    Ok(Outcome { swarm, ..outcome })
}

impl<'s> Run<'s> {
    fn at(&mut self, at_us: Micros, event: Event) {
        self.seq += 1;
        self.events.insert((at_us, self.seq), event);
    }

    fn now_us(&self) -> Micros {
        self.sim.elapsed().as_micros() as Micros
    }

    /// The host node `id` runs on.
    fn name(&self, id: NodeId) -> &str {
        self.plan.host_name(id)
    }

    fn record(&self, node: NodeId, record: Record) {
        let t_us = self.now_us();
        self.shared.history.borrow_mut().push(Record { t_us, node, ..record });
    }

    fn base_latency(&self, a: NodeId, b: NodeId) -> Duration {
        let network = &self.scenario.network;
        match self.shared.world.borrow().layout.link_class(a, b) {
            LinkClass::StoreLocal => median(&network.store_local),
            LinkClass::Wan => median(&network.wan),
            LinkClass::CentralLan => median(&network.central_lan),
        }
    }

    /// Whether `a` and `b` are on the same side of the WAN and may talk: one
    /// store's nodes, or two central-side nodes (every other pair that talks crosses the WAN).
    fn local_pair(&self, a: NodeId, b: NodeId) -> bool {
        let layout = self.shared.world.borrow().layout;
        match layout.link_class(a, b) {
            LinkClass::StoreLocal => layout.site(a) == layout.site(b),
            LinkClass::CentralLan => true,
            LinkClass::Wan => false,
        }
    }

    fn set_base_latency(&self, a: NodeId, b: NodeId) {
        let latency = self.base_latency(a, b);
        self.sim.set_link_latency(self.name(a), self.name(b), latency);
    }

    /// The (from, to) node pairs a link fault cuts, each unordered pair once for a two-way fault.
    fn pairs(&self, i: usize) -> Vec<(NodeId, NodeId)> {
        let fault = &self.faults[i];
        let count = self.plan.host_of.len() as NodeId;
        let mut pairs = Vec::new();
        for a in 0..count {
            for b in 0..count {
                let twice = !fault.spec.one_way && a > b && fault.crosses(b, a);
                if a != b && fault.crosses(a, b) && !twice {
                    pairs.push((a, b));
                }
            }
        }
        pairs
    }

    /// The same cut between hosts: one representative node pair per pair of hosts.
    fn host_pairs(&self, i: usize) -> Vec<(NodeId, NodeId)> {
        let mut seen = std::collections::BTreeSet::new();
        self.pairs(i).into_iter().filter(|&(a, b)| seen.insert((self.plan.host_of[a as usize], self.plan.host_of[b as usize]))).collect()
    }

    /// Every host but `node`'s, by a representative node.
    fn other_hosts(&self, node: NodeId) -> Vec<NodeId> {
        let own = self.plan.host_of[node as usize];
        self.plan.hosts.iter().enumerate().filter(|&(h, _)| h != own).map(|(_, (_, members))| members[0]).collect()
    }

    fn drive(mut self) -> Result<Outcome, String> {
        let run = &self.scenario.run;
        let workload_end_us = run.duration_s * US_PER_S;
        let drain_deadline_us = crate::des::drain_deadline_us(self.scenario);
        let timeout_us = self.scenario.network.connection_timeout_s * US_PER_S;
        for i in 0..self.faults.len() {
            let (start, end, kind) = (self.faults[i].start_us, self.faults[i].end_us, self.faults[i].kind());
            self.at(start, Event::FaultStart(i));
            if let Some(end) = end {
                self.at(end, Event::FaultEnd(i));
            }
            if kind == FaultKind::Partition && end.is_none_or(|end| end > start + timeout_us) {
                self.at(start + timeout_us, Event::Reset(i));
            }
            if kind == FaultKind::Restore {
                let age = self.faults[i].spec.backup_age.map_or(0, |a| a.us());
                self.at(start.saturating_sub(age), Event::Backup(i));
            }
        }
        self.at(0, Event::Sample);
        self.at(workload_end_us, Event::HealAll);
        self.at(workload_end_us, Event::DrainCheck);
        'run: loop {
            let now = self.now_us();
            while let Some((&(at, seq), &event)) = self.events.first_key_value() {
                if at > now {
                    break;
                }
                self.events.remove(&(at, seq));
                if let Event::DrainCheck = event {
                    if self.shared.world.borrow().backlog() == 0 {
                        self.drained_at_us = Some(now);
                        break 'run;
                    }
                    if now >= drain_deadline_us {
                        break 'run;
                    }
                    self.at((now + DRAIN_CHECK_INTERVAL_US).min(drain_deadline_us), Event::DrainCheck);
                    continue;
                }
                self.dispatch(event);
            }
            self.sim.step().map_err(|e| format!("turmoil: {e}"))?;
        }
        let end_us = self.now_us();
        let reports = crate::faults::reports(&self.faults, &self.effects, workload_end_us);
        let Run { sim, shared, samples, drained_at_us, .. } = self;
        drop(sim);
        let shared = Rc::try_unwrap(shared).map_err(|_| "a host still holds the shared state".to_string())?;
        let stats = shared.stats.get();
        let count = shared.hosts.len();
        let mut history = shared.history.into_inner();
        // Hosts run one after another within a tick: put each tick's records in time order.
        history.sort_by_key(|r| r.t_us);
        let world = shared.world.into_inner();
        Ok(Outcome {
            history: crate::recorded::History::of(&world.layout, history),
            world,
            events: stats.inputs,
            messages: stats.messages,
            bytes: stats.bytes,
            end_us,
            workload_end_us,
            drained_at_us,
            busy_us: vec![0; count],
            faults: reports,
            swarm: None,
            samples,
        })
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::FaultStart(i) if !self.ended[i] => {
                self.started[i] = true;
                self.fault_start(i);
            }
            Event::FaultStart(_) | Event::DrainCheck => {}
            Event::FaultEnd(i) => self.fault_end(i),
            Event::Reset(i) => self.reset_partition(i),
            Event::Backup(i) => {
                if let Some(&node) = self.faults[i].nodes.first()
                    && let AnyNode::Store(store) = &self.shared.world.borrow().nodes[node as usize]
                {
                    self.backups[i] = Some(store.backup());
                }
            }
            Event::Sample => {
                let now = self.now_us();
                timeseries::sample(&self.shared.world.borrow(), now, &mut self.samples);
                self.at(now + self.scenario.run.sample_interval_s * US_PER_S, Event::Sample);
            }
            Event::HealAll => {
                for i in 0..self.faults.len() {
                    if self.started[i] {
                        self.fault_end(i);
                    } else {
                        self.ended[i] = true;
                    }
                }
            }
        }
    }

    /// Crashes node `node`: its host (which holds only nodes this fault crashes too) and its volatile state.
    fn crash(&mut self, node: NodeId, i: usize) {
        let name = self.name(node).to_string();
        if self.sim.is_host_running(name.as_str()) {
            self.sim.crash(name.as_str());
        } else if self.shared.inboxes.borrow()[node as usize].is_none() {
            return;
        }
        self.shared.inboxes.borrow_mut()[node as usize] = None;
        let now = self.now_us();
        self.shared.world.borrow_mut().nodes[node as usize].crash(now);
        self.effects[i].lost += 1;
        self.record(node, Record::event(Kind::Crash, self.faults[i].description.clone()));
    }

    fn fault_start(&mut self, i: usize) {
        let fault = self.faults[i].clone();
        self.record(ENGINE, Record::event(Kind::FaultStart, fault.description.clone()));
        match fault.kind() {
            FaultKind::Partition => {
                for (a, b) in self.host_pairs(i) {
                    if fault.spec.one_way {
                        self.sim.partition_oneway(self.name(a), self.name(b));
                    } else {
                        self.sim.hold(self.name(a), self.name(b));
                    }
                    self.effects[i].held += 1;
                }
            }
            FaultKind::LatencySpike => {
                let factor = fault.spec.factor.unwrap_or(1.0);
                for (a, b) in self.host_pairs(i) {
                    let spiked = self.base_latency(a, b).mul_f64(factor);
                    self.sim.set_link_latency(self.name(a), self.name(b), spiked);
                    self.effects[i].delayed += 1;
                }
            }
            FaultKind::Crash => {
                for &node in &fault.nodes {
                    self.crash(node, i);
                }
            }
            FaultKind::Restore => {
                for &node in &fault.nodes {
                    self.crash(node, i);
                    let restored = crate::faults::restore_store(&mut self.shared.world.borrow_mut(), node, self.backups[i].take(), &fault.spec);
                    if let Some(record) = restored {
                        self.record(node, record);
                    }
                }
            }
            FaultKind::Pause => {
                for &node in &fault.nodes {
                    for other in self.other_hosts(node) {
                        self.sim.hold(self.name(node), self.name(other));
                    }
                    self.effects[i].deferred += 1;
                }
            }
            FaultKind::ClockSkew => {
                for &node in &fault.nodes {
                    self.shared.clock_offsets_us.borrow_mut()[node as usize] = fault.spec.offset.map_or(0, |o| o.0);
                    self.effects[i].skewed += 1;
                }
            }
            FaultKind::Duplicate | FaultKind::Reorder => unreachable!("refused by `unsupported`"),
        }
    }

    /// The partition outlasted the connection timeout: what it held is lost and both ends reset.
    fn reset_partition(&mut self, i: usize) {
        if self.ended[i] || !self.started[i] {
            return;
        }
        self.reset[i] = true;
        if !self.faults[i].spec.one_way {
            for (a, b) in self.host_pairs(i) {
                self.sim.partition(self.name(a), self.name(b));
            }
        }
        for (a, b) in self.pairs(i) {
            self.shared.tell(a, Inbound::Reset { peer: b });
            self.shared.tell(b, Inbound::Reset { peer: a });
            self.effects[i].resets += 2;
        }
    }

    fn fault_end(&mut self, i: usize) {
        if std::mem::replace(&mut self.ended[i], true) {
            return;
        }
        let fault = self.faults[i].clone();
        self.record(ENGINE, Record::event(Kind::FaultEnd, fault.description.clone()));
        match fault.kind() {
            FaultKind::Partition => {
                for (a, b) in self.host_pairs(i) {
                    if fault.spec.one_way {
                        self.sim.repair_oneway(self.name(a), self.name(b));
                    } else {
                        if self.reset[i] {
                            self.sim.repair(self.name(a), self.name(b));
                        }
                        self.sim.release(self.name(a), self.name(b));
                    }
                }
            }
            FaultKind::LatencySpike => {
                for (a, b) in self.host_pairs(i) {
                    self.set_base_latency(a, b);
                }
            }
            FaultKind::Crash | FaultKind::Restore => {
                for &node in &fault.nodes {
                    let name = self.name(node).to_string();
                    if !self.sim.is_host_running(name.as_str()) {
                        self.sim.bounce(name.as_str());
                    }
                    self.record(node, Record::event(Kind::Restart, ""));
                }
            }
            FaultKind::Pause => {
                for &node in &fault.nodes {
                    for other in self.other_hosts(node) {
                        self.sim.release(self.name(node), self.name(other));
                    }
                }
            }
            FaultKind::ClockSkew => {
                for &node in &fault.nodes {
                    self.shared.clock_offsets_us.borrow_mut()[node as usize] = 0;
                }
            }
            FaultKind::Duplicate | FaultKind::Reorder => {}
        }
    }
}
