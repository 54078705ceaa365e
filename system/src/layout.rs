//! Node ids of one chain: which id is which node, its name and the links between them.
//!
//! Ids are dense (`0..count`) so engines index plain vectors by them:
//! stores, then relays, then broker, central, customers, then consumers, then
//! (with the per-store broker topology) each store's broker and each mirror.

use crate::message::NodeId;
use scenarios::names::NodeName;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Store(u32),
    Relay(u32),
    Broker,
    Central,
    Customers,
    Consumer(u32),
    /// The broker in store `i` (per-store broker topology).
    StoreBroker(u32),
    /// The mirror of store `i`'s broker to the central broker.
    Mirror(u32),
}

impl Role {
    /// The kind of node, as metrics group them: `store`, `relay`, `broker`, `store_broker`, `mirror`...
    pub const fn kind(self) -> &'static str {
        match self {
            Role::Store(_) => "store",
            Role::Relay(_) => "relay",
            Role::Broker => "broker",
            Role::Central => "central",
            Role::Customers => "customers",
            Role::Consumer(_) => "consumer",
            Role::StoreBroker(_) => "store_broker",
            Role::Mirror(_) => "mirror",
        }
    }
}

/// Which latency model a link uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkClass {
    /// Inside one store (store DB and its relay).
    StoreLocal,
    /// Between a store and the central side.
    Wan,
    /// Inside the central data centre.
    CentralLan,
}

/// The ids of one chain's nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub stores: u32,
    pub consumers: u32,
    /// Whether each store has its own broker and a mirror.
    pub mirrors: bool,
}

impl Layout {
    pub const fn store(&self, index: u32) -> NodeId {
        index
    }
    pub const fn relay(&self, index: u32) -> NodeId {
        self.stores + index
    }
    pub const fn broker(&self) -> NodeId {
        2 * self.stores
    }
    pub const fn central(&self) -> NodeId {
        2 * self.stores + 1
    }
    pub const fn customers(&self) -> NodeId {
        2 * self.stores + 2
    }
    pub const fn consumer(&self, index: u32) -> NodeId {
        2 * self.stores + 3 + index
    }
    pub const fn store_broker(&self, index: u32) -> NodeId {
        2 * self.stores + 3 + self.consumers + index
    }
    pub const fn mirror(&self, index: u32) -> NodeId {
        3 * self.stores + 3 + self.consumers + index
    }
    /// How many nodes the chain has.
    pub const fn count(&self) -> u32 {
        2 * self.stores + 3 + self.consumers + if self.mirrors { 2 * self.stores } else { 0 }
    }

    pub fn role(&self, id: NodeId) -> Role {
        let s = self.stores;
        match id {
            i if i < s => Role::Store(i),
            i if i < 2 * s => Role::Relay(i - s),
            i if i == 2 * s => Role::Broker,
            i if i == 2 * s + 1 => Role::Central,
            i if i == 2 * s + 2 => Role::Customers,
            i if i < 2 * s + 3 + self.consumers => Role::Consumer(i - 2 * s - 3),
            i if i < 3 * s + 3 + self.consumers => Role::StoreBroker(i - 2 * s - 3 - self.consumers),
            i => Role::Mirror(i - 3 * s - 3 - self.consumers),
        }
    }

    /// The node's name in history and fault schedules: `store-3`, `relay-3`, `broker`, `consumer-0`...
    pub fn name(&self, id: NodeId) -> String {
        if id == crate::history::ENGINE {
            return "engine".into();
        }
        match self.role(id) {
            Role::Store(i) => format!("store-{i}"),
            Role::Relay(i) => format!("relay-{i}"),
            Role::Broker => "broker".into(),
            Role::Central => "central".into(),
            Role::Customers => "customers".into(),
            Role::Consumer(i) => format!("consumer-{i}"),
            Role::StoreBroker(i) => format!("broker-{i}"),
            Role::Mirror(i) => format!("mirror-{i}"),
        }
    }

