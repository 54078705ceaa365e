//! Fault plans: the scenario's `[[fault]]` list (and swarm draws) resolved
//! against the chain's node ids, and what each fault did.

use scenarios::names::NodeName;
use scenarios::{FaultKind, FaultSpec, Span};
use serde::{Deserialize, Serialize};
use system::Micros;
use system::history::{Kind, Record};
use system::layout::{Layout, Role};
use system::message::NodeId;
use system::store::StoreDb;
use system::world::World;

/// A restore fault on `node` (already crashed): a store's DB becomes `backup`.
/// Returns the `restore` record to write, or `None` when `node` is no store or no backup was taken.
pub fn restore_store(world: &mut World, node: NodeId, backup: Option<StoreDb>, spec: &FaultSpec) -> Option<Record> {
    let (Role::Store(index), Some(backup)) = (world.layout.role(node), backup) else { return None };
    world.store_mut(index).restore(backup);
    let age = spec.backup_age.map(|a| a.to_string()).unwrap_or_default();
    Some(Record { store: Some(index), ..Record::event(Kind::Restore, format!("backup {age} old")) })
}

/// Where a fault came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written in the scenario's `[[fault]]` list.
    Explicit,
    /// Drawn by swarm mode from the seed.
    Swarm,
}

/// A fault ready for the engine.
#[derive(Debug, Clone)]
pub struct PlannedFault {
    pub spec: FaultSpec,
    pub origin: Origin,
    pub start_us: Micros,
    /// When it heals (link faults, pause, clock skew) or the node restarts (crash, restore).
    pub end_us: Option<Micros>,
    /// Link faults: membership of the two groups, indexed by node id.
    pub side_a: Vec<bool>,
    pub side_b: Vec<bool>,
    /// Node faults: the nodes it hits.
    pub nodes: Vec<NodeId>,
    /// One line that says what and where, e.g. `partition store-3 | central-side`.
    pub description: String,
}

/// Default down time of a crash or restore without `restart_after`.
pub const RESTART_AFTER_DEFAULT: Span = Span::from_s(10);

impl PlannedFault {
    /// Resolves `spec` against `layout`. The scenario loader has already checked names and fields.
    pub fn new(spec: FaultSpec, origin: Origin, layout: &Layout) -> PlannedFault {
        let count = layout.count() as usize;
        let members = |name: &str, site: bool| -> Vec<NodeId> { NodeName::parse(name).map(|n| layout.resolve(n, site)).unwrap_or_default() };
        let as_set = |ids: &[NodeId]| {
            let mut set = vec![false; count];
            for &id in ids {
                set[id as usize] = true;
            }
            set
        };
        let start_us = spec.at.us();
        let (mut side_a, mut side_b, mut nodes) = (vec![false; count], vec![false; count], Vec::new());
        if let [a, b] = spec.between.as_slice() {
            side_a = as_set(&members(a, true));
            side_b = as_set(&members(b, true));
        }
        if let Some(node) = &spec.node {
            nodes = members(node, false);
        }
        let end_us = match spec.kind {
            FaultKind::Crash | FaultKind::Restore => Some(start_us + spec.restart_after.unwrap_or(RESTART_AFTER_DEFAULT).us()),
            _ => spec.duration.map(|d| start_us + d.us()),
        };
        let description = describe(&spec);
        PlannedFault { spec, origin, start_us, end_us, side_a, side_b, nodes, description }
    }

    pub fn kind(&self) -> FaultKind {
        self.spec.kind
    }

    /// Whether a message from `from` to `to` crosses this (link) fault.
    pub fn crosses(&self, from: NodeId, to: NodeId) -> bool {
        let (from, to) = (from as usize, to as usize);
        (self.side_a[from] && self.side_b[to]) || (!self.spec.one_way && self.side_a[to] && self.side_b[from])
    }

    pub fn is_link_fault(&self) -> bool {
        matches!(self.kind(), FaultKind::Partition | FaultKind::LatencySpike | FaultKind::Duplicate | FaultKind::Reorder)
    }
}

/// One line for a fault: `partition store-3 | central-side (one way)`, `crash relay-2`.
pub fn describe(spec: &FaultSpec) -> String {
    let mut text = spec.kind.as_str().to_string();
    if let [a, b] = spec.between.as_slice() {
        text.push_str(&format!(" {a} {} {b}", if spec.one_way { "->" } else { "|" }));
    }
    if let Some(node) = &spec.node {
        text.push_str(&format!(" {node}"));
    }
    if let Some(factor) = spec.factor {
        text.push_str(&format!(" x{factor}"));
    }
    if let Some(p) = spec.probability {
        text.push_str(&format!(" p={p}"));
    }
    if let Some(jitter) = spec.jitter {
        text.push_str(&format!(" jitter {jitter}"));
    }
    if let Some(age) = spec.backup_age {
        text.push_str(&format!(" backup {age} old"));
    }
    if let Some(offset) = spec.offset {
        text.push_str(&format!(" offset {offset}"));
    }
    if let Some(ppm) = spec.drift_ppm {
        text.push_str(&format!(" drift {ppm}ppm"));
    }
    text
}

/// What one fault did: a fault that touched nothing tested nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultEffect {
    /// Messages that tried to cross it.
    pub crossed: u64,
    /// Messages held by a partition (TCP retransmits).
    pub held: u64,
    /// Messages lost: a connection reset, or sent to a node that was down.
    pub dropped: u64,
    /// Messages slowed by a latency spike.
    pub delayed: u64,
    pub duplicated: u64,
    /// Messages that overtook an earlier one on their link.
    pub reordered: u64,
    /// Inputs that waited for a paused node.
    pub deferred: u64,
    /// Work lost in a crash: inputs queued at the node, timers, broker records.
    pub lost: u64,
    /// Connection resets the senders learned of.
    pub resets: u64,
    /// Inputs a node handled with a skewed clock.
    pub skewed: u64,
}

impl FaultEffect {
    pub fn any(&self) -> bool {
        self.held + self.dropped + self.delayed + self.duplicated + self.reordered + self.deferred + self.lost + self.resets + self.skewed > 0
    }
}

/// A fault as `summary.json` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    pub index: usize,
    pub kind: FaultKind,
    pub origin: Origin,
    pub description: String,
    pub start_s: f64,
    pub end_s: Option<f64>,
    pub effect: FaultEffect,
    /// Whether it changed anything (see `effect`).
    pub mattered: bool,
}

/// The report of each fault, with what it did; a fault's end is cut at the end of the workload (every fault heals then).
pub fn reports(faults: &[PlannedFault], effects: &[FaultEffect], workload_end_us: Micros) -> Vec<FaultReport> {
    const US_PER_S: f64 = 1e6;
    faults
        .iter()
        .zip(effects)
        .enumerate()
        .map(|(index, (fault, effect))| FaultReport {
            index,
            kind: fault.kind(),
            origin: fault.origin,
            description: fault.description.clone(),
            start_s: fault.start_us as f64 / US_PER_S,
            end_s: fault.end_us.map(|t| t.min(workload_end_us) as f64 / US_PER_S),
            effect: effect.clone(),
            mattered: effect.any(),
        })
        .collect()
}
