//! The connection state machine: greeting, the mechanism's handshake (NULL, PLAIN or
//! CURVE), then traffic (boxed, with CURVE).

use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use crate::frame::{Frame, Header, ABSOLUTE_MAX_SIZE, LONG, MORE};
use crate::greeting::{self, Greeting};
use crate::key::KeyPair;
use crate::mechanism::{self, AuthReply, AuthRequest, Mechanism};
use crate::{curve, encode};
use crate::{Command, Error, Metadata, SocketType};

/// What one side of a connection announces, and the limits it enforces.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Our socket type, sent as `Socket-Type` and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, sent as `Identity` by REQ, DEALER and ROUTER (empty: let the peer
    /// generate one).
    pub identity: Bytes,
    /// Largest frame accepted from the peer (libzmq's `maxmsgsize`; `None` is no limit other
    /// than [`ABSOLUTE_MAX_SIZE`]). Checked on the declared size, before anything is buffered.
    pub max_msg_size: Option<u64>,
    /// Extra properties appended to READY (libzmq's `ZMQ_METADATA`).
    pub properties: Metadata,
    /// Heartbeats to send, if any (libzmq's `heartbeat_ivl` and friends).
    pub heartbeat: Option<Heartbeat>,
    /// The security mechanism, with its credentials (NULL unless set).
    pub mechanism: Mechanism,
    /// With NULL: ask the authenticator about the peer ([`Event::Authenticate`]) before
    /// sending READY, as libzmq does on either side when `zap_domain` is set. PLAIN servers
    /// always ask.
    pub null_authenticates: bool,
}

/// ZMTP heartbeating (RFC 37 PING / PONG), with libzmq's meaning of its three options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Send a PING this often (`heartbeat_ivl`).
    pub interval: Duration,
    /// After a PING, close the connection if nothing at all arrives within this
    /// (`heartbeat_timeout`; libzmq's default is the interval; zero for never).
    pub timeout: Duration,
    /// Ask the peer to close the connection if it hears nothing from us within this
    /// (`heartbeat_ttl`; sent in tenths of a second, zero for none).
    pub ttl: Duration,
}

impl Config {
    /// A configuration with libzmq's defaults for `socket_type`.
    pub fn new(socket_type: SocketType) -> Self {
        Config {
            socket_type,
            identity: Bytes::new(),
            max_msg_size: None,
            properties: Metadata::new(),
            heartbeat: None,
            mechanism: Mechanism::Null,
            null_authenticates: false,
        }
    }

    fn ready(&self) -> Command {
        Command::Ready(self.metadata())
    }

    /// Our metadata, as READY (and PLAIN's INITIATE) carry it.
    fn metadata(&self) -> Metadata {
        let mut m = Metadata::new();
        m.push(
            "Socket-Type",
            Bytes::from_static(self.socket_type.as_str().as_bytes()),
        );
        if self.socket_type.sends_identity() {
            m.push("Identity", self.identity.clone());
        }
        for (name, value) in self.properties.iter() {
            m.push(name, value.clone());
        }
        m
    }
}

/// What the peer told us during the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerInfo {
    /// The peer's socket type (already checked to be compatible with ours).
    pub socket_type: SocketType,
    /// The peer's `Identity` property (empty when it sent none).
    pub identity: Bytes,
    /// The peer's ZMTP minor version: 0 means ZMTP 3.0, where subscriptions travel as data
    /// frames starting with 1 (subscribe) or 0 (cancel) instead of commands.
    pub minor_version: u8,
    /// Every property of the peer's READY (or PLAIN INITIATE).
    pub metadata: Metadata,
    /// Who the authenticator says the peer is (its reply's user id; empty without one).
    pub user_id: Bytes,
}

