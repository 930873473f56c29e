//! Socket monitoring (leaf), like `zmq_socket_monitor`: what happens to a socket's connections.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use event_listener::{Event, EventListener, Listener};

use crate::{Error, Result};

/// What happened, with libzmq's `ZMQ_EVENT_*` numbers ([`EventKind::number`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A connection was made (value: its file descriptor).
    Connected,
    /// A connection attempt started and has not completed yet.
    ConnectDelayed,
    /// A connection attempt failed; another follows (value: the wait in ms).
    ConnectRetried,
    /// A bind succeeded (value: the listening file descriptor).
    Listening,
    /// A bind failed (value: the OS error number, 0 if unknown).
    BindFailed,
    /// A connection was accepted (value: its file descriptor).
    Accepted,
    /// Accepting failed (value: the OS error number).
    AcceptFailed,
    /// A listening socket was closed (unbind or close).
    Closed,
    /// Closing failed.
    CloseFailed,
    /// A connection that completed its handshake ended (value: its file descriptor).
    Disconnected,
    /// The monitor ends: the socket was closed. The last event.
    MonitorStopped,
    /// A handshake failed without a protocol reason: the peer left or took too long.
    HandshakeFailedNoDetail,
    /// A handshake succeeded: the peer takes part in routing from now on.
    HandshakeSucceeded,
    /// A handshake failed on a protocol error (bad greeting, incompatible socket type ...).
    HandshakeFailedProtocol,
    /// A handshake failed authentication (value: the ZAP status code, on the server and on
    /// a client the server's ERROR told).
    HandshakeFailedAuth,
}

impl EventKind {
    /// libzmq's number for the event (`ZMQ_EVENT_CONNECTED` = 0x0001 ...).
    pub const fn number(self) -> u16 {
        match self {
            EventKind::Connected => 0x0001,
            EventKind::ConnectDelayed => 0x0002,
            EventKind::ConnectRetried => 0x0004,
            EventKind::Listening => 0x0008,
            EventKind::BindFailed => 0x0010,
            EventKind::Accepted => 0x0020,
            EventKind::AcceptFailed => 0x0040,
            EventKind::Closed => 0x0080,
            EventKind::CloseFailed => 0x0100,
            EventKind::Disconnected => 0x0200,
            EventKind::MonitorStopped => 0x0400,
            EventKind::HandshakeFailedNoDetail => 0x0800,
            EventKind::HandshakeSucceeded => 0x1000,
            EventKind::HandshakeFailedProtocol => 0x2000,
            EventKind::HandshakeFailedAuth => 0x4000,
        }
    }
}

/// One monitor event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorEvent {
    /// What happened.
    pub kind: EventKind,
    /// The endpoint concerned, as bound or connected (`tcp://127.0.0.1:5555` ...).
    pub endpoint: String,
    /// The event's value, as libzmq gives it (a file descriptor, an error number, a wait in
    /// ms; see [`EventKind`]).
    pub value: u64,
    /// For failures, what went wrong, in words.
    pub reason: Option<String>,
    /// For a connection that ended ([`EventKind::Disconnected`]) or a handshake that failed,
    /// why, as a value (libzmq gives only the file descriptor, or a ZMTP error number).
    pub cause: Option<Cause>,
}

/// Why a connection ended or its handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// This side ended it: the socket closed, the endpoint was unbound or disconnected, or
    /// another peer took this one's routing id over.
    #[error("closed by this side")]
    Closed,
    /// The peer closed the connection.
    #[error("the peer closed the connection")]
    PeerClosed,
    /// Reading or writing failed (a reset connection ...).
    #[error("connection failed: {0}")]
    Io(std::io::ErrorKind),
    /// The peer broke the protocol, or went silent past its heartbeats.
    #[error("{0}")]
    Protocol(ferromq_zmtp::Error),
    /// The handshake did not finish within `handshake_ivl`.
    #[error("the handshake did not finish in time")]
    HandshakeTimedOut,
    /// The socket refused the peer (a second peer of a PAIR, a routing id in use).
    #[error("refused by the socket's pattern")]
    Refused,
    /// The authenticator refused: on a server, the ZAP handler's status for the peer; on a
    /// client, the status the server's ERROR command carried (300, 400 or 500).
    #[error("refused by the authenticator (ZAP status {status})")]
    Unauthorized {
        /// The ZAP status code.
        status: u16,
    },
    /// A PLAIN server (or a NULL one with `zap_domain` and `zap_enforce_domain`) has no ZAP
    /// handler bound at `inproc://zeromq.zap.01` to ask.
    #[error("no ZAP handler is bound at inproc://zeromq.zap.01")]
    NoAuthenticator,
    /// The ZAP handler's reply was malformed.
    #[error("{0}")]
    ZapReply(crate::zap::ReplyError),
    /// The socket's options do not make a working mechanism (a CURVE server without its
    /// secret key, a CURVE client without the server's public key).
    #[error("not configured: {0}")]
    Misconfigured(&'static str),
}

