//! The state one socket shares between its users and its connections.
//!
//! ```text
//!  user threads/tasks                         I/O thread (one task per connection)
//!  send ─► pattern routing ─► OutPipe ─────────► writer: take batch, write
//!  recv ◄─ pattern ◄─ Inbox (fair queue) ◄─────── reader: read, decode, deliver batch
//! ```
//!
//! `State` is behind one mutex taken once per send, once per receive and once per batch a
//! connection delivers. Payload bytes never cross it: the sender encodes into the chosen peer's
//! [`OutPipe`] and the reader hands over whole decoded messages.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use event_listener::Event;
use tokio::sync::{watch, Notify};

use crate::context::Io;
use crate::message::Outgoing;
use crate::options::{OptionValue, Options, SocketOption};
use crate::pattern::Pattern;
use crate::pipe::{Activations, IdMap, InprocPipe, Out, OutPipe, PeerId, PipeEnd, Pipes};
use crate::reader::ReadSide;
use crate::{Error, Message, Result, SocketType};

pub(crate) struct SocketCore {
    pub socket_type: SocketType,
    pub options: Mutex<Options>,
    /// `rcvtimeo` and `sndtimeo`, read on every blocking call, so kept out of the mutex.
    pub rcvtimeo: AtomicI32,
    pub sndtimeo: AtomicI32,
    state: Mutex<State>,
    /// Notified when the inbox goes from empty to non-empty, and at close.
    pub readable: Event,
    /// Notified when a full pipe gets room or a peer attaches, and at close.
    pub writable: Event,
    pub io: Io,
    closing: watch::Sender<bool>,
    /// Where connection events go (`Socket::monitor`).
    pub monitors: crate::monitor::Monitors,
    /// Rings a receiver that sleeps on its own connection (see [`crate::reader`]).
    pub app_waker: OnceLock<mio::Waker>,
    /// A receiver sleeps on its own connection and must be rung by whatever else happens.
    pub app_polling: AtomicBool,
}

pub(crate) struct State {
    pub peers: Peers,
    pub inbox: Inbox,
    pub pattern: Pattern,
    pub closed: bool,
    pub last_endpoint: Option<String>,
}

/// One peer as routing sees it.
pub(crate) struct Peer {
    pub out: Out,
    /// The peer's routing id: its `Identity`, or one generated for it (ROUTER).
    pub routing_id: Bytes,
    /// The ZMTP minor version of the live connection; `None` while a connected-to peer has no
    /// connection (its subscriptions are sent when one is made).
    pub zmtp_minor: Option<u8>,
    /// The live tcp or ipc connection's reading half, which a receiver may read itself.
    pub reader: Option<Arc<ReadSide>>,
}

/// The peers that messages can be routed to, in round-robin order.
#[derive(Default)]
pub(crate) struct Peers {
    map: IdMap<Peer>,
    /// The peers in turn, each with its outgoing side: load balancing needs no lookup.
    order: Vec<(PeerId, Out)>,
    next: usize,
}

impl Peers {
    pub fn get(&self, id: PeerId) -> Option<&Peer> {
        self.map.get(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Peer> {
        self.map.values()
    }

    fn insert(&mut self, id: PeerId, peer: Peer) {
        self.order.push((id, peer.out.clone()));
        self.map.insert(id, peer);
    }

    fn remove(&mut self, id: PeerId) -> Option<Peer> {
        let peer = self.map.remove(&id)?;
        if let Some(i) = self.order.iter().position(|(p, _)| *p == id) {
            self.order.remove(i);
            if i < self.next {
                self.next -= 1;
            }
        }
        Some(peer)
    }

    /// Load balancing (libzmq's `lb_t`): hands the message to the next peer in turn that has
    /// room, or gives it back when none has.
    #[inline]
    pub fn load_balance<'m>(
        &mut self,
        mut msg: Outgoing<'m>,
    ) -> std::result::Result<PeerId, Outgoing<'m>> {
        let n = self.order.len();
        let mut i = self.next;
        for _ in 0..n {
            if i >= n {
                i = 0;
            }
            let (id, out) = &self.order[i];
            match out.push(msg) {
                Ok(()) => {
                    self.next = i + 1;
                    return Ok(*id);
                }
                Err(back) => msg = back,
            }
            i += 1;
        }
        Err(msg)
    }
}

