//! The public socket (socket API layer).

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use event_listener::Listener;
use tokio::sync::watch;

use crate::context::ContextInner;
use crate::core::SocketCore;
use crate::endpoint::{Endpoint, Role};
use crate::engine::Slot;
use crate::engine::{AppPoll, Pumped, ReadSide, Woken};
use crate::message::{Outgoing, Sendable};
use crate::monitor::{EventKind, Monitor};
use crate::options::{self, OptionValue, Options, SocketOption};
use crate::poll::{Events, PollItem};
use crate::transport::{self, ipc, tcp, Target};
use crate::{Error, Message, Result, SocketType};

/// A ZeroMQ socket: one of the eleven types, bound and/or connected to any number of endpoints.
///
/// Every method takes `&self`, and a `Socket` is `Send + Sync`: share it with an [`Arc`] to send
/// from one thread or task while another receives (for the patterns that allow it, such as
/// DEALER, ROUTER or PAIR). The same socket serves blocking calls ([`send`](Self::send),
/// [`recv`](Self::recv), honouring `sndtimeo` / `rcvtimeo`), non-blocking ones
/// ([`try_send`](Self::try_send), [`try_recv`](Self::try_recv)) and async ones
/// ([`send_async`](Self::send_async), [`recv_async`](Self::recv_async)) that run under any
/// executor.
///
/// Dropping a socket closes it (`zmq_close`); its unsent messages linger per `linger`.
///
/// ```
/// use ferromq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let rep = ctx.socket(SocketType::Rep)?;
/// rep.bind("tcp://127.0.0.1:*")?;
/// let req = ctx.socket(SocketType::Req)?;
/// req.connect(&rep.last_endpoint().unwrap())?;
///
/// req.send("ping")?;
/// assert_eq!(rep.recv()?[0], "ping");
/// rep.send("pong")?;
/// assert_eq!(req.recv()?[0], "pong");
/// # Ok::<(), ferromq::Error>(())
/// ```
pub struct Socket {
    core: Arc<SocketCore>,
    endpoints: Mutex<Vec<Bound>>,
    /// Frames of a message being read with `recv_frame`.
    rx: Mutex<RxCache>,
    rcvmore: std::sync::atomic::AtomicBool,
    /// What a blocking receive sleeps on while it reads the socket's connection itself; made
    /// on first use.
    app: Mutex<Option<AppPoll>>,
    // Keeps the context (and its I/O thread) alive as long as the socket.
    context: Arc<ContextInner>,
}

/// What a receive takes before it looks at the socket's queues.
#[derive(Default)]
struct RxCache {
    /// Frames left of a message read partly with `recv_frame`.
    frames: std::collections::VecDeque<Bytes>,
    /// Whole messages taken from the queues in one go (or found by `events`), next in line.
    messages: std::collections::VecDeque<Message>,
}

impl RxCache {
    /// The next message: the rest of a partly read one, else a cached one, else a batch taken
    /// from the socket's queues under one lock.
    fn next(&mut self, core: &SocketCore) -> Result<Option<Message>> {
        if !self.frames.is_empty() {
            return Ok(Some(self.frames.drain(..).collect()));
        }
        if self.messages.is_empty() {
            core.try_recv_into(&mut self.messages)?;
        }
        Ok(self.messages.pop_front())
    }

    fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.messages.is_empty()
    }
}

/// An endpoint this socket is bound or connected to.
struct Bound {
    role: Role,
    given: String,
    resolved: String,
    stop: watch::Sender<bool>,
    /// For binds: disconnects when the listening socket is closed.
    closed: Option<std::sync::mpsc::Receiver<()>>,
    /// For connects: where the peer lives.
    slot: Option<Slot>,
    /// For inproc binds: the name in the context's registry.
    inproc_name: Option<String>,
}

impl Bound {
    fn connected(endpoint: &str, stop: watch::Sender<bool>, slot: Slot) -> Bound {
        Bound {
            role: Role::Connect,
            given: endpoint.to_owned(),
            resolved: endpoint.to_owned(),
            stop,
            closed: None,
            slot: Some(slot),
            inproc_name: None,
        }
    }
}

impl Socket {
    pub(crate) fn new(context: Arc<ContextInner>, socket_type: SocketType) -> Result<Socket> {
        Ok(Socket {
            core: SocketCore::new(socket_type, context.io(), Arc::downgrade(&context))?,
            endpoints: Mutex::new(Vec::new()),
            rx: Mutex::new(RxCache::default()),
            rcvmore: std::sync::atomic::AtomicBool::new(false),
            app: Mutex::new(None),
            context,
        })
    }

    /// The socket's type (libzmq's `ZMQ_TYPE`).
    pub fn socket_type(&self) -> SocketType {
        self.core.socket_type
    }

    // ----- endpoints -----

