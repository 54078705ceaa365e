//! Node and group names as scenario files write them: `store-3`, `relay-3`,
//! `broker`, `central`, `customers`, `consumer-0`, and the groups `stores`,
//! `relays`, `consumers`, `central-side`.

/// A name a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeName {
    Store(u32),
    Relay(u32),
    Broker,
    Central,
    Customers,
    Consumer(u32),
    /// Everything in store `i`: its DB and app, its relay, its broker if it has one (a power cut).
    Site(u32),
    /// Store `i`'s own broker (per-store broker topology).
    StoreBroker(u32),
    /// The mirror of store `i`'s broker (per-store broker topology).
    Mirror(u32),
    /// Every store site (store DBs and relays).
    Stores,
    Relays,
    Consumers,
    /// Broker, consumers, central and the online API.
    CentralSide,
}

/// What the names may be, for error messages.
pub const ALLOWED: &str = "store-N, relay-N, site-N (everything in store N), broker, central, customers, consumer-N, broker-N and mirror-N (per-store brokers), or a group: stores, relays, consumers, central-side";

impl NodeName {
    pub fn parse(text: &str) -> Option<NodeName> {
        let indexed = |prefix: &str| text.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
        Some(match text {
            "broker" => NodeName::Broker,
            "central" => NodeName::Central,
            "customers" => NodeName::Customers,
            "stores" => NodeName::Stores,
            "relays" => NodeName::Relays,
            "consumers" => NodeName::Consumers,
            "central-side" => NodeName::CentralSide,
            _ => {
                if let Some(i) = indexed("store-") {
                    NodeName::Store(i)
                } else if let Some(i) = indexed("relay-") {
                    NodeName::Relay(i)
                } else if let Some(i) = indexed("consumer-") {
                    NodeName::Consumer(i)
                } else if let Some(i) = indexed("site-") {
                    NodeName::Site(i)
                } else if let Some(i) = indexed("broker-") {
                    NodeName::StoreBroker(i)
                } else if let Some(i) = indexed("mirror-") {
                    NodeName::Mirror(i)
                } else {
                    return None;
                }
            }
        })
    }

    pub fn is_group(self) -> bool {
        matches!(self, NodeName::Site(_) | NodeName::Stores | NodeName::Relays | NodeName::Consumers | NodeName::CentralSide)
    }

    /// Parses `text` and checks it names a node of a chain with `stores` stores
    /// and `consumers` consumers (and per-store brokers when `mirrors`).
    pub fn resolve(text: &str, stores: u32, consumers: u32, mirrors: bool) -> Result<NodeName, String> {
        let name = NodeName::parse(text).ok_or_else(|| format!("{text:?} is not a node or group: allowed is {ALLOWED}"))?;
        match name {
            NodeName::StoreBroker(_) | NodeName::Mirror(_) if !mirrors => {
                Err(format!("{text:?} does not exist: only design.topology = \"per_store_broker_mirror\" has per-store brokers and mirrors"))
            }
            NodeName::Store(i) | NodeName::Relay(i) | NodeName::Site(i) | NodeName::StoreBroker(i) | NodeName::Mirror(i) if i >= stores => {
                Err(format!("{text:?} does not exist: the chain has stores 0 to {} (chain.stores = {stores})", stores.saturating_sub(1)))
            }
            NodeName::Consumer(i) if i >= consumers => {
                Err(format!("{text:?} does not exist: the group has consumers 0 to {} (design.consumers = {consumers})", consumers.saturating_sub(1)))
            }
            _ => Ok(name),
        }
    }
}