/// Messages received from peers, fair-queued (libzmq's `fq_t`): one message from each peer
/// with input in turn.
#[derive(Default)]
pub(crate) struct Inbox {
    queues: IdMap<InQueue>,
    /// Peers whose queue is not empty, in the order they will be served.
    active: VecDeque<PeerId>,
    /// Inproc peers whose pipes became non-empty, not yet in `active`.
    pub activations: Arc<Activations>,
    /// A publisher: inproc input is taken by [`SocketCore::absorb`], never by `pop`.
    absorbs: bool,
    /// The queues keep only the newest message (`conflate`, fixed before connecting).
    conflate: bool,
}

struct InQueue {
    /// Messages from a tcp or ipc connection (and, on an XPUB, what the application reads).
    msgs: VecDeque<Message>,
    /// An inproc peer's pipe, read directly.
    inproc: Option<Arc<InprocPipe>>,
    /// The pipe held more than the last batch taken from it, or was signalled again since.
    inproc_more: bool,
    /// The peer is in the inbox's `active` list (at most once).
    in_active: bool,
    routing_id: Bytes,
    hwm: usize,
    /// The connection's reader waits for room.
    reader_waiting: bool,
    room: Arc<Notify>,
    /// The peer detached: drop the queue once it is drained.
    detached: bool,
    /// `conflate`: keep only the newest message.
    conflate: bool,
}

impl Inbox {
    /// Queues one message from peer `id` (whose queue must exist), keeping the fair-queue
    /// order. Messages for a peer without a queue are dropped.
    pub fn push(&mut self, id: PeerId, msg: Message) {
        if let Some(q) = self.queues.get_mut(&id) {
            q.enlist(id, &mut self.active);
            q.msgs.push_back(msg);
        }
    }

    /// Takes the next message in fair-queue order, with the peer it came from.
    pub fn pop(&mut self) -> Option<(PeerId, Bytes, Message)> {
        self.take_activations();
        loop {
            let id = self.active.pop_front()?;
            let Some(q) = self.queues.get_mut(&id) else {
                continue; // a peer that left
            };
            q.in_active = false;
            let (msg, more) = match (q.msgs.pop_front(), &q.inproc) {
                (Some(msg), _) => {
                    q.wake_reader();
                    // An inproc peer's queue is refilled from its pipe when it runs dry: if
                    // the pipe was not found empty, the peer is still active.
                    (Some(msg), !q.msgs.is_empty() || q.inproc_more)
                }
                (None, Some(pipe)) if !self.absorbs => {
                    // Take a batch from the pipe (one lock for many messages).
                    q.inproc_more = pipe.pop_many(&mut q.msgs, INPROC_BATCH);
                    let msg = q.msgs.pop_front();
                    (msg, !q.msgs.is_empty() || q.inproc_more)
                }
                _ => (None, false),
            };
            let routing_id = match msg {
                Some(_) => q.routing_id.clone(),
                None => Bytes::new(),
            };
            if more {
                q.enlist(id, &mut self.active);
            } else if q.detached && q.is_empty() {
                self.queues.remove(&id);
            }
            if let Some(msg) = msg {
                return Some((id, routing_id, msg));
            }
        }
    }
}

