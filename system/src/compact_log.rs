//! An append-only log kept compact: a broker partition or a store's binlog.
//!
//! Entries are appended to a short open tail; every [`CHUNK`] entries the tail
//! is sealed into varint-encoded bytes (about 20 bytes an entry, against 72 to
//! 80 as structs). Readers near the end (a consumer or relay keeping up) read
//! the tail as it is; a reader further back (a replay) decodes from the chunk
//! that holds its position. The entries read back are exactly those appended.

use crate::message::{BrokerRecord, Key, OrderOutcome, OrderReply, Payload, StockEvent};

/// Entries per sealed chunk.
pub const CHUNK: usize = 32;

/// An entry's encoding.
pub trait Codec: Copy {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(input: &mut Input) -> Self;
}

/// Bytes being decoded, with the position reached.
pub struct Input<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Input<'_> {
    pub fn byte(&mut self) -> u8 {
        self.pos += 1;
        self.bytes[self.pos - 1]
    }

    pub fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.byte();
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return value;
            }
            shift += 7;
        }
    }

    pub fn u32(&mut self) -> u32 {
        self.varint() as u32
    }

    pub fn i64(&mut self) -> i64 {
        let value = self.varint();
        (value >> 1) as i64 ^ -((value & 1) as i64)
    }
}

/// LEB128: seven bits a byte, low first.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Zigzag, then LEB128.
pub fn put_i64(out: &mut Vec<u8>, value: i64) {
    put_varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// See the module documentation. Equal logs hold equal entries: the chunks
/// are sealed at the same positions whatever the history of pushes and truncations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactLog<T> {
    /// Sealed chunks, back to back.
    bytes: Vec<u8>,
    /// Where each sealed chunk starts in `bytes`.
    chunk_starts: Vec<usize>,
    /// The entries after the sealed ones.
    tail: Vec<T>,
}

impl<T> Default for CompactLog<T> {
    fn default() -> Self {
        CompactLog { bytes: Vec::new(), chunk_starts: Vec::new(), tail: Vec::new() }
    }
}

impl<T: Codec> CompactLog<T> {
    fn sealed(&self) -> usize {
        self.chunk_starts.len() * CHUNK
    }

    pub fn len(&self) -> usize {
        self.sealed() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, entry: T) {
        self.tail.push(entry);
        if self.tail.len() == CHUNK {
            self.chunk_starts.push(self.bytes.len());
            for entry in self.tail.drain(..) {
                entry.encode(&mut self.bytes);
            }
        }
    }

    /// The entries of sealed chunk `chunk`, decoded.
    fn chunk(&self, chunk: usize) -> impl Iterator<Item = T> + '_ {
        let mut input = Input { bytes: &self.bytes, pos: self.chunk_starts[chunk] };
        (0..CHUNK).map(move |_| T::decode(&mut input))
    }

    /// The entries at positions `from..to` (clamped to the log), in order.
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = T> + '_ {
        let to = to.min(self.len());
        let from = from.min(to);
        let sealed = self.sealed();
        let chunks = (from / CHUNK)..(to.min(sealed)).div_ceil(CHUNK);
        let decoded = chunks.flat_map(move |c| self.chunk(c).enumerate().map(move |(i, entry)| (c * CHUNK + i, entry)));
        let tail = &self.tail[from.max(sealed) - sealed..to.max(sealed) - sealed];
        decoded.skip_while(move |&(i, _)| i < from).take_while(move |&(i, _)| i < to).map(|(_, entry)| entry).chain(tail.iter().copied())
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.range(0, self.len())
    }

    /// Keeps the first `keep` entries.
    pub fn truncate(&mut self, keep: usize) {
        let sealed = self.sealed();
        if keep >= sealed {
            self.tail.truncate(keep - sealed);
            return;
        }
        let chunk = keep / CHUNK;
        let reopened: Vec<T> = self.chunk(chunk).take(keep - chunk * CHUNK).collect();
        self.bytes.truncate(self.chunk_starts[chunk]);
        self.chunk_starts.truncate(chunk);
        self.tail = reopened;
    }
}

