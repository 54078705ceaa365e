//! Which nodes share a turmoil host. turmoil's cost per step grows with the
//! cube of its hosts, so nodes on the same side of the WAN that no fault
//! tells apart share one: every store site no fault names shares one host,
//! the central side another, unless a fault splits them. A node a fault names
//! alone (a crashed relay, a partitioned consumer) gets its own host, so
//! every fault maps onto whole hosts. Stores never talk to each other, so
//! sharing a host changes no latency but the store-local one: nodes on one
//! host talk over its loopback (one tick).

use crate::faults::PlannedFault;
use system::layout::Layout;
use system::message::NodeId;

/// The hosts of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlan {
    /// Each host's name and its nodes.
    pub hosts: Vec<(String, Vec<NodeId>)>,
    /// The host of each node.
    pub host_of: Vec<usize>,
}

impl HostPlan {
    /// Groups `layout`'s nodes by side of the WAN, then splits every group a fault tells apart.
    pub fn new(layout: &Layout, faults: &[PlannedFault]) -> HostPlan {
        let count = layout.count();
        // Two nodes may share a host when they are on the same side and every fault treats them alike.
        let alike = |a: NodeId, b: NodeId| {
            layout.in_store(a) == layout.in_store(b)
                && faults.iter().all(|f| {
                    let (a, b) = (a as usize, b as usize);
                    f.side_a[a] == f.side_a[b] && f.side_b[a] == f.side_b[b] && f.nodes.contains(&(a as NodeId)) == f.nodes.contains(&(b as NodeId))
                })
        };
        let mut hosts: Vec<(String, Vec<NodeId>)> = Vec::new();
        let mut host_of = vec![0; count as usize];
        for id in 0..count {
            match hosts.iter().position(|(_, members)| alike(members[0], id)) {
                Some(h) => {
                    hosts[h].1.push(id);
                    host_of[id as usize] = h;
                }
                None => {
                    host_of[id as usize] = hosts.len();
                    hosts.push((String::new(), vec![id]));
                }
            }
        }
        for (name, members) in &mut hosts {
            let one_site = members.iter().all(|&m| layout.site(m) == layout.site(members[0]));
            *name = match (members.len(), layout.site(members[0])) {
                (1, _) => layout.name(members[0]),
                (_, Some(i)) if one_site => format!("site-{i}"),
                (_, Some(_)) => format!("stores-from-{}", layout.name(members[0])),
                (_, None) => format!("central-side-from-{}", layout.name(members[0])),
            };
        }
        HostPlan { hosts, host_of }
    }

    pub fn host_name(&self, node: NodeId) -> &str {
        &self.hosts[self.host_of[node as usize]].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::{Origin, PlannedFault};
    use scenarios::{FaultKind, FaultSpec, Span};

    fn fault(kind: FaultKind, between: &[&str], node: Option<&str>, layout: &Layout) -> PlannedFault {
        let spec = FaultSpec {
            duration: Some(Span::from_s(30)),
            between: between.iter().map(|s| s.to_string()).collect(),
            node: node.map(String::from),
            ..FaultSpec::new(Span::from_s(60), kind)
        };
        PlannedFault::new(spec, Origin::Explicit, layout)
    }

    #[test]
    fn sites_share_a_host_until_a_fault_tells_their_nodes_apart() {
        // Goal: without faults, the store sites share a host, and the central side shares one;
        // a crash of one relay, or a partition inside the central side, gives those nodes their own.
        let layout = Layout { stores: 3, consumers: 2, mirrors: false };
        let plain = HostPlan::new(&layout, &[]);
        assert_eq!(plain.hosts.len(), 2, "{:?}", plain.hosts);
        assert_eq!(plain.host_name(layout.relay(1)), "stores-from-store-0");
        let faults = [
            fault(FaultKind::Crash, &[], Some("relay-1"), &layout),
            fault(FaultKind::Partition, &["consumer-0", "central"], None, &layout),
            fault(FaultKind::Partition, &["store-2", "central-side"], None, &layout),
        ];
        let split = HostPlan::new(&layout, &faults);
        assert_eq!(split.host_name(layout.relay(1)), "relay-1");
        assert_eq!(split.host_name(layout.store(1)), "stores-from-store-0", "its store stays with the unnamed stores");
        assert_eq!(split.host_name(layout.consumer(0)), "consumer-0");
        assert_eq!(split.host_name(layout.central()), "central");
        assert_eq!(split.host_name(layout.relay(2)), "site-2", "a site-wide partition keeps the site together");
        assert_ne!(split.host_name(layout.broker()), split.host_name(layout.central()));
    }
}