impl Inbox {
    /// Moves up to `max` messages to `out` in fair-queue order, without their routing ids.
    /// While one peer alone has input, its messages move in one run rather than one by one.
    pub fn pop_into(&mut self, out: &mut VecDeque<Message>, max: usize) {
        self.take_activations();
        let mut left = max;
        while left > 0 {
            if self.active.len() == 1 {
                if let Some(q) = self.queues.get_mut(&self.active[0]) {
                    // The last message is left to `pop`, which settles the peer's place.
                    let run = q.msgs.len().saturating_sub(1).min(left);
                    if run > 0 {
                        out.extend(q.msgs.drain(..run));
                        q.wake_reader();
                        left -= run;
                        continue;
                    }
                }
            }
            match self.pop() {
                Some((_, _, msg)) => out.push_back(msg),
                None => break,
            }
            left -= 1;
        }
    }

    /// Puts the inproc peers whose pipes were signalled in the active list, each at most once:
    /// a peer already there keeps its one turn, and learns that its pipe holds more.
    fn take_activations(&mut self) {
        if self.absorbs {
            return; // a publisher's inproc input is taken by `absorb`
        }
        struct Activate<'a> {
            active: &'a mut VecDeque<PeerId>,
            queues: &'a mut IdMap<InQueue>,
        }
        impl Extend<PeerId> for Activate<'_> {
            fn extend<I: IntoIterator<Item = PeerId>>(&mut self, ids: I) {
                for id in ids {
                    let Some(q) = self.queues.get_mut(&id) else {
                        continue; // an inproc peer that left before its activation was seen
                    };
                    if !q.enlist(id, self.active) {
                        q.inproc_more = true;
                    }
                }
            }
        }
        self.activations.drain_into(&mut Activate {
            active: &mut self.active,
            queues: &mut self.queues,
        });
    }

    /// Adds peer `id`'s queue.
    fn insert(&mut self, id: PeerId, q: InQueue) {
        self.conflate = q.conflate;
        self.queues.insert(id, q);
    }
}

impl InQueue {
    /// Puts peer `id` (this queue's) in the active list, unless it is there already: each
    /// peer has at most one turn waiting. Returns whether it was added.
    fn enlist(&mut self, id: PeerId, active: &mut VecDeque<PeerId>) -> bool {
        if self.in_active {
            return false;
        }
        self.in_active = true;
        active.push_back(id);
        true
    }

    /// Wakes the connection's reader if it waits for room and there is some.
    fn wake_reader(&mut self) {
        if self.reader_waiting && self.msgs.len() < self.hwm {
            self.reader_waiting = false;
            self.room.notify_one();
        }
    }

    fn is_empty(&self) -> bool {
        self.msgs.is_empty() && !self.inproc.as_ref().is_some_and(|p| !p.is_empty())
    }
}

/// Where a connection's peer lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    /// A peer created for this connection only (accepted, or `immediate`, or ROUTER).
    Fresh,
    /// A peer created by `connect`, outliving its connections so that messages queue while it
    /// is away (libzmq's behaviour without `immediate`).
    Persistent(PeerId),
}

/// What a connection gets when it joins its socket.
pub(crate) struct Attached {
    pub id: PeerId,
    pub out: Arc<OutPipe>,
    pub room: Arc<Notify>,
}

/// Most messages moved from an inproc pipe to its reader's queue under one lock.
const INPROC_BATCH: usize = 256;

/// Most messages one receive takes from the queues at once (the rest wait in the socket's
/// receive cache): one lock per batch instead of one per message.
pub(crate) const RECV_BATCH: usize = 32;