impl Codec for Payload {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Payload::Stock(event) => {
                out.push(0);
                event.encode(out);
            }
            Payload::Heartbeat { store, store_ts_us } => {
                out.push(1);
                put_varint(out, u64::from(store));
                put_varint(out, store_ts_us);
            }
            Payload::RelayHeartbeat { store, relay_ts_us } => {
                out.push(2);
                put_varint(out, u64::from(store));
                put_varint(out, relay_ts_us);
            }
            Payload::Snapshot(event) => {
                out.push(3);
                event.encode(out);
            }
            Payload::Order(OrderReply { store, sku, order, outcome }) => {
                out.push(4);
                put_varint(out, u64::from(store));
                put_varint(out, u64::from(sku));
                put_varint(out, order);
                let (tag, on_hand) = match outcome {
                    OrderOutcome::Accepted { on_hand } => (0, on_hand),
                    OrderOutcome::Rejected { on_hand } => (1, on_hand),
                    OrderOutcome::Fulfilled => (2, 0),
                    OrderOutcome::Failed { on_hand } => (3, on_hand),
                    OrderOutcome::Released => (4, 0),
                };
                out.push(tag);
                put_i64(out, on_hand);
            }
        }
    }

    fn decode(input: &mut Input) -> Self {
        match input.byte() {
            0 => Payload::Stock(StockEvent::decode(input)),
            1 => Payload::Heartbeat { store: input.u32(), store_ts_us: input.varint() },
            2 => Payload::RelayHeartbeat { store: input.u32(), relay_ts_us: input.varint() },
            3 => Payload::Snapshot(StockEvent::decode(input)),
            _ => {
                let (store, sku, order) = (input.u32(), input.u32(), input.varint());
                let tag = input.byte();
                let on_hand = input.i64();
                let outcome = match tag {
                    0 => OrderOutcome::Accepted { on_hand },
                    1 => OrderOutcome::Rejected { on_hand },
                    2 => OrderOutcome::Fulfilled,
                    3 => OrderOutcome::Failed { on_hand },
                    _ => OrderOutcome::Released,
                };
                Payload::Order(OrderReply { store, sku, order, outcome })
            }
        }
    }
}

impl Codec for StockEvent {
    fn encode(&self, out: &mut Vec<u8>) {
        let StockEvent { store, sku, delta, on_hand, version, id: (id_store, epoch, id_sku, counter), committed_at_us } = *self;
        for value in [store, sku, id_store, epoch, id_sku, counter] {
            put_varint(out, u64::from(value));
        }
        put_i64(out, delta);
        put_i64(out, on_hand);
        put_varint(out, version);
        put_varint(out, committed_at_us);
    }

    fn decode(input: &mut Input) -> Self {
        let (store, sku) = (input.u32(), input.u32());
        let id = (input.u32(), input.u32(), input.u32(), input.u32());
        let (delta, on_hand) = (input.i64(), input.i64());
        StockEvent { store, sku, delta, on_hand, version: input.varint(), id, committed_at_us: input.varint() }
    }
}

impl Codec for BrokerRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        match self.key {
            Key::Store(store) => {
                out.push(0);
                put_varint(out, u64::from(store));
            }
            Key::StoreSku(store, sku) => {
                out.push(1);
                put_varint(out, u64::from(store));
                put_varint(out, u64::from(sku));
            }
            Key::None => out.push(2),
        }
        self.payload.encode(out);
    }

    fn decode(input: &mut Input) -> Self {
        let key = match input.byte() {
            0 => Key::Store(input.u32()),
            1 => Key::StoreSku(input.u32(), input.u32()),
            _ => Key::None,
        };
        BrokerRecord { key, payload: Payload::decode(input) }
    }
}
