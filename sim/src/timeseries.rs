//! `timeseries.csv`: pipeline gauges sampled over simulated time, for charts.
//!
//! Long format, one row per gauge and subject at each sample: `t_s,gauge,subject,value`.
//! Gauges: `outbox_backlog` per store (changes not yet handed on), `consumer_lag`
//! per partition of the central broker (records not yet through to central),
//! `stores_shown_fresh` for the chain (stores central shows online),
//! `open_reservations` for the chain (online orders central has not ended).

use system::Micros;
use system::world::World;

/// What a sample measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gauge {
    OutboxBacklog,
    ConsumerLag,
    StoresShownFresh,
    OpenReservations,
}

impl Gauge {
    pub const fn as_str(self) -> &'static str {
        match self {
            Gauge::OutboxBacklog => "outbox_backlog",
            Gauge::ConsumerLag => "consumer_lag",
            Gauge::StoresShownFresh => "stores_shown_fresh",
            Gauge::OpenReservations => "open_reservations",
        }
    }
}

/// One gauge reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub t_us: Micros,
    pub gauge: Gauge,
    /// `store-N`, `partition-N` or the chain (`chain`), as an index (chain: 0).
    pub subject: u32,
    pub value: u64,
}

/// Reads every gauge of `world` at `now_us`.
pub fn sample(world: &World, now_us: Micros, into: &mut Vec<Sample>) {
    for store in 0..world.layout.stores {
        into.push(Sample { t_us: now_us, gauge: Gauge::OutboxBacklog, subject: store, value: world.store_backlog(store) });
    }
    for (partition, lag) in world.partition_lags(world.layout.broker()).into_iter().enumerate() {
        into.push(Sample { t_us: now_us, gauge: Gauge::ConsumerLag, subject: partition as u32, value: lag });
    }
    let shown = (0..world.layout.stores).filter(|&s| world.central().shows(s, now_us)).count() as u64;
    into.push(Sample { t_us: now_us, gauge: Gauge::StoresShownFresh, subject: 0, value: shown });
    into.push(Sample { t_us: now_us, gauge: Gauge::OpenReservations, subject: 0, value: world.central().open_reservations() });
}

/// The samples as `timeseries.csv` bytes.
pub fn to_csv(samples: &[Sample]) -> Vec<u8> {
    let mut out = String::from("t_s,gauge,subject,value\n");
    for s in samples {
        let subject = match s.gauge {
            Gauge::OutboxBacklog => format!("store-{}", s.subject),
            Gauge::ConsumerLag => format!("partition-{}", s.subject),
            Gauge::StoresShownFresh | Gauge::OpenReservations => "chain".to_string(),
        };
        out.push_str(&format!("{:.3},{},{},{}\n", s.t_us as f64 / 1e6, s.gauge.as_str(), subject, s.value));
    }
    out.into_bytes()
}
