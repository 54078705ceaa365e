//! The run's history as it is kept: compact, grouped by store, digested as it
//! grows, and moved to the run's cold store (a temporary file) once large.
//!
//! Each record is varint-encoded into its store's bucket (records without a
//! store of the chain go to one more bucket) with its position in the whole
//! history, so that the checks can read the history one store at a time (a
//! store's rows in memory, not the chain's) and `events.csv` can still be
//! written in history order. The digest of `events.csv` is taken as records
//! arrive, in history order. A record costs about 15 to 25 bytes here, against
//! 120 as a [`Record`].
//!
//! Once the run holds enough in memory (see [`crate::cold`]), each bucket
//! moves its bytes to the run's cold store a block at a time, so memory holds
//! at most a block per store, whatever the run's length.

use crate::history::{CsvLines, hex};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use system::compact_log::{ColdStore, Input, put_i64, put_varint};
use system::history::{Kind, Record};
use system::layout::Layout;

/// A bucket offers its bytes to the cold store once it holds this many.
const BLOCK_BYTES: usize = 8 << 10;

/// Which optional fields a record has (one flag byte).
mod has {
    pub const STORE: u8 = 1;
    pub const SKU: u8 = 1 << 1;
    pub const QTY: u8 = 1 << 2;
    pub const ON_HAND: u8 = 1 << 3;
    pub const VERSION: u8 = 1 << 4;
    pub const ORDER: u8 = 1 << 5;
    /// A detail from the program's text (kept once, by index).
    pub const STATIC_DETAIL: u8 = 1 << 6;
    /// A detail made at run time (kept inline).
    pub const OWNED_DETAIL: u8 = 1 << 7;
}

/// One bucket: the encoded records of one store (or of the rest).
#[derive(Debug, Clone, Default)]
struct Bucket {
    /// Blocks moved to the cold store, as (where, length), in order.
    spilled: Vec<(u64, usize)>,
    /// The bytes after them.
    bytes: Vec<u8>,
    /// The position the next record would have if it followed the last one directly.
    next_seq: u64,
    last_t_us: u64,
    len: usize,
}

/// One store's records (or the rest's), decoded, in history order.
#[derive(Debug, Default)]
pub struct Pass {
    /// The store, or `None` for the records of no store of the chain.
    pub store: Option<u32>,
    pub records: Vec<Record>,
    /// Each record's position in the whole history.
    pub seqs: Vec<u64>,
}

/// A run's history (see the module documentation).
pub struct History {
    stores: u32,
    buckets: Vec<Bucket>,
    cold: Arc<dyn ColdStore>,
    /// Details from the program's text, each once.
    statics: Vec<&'static str>,
    len: u64,
    csv: CsvLines,
    hasher: Sha256,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("stores", &self.stores).field("len", &self.len).finish_non_exhaustive()
    }
}

impl History {
    /// An empty history of the chain `layout` describes, with a cold store of its own.
    pub fn new(layout: &Layout) -> Self {
        Self::with_cold_store(layout, Arc::new(crate::cold::ColdFile::new(crate::cold::SPILL_AFTER_BYTES)))
    }

    /// An empty history that moves blocks to `cold` (a run shares it with its logs).
    pub fn with_cold_store(layout: &Layout, cold: Arc<dyn ColdStore>) -> Self {
        let csv = CsvLines::new(layout);
        let hasher = Sha256::new_with_prefix(csv.header());
        History {
            stores: layout.stores,
            buckets: vec![Bucket::default(); layout.stores as usize + 1],
            cold,
            statics: Vec::new(),
            len: 0,
            csv,
            hasher,
        }
    }