/// Something the peer did, returned by [`Connection::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake finished; the peer may now take part in routing.
    Ready(PeerInfo),
    /// A server's handshake waits for the authenticator (ZAP, RFC 27) to judge these
    /// credentials: answer with [`Connection::authenticated`].
    Authenticate(AuthRequest),
    /// A message frame. A message is a run of frames whose last has `more == false`.
    Frame(Frame),
    /// A SUBSCRIBE command (ZMTP 3.1).
    Subscribe(Bytes),
    /// A CANCEL command (ZMTP 3.1).
    Cancel(Bytes),
    /// A PING; its PONG is already queued for [`Connection::poll_transmit`].
    Ping {
        /// The TTL the peer asked for, in tenths of a second.
        ttl: u16,
    },
    /// A PONG answering one of our PINGs.
    Pong {
        /// The context our PING carried.
        context: Bytes,
    },
}

#[derive(Debug)]
enum State {
    ExpectGreeting,
    Handshake { minor: u8, step: Step },
    Traffic,
    Failed(Error),
}

/// Where a handshake is, after the greetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The peer's READY (NULL; a PLAIN client after INITIATE).
    Ready,
    /// A PLAIN client's WELCOME.
    Welcome,
    /// A PLAIN server's HELLO.
    Hello,
    /// A PLAIN server, or NULL asking about its peer, waiting for
    /// [`Connection::authenticated`].
    Authenticating,
    /// A PLAIN server's INITIATE.
    Initiate,
    /// A CURVE client's WELCOME.
    CurveWelcome,
    /// A CURVE client's READY.
    CurveReady,
    /// A CURVE server's HELLO.
    CurveHello,
    /// A CURVE server's INITIATE.
    CurveInitiate,
}

/// A CURVE handshake under way.
enum CurveState {
    Client(Box<curve::Client>),
    Server(Box<curve::Server>),
}

impl std::fmt::Debug for CurveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CurveState::Client(_) => "CurveClient",
            CurveState::Server(_) => "CurveServer",
        })
    }
}

/// One ZMTP connection, without I/O.
///
/// The owner moves bytes in both directions:
///
/// * **Input**: read from the transport into [`read_buf`](Self::read_buf) (or copy with
///   [`feed`](Self::feed)), then call [`poll_event`](Self::poll_event) until it returns
///   `Ok(None)`. An `Err` is final: send what [`poll_transmit`](Self::poll_transmit) still holds
///   (an ERROR command, if any) and close the transport.
/// * **Output**: after creating the connection, and after every `poll_event` and
///   [`send_command`](Self::send_command), call `poll_transmit` and write what it appended. Data
///   frames do not pass through here: encode them with [`encode`](crate::encode) into the same
///   stream once [`Event::Ready`] has been seen.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    state: State,
    rx: BytesMut,
    tx: BytesMut,
    want: usize,
    timers: Timers,
    /// The authenticator's user id for the peer.
    user_id: Bytes,
    /// CURVE's handshake, until READY.
    curve: Option<CurveState>,
    /// A CURVE server's client metadata, kept while the authenticator decides.
    initiated: Option<Metadata>,
    /// The handshake finished in [`authenticated`](Connection::authenticated): the next
    /// `poll_event` reports it.
    ready: Option<PeerInfo>,
    /// CURVE: opens the peer's MESSAGE boxes.
    opener: Option<curve::Opener>,
    /// CURVE: boxes our frames, until the owner takes it.
    sealer: Option<curve::Sealer>,
}

/// Heartbeat deadlines; all `None` until the handshake is done and time has been given.
#[derive(Debug, Default)]
struct Timers {
    /// When to send the next PING.
    next_ping: Option<Instant>,
    /// A PING went out: something must arrive by then.
    pong_by: Option<Instant>,
    /// The peer's PING asked for traffic within its TTL: something must arrive by then.
    ttl_by: Option<Instant>,
    /// The TTL of a PING decoded since the last `received`.
    peer_ttl: Option<Duration>,
}

impl Connection {
    /// Starts a connection; our greeting (and with NULL our READY) is queued for
    /// `poll_transmit` at once. A mechanism with credentials sends them only once the peer's
    /// greeting shows that it speaks the same mechanism.
    pub fn new(config: Config) -> Self {
        let mut tx = BytesMut::with_capacity(128);
        let mechanism = &config.mechanism;
        tx.extend_from_slice(&Greeting::encode(mechanism.name(), mechanism.as_server()));
        if *mechanism == Mechanism::Null && !config.null_authenticates {
            config.ready().encode(&mut tx);
        }
        Connection {
            config,
            state: State::ExpectGreeting,
            rx: BytesMut::new(),
            tx,
            want: greeting::LEN,
            timers: Timers::default(),
            user_id: Bytes::new(),
            curve: None,
            initiated: None,
            ready: None,
            opener: None,
            sealer: None,
        }
    }

