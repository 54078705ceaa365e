//! The `des` engine: a deterministic discrete-event loop over the system's nodes.
//!
//! One queue ordered by `(time, sequence)`; simulated time in microseconds.
//! A message or timer *arrives* at a node, waits for a free worker, takes its
//! operation's service time, then is *handled*: the node's effects become
//! deliveries (through [`NetworkModel`]), timers and history records. After
//! the workload phase the engine checks once a simulated second whether the
//! pipeline has drained, and stops when it has or when the drain bound passes.

use crate::network::NetworkModel;
use rand_chacha::ChaCha8Rng;
use scenarios::{Distribution, Scenario};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use system::history::Record;
use system::message::NodeId;
use system::node::{Ctx, Effects, Input, Node, Op};
use system::rng::stream;
use system::world::World;
use system::{Micros, US_PER_S};

/// How often the drain phase looks at the pipeline.
pub const DRAIN_CHECK_INTERVAL_US: Micros = US_PER_S;

/// What the engine does at a point in time.
#[derive(Debug)]
enum Action {
    /// An input reaches a node and queues for a worker.
    Arrive { node: NodeId, input: Input },
    /// A worker finished serving the input: the node handles it now.
    Handle { node: NodeId, incarnation: u32, input: Input },
    /// Drain phase: is the pipeline empty?
    DrainCheck,
}

#[derive(Debug)]
struct Scheduled {
    at_us: Micros,
    seq: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at_us, self.seq) == (other.at_us, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at_us, self.seq).cmp(&(other.at_us, other.seq))
    }
}

/// The engine's view of one node: its workers, incarnation and service stream.
#[derive(Debug)]
struct Runtime {
    workers_free_at_us: Vec<Micros>,
    /// Bumped by a crash: work scheduled for an older incarnation is dropped.
    incarnation: u32,
    busy_us: Micros,
    service_rng: ChaCha8Rng,
}

/// What a finished run leaves behind.
#[derive(Debug)]
pub struct Outcome {
    pub world: World,
    pub history: Vec<Record>,
    /// Engine events processed (arrivals, handlings and drain checks).
    pub events: u64,
    pub messages: u64,
    /// When the run stopped.
    pub end_us: Micros,
    /// When the workload stopped.
    pub workload_end_us: Micros,
    /// When the drain phase found the pipeline empty, if it did within the bound.
    pub drained_at_us: Option<Micros>,
    /// Service time spent per node.
    pub busy_us: Vec<Micros>,
}