    /// Binds to an endpoint and accepts connections on it, e.g. `tcp://*:5555`,
    /// `tcp://127.0.0.1:*` (a free port; see [`last_endpoint`](Self::last_endpoint)) or
    /// `tcp://[::1]:5555`.
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] names a malformed endpoint and its fault;
    /// [`Error::AddrInUse`] names an address that is taken.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        if self.core.is_closed() {
            return Err(Error::Closed);
        }
        let parsed = Endpoint::parse(endpoint, Role::Bind)?;
        self.check_raw_transport(endpoint, &parsed)?;
        let (stop, stop_rx) = watch::channel(false);
        let listening = match parsed {
            Endpoint::Tcp { host, port } => tcp::bind(&self.core, endpoint, &host, port, stop_rx),
            Endpoint::Ipc(address) => ipc::bind(&self.core, endpoint, &address, stop_rx),
            Endpoint::Inproc(name) => {
                self.context.inproc.bind(&self.core, endpoint, &name)?;
                self.add_endpoint(Bound {
                    role: Role::Bind,
                    given: endpoint.to_owned(),
                    resolved: endpoint.to_owned(),
                    stop,
                    closed: None,
                    slot: None,
                    inproc_name: Some(name),
                });
                return Ok(());
            }
        };
        let listening = listening.inspect_err(|e| {
            let errno = match e {
                Error::AddrInUse { .. } => 98, // EADDRINUSE
                Error::Io { source, .. } => source.raw_os_error().unwrap_or(0) as u64,
                _ => 0,
            };
            self.core
                .monitors
                .emit(EventKind::BindFailed, endpoint, errno, Some(e.to_string()));
        })?;
        let bound = Bound {
            role: Role::Bind,
            given: endpoint.to_owned(),
            resolved: listening.endpoint,
            stop,
            closed: Some(listening.closed),
            slot: None,
            inproc_name: None,
        };
        self.add_endpoint(bound);
        Ok(())
    }

    /// Connects to an endpoint, e.g. `tcp://127.0.0.1:5555` or `tcp://localhost:5555`. The
    /// connection is made in the background and remade whenever it breaks (every
    /// `reconnect_ivl`); messages sent before it is up wait for it, up to the high-water mark.
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] names a malformed endpoint and its fault.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        if self.core.is_closed() {
            return Err(Error::Closed);
        }
        let parsed = Endpoint::parse(endpoint, Role::Connect)?;
        self.check_raw_transport(endpoint, &parsed)?;
        let (stop, stop_rx) = watch::channel(false);
        let target = match parsed {
            Endpoint::Tcp { host, port } => {
                Target::Tcp(host, port.expect("connect ports are definite"))
            }
            Endpoint::Ipc(address) => {
                ipc::address_of(&address).map_err(|reason| Error::InvalidEndpoint {
                    endpoint: endpoint.to_owned(),
                    reason,
                })?;
                Target::Ipc(address)
            }
            Endpoint::Inproc(name) => {
                let slot = self.context.inproc.connect(&self.core, &name);
                let mut bound = Bound::connected(endpoint, stop, Slot::Fresh);
                bound.slot = slot.map(Slot::Persistent);
                self.add_endpoint(bound);
                return Ok(());
            }
        };
        if self.core.socket_type.is_raw() {
            // As in libzmq, the option names the next connect only.
            let id = std::mem::take(&mut self.options().connect_routing_id);
            if !id.is_empty() {
                self.core.name_connections(endpoint, id);
            }
        }
        let slot = transport::connect(&self.core, target, endpoint, stop_rx);
        let bound = Bound::connected(endpoint, stop, slot);
        self.add_endpoint(bound);
        Ok(())
    }

    /// STREAM speaks to byte streams only: tcp and ipc, not inproc (as in libzmq).
    fn check_raw_transport(&self, endpoint: &str, parsed: &Endpoint) -> Result<()> {
        if self.core.socket_type.is_raw() && matches!(parsed, Endpoint::Inproc(_)) {
            return Err(Error::InvalidEndpoint {
                endpoint: endpoint.to_owned(),
                reason: "STREAM sockets take tcp and ipc, not inproc".to_owned(),
            });
        }
        Ok(())
    }

    /// Stops listening on a bound endpoint and closes the connections accepted through it.
    /// A wildcard bind is named by its resolved form ([`last_endpoint`](Self::last_endpoint)).
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.remove_endpoint(Role::Bind, endpoint)
    }

    /// Closes the connection to an endpoint given to [`connect`](Self::connect), dropping the
    /// messages still queued for it.
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.remove_endpoint(Role::Connect, endpoint)
    }

    /// The last endpoint bound or connected, with a wildcard port resolved
    /// (libzmq's `ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Option<String> {
        self.core.state().last_endpoint.clone()
    }

    fn add_endpoint(&self, bound: Bound) {
        self.core.state().last_endpoint = Some(bound.resolved.clone());
        self.endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(bound);
    }

    fn remove_endpoint(&self, role: Role, endpoint: &str) -> Result<()> {
        let mut eps = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        let found = eps
            .iter()
            .position(|b| b.role == role && (b.given == endpoint || b.resolved == endpoint));
        match found {
            Some(i) => {
                let bound = eps.remove(i);
                drop(eps);
                bound.stop.send_replace(true);
                if let Some(name) = &bound.inproc_name {
                    self.context.inproc.unbind(&self.core, name);
                }
                if let Some(slot @ Slot::Persistent(id)) = bound.slot {
                    // Like libzmq, nothing is routed to a disconnected peer from now on, even
                    // though its connection closes a moment later on the I/O thread.
                    self.core.detach(slot, id, true);
                }
                if let Some(closed) = bound.closed {
                    // The I/O thread closes the listening socket at once; wait for it (bounded,
                    // in case that thread is gone) so that the port can be bound again.
                    let _ = closed.recv_timeout(Duration::from_secs(5));
                }
                Ok(())
            }
            None => Err(Error::UnknownEndpoint {
                endpoint: endpoint.to_owned(),
            }),
        }
    }

    /// Starts monitoring the socket's connections, like `zmq_socket_monitor`: the returned
    /// [`Monitor`] receives every [`MonitorEvent`](crate::MonitorEvent) from now on (listening, accepted,
    /// connected, retried, handshake succeeded or failed, disconnected, closed ...), until the
    /// socket closes ([`EventKind::MonitorStopped`]). Several monitors may watch one socket.
    pub fn monitor(&self) -> Monitor {
        self.core.monitors.add()
    }

    // ----- sending and receiving -----

    /// Sends a message (all its frames, atomically), blocking while the pattern cannot route
    /// it (no peer, or every eligible peer at its high-water mark), for at most `sndtimeo`.
    ///
    /// It takes a [`Message`] or anything [`Sendable`]: borrowed bytes are copied as they are
    /// encoded (a small message to a tcp or ipc peer costs no allocation); owned ones are
    /// moved.
    ///
    /// # Errors
    /// [`Error::TimedOut`] when `sndtimeo` expires, [`Error::WouldBlock`] when it is 0,
    /// [`Error::WrongState`] when the pattern forbids sending now (a REQ awaiting its reply).
    pub fn send<'a>(&self, msg: impl Sendable<'a>) -> Result<()> {
        match self.core.try_send(msg.outgoing())? {
            None => Ok(()), // the common case: no clock read, no timeout arithmetic
            Some(back) => self.send_waiting(back, false),
        }
    }

    /// Sends like [`send`](Self::send), except that a signal handled in this thread while it
    /// waits ends the wait with [`Error::Interrupted`] (libzmq's `EINTR`; see
    /// [`recv_interruptible`](Self::recv_interruptible)). Nothing of the message was sent.
    ///
    /// # Errors
    /// As [`send`](Self::send), and [`Error::Interrupted`].
    pub fn send_interruptible<'a>(&self, msg: impl Sendable<'a>) -> Result<()> {
        match self.core.try_send(msg.outgoing())? {
            None => Ok(()),
            Some(back) => self.send_waiting(back, true),
        }
    }

    /// The waiting part of a send that could not go at once.
    fn send_waiting(&self, mut msg: Outgoing<'_>, interruptible: bool) -> Result<()> {
        let timeout = options::millis(self.core.sndtimeo.load(Relaxed));
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if timeout == Some(Duration::ZERO) {
                return Err(Error::WouldBlock);
            }
            if interruptible {
                let mut pending = Some(msg);
                let attempt = || match pending.take().map(|m| self.core.try_send(m)) {
                    Some(Ok(None)) => Ok(Some(())),
                    Some(Ok(Some(back))) => {
                        pending = Some(back);
                        Ok(None)
                    }
                    Some(Err(e)) => Err(e),
                    None => Ok(None),
                };
                let busy = matches!(self.sleep_until_rung(deadline, attempt)?, Rung::Busy);
                // The message comes back unless it went.
                let Some(back) = pending else {
                    return Ok(());
                };
                msg = back;
                if !busy {
                    continue;
                }
            }
            let listener = self.core.writable.listen();
            msg = match self.core.try_send(msg)? {
                None => return Ok(()),
                Some(back) => back,
            };
            wait(listener, deadline)?;
        }
    }

    /// Sends without blocking: [`Error::WouldBlock`] when the message cannot be routed now
    /// (libzmq's `ZMQ_DONTWAIT`).
    pub fn try_send<'a>(&self, msg: impl Sendable<'a>) -> Result<()> {
        match self.core.try_send(msg.outgoing())? {
            None => Ok(()),
            Some(_) => Err(Error::WouldBlock),
        }
    }

    /// Receives the next message, blocking for at most `rcvtimeo`.
    ///
    /// # Errors
    /// [`Error::TimedOut`] when `rcvtimeo` expires, [`Error::WouldBlock`] when it is 0,
    /// [`Error::WrongState`] when the pattern forbids receiving now (a REQ with no request out).
    pub fn recv(&self) -> Result<Message> {
        if let Some(msg) = self.next_message()? {
            return Ok(msg); // the common case: no clock read, no timeout arithmetic
        }
        self.recv_waiting(false)
    }

    /// Receives like [`recv`](Self::recv), except that a signal handled in this thread while
    /// it waits ends the wait with [`Error::Interrupted`], as libzmq's blocking calls return
    /// `EINTR`: the program's handler has run (Ctrl-C set a flag, say) and the program decides
    /// whether to wait again. Nothing is lost: no message was taken.
    ///
    /// ```
    /// # let ctx = ferromq::Context::new();
    /// let pull = ctx.socket(ferromq::SocketType::Pull)?;
    /// pull.set_rcvtimeo(10)?;
    /// // With no signal, only the timeout ends the wait.
    /// assert!(matches!(pull.recv_interruptible(), Err(ferromq::Error::TimedOut)));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`recv`](Self::recv), and [`Error::Interrupted`].
    pub fn recv_interruptible(&self) -> Result<Message> {
        if let Some(msg) = self.next_message()? {
            return Ok(msg);
        }
        self.recv_waiting(true)
    }

    /// The waiting part of a receive that found nothing at once.
    fn recv_waiting(&self, interruptible: bool) -> Result<Message> {
        let timeout = options::millis(self.core.rcvtimeo.load(Relaxed));
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if timeout == Some(Duration::ZERO) {
                return Err(Error::WouldBlock);
            }
            if self.read_itself(deadline, interruptible)? {
                if let Some(msg) = self.next_message()? {
                    return Ok(msg);
                }
                continue;
            }
            if interruptible {
                match self.sleep_until_rung(deadline, || self.next_message())? {
                    Rung::Done(Some(msg)) => return Ok(msg),
                    Rung::Done(None) | Rung::Woken => continue,
                    Rung::Busy => {} // another thread has the poll set: wait as `recv` does
                }
            }
            let listener = self.core.readable.listen();
            if let Some(msg) = self.next_message()? {
                return Ok(msg);
            }
            wait(listener, deadline)?;
        }
    }

    /// Runs `f` with the poll set a blocking receive sleeps on, made on first use; `None`
    /// while another thread holds it, or when the system has no descriptors to make it with.
    fn with_app_poll<R>(&self, f: impl FnOnce(&mut AppPoll) -> R) -> Option<R> {
        let mut app = match self.app.try_lock() {
            Ok(app) => app,
            Err(std::sync::TryLockError::Poisoned(app)) => app.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let poll = match &mut *app {
            Some(poll) => poll,
            None => {
                let (poll, waker) = AppPoll::new().ok()?;
                let _ = self.core.app_waker.set(waker);
                app.insert(poll)
            }
        };
        Some(f(poll))
    }

    /// Sleeps on the socket's waker, which rings for any change to its input (a message, a
    /// peer, close), until it rings, the deadline passes or a signal comes
    /// ([`Error::Interrupted`]); `attempt` looks once more after the waker is armed, so that
    /// nothing that came before is missed. It is the interruptible wait of a receiver that
    /// cannot read a connection itself.
    fn sleep_until_rung<T>(
        &self,
        deadline: Option<Instant>,
        attempt: impl FnOnce() -> Result<Option<T>>,
    ) -> Result<Rung<T>> {
        let slept = self.with_app_poll(|poll| {
            // SeqCst: pairs with `wake_app`'s load, as in `read_as_app`.
            self.core.app_polling.store(true, SeqCst);
            let found = attempt();
            if !matches!(found, Ok(None)) {
                self.core.app_polling.store(false, Relaxed);
                return found.map(Rung::Done);
            }
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let woken = poll.wait(None, timeout, true);
            self.core.app_polling.store(false, Relaxed);
            match woken {
                Ok(Woken::TimedOut) => Err(Error::TimedOut),
                Ok(_) => Ok(Rung::Woken),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(Error::Interrupted),
                Err(_) => Ok(Rung::Busy),
            }
        });
        slept.unwrap_or(Ok(Rung::Busy))
    }

    /// With an empty inbox, reads the socket's only connection in this thread and sleeps on
    /// it, when it may (see [`crate::engine::reader`]). `true` when it read, or was woken because the
    /// socket changed: look at the queues again. `false`: wait for the I/O thread instead.
    fn read_itself(&self, deadline: Option<Instant>, interruptible: bool) -> Result<bool> {
        let Some(side) = self.core.solo_reader() else {
            return Ok(false);
        };
        /// Gives the reading role back however reading ends, a panic included.
        struct Role<'a>(&'a ReadSide, bool);
        impl Drop for Role<'_> {
            fn drop(&mut self) {
                self.0.end_app(self.1);
            }
        }
        let read = self.with_app_poll(|poll| {
            if !side.begin_app() {
                return Ok(false); // the I/O thread is reading
            }
            let mut role = Role(&side, false);
            let result = self.read_as_app(&side, poll, deadline, interruptible);
            role.1 = matches!(result, Ok(Some(Pumped::Ended)));
            drop(role);
            result.map(|r| r.is_some())
        });
        // `None`: another thread already reads the connection, or no descriptors were left
        // for the poll set; either way the I/O thread reads.
        read.unwrap_or(Ok(false))
    }

    /// Reads until a message is delivered, the connection ends, the socket changes or the
    /// deadline passes. `None`: sleeping on the connection failed; let the I/O thread read.
    fn read_as_app(
        &self,
        side: &Arc<ReadSide>,
        poll: &mut AppPoll,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<Option<Pumped>> {
        let mut first = true;
        loop {
            if !std::mem::take(&mut first) && deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::TimedOut);
            }
            match side.pump(&*self.core, true) {
                Pumped::Read {
                    delivered: false, ..
                } => continue, // part of a frame: read on
                Pumped::WouldBlock => {}
                done => return Ok(Some(done)),
            }
            // Sleep on the connection, unless the socket changed since it was chosen (the
            // waker rings for any change after this store).
            self.core.app_polling.store(true, SeqCst);
            if !self
                .core
                .solo_reader()
                .is_some_and(|s| Arc::ptr_eq(&s, side))
            {
                self.core.app_polling.store(false, Relaxed);
                return Ok(Some(Pumped::WouldBlock));
            }
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let woken = poll.wait(Some(side), timeout, interruptible);
            self.core.app_polling.store(false, Relaxed);
            match woken {
                Ok(Woken::Readable) => {}
                Ok(Woken::Rung) => return Ok(Some(Pumped::WouldBlock)),
                Ok(Woken::TimedOut) => {} // checked at the top
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    return Err(Error::Interrupted)
                }
                Err(_) => return Ok(None),
            }
        }
    }

    /// Receives without blocking: [`Error::WouldBlock`] when no message is waiting.
    pub fn try_recv(&self) -> Result<Message> {
        self.next_message()?.ok_or(Error::WouldBlock)
    }

    /// Receives one frame at a time, like libzmq's `zmq_recv`: after it,
    /// [`rcvmore`](Self::rcvmore) says whether more frames of the same message follow. Blocks
    /// like [`recv`](Self::recv) when no message is under way. A whole-message receive after a
    /// partial one returns the frames that are left.
    ///
    /// Reading one message frame by frame from two threads at once interleaves their frames;
    /// use whole-message receives there.
    pub fn recv_frame(&self) -> Result<Bytes> {
        let mut cache = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        if cache.frames.is_empty() {
            drop(cache);
            let msg = self.recv()?;
            cache = self.rx.lock().unwrap_or_else(|e| e.into_inner());
            cache.frames.extend(msg.into_frames());
        }
        let frame = cache.frames.pop_front().unwrap_or_default();
        self.rcvmore.store(!cache.frames.is_empty(), Relaxed);
        Ok(frame)
    }

    /// `ZMQ_RCVMORE`: whether the frame last returned by [`recv_frame`](Self::recv_frame) is
    /// followed by more frames of the same message.
    pub fn rcvmore(&self) -> bool {
        self.rcvmore.load(Relaxed)
    }

    /// `ZMQ_EVENTS`: whether a message can be received ([`Events::IN`]) and whether a send
    /// would go through ([`Events::OUT`]) now, without blocking. To learn that a message is
    /// there, the socket takes it from its queues and keeps it for the next receive (a SUB has
    /// already filtered it).
    ///
    /// # Errors
    /// [`Error::Closed`] once the socket is closed.
    pub fn events(&self) -> Result<Events> {
        if self.core.is_closed() {
            return Err(Error::Closed);
        }
        if let Some(signal) = self.core.signal.get() {
            signal.clear();
        }
        let mut ready = Events::NONE;
        let input = self.has_input()?;
        if input {
            ready |= Events::IN;
        }
        // A REQ's reply or a REP's request found here is taken from the queues, which moves
        // the pattern on; until the application reads it, it cannot send, as in libzmq.
        let lockstep = matches!(self.socket_type(), SocketType::Req | SocketType::Rep);
        if self.core.can_send() && !(input && lockstep) {
            ready |= Events::OUT;
        }
        Ok(ready)
    }

    /// `ZMQ_FD`: a file descriptor that becomes readable when the socket's
    /// [`events`](Self::events) may have changed, for event loops that wait on descriptors
    /// (asyncio, epoll). It is edge style, as libzmq's: once it fires, read `events()` (which
    /// makes it unreadable again) and handle what it says until it says nothing, then wait on
    /// the descriptor again. It never becomes readable on its own account; only read
    /// `events()`. The socket owns it: do not close it.
    ///
    /// ```
    /// use ferromq::{Context, Events, SocketType};
    ///
    /// let ctx = Context::new();
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// pull.bind("inproc://fd-doc")?;
    /// let fd = pull.fd()?;
    /// assert!(!pull.events()?.contains(Events::IN));
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.connect("inproc://fd-doc")?;
    /// push.send("wake")?;
    /// // Now `fd` is readable (poll(2) it); events() says what happened.
    /// assert!(pull.events()?.contains(Events::IN));
    /// # let _ = fd;
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if the system has no descriptor to give.
    pub fn fd(&self) -> Result<std::os::fd::RawFd> {
        if let Some(signal) = self.core.signal.get() {
            return Ok(signal.fd());
        }
        let signal = crate::poll::Signal::new().map_err(|source| Error::Io {
            endpoint: "(ZMQ_FD)".into(),
            source,
        })?;
        // Raised at once: whatever happened before it existed is news to its first reader.
        signal.raise();
        Ok(self.core.signal.get_or_init(|| signal).fd())
    }

    /// ROUTER only: whether a connected peer has `routing_id` now, the check
    /// `router_mandatory` makes when a message is sent to it. `None` for other socket types.
    /// A frame-at-a-time sender (libzmq's C API) uses it to refuse a message at its routing id
    /// frame, as libzmq does.
    ///
    /// ```
    /// # let ctx = ferromq::Context::new();
    /// let router = ctx.socket(ferromq::SocketType::Router)?;
    /// assert_eq!(router.has_peer(b"nobody"), Some(false));
    /// let dealer = ctx.socket(ferromq::SocketType::Dealer)?;
    /// assert_eq!(dealer.has_peer(b"nobody"), None);
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn has_peer(&self, routing_id: &[u8]) -> Option<bool> {
        self.core.knows(routing_id)
    }

    /// Whether each message received from a tcp or ipc peer carries that peer's properties
    /// ([`Message::property`]: `Socket-Type`, `Identity`, `Peer-Address`, as libzmq's
    /// `zmq_msg_gets` gives them), for connections made from now on. Off by default: it
    /// costs a reference count per message. Messages from inproc peers carry none.
    pub fn set_message_properties(&self, on: bool) {
        self.core
            .keep_properties
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The core, for the context's list of its sockets.
    pub(crate) fn core_weak(&self) -> std::sync::Weak<SocketCore> {
        Arc::downgrade(&self.core)
    }

    /// Whether a receive would return at once; a message found is kept for it.
    fn has_input(&self) -> Result<bool> {
        let mut cache = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        if !cache.is_empty() {
            return Ok(true);
        }
        let RxCache { messages, .. } = &mut *cache;
        match self.core.try_recv_into(messages) {
            Ok(()) => Ok(!messages.is_empty()),
            Err(Error::WrongState { .. } | Error::NotSupported { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One send attempt that never blocks and hands the message back when it would: for
    /// loops that wait on their own (on [`fd`](Self::fd), say) and send the same message
    /// again, without a copy.
    ///
    /// ```
    /// # let ctx = ferromq::Context::new();
    /// let push = ctx.socket(ferromq::SocketType::Push)?;
    /// // No peer yet: the message comes back.
    /// let back = push.try_send_or_return(ferromq::Message::from("job"))?;
    /// assert_eq!(back.unwrap()[0], "job");
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`try_send`](Self::try_send), but for [`Error::WouldBlock`], which is `Ok(Some)`.
    pub fn try_send_or_return(&self, msg: Message) -> Result<Option<Message>> {
        Ok(self
            .core
            .try_send(Outgoing::Owned(msg))?
            .map(Outgoing::into_owned))
    }

    /// This socket in a [`poll`](crate::poll()) set, waiting for `events`.
    pub fn as_poll_item(&self, events: Events) -> PollItem<'_> {
        PollItem::new(self, events)
    }

    /// Notified when a message may have arrived.
    pub(crate) fn readable_listener(&self) -> event_listener::EventListener {
        self.core.readable.listen()
    }

    /// Notified when a send may go through.
    pub(crate) fn writable_listener(&self) -> event_listener::EventListener {
        self.core.writable.listen()
    }

    /// The rest of a message read partly with `recv_frame`, else the next message.
    fn next_message(&self) -> Result<Option<Message>> {
        let mut cache = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        if !cache.frames.is_empty() {
            self.rcvmore.store(false, Relaxed);
        }
        cache.next(&self.core)
    }

    /// Sends a message, waiting asynchronously while it cannot be routed. Works under any
    /// executor. Cancel-safe: if the future is dropped before it completes, no frame of the
    /// message was sent. `sndtimeo` does not apply; use your executor's timeout.
    pub async fn send_async<'a>(&self, msg: impl Sendable<'a>) -> Result<()> {
        let mut msg = msg.outgoing();
        loop {
            msg = match self.core.try_send(msg)? {
                None => return Ok(()),
                Some(back) => back,
            };
            let listener = self.core.writable.listen();
            msg = match self.core.try_send(msg)? {
                None => return Ok(()),
                Some(back) => back,
            };
            listener.await;
        }
    }

    /// Receives the next message asynchronously. Works under any executor. Cancel-safe: a
    /// message is taken only when the future completes, so dropping it loses nothing.
    /// `rcvtimeo` does not apply; use your executor's timeout.
    pub async fn recv_async(&self) -> Result<Message> {
        loop {
            if let Some(msg) = self.next_message()? {
                return Ok(msg);
            }
            let listener = self.core.readable.listen();
            if let Some(msg) = self.next_message()? {
                return Ok(msg);
            }
            listener.await;
        }
    }

    // ----- options -----

    /// The options this socket keeps.
    pub(crate) fn options(&self) -> std::sync::MutexGuard<'_, Options> {
        self.core.options.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets an option, like `zmq_setsockopt` (pyzmq's `setsockopt`). The value is checked
    /// against the option's row of the table ([`SocketOption::spec`]) and taken in the
    /// option's kind where the two agree (an integer 0 or 1 for a boolean, a string for
    /// bytes). The typed setters (`set_sndhwm` ...) come here too.
    ///
    /// ```
    /// use ferromq::{Context, SocketOption, SocketType};
    ///
    /// let ctx = Context::new();
    /// let sub = ctx.socket(SocketType::Sub)?;
    /// sub.set_option(SocketOption::Subscribe, "weather.")?;
    /// let rcvhwm = SocketOption::from_name("ZMQ_RCVHWM").unwrap();
    /// sub.set_option(rcvhwm, 10)?;
    /// assert_eq!(sub.rcvhwm(), 10);
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`], naming the option and what is wrong: a value out of range
    /// or of another kind, a socket type that does not take it, a read-only option.
    pub fn set_option(&self, option: SocketOption, value: impl Into<OptionValue>) -> Result<()> {
        let value = option.spec().accept(self.socket_type(), value.into())?;
        match (option, value) {
            (SocketOption::Subscribe, OptionValue::Bytes(topic)) => {
                self.change_subscription(true, topic)
            }
            (SocketOption::Unsubscribe, OptionValue::Bytes(topic)) => {
                self.change_subscription(false, topic)
            }
            (option, value) => {
                // The pattern and the timeouts keep copies for the hot path; no lock on the
                // options is held meanwhile (the socket's state is taken before them
                // elsewhere).
                self.core.configure(option, &value);
                self.options().store(option, value);
            }
        }
        Ok(())
    }

    /// Reads an option, like `zmq_getsockopt`: what it was set to, its default, or for the
    /// read-only options (`ZMQ_TYPE`, `ZMQ_RCVMORE`, `ZMQ_EVENTS`, `ZMQ_LAST_ENDPOINT`) the
    /// socket's state. Unlike libzmq it also reads the options libzmq only sets
    /// (`router_mandatory` ...; see [`Access`](crate::options::Access)).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for `subscribe` and `unsubscribe`, which are actions, and
    /// [`Error::Closed`] for `ZMQ_EVENTS` on a closed socket.
    pub fn get_option(&self, option: SocketOption) -> Result<OptionValue> {
        if let Some(value) = self.options().load(option) {
            return Ok(value);
        }
        Ok(match option {
            SocketOption::Type => OptionValue::Int(self.socket_type().number()),
            SocketOption::Rcvmore => OptionValue::Int(self.rcvmore().into()),
            SocketOption::Events => OptionValue::Int(self.events()?.bits().into()),
            SocketOption::Fd => OptionValue::Int(self.fd()?),
            SocketOption::ThreadSafe => OptionValue::Int(0),
            SocketOption::LastEndpoint => {
                OptionValue::String(self.last_endpoint().unwrap_or_default())
            }
            _ => {
                return Err(Error::InvalidOption {
                    option: option.spec().name,
                    reason: "it can be set, not read".into(),
                })
            }
        })
    }

    /// `ZMQ_SUBSCRIBE` (SUB only): receive messages whose first frame starts with `topic`
    /// (the empty topic matches everything). Subscriptions are counted: subscribing twice
    /// needs two unsubscribes. They are sent to every publisher, and again after each
    /// reconnect; publishers filter at the source.
    ///
    /// ```
    /// # let ctx = ferromq::Context::new();
    /// let sub = ctx.socket(ferromq::SocketType::Sub)?;
    /// sub.subscribe("weather.")?;
    /// sub.subscribe("")?; // everything
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn subscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.set_option(SocketOption::Subscribe, topic.as_ref())
    }

    /// `ZMQ_UNSUBSCRIBE` (SUB only): drops one reference to `topic`.
    pub fn unsubscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.set_option(SocketOption::Unsubscribe, topic.as_ref())
    }

    fn change_subscription(&self, on: bool, topic: Bytes) {
        let mut st = self.core.state();
        let crate::core::State { pattern, peers, .. } = &mut *st;
        if let Some(s) = pattern.subscriber() {
            s.change(on, topic, peers);
        }
    }
}