    /// The nodes a scenario name stands for. For network faults (`site`), a
    /// store stands for its whole site: the store DB and its relay.
    pub fn resolve(&self, name: NodeName, site: bool) -> Vec<NodeId> {
        let stores = 0..self.stores;
        match name {
            NodeName::Store(i) if site && self.mirrors => vec![self.store(i), self.relay(i), self.store_broker(i)],
            NodeName::Store(i) if site => vec![self.store(i), self.relay(i)],
            NodeName::Site(i) => self.resolve(NodeName::Store(i), true),
            NodeName::StoreBroker(i) => vec![self.store_broker(i)],
            NodeName::Mirror(i) => vec![self.mirror(i)],
            NodeName::Store(i) => vec![self.store(i)],
            NodeName::Relay(i) => vec![self.relay(i)],
            NodeName::Broker => vec![self.broker()],
            NodeName::Central => vec![self.central()],
            NodeName::Customers => vec![self.customers()],
            NodeName::Consumer(i) => vec![self.consumer(i)],
            NodeName::Stores => stores.flat_map(|i| self.resolve(NodeName::Store(i), true)).collect(),
            NodeName::Relays => stores.map(|i| self.relay(i)).collect(),
            NodeName::Consumers => (0..self.consumers).map(|i| self.consumer(i)).collect(),
            NodeName::CentralSide => {
                let mut ids = vec![self.broker(), self.central(), self.customers()];
                ids.extend((0..self.consumers).map(|i| self.consumer(i)));
                if self.mirrors {
                    ids.extend(stores.map(|i| self.mirror(i)));
                }
                ids
            }
        }
    }

    /// The store whose site the node runs in (its DB, relay or own broker), if any.
    pub fn site(&self, id: NodeId) -> Option<u32> {
        match self.role(id) {
            Role::Store(i) | Role::Relay(i) | Role::StoreBroker(i) => Some(i),
            _ => None,
        }
    }

    /// Whether the node runs in a store (store DB or relay) rather than the centre.
    pub fn in_store(&self, id: NodeId) -> bool {
        matches!(self.role(id), Role::Store(_) | Role::Relay(_) | Role::StoreBroker(_))
    }

    pub fn link_class(&self, from: NodeId, to: NodeId) -> LinkClass {
        match (self.in_store(from), self.in_store(to)) {
            (true, true) => LinkClass::StoreLocal,
            (false, false) => LinkClass::CentralLan,
            _ => LinkClass::Wan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_roles() {
        // Goal: every id maps to one role and back. Method: walk a small chain.
        let layout = Layout { stores: 3, consumers: 2, mirrors: true };
        let ids: Vec<NodeId> = (0..layout.count()).collect();
        let back: Vec<NodeId> = ids
            .iter()
            .map(|&id| match layout.role(id) {
                Role::Store(i) => layout.store(i),
                Role::Relay(i) => layout.relay(i),
                Role::Broker => layout.broker(),
                Role::Central => layout.central(),
                Role::Customers => layout.customers(),
                Role::Consumer(i) => layout.consumer(i),
                Role::StoreBroker(i) => layout.store_broker(i),
                Role::Mirror(i) => layout.mirror(i),
            })
            .collect();
        assert_eq!(ids, back);
        assert_eq!(layout.name(layout.consumer(1)), "consumer-1");
        assert_eq!(layout.link_class(layout.store(0), layout.relay(0)), LinkClass::StoreLocal);
        assert_eq!(layout.link_class(layout.relay(0), layout.broker()), LinkClass::Wan);
        assert_eq!(layout.name(layout.mirror(2)), "mirror-2");
        assert_eq!(layout.link_class(layout.relay(1), layout.store_broker(1)), LinkClass::StoreLocal);
        assert_eq!(layout.link_class(layout.mirror(1), layout.store_broker(1)), LinkClass::Wan);
    }
}