    /// The configuration this connection was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the handshake finished.
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Traffic)
    }

    /// Whether traffic is boxed (CURVE): frames from the peer are opened here, and frames to
    /// it must be sealed with [`take_sealer`](Self::take_sealer)'s sealer.
    pub fn is_encrypted(&self) -> bool {
        self.opener.is_some()
    }

    /// Once a CURVE handshake finished: the sealer for every frame and command sent after
    /// it, in wire order (data frames and whatever [`poll_transmit`](Self::poll_transmit)
    /// gives alike). Taken once; `None` for NULL and PLAIN.
    pub fn take_sealer(&mut self) -> Option<curve::Sealer> {
        self.sealer.take()
    }

    /// The buffer the transport reads into. Reserve space, read, then call
    /// [`poll_event`](Self::poll_event). [`read_hint`](Self::read_hint) says how many bytes
    /// the frame being received still needs.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.rx
    }

    /// Copies bytes received from the peer into the input buffer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
    }

    /// Bytes still missing to complete the frame (or greeting) being received; 0 when input is
    /// waiting to be decoded. Useful to reserve space for a large frame in one step.
    pub fn read_hint(&self) -> usize {
        self.want.saturating_sub(self.rx.len())
    }

    /// Appends everything queued for the peer (greeting, handshake, PONGs, ERROR ...) to `out`
    /// and returns how many bytes that was.
    pub fn poll_transmit(&mut self, out: &mut BytesMut) -> usize {
        let n = self.tx.len();
        if n > 0 {
            if out.is_empty() {
                std::mem::swap(out, &mut self.tx);
            } else {
                out.extend_from_slice(&self.tx);
                self.tx.clear();
            }
        }
        n
    }

    /// Whether `poll_transmit` has anything.
    pub fn has_transmit(&self) -> bool {
        !self.tx.is_empty()
    }

    /// Queues a command for the peer (PING, SUBSCRIBE, CANCEL ...).
    pub fn send_command(&mut self, command: &Command) {
        command.encode(&mut self.tx);
    }

    /// Tells the connection that bytes from the peer arrived at `now` (call it after decoding
    /// them). Any traffic satisfies a pending PING and the peer's TTL; a PING among those bytes
    /// starts a new TTL. Once the handshake is done, this also starts our heartbeats.
    pub fn received(&mut self, now: Instant) {
        if !self.is_established() {
            return;
        }
        let t = &mut self.timers;
        t.pong_by = None;
        t.ttl_by = t.peer_ttl.take().map(|ttl| now + ttl);
        if let (None, Some(hb)) = (t.next_ping, self.config.heartbeat) {
            t.next_ping = Some(now + hb.interval);
        }
    }

    /// The next moment [`handle_timeout`](Self::handle_timeout) has something to do, if any.
    #[must_use]
    pub fn next_timeout(&self) -> Option<Instant> {
        let t = &self.timers;
        [t.next_ping, t.pong_by, t.ttl_by]
            .into_iter()
            .flatten()
            .min()
    }

    /// Acts on the heartbeat deadlines at `now`: queues a PING when one is due (see
    /// [`poll_transmit`](Self::poll_transmit)), or fails with [`Error::HeartbeatExpired`] when
    /// the peer went silent for longer than allowed; the connection must then be closed.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        let t = &mut self.timers;
        let expired = [t.pong_by, t.ttl_by]
            .into_iter()
            .flatten()
            .any(|d| d <= now);
        if expired {
            let e = Error::HeartbeatExpired;
            self.state = State::Failed(e.clone());
            return Err(e);
        }
        if let (Some(due), Some(hb)) = (t.next_ping, self.config.heartbeat) {
            if due <= now {
                let ttl = (hb.ttl.as_millis() / 100).min(u128::from(u16::MAX)) as u16;
                Command::Ping {
                    ttl,
                    context: Bytes::new(),
                }
                .encode(&mut self.tx);
                t.next_ping = Some(now + hb.interval);
                if !hb.timeout.is_zero() {
                    t.pong_by.get_or_insert(now + hb.timeout);
                }
            }
        }
        Ok(())
    }

    /// The next message frame, when the input starts with a whole one after the handshake;
    /// `None` for anything else (a command, a partial or oversized frame, a protocol error, or
    /// no input), which [`poll_event`](Self::poll_event) then handles. A receiver's fast
    /// path: it returns exactly what `poll_event` would, without its general machinery.
    pub fn poll_frame(&mut self) -> Option<Frame> {
        let mut frame = None;
        self.poll_frames_upto(1, |f| frame = Some(f));
        frame
    }

    /// Hands `each` every whole message frame at the front of the input, in order, and
    /// returns how many there were: [`poll_frame`](Self::poll_frame) in a loop, for less. The
    /// frames are cut from one shared piece of the input (one reference count taken for the
    /// run, then one per frame), where each `poll_frame` splits the input anew. What stops
    /// the run (a command, a partial or oversized frame, a protocol error, the end of the
    /// input) is left to [`poll_event`](Self::poll_event).
    pub fn poll_frames(&mut self, each: impl FnMut(Frame)) -> usize {
        self.poll_frames_upto(usize::MAX, each)
    }

    fn poll_frames_upto(&mut self, most: usize, mut each: impl FnMut(Frame)) -> usize {
        if !matches!(self.state, State::Traffic) || self.opener.is_some() || self.ready.is_some() {
            return 0;
        }
        let max = self.max_frame();
        let (mut end, mut count) = (0, 0);
        while count < most {
            match whole_data_frame(&self.rx[end..], max) {
                Some((_, header_len, size)) => end += header_len + size,
                None => break,
            }
            count += 1;
        }
        if count == 0 {
            return 0;
        }
        self.want = 0;
        let run = self.rx.split_to(end).freeze();
        let mut at = 0;
        while at < end {
            let (more, header_len, size) =
                whole_data_frame(&run[at..], max).expect("checked above");
            at += header_len;
            each(Frame {
                more,
                data: run.slice(at..at + size),
            });
            at += size;
        }
        count
    }

    /// Decodes the next event from the input buffer. `Ok(None)`: more bytes are needed.
    #[must_use = "events must be handled and errors must close the connection"]
    pub fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        if let Some(peer) = self.ready.take() {
            return Ok(Some(Event::Ready(peer)));
        }
        let result = self.step();
        if let Err(e) = &result {
            self.fail(e.clone());
        }
        result
    }

    /// The authenticator's verdict on the credentials of [`Event::Authenticate`]: with 200
    /// the handshake goes on; otherwise it fails with [`Error::AuthFailed`], after an ERROR
    /// command carrying the status (400, 500) or, for 300, without one, as libzmq does.
    /// Call [`poll_transmit`](Self::poll_transmit) after it.
    pub fn authenticated(&mut self, reply: AuthReply) -> Result<(), Error> {
        let State::Handshake {
            minor,
            step: Step::Authenticating,
        } = self.state
        else {
            return Err(Error::UnexpectedCommand {
                command: "authentication reply".into(),
                state: "when no authentication was asked",
            });
        };
        if reply.status == 200 && matches!(self.curve, Some(CurveState::Server(_))) {
            self.user_id = reply.user_id;
            let metadata = self.initiated.take().unwrap_or_default();
            let result = self.curve_ready(metadata, minor);
            if let Err(e) = &result {
                self.fail(e.clone());
            }
            return result;
        }
        if reply.status == 200 {
            self.user_id = reply.user_id;
            let step = if self.config.mechanism == Mechanism::Null {
                self.config.ready().encode(&mut self.tx);
                Step::Ready
            } else {
                Command::Unknown {
                    name: Bytes::from_static(b"WELCOME"),
                    data: Bytes::new(),
                }
                .encode(&mut self.tx);
                Step::Initiate
            };
            self.state = State::Handshake { minor, step };
            return Ok(());
        }
        if reply.status != 300 {
            Command::Error {
                reason: Bytes::from(reply.status.to_string()),
            }
            .encode(&mut self.tx);
        }
        let e = Error::AuthFailed {
            status: reply.status,
        };
        self.state = State::Failed(e.clone());
        Err(e)
    }

    fn fail(&mut self, error: Error) {
        // A peer that got past the greeting speaks ZMTP 3 and understands ERROR: tell it why.
        let handshaking = matches!(self.state, State::Handshake { .. });
        let foreign = matches!(error, Error::PeerError { .. });
        if handshaking && !foreign {
            let reason = error.to_string();
            Command::Error {
                reason: Bytes::from(reason),
            }
            .encode(&mut self.tx);
        }
        self.state = State::Failed(error);
    }

    /// Queues a command whose body (name included) is already encoded.
    fn queue_command(&mut self, body: &[u8]) {
        encode::header(&mut self.tx, body.len(), false, true);
        self.tx.extend_from_slice(body);
    }

    /// A CURVE server admitted its client: READY, and traffic is boxed from now on.
    fn curve_ready(&mut self, metadata: Metadata, minor: u8) -> Result<(), Error> {
        let peer = self.check_peer(metadata, minor)?;
        let Some(CurveState::Server(mut server)) = self.curve.take() else {
            return Err(Error::Cryptographic);
        };
        let ready = server.ready(&self.config.metadata())?;
        self.queue_command(&ready);
        self.start_boxing(server.into_codec())?;
        self.ready = Some(peer);
        Ok(())
    }

    fn start_boxing(&mut self, codec: Option<(curve::Sealer, curve::Opener)>) -> Result<(), Error> {
        let (sealer, opener) = codec.ok_or(Error::Cryptographic)?;
        self.sealer = Some(sealer);
        self.opener = Some(opener);
        self.state = State::Traffic;
        Ok(())
    }

    /// One CURVE handshake command (its whole body), in step `step`.
    fn curve_step(&mut self, step: Step, minor: u8, body: &[u8]) -> Result<Option<Event>, Error> {
        let (expected, state): (&[u8], _) = match step {
            Step::CurveWelcome => (b"\x07WELCOME", "where CURVE expects WELCOME"),
            Step::CurveReady => (b"\x05READY", "where CURVE expects READY"),
            Step::CurveHello => (b"\x05HELLO", "where CURVE expects HELLO"),
            _ => (b"\x08INITIATE", "where CURVE expects INITIATE"),
        };
        if !body.starts_with(expected) {
            let name_len = body.first().map_or(0, |&n| usize::from(n));
            let name = body.get(1..1 + name_len).unwrap_or(b"unnamed");
            return Err(Error::UnexpectedCommand {
                command: String::from_utf8_lossy(name).into_owned(),
                state,
            });
        }
        match (step, self.curve.as_mut()) {
            (Step::CurveWelcome, Some(CurveState::Client(client))) => {
                let mut meta = BytesMut::new();
                self.config.metadata().encode(&mut meta);
                let initiate = client.welcome(body, &meta)?;
                self.queue_command(&initiate);
                self.state = State::Handshake {
                    minor,
                    step: Step::CurveReady,
                };
                Ok(None)
            }
            (Step::CurveReady, Some(CurveState::Client(client))) => {
                let metadata = client.ready(body)?;
                let peer = self.check_peer(metadata, minor)?;
                let Some(CurveState::Client(client)) = self.curve.take() else {
                    return Err(Error::Cryptographic);
                };
                self.start_boxing(client.into_codec())?;
                Ok(Some(Event::Ready(peer)))
            }
            (Step::CurveHello, Some(CurveState::Server(server))) => {
                let welcome = server.hello(body)?;
                self.queue_command(&welcome);
                self.state = State::Handshake {
                    minor,
                    step: Step::CurveInitiate,
                };
                Ok(None)
            }
            (Step::CurveInitiate, Some(CurveState::Server(server))) => {
                let initiated = server.initiate(body)?;
                self.initiated = Some(initiated.metadata);
                self.state = State::Handshake {
                    minor,
                    step: Step::Authenticating,
                };
                Ok(Some(Event::Authenticate(AuthRequest {
                    mechanism: "CURVE",
                    credentials: vec![Bytes::copy_from_slice(&initiated.client_key)],
                })))
            }
            _ => Err(Error::Cryptographic),
        }
    }

    fn step(&mut self) -> Result<Option<Event>, Error> {
        loop {
            match self.state {
                State::ExpectGreeting => {
                    Greeting::check_prefix(&self.rx[..self.rx.len().min(greeting::LEN)])?;
                    if self.rx.len() < greeting::LEN {
                        return Ok(None);
                    }
                    let raw = self.rx.split_to(greeting::LEN);
                    let greeting = Greeting::decode(raw[..].try_into().expect("64 bytes"))?;
                    let ours = self.config.mechanism.name();
                    if greeting.mechanism != ours {
                        return Err(Error::MechanismMismatch {
                            ours: ours.into(),
                            theirs: greeting.mechanism,
                        });
                    }
                    let step = match &self.config.mechanism {
                        Mechanism::PlainClient { username, password } => {
                            let mut data = BytesMut::new();
                            mechanism::encode_hello(&mut data, username, password);
                            Command::Unknown {
                                name: Bytes::from_static(b"HELLO"),
                                data: data.freeze(),
                            }
                            .encode(&mut self.tx);
                            Step::Welcome
                        }
                        Mechanism::PlainServer => Step::Hello,
                        Mechanism::CurveClient { secret, server_key } => {
                            let long = match secret {
                                Some(secret) => KeyPair::from_secret(secret.clone()),
                                None => KeyPair::generate().map_err(|_| Error::Cryptographic)?,
                            };
                            let mut client = curve::Client::new(long, *server_key)?;
                            let hello = client.hello()?;
                            self.queue_command(&hello);
                            self.curve = Some(CurveState::Client(Box::new(client)));
                            Step::CurveWelcome
                        }
                        Mechanism::CurveServer { secret } => {
                            let long = KeyPair::from_secret(secret.clone());
                            let server = curve::Server::new(long)?;
                            self.curve = Some(CurveState::Server(Box::new(server)));
                            Step::CurveHello
                        }
                        Mechanism::Null if self.config.null_authenticates => {
                            self.state = State::Handshake {
                                minor: greeting.minor,
                                step: Step::Authenticating,
                            };
                            return Ok(Some(Event::Authenticate(AuthRequest {
                                mechanism: "NULL",
                                credentials: Vec::new(),
                            })));
                        }
                        Mechanism::Null => Step::Ready,
                    };
                    self.state = State::Handshake {
                        minor: greeting.minor,
                        step,
                    };
                }
                State::Handshake { minor, step } => {
                    if step == Step::Authenticating {
                        return Ok(None); // the owner's `authenticated` moves on
                    }
                    let Some((header, body)) = self.next_frame()? else {
                        return Ok(None);
                    };
                    if !header.is_command() {
                        return Err(Error::UnexpectedMessage);
                    }
                    let unexpected = |command: &Command| Error::UnexpectedCommand {
                        command: String::from_utf8_lossy(command.name()).into_owned(),
                        state: match step {
                            Step::Ready if self.config.mechanism == Mechanism::Null => {
                                "during the NULL handshake"
                            }
                            Step::Ready => "where PLAIN expects READY",
                            Step::Welcome => "where PLAIN expects WELCOME",
                            Step::Hello => "where PLAIN expects HELLO",
                            Step::Initiate | Step::Authenticating => "where PLAIN expects INITIATE",
                            _ => "during the CURVE handshake",
                        },
                    };
                    if let Some(reason) = libzmq_plain_error(&self.config.mechanism, &body) {
                        return Err(Error::PeerError { reason });
                    }
                    let curve = matches!(
                        step,
                        Step::CurveWelcome
                            | Step::CurveReady
                            | Step::CurveHello
                            | Step::CurveInitiate
                    );
                    if curve && !body.starts_with(b"\x05ERROR") {
                        match self.curve_step(step, minor, &body)? {
                            Some(event) => return Ok(Some(event)),
                            None => continue,
                        }
                    }
                    let (name, data) = match Command::decode(body)? {
                        Command::Error { reason } => {
                            return Err(Error::PeerError {
                                reason: String::from_utf8_lossy(&reason).into_owned(),
                            })
                        }
                        Command::Ready(metadata) if step == Step::Ready => {
                            let peer = self.check_peer(metadata, minor)?;
                            self.state = State::Traffic;
                            return Ok(Some(Event::Ready(peer)));
                        }
                        Command::Unknown { name, data } => (name, data),
                        other => return Err(unexpected(&other)),
                    };
                    match (step, &name[..]) {
                        (Step::Welcome, b"WELCOME") => {
                            if !data.is_empty() {
                                return Err(Error::MalformedCommand {
                                    command: "WELCOME".into(),
                                    reason: "PLAIN's WELCOME carries nothing",
                                });
                            }
                            let mut metadata = BytesMut::new();
                            self.config.metadata().encode(&mut metadata);
                            Command::Unknown {
                                name: Bytes::from_static(b"INITIATE"),
                                data: metadata.freeze(),
                            }
                            .encode(&mut self.tx);
                            self.state = State::Handshake {
                                minor,
                                step: Step::Ready,
                            };
                        }
                        (Step::Hello, b"HELLO") => {
                            let (username, password) = mechanism::parse_hello(data)?;
                            self.state = State::Handshake {
                                minor,
                                step: Step::Authenticating,
                            };
                            return Ok(Some(Event::Authenticate(AuthRequest {
                                mechanism: "PLAIN",
                                credentials: vec![username, password],
                            })));
                        }
                        (Step::Initiate, b"INITIATE") => {
                            let metadata =
                                Metadata::decode(data).map_err(|_| Error::MalformedCommand {
                                    command: "INITIATE".into(),
                                    reason: "malformed metadata",
                                })?;
                            let peer = self.check_peer(metadata, minor)?;
                            self.config.ready().encode(&mut self.tx);
                            self.state = State::Traffic;
                            return Ok(Some(Event::Ready(peer)));
                        }
                        _ => return Err(unexpected(&Command::Unknown { name, data })),
                    }
                }
                State::Traffic => {
                    let Some((header, body)) = self.next_frame_mut()? else {
                        return Ok(None);
                    };
                    let (command, more, body) = match &mut self.opener {
                        // CURVE: every frame is a MESSAGE box, whatever its outer flags.
                        Some(opener) => {
                            let (frame, more, command) = opener.open(body)?;
                            (command, more, frame)
                        }
                        None => (header.is_command(), header.more(), body.freeze()),
                    };
                    if !command {
                        return Ok(Some(Event::Frame(Frame { more, data: body })));
                    }
                    match Command::decode(body)? {
                        Command::Subscribe(topic) => return Ok(Some(Event::Subscribe(topic))),
                        Command::Cancel(topic) => return Ok(Some(Event::Cancel(topic))),
                        Command::Ping { ttl, context } => {
                            Command::Pong { context }.encode(&mut self.tx);
                            if ttl > 0 {
                                self.timers.peer_ttl =
                                    Some(Duration::from_millis(u64::from(ttl) * 100));
                            }
                            return Ok(Some(Event::Ping { ttl }));
                        }
                        Command::Pong { context } => return Ok(Some(Event::Pong { context })),
                        Command::Error { reason } => {
                            return Err(Error::PeerError {
                                reason: String::from_utf8_lossy(&reason).into_owned(),
                            })
                        }
                        Command::Ready(_) => {
                            return Err(Error::UnexpectedCommand {
                                command: "READY".into(),
                                state: "after the handshake",
                            })
                        }
                        // RFC 37 leaves room for new commands: ignore what we do not know.
                        Command::Unknown { .. } => continue,
                    }
                }
                State::Failed(ref e) => return Err(e.clone()),
            }
        }
    }

    /// The largest frame accepted: `max_msg_size`, and never more than the protocol's
    /// absolute limit or than this target's memory can address (so that a size always fits a
    /// `usize`, also on 32-bit targets).
    fn max_frame(&self) -> u64 {
        let addressable = u64::try_from(usize::MAX - 9).unwrap_or(u64::MAX);
        self.config
            .max_msg_size
            .map_or(ABSOLUTE_MAX_SIZE, |m| m.min(ABSOLUTE_MAX_SIZE))
            .min(addressable)
    }

    /// Cuts the next whole frame out of the input, checking its declared size first.
    fn next_frame(&mut self) -> Result<Option<(Header, Bytes)>, Error> {
        Ok(self.next_frame_mut()?.map(|(h, body)| (h, body.freeze())))
    }

    /// [`next_frame`](Self::next_frame), its body still writable (a box opens in place).
    fn next_frame_mut(&mut self) -> Result<Option<(Header, BytesMut)>, Error> {
        let Some(header) = Header::decode(&self.rx)? else {
            self.want = 9;
            return Ok(None);
        };
        let max = self.max_frame();
        if header.size > max {
            return Err(Error::FrameTooLarge {
                size: header.size,
                max,
            });
        }
        // Cannot overflow: size <= usize::MAX - 9 and len <= 9.
        let total = header.len + header.size as usize;
        if self.rx.len() < total {
            self.want = total;
            return Ok(None);
        }
        self.rx.advance(header.len);
        let body = self.rx.split_to(header.size as usize);
        self.want = 0;
        Ok(Some((header, body)))
    }

    fn check_peer(&self, metadata: Metadata, minor: u8) -> Result<PeerInfo, Error> {
        let name = metadata
            .get("Socket-Type")
            .ok_or(Error::MissingSocketType)?;
        let theirs = SocketType::from_name(name)
            .ok_or_else(|| Error::UnknownSocketType(String::from_utf8_lossy(name).into_owned()))?;
        let ours = self.config.socket_type;
        if !ours.is_compatible(theirs) {
            return Err(Error::IncompatiblePeer { ours, theirs });
        }
        let identity = metadata.get("Identity").cloned().unwrap_or_default();
        if identity.len() > 255 {
            return Err(Error::InvalidIdentity("longer than 255 bytes"));
        }
        if identity.first() == Some(&0) {
            return Err(Error::InvalidIdentity(
                "starts with a zero byte, which ZeroMQ reserves for generated ids",
            ));
        }
        Ok(PeerInfo {
            socket_type: theirs,
            identity,
            minor_version: minor,
            metadata,
            user_id: self.user_id.clone(),
        })
    }
}