/// The typed setter and getter of each row of the options table that names a setter (`_`:
/// none), documented by the row.
macro_rules! option_accessors {
    (
        kept {$(
            $(#[doc = $doc:expr])*
            $variant:ident($field:ident, $setter:tt) $zmq:ident = $number:literal,
            $kind:ident [$($row:tt)*];
        )*}
        other {$($other:tt)*}
    ) => {
        $(option_accessors! { @row $setter; $variant; $field; $zmq; $kind; $(#[doc = $doc])* })*
    };
    (@row _; $($rest:tt)*) => {};
    (@row $setter:ident; $variant:ident; $field:ident; $zmq:ident; $kind:ident;
        $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter(&self, value: options::arg_type!($kind)) -> Result<()> {
            self.set_option(SocketOption::$variant, options::arg_value!($kind, value))
        }

        #[doc = concat!(
            "`", stringify!($zmq), "`, as set by [`", stringify!($setter),
            "`](Self::", stringify!($setter), ")."
        )]
        pub fn $field(&self) -> options::field_type!($kind) {
            self.options().$field.clone()
        }
    };
}

impl Socket {
    options::option_rows!(option_accessors);
}

/// Security: the typed forms of the PLAIN, CURVE and ZAP options. ZAP's handler is whatever the
/// application binds at [`zap::ENDPOINT`](crate::zap::ENDPOINT) in the same context.
impl Socket {
    /// `ZMQ_PLAIN_SERVER`: `true` makes this socket a PLAIN server (RFC 24) for connections
    /// made after it: each client's user name and password go to the ZAP handler, and while
    /// none is bound every client is refused. `false` goes back to NULL.
    ///
    /// ```
    /// use ferromq::{Context, SocketOption, OptionValue, SocketType};
    ///
    /// let ctx = Context::new();
    /// let server = ctx.socket(SocketType::Rep)?;
    /// server.set_plain_server(true)?;
    /// assert_eq!(server.get_option(SocketOption::Mechanism)?, OptionValue::Int(1));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn set_plain_server(&self, on: bool) -> Result<()> {
        self.set_option(SocketOption::PlainServer, on)
    }

    /// `ZMQ_PLAIN_USERNAME` and `ZMQ_PLAIN_PASSWORD` together: makes this socket a PLAIN
    /// client that logs in with these (each at most 255 bytes). PLAIN sends them in clear
    /// text: use it only where the network is trusted not to be read.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the one longer than 255 bytes.
    pub fn set_plain_credentials(
        &self,
        username: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
    ) -> Result<()> {
        let (username, password) = (username.as_ref(), password.as_ref());
        // Both checked before either is kept.
        for (option, value) in [
            (SocketOption::PlainUsername, username),
            (SocketOption::PlainPassword, password),
        ] {
            option.spec().accept(self.socket_type(), value.into())?;
        }
        self.set_option(SocketOption::PlainUsername, username)?;
        self.set_option(SocketOption::PlainPassword, password)
    }

    /// Makes this socket a CURVE server (RFC 25, 26) with the long-term key pair `keys`, for
    /// connections made after it (`ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_PUBLICKEY`, then
    /// `ZMQ_CURVE_SERVER`). Traffic is encrypted; clients must know `keys.public_z85()`. With
    /// a ZAP handler bound, it decides which client keys get in; without one, every client
    /// that knows our public key does.
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    ///
    /// let ctx = Context::new();
    /// let keys = ferromq::curve_keypair()?;
    /// let server = ctx.socket(SocketType::Rep)?;
    /// server.set_curve_server(&keys)?;
    /// server.bind("tcp://127.0.0.1:*")?;
    /// let client = ctx.socket(SocketType::Req)?;
    /// client.set_curve_client(keys.public(), None)?;
    /// client.connect(&server.last_endpoint().unwrap())?;
    /// client.send("secret plans")?;
    /// assert_eq!(server.recv()?.frames(), ["secret plans"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_curve_server(&self, keys: &crate::keys::CurveKeyPair) -> Result<()> {
        self.set_option(SocketOption::CurveSecretkey, &keys.secret()[..])?;
        self.set_option(SocketOption::CurvePublickey, &keys.public()[..])?;
        self.set_option(SocketOption::CurveServer, true)
    }

    /// Makes this socket a CURVE client of the server whose long-term public key is
    /// `server_key` (32 bytes, or 40 Z85 characters), with our long-term key pair `own`
    /// (`ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_SERVERKEY`). Without `own`,
    /// each connection makes a fresh key pair: encrypted, but anonymous to the server.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming `curve_serverkey` when `server_key` is not a key.
    pub fn set_curve_client(
        &self,
        server_key: impl AsRef<[u8]>,
        own: Option<&crate::keys::CurveKeyPair>,
    ) -> Result<()> {
        let server_key = server_key.as_ref();
        SocketOption::CurveServerkey
            .spec()
            .accept(self.socket_type(), server_key.into())?;
        if let Some(own) = own {
            self.set_option(SocketOption::CurveSecretkey, &own.secret()[..])?;
            self.set_option(SocketOption::CurvePublickey, &own.public()[..])?;
        }
        self.set_option(SocketOption::CurveServerkey, server_key)
    }

    /// `ZMQ_ZAP_DOMAIN`: the domain this socket names in its ZAP requests (at most 255
    /// bytes). With NULL, a domain makes this socket ask the ZAP handler about every peer
    /// (admitting them all while none is bound, unless `zap_enforce_domain` is set).
    pub fn set_zap_domain(&self, domain: impl AsRef<[u8]>) -> Result<()> {
        self.set_option(SocketOption::ZapDomain, domain.as_ref())
    }
}

