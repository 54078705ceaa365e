//! The shell around one node on one host: it listens for peers, keeps one
//! outgoing connection per peer (made on the first send, made again after a
//! loss), feeds the node its inputs in arrival order, runs its timers on
//! tokio time, and writes the same history records the `des` engine does.
//!
//! A lost outgoing connection (the peer closed it, a write failed, the
//! connect failed or timed out, or the engine reset it) is told to the node
//! as `Input::Disconnected`, and what was queued on it is lost, as with TCP.
//! The node's state lives in [`Shared::world`], outside the host, so a
//! crash and a bounce keep exactly what the node's `crash` keeps.

use crate::tcp::frame::{self, Frame};
use crate::tcp::net::Net;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;
use system::Micros;
use system::history::Record;
use system::message::{Msg, NodeId};
use system::node::{Clock, Ctx, Effects, Input, Node, Timer};
use system::world::World;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::spawn_local;

/// Node `id` listens on port `PORT_BASE + id` of its host.
pub const PORT_BASE: u16 = 9000;

fn port(id: NodeId) -> u16 {
    PORT_BASE.saturating_add(id as u16)
}

/// What reaches a node's shell.
#[derive(Debug)]
pub enum Inbound {
    Message {
        from: NodeId,
        msg: Msg,
        connection: u64,
    },
    /// A connection with `peer` ended.
    Lost {
        peer: NodeId,
        connection: u64,
    },
    /// From the engine: a partition outlasted the connection timeout, every connection with `peer` resets.
    Reset {
        peer: NodeId,
    },
}

/// Counts for the outcome.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub inputs: u64,
    pub messages: u64,
    pub bytes: u64,
}

/// What the engine and every shell share (all on one thread).
pub struct Shared {
    pub world: RefCell<World>,
    pub history: RefCell<Vec<Record>>,
    /// Each node's clock minus the world's, microseconds (clock skew faults).
    pub clock_offsets_us: RefCell<Vec<i64>>,
    /// The running shell of each node, for the engine to reach.
    pub inboxes: RefCell<Vec<Option<UnboundedSender<Inbound>>>>,
    pub stats: Cell<Stats>,
    /// The host of each node, by node id.
    pub hosts: Vec<String>,
    /// How long a connect may take before the sender gives up.
    pub connect_timeout: Duration,
}

impl Shared {
    /// Tells node `id`'s shell, if it runs.
    pub fn tell(&self, id: NodeId, inbound: Inbound) {
        if let Some(inbox) = &self.inboxes.borrow()[id as usize] {
            let _ = inbox.send(inbound);
        }
    }
}

/// One outgoing connection: its id and the queue its writer drains.
struct Link {
    connection: u64,
    queue: UnboundedSender<Msg>,
}

struct Shell {
    id: NodeId,
    shared: Rc<Shared>,
    inbox: UnboundedSender<Inbound>,
    next_connection: Rc<Cell<u64>>,
    links: BTreeMap<NodeId, Link>,
    /// Connections that ended or were reset: what still arrives on them is dropped.
    dead: BTreeSet<u64>,
    /// Per peer, the last connection id given out when its connections were reset:
    /// what arrives from that peer on a connection up to it is dropped.
    reset_through: BTreeMap<NodeId, u64>,
    /// Pending timers by (world time, sequence).
    timers: BTreeMap<(Micros, u64), Timer>,
    seq: u64,
    /// tokio's clock at start and the world time it stood for.
    started: tokio::time::Instant,
    started_us: Micros,
}

/// Runs node `id` on this host until the host crashes.
pub async fn run<N: Net>(id: NodeId, shared: Rc<Shared>) -> Result<(), Box<dyn std::error::Error>> {
    let listener = N::listen(port(id)).await?;
    let (inbox, inputs) = unbounded_channel();
    shared.inboxes.borrow_mut()[id as usize] = Some(inbox.clone());
    let next_connection = Rc::new(Cell::new(0));
    spawn_local(accept_loop::<N>(listener, inbox.clone(), next_connection.clone()));
    let mut shell = Shell {
        id,
        shared,
        inbox,
        next_connection,
        links: BTreeMap::new(),
        dead: BTreeSet::new(),
        reset_through: BTreeMap::new(),
        timers: BTreeMap::new(),
        seq: 0,
        started: tokio::time::Instant::now(),
        started_us: turmoil::elapsed().as_micros() as Micros,
    };
    shell.handle::<N>(Input::Start);
    shell.serve::<N>(inputs).await;
    Ok(())
}

impl Shell {
    /// World time now, to the microsecond.
    fn now_us(&self) -> Micros {
        self.started_us + self.started.elapsed().as_micros() as Micros
    }

    async fn serve<N: Net>(&mut self, mut inputs: UnboundedReceiver<Inbound>) {
        loop {
            let due = self.timers.first_key_value().map(|(&(at, _), _)| at);
            let inbound = match due {
                Some(at) => {
                    let wait = Duration::from_micros(at.saturating_sub(self.now_us()));
                    tokio::select! {
                        biased;
                        inbound = inputs.recv() => inbound,
                        () = tokio::time::sleep(wait) => {
                            self.fire_due::<N>();
                            continue;
                        }
                    }
                }
                None => inputs.recv().await,
            };
            match inbound {
                Some(inbound) => self.inbound::<N>(inbound),
                None => return,
            }
        }
    }

