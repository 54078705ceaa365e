//! The network model of the `des` engine: one FIFO connection per directed
//! link, with the link class's latency distribution and its own random stream.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use scenarios::Network;
use scenarios::distribution::Sampler;
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
    /// The latency of each link class: store-local, WAN, central LAN.
    samplers: [Sampler; 3],
    /// Per sender, its receivers in id order (a compact sorted list, since the
    /// broker talks to every relay), and the links in the same order.
    peers: Vec<Vec<NodeId>>,
    links: Vec<Vec<Link>>,
    /// Messages sent so far.
    pub messages: u64,
    /// Their estimated bytes (`Msg::wire_bytes`).
    pub bytes: u64,
}

impl NetworkModel {
    pub fn new(seed: u64, layout: Layout, config: Network) -> Self {
        let samplers = [config.store_local.sampler(), config.wan.sampler(), config.central_lan.sampler()];
        let count = layout.count() as usize;
        NetworkModel { seed, layout, samplers, peers: vec![Vec::new(); count], links: vec![Vec::new(); count], messages: 0, bytes: 0 }
    }

    fn sampler(&self, class: LinkClass) -> Sampler {
        match class {
            LinkClass::StoreLocal => self.samplers[0],
            LinkClass::Wan => self.samplers[1],
            LinkClass::CentralLan => self.samplers[2],
        }
    }

    /// When a message sent now from `from` to `to` arrives: after the link's
    /// latency times `factor`, and never before an earlier message on the same
    /// link, unless `reorder_jitter_us` is set: then FIFO is off and up to that
    /// much extra delay is drawn. Also says whether it overtook an earlier message.
    pub fn delivery_time(&mut self, now_us: Micros, from: NodeId, to: NodeId, factor: f64, reorder_jitter_us: Option<Micros>) -> (Micros, bool) {
        self.messages += 1;
        let sampler = self.sampler(self.layout.link_class(from, to));
        let (seed, layout) = (self.seed, self.layout);
        let (peers, links) = (&mut self.peers[from as usize], &mut self.links[from as usize]);
        let at = match peers.binary_search(&to) {
            Ok(at) => at,
            Err(at) => {
                let rng = stream(seed, &format!("network/{}->{}", layout.name(from), layout.name(to)));
                peers.insert(at, to);
                links.insert(at, Link { rng, last_delivery_us: 0 });
                at
            }
        };
        let link = &mut links[at];
        let latency = (sampler.sample_us(&mut link.rng) as f64 * factor) as Micros;
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

    /// Nodes that have sent to `node` (they hold a connection to it), in id order.
    pub fn peers_sending_to(&self, node: NodeId) -> Vec<NodeId> {
        (0..self.peers.len() as NodeId).filter(|&from| from != node && self.peers[from as usize].binary_search(&node).is_ok()).collect()
    }
}
