//! An append-only log kept compact: a broker partition (and, with acks=leader,
//! its append times) or a store's binlog.
//!
//! Entries are appended to a short open tail; every [`CHUNK`] entries the tail
//! is sealed into varint-encoded bytes (about 20 bytes an entry, against 72 to
//! 80 as structs). Readers near the end (a consumer or relay keeping up) read
//! the tail as it is; a reader further back (a replay) decodes from the chunk
//! that holds its position. The entries read back are exactly those appended.
//!
//! An engine may lend a log a [`ColdStore`]: once the run holds enough in
//! memory, sealed bytes move there a segment at a time, and reads fetch them
//! back. The nodes themselves do no I/O.

use crate::message::{BrokerRecord, Key, OrderOutcome, OrderReply, Payload, StockEvent};

/// Entries per sealed chunk.
pub const CHUNK: usize = 32;

/// An entry's encoding.
pub trait Codec: Copy {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(input: &mut Input) -> Self;

    /// The entry's bytes (entries are equal when their bytes are).
    fn encoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Bytes being decoded, with the position reached.
pub struct Input<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Input<'b> {
    /// Decoding `bytes` from `pos`.
    pub fn at(bytes: &'b [u8], pos: usize) -> Self {
        Input { bytes, pos }
    }

    /// Where decoding has reached.
    pub fn position(&self) -> usize {
        self.pos
    }

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

/// Where sealed chunks may go once logs hold enough of them in memory: lent
/// by the engine (the nodes themselves do no I/O). Chunks once put are never
/// changed, so clones of a log (a DB backup) share them.
pub trait ColdStore: std::fmt::Debug + Send + Sync {
    /// Logs hold `bytes` more (or, negative, fewer) sealed bytes in memory.
    fn resident(&self, bytes: isize);
    /// Takes `bytes` if memory holds enough to spill: where they now are (they
    /// no longer count as held in memory). `None`: keep them.
    fn put(&self, bytes: &[u8]) -> Option<u64>;
    /// The `len` bytes put at `at`.
    fn get(&self, at: u64, len: usize) -> Vec<u8>;
}

/// A log offers its sealed bytes to its cold store once it holds this many.
pub const SEGMENT_BYTES: usize = 16 << 10;

/// Where a sealed chunk is: `at` within the log's `hot` bytes, or, for the
/// first `cold_chunks` chunks, within the cold store.
#[derive(Debug, Clone, Copy)]
struct ChunkAt {
    at: u64,
    len: u32,
}

/// See the module documentation. Equal logs hold equal entries.
#[derive(Debug, Clone)]
pub struct CompactLog<T> {
    /// Sealed chunks not moved to the cold store, back to back.
    hot: Vec<u8>,
    chunks: Vec<ChunkAt>,
    /// How many of the first chunks are in the cold store.
    cold_chunks: usize,
    cold: Option<std::sync::Arc<dyn ColdStore>>,
    /// The entries after the sealed ones.
    tail: Vec<T>,
}

impl<T> Default for CompactLog<T> {
    fn default() -> Self {
        CompactLog { hot: Vec::new(), chunks: Vec::new(), cold_chunks: 0, cold: None, tail: Vec::new() }
    }
}

impl<T: Codec> PartialEq for CompactLog<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.encoded() == b.encoded())
    }
}

impl<T: Codec> Eq for CompactLog<T> {}

/// The entries of one sealed chunk, decoded as they are read.
struct ChunkEntries<'b, T> {
    bytes: std::borrow::Cow<'b, [u8]>,
    pos: usize,
    left: usize,
    entry: std::marker::PhantomData<T>,
}

impl<T: Codec> Iterator for ChunkEntries<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.left = self.left.checked_sub(1)?;
        let mut input = Input { bytes: &self.bytes, pos: self.pos };
        let entry = T::decode(&mut input);
        self.pos = input.pos;
        Some(entry)
    }
}

impl<T: Codec> CompactLog<T> {
    /// Lets sealed chunks move to `cold` once there are enough.
    pub fn attach(&mut self, cold: std::sync::Arc<dyn ColdStore>) {
        cold.resident(self.hot.len() as isize);
        self.cold = Some(cold);
    }

    fn sealed(&self) -> usize {
        self.chunks.len() * CHUNK
    }

    pub fn len(&self) -> usize {
        self.sealed() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, entry: T) {
        self.tail.push(entry);
        if self.tail.len() < CHUNK {
            return;
        }
        let start = self.hot.len();
        for entry in self.tail.drain(..) {
            entry.encode(&mut self.hot);
        }
        let len = self.hot.len() - start;
        self.chunks.push(ChunkAt { at: start as u64, len: len as u32 });
        if let Some(cold) = &self.cold {
            cold.resident(len as isize);
            if self.hot.len() >= SEGMENT_BYTES
                && let Some(at) = cold.put(&self.hot)
            {
                self.chunks[self.cold_chunks..].iter_mut().for_each(|chunk| chunk.at += at);
                self.cold_chunks = self.chunks.len();
                self.hot = Vec::new();
            }
        }
    }

    /// The entries of sealed chunk `chunk`, decoded.
    fn chunk(&self, chunk: usize) -> ChunkEntries<'_, T> {
        let ChunkAt { at, len } = self.chunks[chunk];
        let bytes = match (&self.cold, chunk < self.cold_chunks) {
            (Some(cold), true) => std::borrow::Cow::Owned(cold.get(at, len as usize)),
            _ => std::borrow::Cow::Borrowed(&self.hot[at as usize..at as usize + len as usize]),
        };
        ChunkEntries { bytes, pos: 0, left: CHUNK, entry: std::marker::PhantomData }
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
        let hot_keep = if chunk < self.cold_chunks { 0 } else { self.chunks[chunk].at as usize };
        if let Some(cold) = &self.cold {
            cold.resident(-((self.hot.len() - hot_keep) as isize));
        }
        self.hot.truncate(hot_keep);
        self.chunks.truncate(chunk);
        self.cold_chunks = self.cold_chunks.min(chunk);
        self.tail = reopened;
    }
}

/// A time or count, as a varint.
impl Codec for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, *self);
    }

    fn decode(input: &mut Input) -> Self {
        input.varint()
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