    /// The history of `records`, in their order.
    pub fn of(layout: &Layout, records: impl IntoIterator<Item = Record>) -> Self {
        let mut history = History::new(layout);
        for record in records {
            history.push(&record);
        }
        history
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The cold store the history moves blocks to (the checks' metrics share it).
    pub fn cold_store(&self) -> Arc<dyn ColdStore> {
        self.cold.clone()
    }

    /// Whether blocks of the history went to the cold store.
    pub fn spilled(&self) -> bool {
        self.buckets.iter().any(|bucket| !bucket.spilled.is_empty())
    }

    /// The SHA-256 of the history's `events.csv`.
    pub fn digest(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }

    fn bucket_of(&self, store: Option<u32>) -> usize {
        match store {
            Some(s) if s < self.stores => s as usize,
            _ => self.stores as usize,
        }
    }

    /// Appends `r` at the end of the history.
    pub fn push(&mut self, r: &Record) {
        self.hasher.update(self.csv.line(r));
        let seq = self.len;
        self.len += 1;
        let index = self.bucket_of(r.store);
        let store_implied = index < self.stores as usize;
        let detail = match &r.detail {
            Cow::Borrowed(text) if !text.is_empty() => Some(Ok(self.static_index(text))),
            Cow::Owned(text) if !text.is_empty() => Some(Err(text.as_str())),
            _ => None,
        };
        let bucket = &mut self.buckets[index];
        let out = &mut bucket.bytes;
        let before = out.len();
        let flags = [
            (r.store.is_some(), has::STORE),
            (r.sku.is_some(), has::SKU),
            (r.qty.is_some(), has::QTY),
            (r.on_hand.is_some(), has::ON_HAND),
            (r.version.is_some(), has::VERSION),
            (r.order.is_some(), has::ORDER),
            (matches!(detail, Some(Ok(_))), has::STATIC_DETAIL),
            (matches!(detail, Some(Err(_))), has::OWNED_DETAIL),
        ]
        .iter()
        .fold(0u8, |flags, &(set, bit)| if set { flags | bit } else { flags });
        out.push(r.kind as u8);
        out.push(flags);
        put_varint(out, seq - bucket.next_seq);
        put_i64(out, r.t_us.wrapping_sub(bucket.last_t_us) as i64);
        put_varint(out, u64::from(r.node));
        if let (Some(store), false) = (r.store, store_implied) {
            put_varint(out, u64::from(store));
        }
        if let Some(sku) = r.sku {
            put_varint(out, u64::from(sku));
        }
        for value in [r.qty, r.on_hand].into_iter().flatten() {
            put_i64(out, value);
        }
        for value in [r.version, r.order].into_iter().flatten() {
            put_varint(out, value);
        }
        match detail {
            Some(Ok(index)) => put_varint(out, index),
            Some(Err(text)) => {
                put_varint(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
            None => {}
        }
        bucket.next_seq = seq + 1;
        bucket.last_t_us = r.t_us;
        bucket.len += 1;
        let added = bucket.bytes.len() - before;
        self.spill(index, added);
    }

    /// Moves bucket `index`'s bytes to the cold store if it holds a block and the store takes them.
    fn spill(&mut self, index: usize, added: usize) {
        self.cold.resident(added as isize);
        let bucket = &mut self.buckets[index];
        if bucket.bytes.len() < BLOCK_BYTES {
            return;
        }
        if let Some(at) = self.cold.put(&bucket.bytes) {
            bucket.spilled.push((at, bucket.bytes.len()));
            bucket.bytes.clear();
            if bucket.bytes.capacity() > 2 * BLOCK_BYTES {
                bucket.bytes.shrink_to(BLOCK_BYTES + 256);
            }
        }
    }

    /// The index of a detail from the program's text (a handful exist).
    fn static_index(&mut self, text: &'static str) -> u64 {
        let found = self.statics.iter().position(|&known| std::ptr::eq(known, text));
        let index = found.unwrap_or_else(|| {
            self.statics.push(text);
            self.statics.len() - 1
        });
        index as u64
    }

    fn reader(&self, index: usize) -> Reader<'_> {
        let store = (index < self.stores as usize).then_some(index as u32);
        let bucket = &self.buckets[index];
        Reader {
            blocks: &bucket.spilled,
            next_block: 0,
            cold: &*self.cold,
            tail: &bucket.bytes,
            block: Vec::new(),
            in_tail: false,
            pos: 0,
            next_seq: 0,
            last_t_us: 0,
            store,
            statics: &self.statics,
        }
    }

    /// One pass per store of the chain, in store order, then one for the records of no store.
    pub fn passes(&self) -> impl Iterator<Item = Pass> + '_ {
        (0..self.buckets.len()).map(|index| {
            let mut reader = self.reader(index);
            let len = self.buckets[index].len;
            let (mut records, mut seqs) = (Vec::with_capacity(len), Vec::with_capacity(len));
            while let Some((seq, record)) = reader.next() {
                seqs.push(seq);
                records.push(record);
            }
            Pass { store: reader.store, records, seqs }
        })
    }

    /// Every record in history order.
    pub fn iter(&self) -> impl Iterator<Item = Record> + '_ {
        let mut readers: Vec<Reader> = (0..self.buckets.len()).map(|index| self.reader(index)).collect();
        let mut heads: Vec<Option<(u64, Record)>> = readers.iter_mut().map(Reader::next).collect();
        let mut next: BinaryHeap<Reverse<(u64, usize)>> =
            heads.iter().enumerate().filter_map(|(index, head)| Some(Reverse((head.as_ref()?.0, index)))).collect();
        std::iter::from_fn(move || {
            let Reverse((_, index)) = next.pop()?;
            let (_, record) = heads[index].take().expect("a queued bucket has a head");
            heads[index] = readers[index].next();
            if let Some((seq, _)) = &heads[index] {
                next.push(Reverse((*seq, index)));
            }
            Some(record)
        })
    }

    /// Every record in history order, decoded.
    pub fn to_vec(&self) -> Vec<Record> {
        self.iter().collect()
    }
}

/// Decodes one bucket from its start: its spilled blocks, then its bytes in memory.
struct Reader<'h> {
    blocks: &'h [(u64, usize)],
    next_block: usize,
    cold: &'h dyn ColdStore,
    tail: &'h [u8],
    /// The spilled block being decoded.
    block: Vec<u8>,
    /// Whether the bytes being decoded are `tail` (else `block`).
    in_tail: bool,
    pos: usize,
    next_seq: u64,
    last_t_us: u64,
    store: Option<u32>,
    statics: &'h [&'static str],
}