    fn fire_due<N: Net>(&mut self) {
        let now = self.now_us();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let timer = entry.remove();
            self.handle::<N>(Input::Timer(timer));
        }
    }

    fn inbound<N: Net>(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Message { from, msg, connection } => {
                let reset = self.reset_through.get(&from).is_some_and(|&through| connection <= through);
                if !reset && !self.dead.contains(&connection) {
                    self.handle::<N>(Input::Message { from, msg });
                }
            }
            Inbound::Lost { peer, connection } => {
                if self.dead.insert(connection) && self.links.get(&peer).is_some_and(|l| l.connection == connection) {
                    self.links.remove(&peer);
                    self.handle::<N>(Input::Disconnected { peer });
                }
            }
            Inbound::Reset { peer } => {
                if let Some(link) = self.links.remove(&peer) {
                    self.dead.insert(link.connection);
                }
                self.reset_through.insert(peer, self.next_connection.get());
                self.handle::<N>(Input::Disconnected { peer });
            }
        }
    }

    /// The node handles one input; its effects go out.
    fn handle<N: Net>(&mut self, input: Input) {
        let now_us = self.now_us();
        let offset_us = self.shared.clock_offsets_us.borrow()[self.id as usize];
        let node_now_us = now_us.saturating_add_signed(offset_us);
        let mut effects = Effects::default();
        {
            let mut world = self.shared.world.borrow_mut();
            let mut ctx = Ctx::with_clock(node_now_us, now_us, self.id, &mut effects);
            world.nodes[self.id as usize].handle(&mut ctx, input);
        }
        let mut stats = self.shared.stats.get();
        stats.inputs += 1;
        {
            let mut history = self.shared.history.borrow_mut();
            history.extend(effects.records.drain(..).map(|r| Record { t_us: now_us, node: self.id, ..r }));
        }
        for (at_us, clock, timer) in effects.timers.drain(..) {
            let world_at_us = match clock {
                Clock::Node => at_us.saturating_add_signed(-offset_us),
                Clock::World => at_us,
            };
            self.seq += 1;
            self.timers.insert((world_at_us, self.seq), timer);
        }
        for (to, msg) in effects.sends.drain(..) {
            stats.messages += 1;
            stats.bytes += msg.wire_bytes();
            self.send::<N>(to, msg);
        }
        self.shared.stats.set(stats);
    }

    /// Queues `msg` on the connection to `to`, connecting first if there is none.
    fn send<N: Net>(&mut self, to: NodeId, msg: Msg) {
        let msg = match self.links.get(&to) {
            Some(link) => match link.queue.send(msg) {
                Ok(()) => return,
                Err(failed) => failed.0,
            },
            None => msg,
        };
        let connection = self.next_connection.get() + 1;
        self.next_connection.set(connection);
        let (queue, outgoing) = unbounded_channel();
        let _ = queue.send(msg);
        self.links.insert(to, Link { connection, queue });
        let host = self.shared.hosts[to as usize].clone();
        spawn_local(writer::<N>(self.id, to, host, connection, outgoing, self.inbox.clone(), self.shared.connect_timeout));
    }
}

/// Connects to `peer` and writes what the shell queues, until the connection
/// ends (the peer closed it, or a write failed) or the shell drops it.
async fn writer<N: Net>(
    me: NodeId,
    peer: NodeId,
    host: String,
    connection: u64,
    mut outgoing: UnboundedReceiver<Msg>,
    inbox: UnboundedSender<Inbound>,
    connect_timeout: Duration,
) {
    let lost = || {
        let _ = inbox.send(Inbound::Lost { peer, connection });
    };
    let Ok(Ok(stream)) = tokio::time::timeout(connect_timeout, N::connect(&host, port(peer))).await else { return lost() };
    let (mut reader, mut writer) = tokio::io::split(stream);
    if frame::write(&mut writer, &Frame::Hello { from: me }).await.is_err() {
        return lost();
    }
    let mut probe = [0u8; 1];
    loop {
        tokio::select! {
            biased;
            msg = outgoing.recv() => match msg {
                Some(msg) => {
                    if frame::write(&mut writer, &Frame::Message(msg)).await.is_err() {
                        return lost();
                    }
                }
                None => return,
            },
            // The peer never writes on this connection: a read ends only when it closes.
            _ = reader.read(&mut probe) => return lost(),
        }
    }
}

async fn accept_loop<N: Net>(listener: N::Listener, inbox: UnboundedSender<Inbound>, next_connection: Rc<Cell<u64>>) {
    while let Ok(stream) = N::accept(&listener).await {
        let connection = next_connection.get() + 1;
        next_connection.set(connection);
        spawn_local(reader::<N>(stream, connection, inbox.clone()));
    }
}

/// Delivers the frames of one incoming connection in order.
async fn reader<N: Net>(stream: N::Stream, connection: u64, inbox: UnboundedSender<Inbound>) {
    let (mut input, _keep_open) = tokio::io::split(stream);
    let Ok(Some(Frame::Hello { from })) = frame::read(&mut input).await else { return };
    loop {
        match frame::read(&mut input).await {
            Ok(Some(Frame::Message(msg))) => {
                if inbox.send(Inbound::Message { from, msg, connection }).is_err() {
                    return;
                }
            }
            _ => {
                let _ = inbox.send(Inbound::Lost { peer: from, connection });
                return;
            }
        }
    }
}
