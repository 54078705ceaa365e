//! The network model of the `des` engine: one FIFO connection per directed
//! link, with the link class's latency distribution and its own random stream.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use scenarios::{Distribution, Network};
use std::collections::BTreeMap;
use system::Micros;
use system::layout::{Layout, LinkClass};
use system::message::NodeId;
use system::rng::stream;

/// One directed link: its latency stream and the last delivery time (FIFO).
#[derive(Debug, Clone)]
struct Link {
    rng: ChaCha8Rng,
    last_delivery_us: Micros,
}

/// Every directed link of a run, created when first used.
#[derive(Debug, Clone)]
pub struct NetworkModel {
    seed: u64,
    layout: Layout,
    config: Network,
    links: BTreeMap<(NodeId, NodeId), Link>,
    /// Messages sent so far.
    pub messages: u64,
    /// Their estimated bytes (`Msg::wire_bytes`).
    pub bytes: u64,
}

impl NetworkModel {
    pub fn new(seed: u64, layout: Layout, config: Network) -> Self {
        NetworkModel { seed, layout, config, links: BTreeMap::new(), messages: 0, bytes: 0 }
    }

    fn distribution(&self, class: LinkClass) -> &Distribution {
        match class {
            LinkClass::StoreLocal => &self.config.store_local,
            LinkClass::Wan => &self.config.wan,
            LinkClass::CentralLan => &self.config.central_lan,
        }
    }

    /// When a message sent now from `from` to `to` arrives: after the link's
    /// latency times `factor`, and never before an earlier message on the same
    /// link, unless `reorder_jitter_us` is set: then FIFO is off and up to that
    /// much extra delay is drawn. Also says whether it overtook an earlier message.
    pub fn delivery_time(&mut self, now_us: Micros, from: NodeId, to: NodeId, factor: f64, reorder_jitter_us: Option<Micros>) -> (Micros, bool) {
        self.messages += 1;
        let distribution = *self.distribution(self.layout.link_class(from, to));
        let (seed, layout) = (self.seed, self.layout);
        let link = self
            .links
            .entry((from, to))
            .or_insert_with(|| Link { rng: stream(seed, &format!("network/{}->{}", layout.name(from), layout.name(to))), last_delivery_us: 0 });
        let latency = (distribution.sample_us(&mut link.rng) as f64 * factor) as Micros;
        match reorder_jitter_us {
            None => {
                let arrival = (now_us + latency).max(link.last_delivery_us);
                link.last_delivery_us = arrival;
                (arrival, false)
            }
            Some(jitter) => {
                let arrival = now_us + latency + link.rng.random_range(0..=jitter);
                let overtook = arrival < link.last_delivery_us;
                link.last_delivery_us = link.last_delivery_us.max(arrival);
                (arrival, overtook)
            }
        }
    }

    /// Nodes that have sent to `node` (they hold a connection to it).
    pub fn peers_sending_to(&self, node: NodeId) -> Vec<NodeId> {
        self.links.keys().filter(|&&(from, to)| to == node && from != node).map(|&(from, _)| from).collect()
    }
}