impl Reader<'_> {
    fn bytes(&self) -> &[u8] {
        if self.in_tail { self.tail } else { &self.block }
    }

    /// Moves to the next block (or the tail) when the current one is done; false at the end.
    fn ready(&mut self) -> bool {
        while self.pos >= self.bytes().len() {
            if self.in_tail {
                return false;
            }
            self.pos = 0;
            match self.blocks.get(self.next_block) {
                Some(&(at, len)) => {
                    self.block = self.cold.get(at, len);
                    self.next_block += 1;
                }
                None => self.in_tail = true,
            }
        }
        true
    }

    fn next(&mut self) -> Option<(u64, Record)> {
        if !self.ready() {
            return None;
        }
        let kind = Kind::ALL[self.bytes()[self.pos] as usize];
        let flags = self.bytes()[self.pos + 1];
        self.pos += 2;
        let seq = self.next_seq + self.varint();
        let t_us = self.last_t_us.wrapping_add(self.i64() as u64);
        let node = self.varint() as u32;
        let set = |bit: u8| flags & bit != 0;
        let store = match (set(has::STORE), self.store) {
            (false, _) => None,
            (true, Some(store)) => Some(store),
            (true, None) => Some(self.varint() as u32),
        };
        let sku = set(has::SKU).then(|| self.varint() as u32);
        let qty = set(has::QTY).then(|| self.i64());
        let on_hand = set(has::ON_HAND).then(|| self.i64());
        let version = set(has::VERSION).then(|| self.varint());
        let order = set(has::ORDER).then(|| self.varint());
        let detail = if set(has::STATIC_DETAIL) {
            Cow::Borrowed(self.statics[self.varint() as usize])
        } else if set(has::OWNED_DETAIL) {
            let len = self.varint() as usize;
            let text = std::str::from_utf8(&self.bytes()[self.pos..self.pos + len]).expect("a detail is encoded from a str").to_string();
            self.pos += len;
            Cow::Owned(text)
        } else {
            Cow::Borrowed("")
        };
        self.next_seq = seq + 1;
        self.last_t_us = t_us;
        Some((seq, Record { t_us, node, kind, store, sku, qty, on_hand, version, order, detail }))
    }

    fn varint(&mut self) -> u64 {
        let mut input = Input::at(self.bytes(), self.pos);
        let value = input.varint();
        self.pos = input.position();
        value
    }

    fn i64(&mut self) -> i64 {
        let mut input = Input::at(self.bytes(), self.pos);
        let value = input.i64();
        self.pos = input.position();
        value
    }
}