/// The events of one socket, from the moment [`Socket::monitor`](crate::Socket::monitor) was
/// called. Events queue until read; reading works blocking, non-blocking or async.
///
/// ```
/// use ferromq::{Context, EventKind, SocketType};
///
/// let ctx = Context::new();
/// let rep = ctx.socket(SocketType::Rep)?;
/// let monitor = rep.monitor();
/// rep.bind("tcp://127.0.0.1:*")?;
/// let event = monitor.recv()?;
/// assert_eq!(event.kind, EventKind::Listening);
/// assert_eq!(Some(event.endpoint), rep.last_endpoint());
/// # Ok::<(), ferromq::Error>(())
/// ```
pub struct Monitor {
    queue: Arc<Queue>,
}

pub(crate) struct Queue {
    events: Mutex<(VecDeque<MonitorEvent>, bool)>,
    ready: Event,
}

impl Monitor {
    /// The next event, waiting for it. After [`EventKind::MonitorStopped`], returns
    /// [`Error::Closed`].
    pub fn recv(&self) -> Result<MonitorEvent> {
        self.recv_deadline(None)
    }

    /// The next event, waiting at most `timeout`: [`Error::TimedOut`] if none came.
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Result<MonitorEvent> {
        self.recv_deadline(Some(Instant::now() + timeout))
    }

    /// The next event if one is queued: [`Error::WouldBlock`] otherwise.
    pub fn try_recv(&self) -> Result<MonitorEvent> {
        self.queue.pop()?.ok_or(Error::WouldBlock)
    }

    /// The next event, waiting asynchronously (any executor; cancel-safe).
    pub async fn recv_async(&self) -> Result<MonitorEvent> {
        loop {
            match self.queue.next_or_listen()? {
                Ok(e) => return Ok(e),
                Err(listener) => listener.await,
            }
        }
    }

    fn recv_deadline(&self, deadline: Option<Instant>) -> Result<MonitorEvent> {
        loop {
            match (self.queue.next_or_listen()?, deadline) {
                (Ok(e), _) => return Ok(e),
                (Err(listener), None) => listener.wait(),
                (Err(listener), Some(d)) => listener.wait_deadline(d).ok_or(Error::TimedOut)?,
            }
        }
    }
}

impl Queue {
    /// The next event, or, when there is none, a listener that fires once one may have come
    /// (taken before looking again, so that no event slips in between).
    fn next_or_listen(&self) -> Result<std::result::Result<MonitorEvent, EventListener>> {
        if let Some(e) = self.pop()? {
            return Ok(Ok(e));
        }
        let listener = self.ready.listen();
        Ok(self.pop()?.ok_or(listener))
    }

    fn pop(&self) -> Result<Option<MonitorEvent>> {
        let mut q = self.events.lock().unwrap_or_else(|e| e.into_inner());
        match q.0.pop_front() {
            Some(e) => Ok(Some(e)),
            None if q.1 => Err(Error::Closed),
            None => Ok(None),
        }
    }
}

/// The monitors of one socket.
#[derive(Default)]
pub(crate) struct Monitors {
    queues: Mutex<Vec<Weak<Queue>>>,
}

impl Monitors {
    pub fn add(&self) -> Monitor {
        let queue = Arc::new(Queue {
            events: Mutex::new((VecDeque::new(), false)),
            ready: Event::new(),
        });
        self.lock().push(Arc::downgrade(&queue));
        Monitor { queue }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Queue>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an event for every live monitor (dropped ones are forgotten).
    pub fn emit(&self, kind: EventKind, endpoint: &str, value: u64, reason: Option<String>) {
        self.emit_event(kind, endpoint, value, reason, None);
    }

    /// An event about a connection that ended or a handshake that failed, with why.
    pub fn emit_cause(&self, kind: EventKind, endpoint: &str, value: u64, cause: Cause) {
        self.emit_event(kind, endpoint, value, Some(cause.to_string()), Some(cause));
    }

    fn emit_event(
        &self,
        kind: EventKind,
        endpoint: &str,
        value: u64,
        reason: Option<String>,
        cause: Option<Cause>,
    ) {
        let mut queues = self.lock();
        if queues.is_empty() {
            return;
        }
        queues.retain(|q| q.strong_count() > 0);
        for q in queues.iter().filter_map(Weak::upgrade) {
            let mut events = q.events.lock().unwrap_or_else(|e| e.into_inner());
            if events.1 {
                continue;
            }
            events.0.push_back(MonitorEvent {
                kind,
                endpoint: endpoint.to_owned(),
                value,
                reason: reason.clone(),
                cause: cause.clone(),
            });
            if kind == EventKind::MonitorStopped {
                events.1 = true;
            }
            drop(events);
            q.ready.notify(usize::MAX);
        }
    }
}
