//! One socket's shared state (socket API layer): what its users and its connections share.
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
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use bytes::Bytes;
use event_listener::Event;
use tokio::sync::{watch, Notify};

use crate::context::ContextInner;
use crate::engine::{Attached, Io, Owner, ReadSide, Slot, ZapCall};
use crate::message::Outgoing;
use crate::message::Properties;
use crate::monitor::Monitors;
use crate::options::{OptionValue, Options, SocketOption};
use crate::pattern::Pattern;
use crate::pipe::{IdMap, InprocPipe, Out, OutPipe, PeerId, PipeEnd, Pipes};
use crate::routing::{Inbox, Peer, Peers, RECV_BATCH};
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
    /// Rings a receiver that sleeps on its own connection (see [`crate::engine::reader`]).
    pub app_waker: OnceLock<mio::Waker>,
    /// A receiver sleeps on its own connection and must be rung by whatever else happens.
    pub app_polling: AtomicBool,
    /// `ZMQ_FD`, made when first asked for: raised whenever `readable` or `writable` is.
    pub signal: OnceLock<crate::poll::Signal>,
    /// Messages from tcp and ipc peers carry their peer's properties
    /// (`Socket::set_message_properties`), from the next connection on.
    pub keep_properties: AtomicBool,
    /// The context, where the ZAP handler is looked up (weak: the context holds its sockets'
    /// cores through their connections' tasks).
    context: Weak<ContextInner>,
}

pub(crate) struct State {
    pub peers: Peers,
    /// The live tcp or ipc connections' reading halves, which a receiver may read itself.
    pub readers: IdMap<Arc<ReadSide>>,
    pub inbox: Inbox,
    pub pattern: Pattern,
    pub closed: bool,
    pub last_endpoint: Option<String>,
    /// STREAM: the routing id `connect_routing_id` gave each connected endpoint.
    pub connect_ids: std::collections::HashMap<String, Bytes>,
}