/// How [`Socket::sleep_until_rung`] ended, when no error ended it.
enum Rung<T> {
    /// The last look before sleeping found this: no sleep.
    Done(Option<T>),
    /// The waker rang: look again.
    Woken,
    /// The poll set is in use by another thread (or could not be made): wait another way.
    Busy,
}

/// Waits for an event, up to `deadline`.
fn wait(listener: event_listener::EventListener, deadline: Option<Instant>) -> Result<()> {
    match deadline {
        None => {
            listener.wait();
            Ok(())
        }
        Some(d) => listener.wait_deadline(d).ok_or(Error::TimedOut),
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let eps = self.endpoints.get_mut().unwrap_or_else(|e| e.into_inner());
        for name in eps.iter().filter_map(|b| b.inproc_name.as_ref()) {
            self.context.inproc.unbind(&self.core, name);
        }
        self.core.close();
        // Once the socket is gone its addresses are free, as after `unbind`: a socket bound
        // next to the same ipc path or tcp port right after must not find it taken.
        for closed in eps.iter().filter_map(|b| b.closed.as_ref()) {
            let _ = closed.recv_timeout(Duration::from_secs(5));
        }
        // Last, after each listener's CLOSED, as libzmq orders them.
        self.core
            .monitors
            .emit(EventKind::MonitorStopped, "", 0, None);
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("type", &self.socket_type())
            .field("last_endpoint", &self.last_endpoint())
            .finish_non_exhaustive()
    }
}