/// The discrete-event engine for one run.
pub struct Engine<'a> {
    scenario: &'a Scenario,
    world: World,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    now_us: Micros,
    runtime: Vec<Runtime>,
    network: NetworkModel,
    history: Vec<Record>,
    effects: Effects,
    events: u64,
    drained_at_us: Option<Micros>,
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64) -> Self {
        let world = World::new(scenario, seed);
        let layout = world.layout;
        let runtime = (0..layout.count())
            .map(|id| Runtime {
                workers_free_at_us: vec![0; workers(scenario, &world, id) as usize],
                incarnation: 0,
                busy_us: 0,
                service_rng: stream(seed, &format!("service/{}", layout.name(id))),
            })
            .collect();
        Engine {
            scenario,
            network: NetworkModel::new(seed, layout, scenario.network.clone()),
            world,
            queue: BinaryHeap::new(),
            seq: 0,
            now_us: 0,
            runtime,
            history: Vec::new(),
            effects: Effects::default(),
            events: 0,
            drained_at_us: None,
        }
    }

    fn schedule(&mut self, at_us: Micros, action: Action) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { at_us, seq: self.seq, action }));
    }

    fn service_distribution(&self, op: Op) -> Option<&Distribution> {
        let s = &self.scenario.service;
        match op {
            Op::Free => None,
            Op::StoreCommit => Some(&s.store_commit),
            Op::RelayRead => Some(&s.relay_read),
            Op::BrokerAppend => Some(&s.broker_append),
            Op::BrokerFetch => Some(&s.broker_fetch),
            Op::ConsumerDecode => Some(&s.consumer_decode),
            Op::CentralApply => Some(&s.central_apply),
            Op::CentralRead => Some(&s.central_read),
        }
    }

    /// Queues `input` for a worker of `node`; handles it at once when one is free and the work is free.
    fn arrive(&mut self, node: NodeId, input: Input) {
        let (op, units) = self.world.nodes[node as usize].cost(&input);
        let distribution = self.service_distribution(op).copied();
        let now = self.now_us;
        let runtime = &mut self.runtime[node as usize];
        let service_us = distribution.map_or(0, |d| d.sample_us(&mut runtime.service_rng) * u64::from(units));
        let (worker, free_at) =
            runtime.workers_free_at_us.iter().copied().enumerate().min_by_key(|&(_, t)| t).expect("every node has a worker");
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
        let mut effects = std::mem::take(&mut self.effects);
        effects.clear();
        let mut ctx = Ctx::new(self.now_us, node, &mut effects);
        self.world.nodes[node as usize].handle(&mut ctx, input);
        for mut record in effects.records.drain(..) {
            record.t_us = self.now_us;
            record.node = node;
            self.history.push(record);
        }
        for (at_us, timer) in effects.timers.drain(..) {
            self.schedule(at_us, Action::Arrive { node, input: Input::Timer(timer) });
        }
        for (to, msg) in effects.sends.drain(..) {
            let at_us = self.network.delivery_time(self.now_us, node, to);
            self.schedule(at_us, Action::Arrive { node: to, input: Input::Message { from: node, msg } });
        }
        self.effects = effects;
    }

    /// Runs the workload phase, then the drain phase, and returns what happened.
    pub fn run(mut self) -> Outcome {
        let workload_end_us = self.scenario.run.duration_s * US_PER_S;
        let drain_deadline_us = workload_end_us + self.scenario.run.drain_bound_s * US_PER_S;
        for node in 0..self.world.layout.count() {
            self.schedule(0, Action::Arrive { node, input: Input::Start });
        }
        self.schedule(workload_end_us, Action::DrainCheck);
        while let Some(Reverse(Scheduled { at_us, action, .. })) = self.queue.pop() {
            debug_assert!(at_us >= self.now_us, "simulated time never goes backwards");
            self.now_us = at_us;
            self.events += 1;
            match action {
                Action::Arrive { node, input } => self.arrive(node, input),
                Action::Handle { node, incarnation, input } => {
                    if incarnation == self.runtime[node as usize].incarnation {
                        self.handle(node, input);
                    }
                }
                Action::DrainCheck => {
                    if self.world.backlog() == 0 {
                        self.drained_at_us = Some(self.now_us);
                        break;
                    }
                    if self.now_us >= drain_deadline_us {
                        break;
                    }
                    let next = (self.now_us + DRAIN_CHECK_INTERVAL_US).min(drain_deadline_us);
                    self.schedule(next, Action::DrainCheck);
                }
            }
        }
        Outcome {
            busy_us: self.runtime.iter().map(|r| r.busy_us).collect(),
            world: self.world,
            history: self.history,
            events: self.events,
            messages: self.network.messages,
            end_us: self.now_us,
            workload_end_us,
            drained_at_us: self.drained_at_us,
        }
    }
}

/// Workers of a node, from the scenario's `[workers]`.
fn workers(scenario: &Scenario, world: &World, id: NodeId) -> u32 {
    use system::layout::Role;
    let w = &scenario.workers;
    match world.layout.role(id) {
        Role::Store(_) => w.store,
        Role::Relay(_) => w.relay,
        Role::Broker => w.broker,
        Role::Central => w.central,
        Role::Customers => w.customers,
        Role::Consumer(_) => w.consumer,
    }
    .max(1)
}
