//! The sequencer of the synchronous multi-master baseline (Galera-like), run by central.
//!
//! A store's transaction is certified only once every other member of the
//! primary component has applied its writeset: commit waits for the slowest
//! member's round trip. A member that does not answer within the suspect
//! timeout leaves the primary component (told `NotPrimary`), and the
//! certification completes without it; a member outside it has its writes
//! refused until it joins again. Central applies a writeset to its view when
//! it is certified. All of this is volatile.

use crate::Micros;
use crate::message::{Msg, NodeId, StockEvent};
use crate::node::{Ctx, Timer};
use std::collections::{BTreeMap, BTreeSet};

/// A writeset waiting for the other members.
#[derive(Debug, Clone)]
struct Pending {
    events: Vec<StockEvent>,
    awaiting: BTreeSet<NodeId>,
}

/// The certifier.
#[derive(Debug, Clone)]
pub struct Certifier {
    members: Vec<NodeId>,
    suspect_timeout_us: Micros,
    /// Members outside the primary component.
    outside: BTreeSet<NodeId>,
    pending: BTreeMap<(NodeId, u64), Pending>,
    /// The last transaction certified for each origin.
    certified_through: BTreeMap<NodeId, u64>,
}

/// One timer key for (origin, txn).
fn key(origin: NodeId, txn: u64) -> u64 {
    (u64::from(origin) << 40) | (txn & ((1 << 40) - 1))
}

impl Certifier {
    pub fn new(members: Vec<NodeId>, suspect_timeout_us: Micros) -> Self {
        Certifier { members, suspect_timeout_us, outside: BTreeSet::new(), pending: BTreeMap::new(), certified_through: BTreeMap::new() }
    }

    /// `origin` asks to certify `txn`: returns the writesets certified at once (no other member to wait for).
    pub fn replicate(&mut self, ctx: &mut Ctx, origin: NodeId, txn: u64, events: Vec<StockEvent>) -> Option<Vec<StockEvent>> {
        if self.outside.contains(&origin) || !self.members.contains(&origin) {
            ctx.send(origin, Msg::NotPrimary);
            return None;
        }
        let awaiting: BTreeSet<NodeId> = self.members.iter().copied().filter(|&m| m != origin && !self.outside.contains(&m)).collect();
        for &member in &awaiting {
            ctx.send(member, Msg::Writeset { origin, txn, rows: events.len() as u32 });
        }
        if awaiting.is_empty() {
            self.certified_through.insert(origin, txn);
            ctx.send(origin, Msg::Certified { txn });
            return Some(events);
        }
        self.pending.insert((origin, txn), Pending { events, awaiting });
        ctx.set_timer_after(self.suspect_timeout_us, Timer::CertifyTimeout { txn: key(origin, txn) });
        None
    }

    fn certify(&mut self, ctx: &mut Ctx, origin: NodeId, txn: u64) -> Option<Vec<StockEvent>> {
        let pending = self.pending.remove(&(origin, txn))?;
        if self.outside.contains(&origin) {
            ctx.send(origin, Msg::NotPrimary);
            return None;
        }
        self.certified_through.insert(origin, txn);
        ctx.send(origin, Msg::Certified { txn });
        Some(pending.events)
    }

    /// `member` applied `origin`'s writeset: returns the writeset if that completed its certification.
    pub fn acknowledged(&mut self, ctx: &mut Ctx, member: NodeId, origin: NodeId, txn: u64) -> Option<Vec<StockEvent>> {
        let pending = self.pending.get_mut(&(origin, txn))?;
        pending.awaiting.remove(&member);
        if pending.awaiting.is_empty() { self.certify(ctx, origin, txn) } else { None }
    }

    /// The suspect timeout passed: members still silent leave the primary component.
    pub fn timed_out(&mut self, ctx: &mut Ctx, timer_key: u64) -> Option<Vec<StockEvent>> {
        let (origin, txn) = *self.pending.keys().find(|(o, t)| key(*o, *t) == timer_key)?;
        let silent: Vec<NodeId> = self.pending[&(origin, txn)].awaiting.iter().copied().collect();
        for member in silent {
            self.outside.insert(member);
            ctx.send(member, Msg::NotPrimary);
            // Writesets waiting for that member wait no longer.
            for pending in self.pending.values_mut() {
                pending.awaiting.remove(&member);
            }
        }
        self.certify(ctx, origin, txn)
    }

    /// A member outside asks to join again. The transaction it gave up on is
    /// withdrawn if it is still waiting (its writeset was sent before the
    /// join on the same connection, so it is here or already certified).
    pub fn join(&mut self, ctx: &mut Ctx, member: NodeId, abandoned: Option<u64>) {
        if let Some(txn) = abandoned {
            self.pending.remove(&(member, txn));
        }
        if self.members.contains(&member) {
            self.outside.remove(&member);
            ctx.send(member, Msg::Joined { certified_through: self.certified_through.get(&member).copied() });
        }
    }

    /// Central crashed: writesets waiting are gone (what was certified stays known).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}