static NEXT_PEER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_peer_id() -> PeerId {
    NEXT_PEER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl SocketCore {
    pub fn new(
        socket_type: SocketType,
        io: Io,
        context: Weak<ContextInner>,
    ) -> Result<Arc<SocketCore>> {
        let options = Options::default();
        let pattern = Pattern::new(socket_type)?;
        let inbox = Inbox::new(matches!(pattern, Pattern::Pub(_) | Pattern::Xpub(_)));
        Ok(Arc::new(SocketCore {
            socket_type,
            options: Mutex::new(options),
            rcvtimeo: AtomicI32::new(-1),
            sndtimeo: AtomicI32::new(-1),
            state: Mutex::new(State {
                peers: Peers::default(),
                readers: IdMap::default(),
                inbox,
                pattern,
                closed: false,
                last_endpoint: None,
                connect_ids: std::collections::HashMap::new(),
            }),
            readable: Event::new(),
            writable: Event::new(),
            io,
            closing: watch::channel(false).0,
            monitors: Default::default(),
            app_waker: OnceLock::new(),
            app_polling: AtomicBool::new(false),
            signal: OnceLock::new(),
            keep_properties: AtomicBool::new(false),
            context,
        }))
    }

    /// Wakes receivers: those waiting for `readable`, and one sleeping on its own connection.
    pub fn notify_readable(&self) {
        self.readable.notify(usize::MAX);
        self.wake_app();
        if let Some(signal) = self.signal.get() {
            signal.raise();
        }
    }

    /// Wakes senders waiting for room or for a peer (an interruptible one sleeps on the
    /// waker).
    pub fn notify_writable(&self) {
        self.writable.notify(usize::MAX);
        self.wake_app();
        if let Some(signal) = self.signal.get() {
            signal.raise();
        }
    }

    /// Rings a caller sleeping on the socket's poll set (a receiver on its own connection,
    /// or an interruptible wait): the socket changed (a message from elsewhere, room to
    /// send, a peer came or went, close), so it must look again.
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
        if st.closed || st.peers.len() != 1 || !st.inbox.is_solo() {
            return None;
        }
        // A connection whose stream ended waits for the I/O thread to close it.
        let (id, _) = st.peers.entries().next()?;
        let reader = st.readers.get(&id)?;
        (!reader.is_dead()).then(|| reader.clone())
    }

    /// Gives a peer its live connection's reading half, or takes it back when the connection
    /// ends.
    pub fn set_reader(&self, id: PeerId, side: Option<Arc<ReadSide>>) {
        let mut st = self.state();
        match side {
            Some(side) if st.peers.get(id).is_some() => {
                st.readers.insert(id, side);
            }
            _ => {
                st.readers.remove(&id);
            }
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

    /// Where a `connect`'s connections live: a peer made now, before any connection exists,
    /// so that messages queue for it; or, with `immediate` (and for a ROUTER, which needs the
    /// peer's routing id), a fresh peer per connection.
    pub fn connect_slot(&self) -> Slot {
        let immediate = self.options().immediate;
        if immediate || !self.state().pattern.queues_before_connect() {
            Slot::Fresh
        } else {
            Slot::Persistent(self.add_persistent_peer())
        }
    }

    /// Creates a peer for a `connect` before any connection exists, so that messages queue
    /// for it.
    fn add_persistent_peer(&self) -> PeerId {
        let id = next_peer_id();
        let opts = self.options();
        let mut st = self.state();
        st.peers.insert(
            id,
            Peer {
                out: Out::Wire(Arc::new(OutPipe::for_options(
                    &opts,
                    self.socket_type.is_raw(),
                ))),
                routing_id: Bytes::new(),
                zmtp_minor: None,
            },
        );
        let hwm = Options::hwm(opts.rcvhwm);
        st.inbox.add(id, Bytes::new(), hwm, opts.conflate, None);
        drop(st);
        self.notify_writable();
        id
    }

    /// Joins a connection whose handshake succeeded to the socket's routing. `None`: the
    /// pattern refuses the peer (a second PAIR peer, a ROUTER identity clash without
    /// handover); the connection must close.
    pub fn attach(
        &self,
        slot: Slot,
        peer_identity: &Bytes,
        zmtp_minor: u8,
        properties: Option<Arc<Properties>>,
    ) -> Option<Attached> {
        let opts = self.options();
        let mut st = self.state();
        // A closed socket still attaches its connect-side peers: their unsent messages are
        // what lingering is for. Nothing would ever be sent to a fresh peer.
        if st.closed && matches!(slot, Slot::Fresh) {
            return None;
        }
        let id = match slot {
            Slot::Persistent(id) => id,
            Slot::Fresh => next_peer_id(),
        };
        let attached = match slot {
            Slot::Persistent(id) => {
                let State {
                    peers,
                    inbox,
                    pattern,
                    ..
                } = &mut *st;
                let routing_id = pattern.attach(id, peer_identity, peers)?;
                let peer = peers.get_mut(id)?;
                peer.routing_id = routing_id;
                peer.zmtp_minor = Some(zmtp_minor);
                let room = inbox.room(id)?;
                let Out::Wire(out) = &peer.out else {
                    return None;
                };
                Attached {
                    id,
                    out: out.clone(),
                    room,
                }
            }
            Slot::Fresh => {
                let out = Arc::new(OutPipe::for_options(&opts, self.socket_type.is_raw()));
                let wire = Out::Wire(out.clone());
                let room = admit(&mut st, &opts, id, peer_identity, wire, zmtp_minor, None)?;
                Attached { id, out, room }
            }
        };
        let State {
            peers,
            pattern,
            inbox,
            ..
        } = &mut *st;
        inbox.set_properties(attached.id, properties);
        pattern.attached(attached.id, peers);
        drop(st);
        self.notify_writable();
        self.wake_app(); // a second peer: a receiver reading the first must stop
        Some(attached)
    }

    /// A connection ended. Fresh peers leave routing (their unsent messages are dropped,
    /// received ones can still be read); persistent ones stay for the next connection unless
    /// `forget` says the endpoint is gone.
    pub fn detach(&self, slot: Slot, id: PeerId, forget: bool) {
        self.detach_with(slot, id, forget, None);
    }

    /// Names the connections a STREAM makes to `endpoint` (`connect_routing_id`).
    pub fn name_connections(&self, endpoint: &str, routing_id: Bytes) {
        self.state()
            .connect_ids
            .insert(endpoint.to_owned(), routing_id);
    }

    /// [`detach`](Self::detach), with `notice` as the peer's last message (STREAM's empty
    /// one), queued in the same step: whoever reads it finds the peer already gone.
    pub fn detach_with(&self, slot: Slot, id: PeerId, forget: bool, notice: Option<Message>) {
        let mut st = self.state();
        let State {
            peers,
            readers,
            inbox,
            pattern,
            ..
        } = &mut *st;
        readers.remove(&id);
        let inbox_was_empty = !inbox.has_input();
        if let Some(notice) = notice {
            let _ = inbox.deliver(id, &mut vec![notice]);
        }
        if matches!(slot, Slot::Persistent(_)) && !forget {
            if let Some(peer) = peers.get_mut(id) {
                peer.zmtp_minor = None;
            }
            let now_readable = inbox_was_empty && inbox.has_input();
            drop(st);
            if now_readable {
                self.notify_readable();
            }
            self.wake_app();
            return;
        }
        pattern.detach(id, peers, inbox);
        let now_readable = inbox_was_empty && inbox.has_input();
        let mut remote = None;
        if let Some(peer) = peers.remove(id) {
            match &peer.out {
                Out::Wire(pipe) => pipe.close(),
                // What was sent stays readable by the peer, as in libzmq.
                Out::Inproc(pipe) => remote = pipe.close(false),
            }
        }
        inbox.detach(id);
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
        let id = next_peer_id();
        let out = Out::Inproc(pipes.out.clone());
        admit(
            &mut st,
            &opts,
            id,
            identity,
            out,
            1,
            Some(pipes.inp.clone()),
        )?;
        let State {
            peers,
            inbox,
            pattern,
            ..
        } = &mut *st;
        let end: std::sync::Weak<dyn PipeEnd> = Arc::downgrade(self) as std::sync::Weak<SocketCore>;
        let waiting = pipes.inp.set_reader(end, id, inbox.activations.clone());
        if waiting {
            inbox.activations.add(id);
        }
        pattern.attached(id, peers);
        drop(st);
        self.notify_writable();
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
        if !st.inbox.activations.any() {
            return; // the common case, on every send of a publisher: one load
        }
        let State {
            inbox,
            pattern,
            peers,
            ..
        } = st;
        let Some(publisher) = pattern.publisher() else {
            return;
        };
        for (id, msg) in inbox.absorb_inproc() {
            publisher.input(id, msg, inbox, peers);
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
            let was_empty = !inbox.has_input();
            for msg in batch.drain(..) {
                publisher.input(id, msg, inbox, peers);
            }
            let now_readable = was_empty && inbox.has_input();
            drop(st);
            if now_readable {
                self.notify_readable();
            }
            return false;
        }
        let was_empty = !inbox.has_input();
        let Some(full) = inbox.deliver(id, batch) else {
            return false;
        };
        drop(st);
        if was_empty {
            self.notify_readable();
        }
        full
    }

    /// Whether peer `id`'s input queue is still at its high-water mark (re-arming the wake-up
    /// when it is).
    pub fn inbox_full(&self, id: PeerId) -> bool {
        self.state().inbox.still_full(id)
    }

    /// Closes the socket: nothing more can be sent or received; connections linger. A second
    /// call (the socket dropped after its context was shut down) does nothing.
    pub fn close(&self) {
        let mut st = self.state();
        if st.closed {
            return;
        }
        st.closed = true;
        let linger0 = self.options().linger() == Some(std::time::Duration::ZERO);
        let mut wire = Vec::new();
        let mut inproc = Vec::new();
        for (id, peer) in st.peers.entries() {
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
        self.notify_writable();
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
        pattern.send(msg, peers)
    }

    /// Whether a send would go through now.
    /// See [`crate::Socket::has_peer`].
    pub fn knows(&self, routing_id: &[u8]) -> Option<bool> {
        self.state().pattern.knows(routing_id)
    }

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
        if pattern.stateless_recv() && !inbox.conflates() {
            return pattern.recv_many(inbox, out, RECV_BATCH);
        }
        if let Some(msg) = pattern.recv(inbox)? {
            out.push_back(msg);
        }
        Ok(())
    }
}

/// Joins a new peer to routing: the pattern gives it its routing id (or refuses it), routing
/// learns where its messages go, and the inbox gets its queue (reading `inproc`'s pipe, for an
/// inproc peer). Returns what the peer's reader waits on for room.
fn admit(
    st: &mut State,
    opts: &Options,
    id: PeerId,
    identity: &Bytes,
    out: Out,
    zmtp_minor: u8,
    inproc: Option<Arc<InprocPipe>>,
) -> Option<Arc<Notify>> {
    let State {
        peers,
        inbox,
        pattern,
        ..
    } = st;
    let routing_id = pattern.attach(id, identity, peers)?;
    let peer = Peer {
        out,
        routing_id: routing_id.clone(),
        zmtp_minor: Some(zmtp_minor),
    };
    peers.insert(id, peer);
    let hwm = Options::hwm(opts.rcvhwm);
    Some(inbox.add(id, routing_id, hwm, opts.conflate, inproc))
}

impl Owner for SocketCore {
    fn zap(&self, request: Vec<Bytes>) -> Option<ZapCall> {
        let context = self.context.upgrade()?;
        if !context.inproc.is_bound(crate::zap::NAME) {
            return None;
        }
        // One DEALER per request, as libzmq has one pipe per connection: replies cannot be
        // crossed, and a request id of "1" is always right.
        let client = crate::Socket::new(context, SocketType::Dealer).ok()?;
        client.set_linger(0).ok()?;
        client.connect(crate::zap::ENDPOINT).ok()?;
        Some(Box::pin(async move {
            client.send_async(request).await.ok()?;
            client.recv_async().await.ok().map(Message::into_frames)
        }))
    }
    fn socket_type(&self) -> SocketType {
        self.socket_type
    }
    fn options(&self) -> Options {
        SocketCore::options(self)
    }
    fn monitors(&self) -> &Monitors {
        &self.monitors
    }
    fn io(&self) -> &Io {
        &self.io
    }
    fn closing(&self) -> watch::Receiver<bool> {
        SocketCore::closing(self)
    }
    fn is_closed(&self) -> bool {
        SocketCore::is_closed(self)
    }
    fn connect_slot(&self) -> Slot {
        SocketCore::connect_slot(self)
    }
    fn has_unsent(&self, id: PeerId) -> bool {
        self.state()
            .peers
            .get(id)
            .is_some_and(|p| !p.out.is_empty())
    }
    fn keeps_properties(&self) -> bool {
        self.keep_properties
            .load(std::sync::atomic::Ordering::Relaxed)
    }
    fn attach(
        &self,
        slot: Slot,
        identity: &Bytes,
        zmtp_minor: u8,
        properties: Option<Arc<Properties>>,
    ) -> Option<Attached> {
        SocketCore::attach(self, slot, identity, zmtp_minor, properties)
    }
    fn attach_inproc(self: &Arc<Self>, identity: &Bytes, pipes: &Pipes) -> Option<PeerId> {
        SocketCore::attach_inproc(self, identity, pipes)
    }
    fn detach(&self, slot: Slot, id: PeerId, forget: bool) {
        SocketCore::detach(self, slot, id, forget)
    }
    fn connect_routing_id(&self, endpoint: &str) -> Bytes {
        self.state()
            .connect_ids
            .get(endpoint)
            .cloned()
            .unwrap_or_default()
    }
    fn detach_with(&self, slot: Slot, id: PeerId, notice: Message) {
        SocketCore::detach_with(self, slot, id, false, Some(notice))
    }
    fn set_reader(&self, id: PeerId, side: Option<Arc<ReadSide>>) {
        SocketCore::set_reader(self, id, side)
    }
    #[inline]
    fn deliver(&self, id: PeerId, batch: &mut Vec<Message>) -> bool {
        SocketCore::deliver(self, id, batch)
    }
    fn inbox_full(&self, id: PeerId) -> bool {
        SocketCore::inbox_full(self, id)
    }
}

impl PipeEnd for SocketCore {
    fn readable(&self) {
        self.notify_readable();
    }

    fn writable(&self) {
        self.notify_writable();
    }

    fn peer_gone(&self, id: PeerId) {
        self.detach(Slot::Fresh, id, true);
    }
}