/// The reason of the ERROR a libzmq PLAIN server sends a PLAIN client. libzmq (to 4.3.5 at
/// least) spells the command's name as the C string `"\x05ERROR"`, whose hex escape takes
/// the `E` in: the command starts `0x5e "RROR"`, which its own clients expect and no other
/// implementation sends. We send the ERROR RFC 23 defines and take libzmq's as the ERROR it
/// means, so that a refused login reads as the status it carries.
fn libzmq_plain_error(mechanism: &Mechanism, body: &[u8]) -> Option<String> {
    if !matches!(mechanism, Mechanism::PlainClient { .. }) {
        return None;
    }
    let rest = body.strip_prefix(b"\x5eRROR")?;
    let (&len, reason) = rest.split_first()?;
    let reason = reason.get(..usize::from(len))?;
    Some(String::from_utf8_lossy(reason).into_owned())
}

/// Whether `input` starts with a whole message frame of at most `max` bytes: its MORE flag,
/// header length and size.
#[inline]
fn whole_data_frame(input: &[u8], max: u64) -> Option<(bool, usize, usize)> {
    let &flags = input.first()?;
    if flags & !(MORE | LONG) != 0 {
        return None; // a command, or reserved bits set
    }
    let (header_len, size) = if flags & LONG == 0 {
        (2, u64::from(*input.get(1)?))
    } else {
        let size = input.get(1..9)?;
        (9, u64::from_be_bytes(size.try_into().ok()?))
    };
    // Cannot overflow once below the maximum, which leaves room for the header in a usize.
    if size > max || input.len() - header_len < size as usize {
        return None;
    }
    Some((flags & MORE != 0, header_len, size as usize))
}