static NEXT_PEER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_peer_id() -> PeerId {
    NEXT_PEER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl SocketCore {
    pub fn new(socket_type: SocketType, io: Io) -> Result<Arc<SocketCore>> {
        let options = Options::default();
        let pattern = Pattern::new(socket_type)?;
        let inbox = Inbox {
            absorbs: matches!(pattern, Pattern::Publisher(_)),
            ..Inbox::default()
        };
        Ok(Arc::new(SocketCore {
            socket_type,
            options: Mutex::new(options),
            rcvtimeo: AtomicI32::new(-1),
            sndtimeo: AtomicI32::new(-1),
            state: Mutex::new(State {
                peers: Peers::default(),
                inbox,
                pattern,
                closed: false,
                last_endpoint: None,
            }),
            readable: Event::new(),
            writable: Event::new(),
            io,
            closing: watch::channel(false).0,
            monitors: Default::default(),
            app_waker: OnceLock::new(),
            app_polling: AtomicBool::new(false),
        }))
    }

    /// Wakes receivers: those waiting for `readable`, and one sleeping on its own connection.
    pub fn notify_readable(&self) {
        self.readable.notify(usize::MAX);
        self.wake_app();
    }

    /// Rings a receiver sleeping on its own connection: the socket changed (a message from
    /// elsewhere, a peer came or went, close), so it must look again.
    pub fn wake_app(&self) {
        // SeqCst: pairs with the receiver's store before it looks at the socket one last time.
        if self.app_polling.load(Ordering::SeqCst) {
            if let Some(waker) = self.app_waker.get() {
                let _ = waker.wake();
            }
        }
    }

    /// The connection a blocking receiver may read itself: the socket's only peer, over tcp
    /// or ipc, with nothing waiting in the inbox (so that what it reads comes next in
    /// fair-queue order anyway). Not for publishers, whose input is subscriptions.
    pub fn solo_reader(&self) -> Option<Arc<ReadSide>> {
        let st = self.state();
        if st.closed
            || st.inbox.absorbs
            || st.peers.len() != 1
            || st.inbox.queues.len() != 1
            || !st.inbox.active.is_empty()
        {
            return None;
        }
        // A connection whose stream ended waits for the I/O thread to close it.
        let reader = st.peers.iter().next()?.reader.clone();
        reader.filter(|r| !r.is_dead())
    }

    /// Gives a peer its live connection's reading half, or takes it back when the connection
    /// ends.
    pub fn set_reader(&self, id: PeerId, side: Option<Arc<ReadSide>>) {
        let mut st = self.state();
        if let Some(peer) = st.peers.map.get_mut(&id) {
            peer.reader = side;
        }
        drop(st);
        self.wake_app();
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps the copies of an option that the hot path reads without the options' lock:
    /// the timeouts, and the pattern's flags.
    pub fn configure(&self, option: SocketOption, value: &OptionValue) {
        match (option, value) {
            (SocketOption::Rcvtimeo, OptionValue::Int(v)) => {
                self.rcvtimeo.store(*v, Ordering::Relaxed)
            }
            (SocketOption::Sndtimeo, OptionValue::Int(v)) => {
                self.sndtimeo.store(*v, Ordering::Relaxed)
            }
            _ => self.state().pattern.configure(option, value),
        }
    }

    pub fn options(&self) -> Options {
        self.options
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A receiver that sees `true` once the socket is closing.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Creates a peer for a `connect` before any connection exists, so that messages queue
    /// for it.
    pub fn add_persistent_peer(&self) -> PeerId {
        let id = next_peer_id();
        let opts = self.options();
        let mut st = self.state();
        st.peers.insert(
            id,
            Peer {
                out: Out::Wire(Arc::new(OutPipe::for_options(&opts))),
                routing_id: Bytes::new(),
                zmtp_minor: None,
                reader: None,
            },
        );
        st.inbox.insert(id, in_queue(&opts, Bytes::new()));
        drop(st);
        self.writable.notify(usize::MAX);
        id
    }

    /// Joins a connection whose handshake succeeded to the socket's routing. `None`: the
    /// pattern refuses the peer (a second PAIR peer, a ROUTER identity clash without
    /// handover); the connection must close.
    pub fn attach(&self, slot: Slot, peer_identity: &Bytes, zmtp_minor: u8) -> Option<Attached> {
        let opts = self.options();
        let mut st = self.state();
        // A closed socket still attaches its connect-side peers: their unsent messages are
        // what lingering is for. Nothing would ever be sent to a fresh peer.
        if st.closed && matches!(slot, Slot::Fresh) {
            return None;
        }
        let State {
            peers,
            inbox,
            pattern,
            ..
        } = &mut *st;
        let id = match slot {
            Slot::Persistent(id) => id,
            Slot::Fresh => next_peer_id(),
        };
        let routing_id = pattern.attach(id, peer_identity, peers)?;
        let attached = match slot {
            Slot::Persistent(id) => {
                let peer = peers.map.get_mut(&id)?;
                peer.routing_id = routing_id;
                peer.zmtp_minor = Some(zmtp_minor);
                let q = inbox.queues.get_mut(&id)?;
                let Out::Wire(out) = &peer.out else {
                    return None;
                };
                Attached {
                    id,
                    out: out.clone(),
                    room: q.room.clone(),
                }
            }
            Slot::Fresh => {
                let out = Arc::new(OutPipe::for_options(&opts));
                peers.insert(
                    id,
                    Peer {
                        out: Out::Wire(out.clone()),
                        routing_id: routing_id.clone(),
                        zmtp_minor: Some(zmtp_minor),
                        reader: None,
                    },
                );
                let q = in_queue(&opts, routing_id);
                let room = q.room.clone();
                inbox.insert(id, q);
                Attached { id, out, room }
            }
        };
        pattern.attached(attached.id, peers);
        drop(st);
        self.writable.notify(usize::MAX);
        self.wake_app(); // a second peer: a receiver reading the first must stop
        Some(attached)
    }

    /// A connection ended. Fresh peers leave routing (their unsent messages are dropped,
    /// received ones can still be read); persistent ones stay for the next connection unless
    /// `forget` says the endpoint is gone.
    pub fn detach(&self, slot: Slot, id: PeerId, forget: bool) {
        let mut st = self.state();
        let State {
            peers,
            inbox,
            pattern,
            ..
        } = &mut *st;
        if matches!(slot, Slot::Persistent(_)) && !forget {
            if let Some(peer) = peers.map.get_mut(&id) {
                peer.zmtp_minor = None;
                peer.reader = None;
            }
            drop(st);
            self.wake_app();
            return;
        }
        let inbox_was_empty = inbox.active.is_empty();
        pattern.detach(id, peers, inbox);
        let now_readable = inbox_was_empty && !inbox.active.is_empty();
        let mut remote = None;
        if let Some(peer) = peers.remove(id) {
            match &peer.out {
                Out::Wire(pipe) => pipe.close(),
                // What was sent stays readable by the peer, as in libzmq.
                Out::Inproc(pipe) => remote = pipe.close(false),
            }
        }
        if let Some(q) = inbox.queues.get_mut(&id) {
            q.detached = true;
            if let Some(pipe) = &q.inproc {
                pipe.close(false);
                if inbox.absorbs {
                    // A publisher takes its peers' subscriptions straight from their pipes,
                    // never through this queue: what is left there is moot now.
                    q.inproc = None;
                }
            }
            // A queue that still holds messages (on an XPUB, the cancels for topics the
            // peer took with it) goes once they are read.
            if q.is_empty() {
                inbox.queues.remove(&id);
            }
        }
        drop(st);
        if now_readable {
            self.notify_readable();
        } else {
            self.wake_app();
        }
        // An inproc peer leaves the other socket too (there is no reconnecting).
        if let Some((other, id)) = remote.and_then(|(end, id)| end.upgrade().map(|e| (e, id))) {
            other.peer_gone(id);
        }
    }

    /// Joins one side of an inproc connection to this socket's routing. `None` when the
    /// socket is closed or its pattern refuses the peer.
    pub fn attach_inproc(self: &Arc<Self>, identity: &Bytes, pipes: &Pipes) -> Option<PeerId> {
        let opts = self.options();
        let mut st = self.state();
        if st.closed {
            return None;
        }
        let State {
            peers,
            inbox,
            pattern,
            ..
        } = &mut *st;
        let id = next_peer_id();
        let routing_id = pattern.attach(id, identity, peers)?;
        peers.insert(
            id,
            Peer {
                out: Out::Inproc(pipes.out.clone()),
                routing_id: routing_id.clone(),
                zmtp_minor: Some(1),
                reader: None,
            },
        );
        let mut q = in_queue(&opts, routing_id);
        q.inproc = Some(pipes.inp.clone());
        inbox.insert(id, q);
        let end: std::sync::Weak<dyn PipeEnd> = Arc::downgrade(self) as std::sync::Weak<SocketCore>;
        let waiting = pipes.inp.set_reader(end, id, inbox.activations.clone());
        if waiting {
            inbox.activations.add(id);
        }
        pattern.attached(id, peers);
        drop(st);
        self.writable.notify(usize::MAX);
        if waiting {
            self.notify_readable();
        } else {
            self.wake_app();
        }
        Some(id)
    }

    /// A publisher takes the subscriptions its inproc peers sent (there is no I/O thread to
    /// do it, as for tcp): before each send and receive, like libzmq's command processing.
    fn absorb(st: &mut State) {
        let State {
            inbox,
            pattern,
            peers,
            ..
        } = st;
        let Some(publisher) = pattern.publisher() else {
            return;
        };
        let mut ids = Vec::new();
        inbox.activations.drain_into(&mut ids);
        let mut msgs = VecDeque::new();
        for id in ids {
            let Some(pipe) = inbox.queues.get(&id).and_then(|q| q.inproc.clone()) else {
                continue;
            };
            pipe.pop_many(&mut msgs, usize::MAX);
            for msg in msgs.drain(..) {
                publisher.input(id, msg, inbox, peers);
            }
        }
    }

    /// Hands decoded messages from peer `id` to the socket. Returns `true` when that peer's
    /// queue is at its high-water mark: the reader must then wait on its `room` notifier.
    pub fn deliver(&self, id: PeerId, batch: &mut Vec<Message>) -> bool {
        let mut st = self.state();
        let State {
            inbox,
            pattern,
            peers,
            ..
        } = &mut *st;
        if let Some(publisher) = pattern.publisher() {
            // PUB and XPUB take subscriptions in the I/O thread: a PUB application never
            // receives, yet its filter must follow its subscribers.
            let was_empty = inbox.active.is_empty();
            for msg in batch.drain(..) {
                publisher.input(id, msg, inbox, peers);
            }
            let now_readable = was_empty && !inbox.active.is_empty();
            drop(st);
            if now_readable {
                self.notify_readable();
            }
            return false;
        }
        let Some(q) = inbox.queues.get_mut(&id) else {
            batch.clear();
            return false;
        };
        let was_empty = inbox.active.is_empty();
        if q.conflate {
            if let Some(newest) = batch.pop() {
                q.msgs.clear();
                q.msgs.push_back(newest);
            }
            batch.clear();
        } else if q.msgs.is_empty() {
            // The usual case (the application keeps up): trade buffers instead of moving
            // each message. The emptied queue's buffer serves the next batch.
            let queued = std::mem::replace(&mut q.msgs, VecDeque::from(std::mem::take(batch)));
            *batch = Vec::from(queued);
        } else {
            q.msgs.extend(batch.drain(..));
        }
        if !q.msgs.is_empty() {
            q.enlist(id, &mut inbox.active);
        }
        let full = !q.conflate && q.msgs.len() >= q.hwm;
        q.reader_waiting = full;
        drop(st);
        if was_empty {
            self.notify_readable();
        }
        full
    }

    /// Whether peer `id`'s input queue is still at its high-water mark (re-arming the wake-up
    /// when it is).
    pub fn inbox_full(&self, id: PeerId) -> bool {
        let mut st = self.state();
        match st.inbox.queues.get_mut(&id) {
            Some(q) if q.msgs.len() >= q.hwm => {
                q.reader_waiting = true;
                true
            }
            _ => false,
        }
    }

    /// Closes the socket: nothing more can be sent or received; connections linger.
    pub fn close(&self) {
        let mut st = self.state();
        st.closed = true;
        let linger0 = self.options().linger() == Some(std::time::Duration::ZERO);
        let mut wire = Vec::new();
        let mut inproc = Vec::new();
        for (&id, peer) in &st.peers.map {
            match &peer.out {
                Out::Wire(pipe) => wire.push(pipe.clone()),
                Out::Inproc(pipe) => {
                    // Messages already in an inproc pipe are the peer's, unless linger is 0.
                    if linger0 {
                        pipe.close(true);
                    }
                    inproc.push(id);
                }
            }
        }
        drop(st);
        self.closing.send_replace(true);
        for p in wire {
            p.nudge();
        }
        for id in inproc {
            self.detach(Slot::Fresh, id, true);
        }
        self.notify_readable();
        self.writable.notify(usize::MAX);
        self.monitors
            .emit(crate::monitor::EventKind::MonitorStopped, "", 0, None);
    }

    pub fn is_closed(&self) -> bool {
        *self.closing.borrow()
    }

    /// One non-blocking send attempt: `Ok(Some(msg))` gives the message back when it would
    /// block.
    pub fn try_send<'m>(&self, msg: Outgoing<'m>) -> Result<Option<Outgoing<'m>>> {
        let mut st = self.state();
        if st.closed {
            return Err(Error::Closed);
        }
        if st.inbox.absorbs {
            Self::absorb(&mut st);
        }
        let State { peers, pattern, .. } = &mut *st;
        pattern.send(self.socket_type, msg, peers)
    }

    /// Whether a send would go through now.
    pub fn can_send(&self) -> bool {
        let st = self.state();
        !st.closed && st.pattern.can_send(&st.peers)
    }

    /// One non-blocking receive attempt: appends to `out` the next message, or, for the
    /// patterns whose receive keeps no state (DEALER, ROUTER, PULL, PAIR, SUB, XSUB, XPUB),
    /// up to [`RECV_BATCH`] messages in fair-queue order, all under one lock.
    pub fn try_recv_into(&self, out: &mut VecDeque<Message>) -> Result<()> {
        let mut st = self.state();
        if st.closed {
            return Err(Error::Closed);
        }
        if st.inbox.absorbs {
            Self::absorb(&mut st);
        }
        let State { inbox, pattern, .. } = &mut *st;
        if pattern.stateless_recv() && !inbox.conflate {
            return pattern.recv_many(self.socket_type, inbox, out, RECV_BATCH);
        }
        if let Some(msg) = pattern.recv(self.socket_type, inbox)? {
            out.push_back(msg);
        }
        Ok(())
    }
}

impl PipeEnd for SocketCore {
    fn readable(&self) {
        self.notify_readable();
    }

    fn writable(&self) {
        self.writable.notify(usize::MAX);
    }

    fn peer_gone(&self, id: PeerId) {
        self.detach(Slot::Fresh, id, true);
    }
}

fn in_queue(opts: &Options, routing_id: Bytes) -> InQueue {
    InQueue {
        msgs: VecDeque::new(),
        inproc: None,
        inproc_more: false,
        in_active: false,
        routing_id,
        hwm: Options::hwm(opts.rcvhwm),
        reader_waiting: false,
        room: Arc::new(Notify::new()),
        detached: false,
        conflate: opts.conflate,
    }
}

/// Resolves once the watched flag is `true` (at once if it already is), or never if its sender
/// is gone without setting it.
pub(crate) async fn signalled(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    fn queue(hwm: usize) -> InQueue {
        InQueue {
            msgs: VecDeque::new(),
            inproc: None,
            inproc_more: false,
            in_active: false,
            routing_id: Bytes::new(),
            hwm,
            reader_waiting: false,
            room: Arc::new(Notify::new()),
            detached: false,
            conflate: false,
        }
    }

    /// An inbox whose peer 1 (queue `first`) holds `a` messages "a0", "a1" ... and whose peer 2
    /// holds `b` messages "b0", "b1" ...
    fn two_peers(first: InQueue, a: usize, b: usize) -> Inbox {
        let mut inbox = Inbox::default();
        inbox.queues.insert(1, first);
        inbox.queues.insert(2, queue(10));
        for i in 0..a {
            inbox.push(1, Message::from(format!("a{i}")));
        }
        for i in 0..b {
            inbox.push(2, Message::from(format!("b{i}")));
        }
        inbox
    }

    #[test]
    fn inbox_fair_queues_one_message_per_peer_in_turn() {
        let mut inbox = two_peers(queue(10), 3, 2);
        let order: Vec<(PeerId, Bytes)> = std::iter::from_fn(|| inbox.pop())
            .map(|(id, _, m)| (id, m[0].clone()))
            .collect();
        let expected = [(1, "a0"), (2, "b0"), (1, "a1"), (2, "b1"), (1, "a2")];
        assert_eq!(order.len(), expected.len());
        for ((id, m), (eid, em)) in order.iter().zip(expected) {
            assert_eq!((*id, &m[..]), (eid, em.as_bytes()));
        }
    }

    #[test]
    fn inbox_takes_runs_only_from_a_lone_peer() {
        let mut q = queue(5);
        q.reader_waiting = true;
        let room = q.room.clone();
        let mut inbox = two_peers(q, 5, 2);
        let mut out = VecDeque::new();
        let mut take = |inbox: &mut Inbox, max| {
            out.clear();
            inbox.pop_into(&mut out, max);
            out.iter().map(|m| m[0].clone()).collect::<Vec<_>>()
        };
        // Two peers with input: one message each in turn, at most `max`.
        assert_eq!(take(&mut inbox, 4), ["a0", "b0", "a1", "b1"]);
        // Peer 2 is done: peer 1's rest comes in one run, and its reader may read again.
        assert_eq!(take(&mut inbox, 10), ["a2", "a3", "a4"]);
        assert!(!inbox.queues[&1].reader_waiting);
        let woken = std::pin::pin!(room.notified());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(woken.poll(&mut cx).is_ready());
        assert_eq!(take(&mut inbox, 10), Vec::<Bytes>::new());
        assert!(inbox.active.is_empty());
    }

    #[test]
    fn inbox_runs_keep_turns_when_the_active_ring_wraps() {
        // Serving a0, b0, a1 wraps the four-slot ring of active peers: [2 | 1].
        let mut inbox = two_peers(queue(10), 5, 3);
        let mut out = VecDeque::new();
        inbox.pop_into(&mut out, 10);
        let got: Vec<_> = out.iter().map(|m| m[0].clone()).collect();
        assert_eq!(got, ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "a4"]);
    }

    #[test]
    fn a_subscriber_finds_a_match_behind_a_batch_it_drops() {
        let mut inbox = Inbox::default();
        inbox.queues.insert(1, queue(1000));
        for _ in 0..3 * RECV_BATCH {
            inbox.push(1, Message::from("a"));
        }
        inbox.push(1, Message::from("b"));
        let mut sub = crate::pattern::Subscriber::new(false);
        sub.change(true, Bytes::from("b"), &Peers::default());
        let mut out = VecDeque::new();
        sub.recv_many(&mut inbox, &mut out, RECV_BATCH);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][0], "b");
    }

    #[test]
    fn inbox_wakes_a_reader_waiting_for_room() {
        let mut inbox = Inbox::default();
        let mut q = queue(2);
        q.reader_waiting = true;
        let room = q.room.clone();
        inbox.queues.insert(7, q);
        inbox.push(7, Message::from("x"));
        inbox.push(7, Message::from("y"));
        inbox.pop().unwrap();
        // The pop made room: the waiting reader holds a permit now.
        let woken = std::pin::pin!(room.notified());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(woken.poll(&mut cx).is_ready());
        assert!(!inbox.queues[&7].reader_waiting);
    }
}
