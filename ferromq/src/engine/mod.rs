//! The engine (below the transports, above the pipes): drives one connection, the ZMTP
//! handshake, then decoded frames into the socket (through [`Owner`]) and the peer's outgoing
//! batch onto the wire, until the connection breaks or the socket closes.
//!
//! - [`owner`]: what the engine may ask of the socket that owns the connection.
//! - [`raw`]: a STREAM socket's connection, which speaks no ZMTP.
//! - [`reader`]: reading a connection, by the I/O thread or by a receiver blocked on it.
//! - [`runtime`]: the I/O threads' task spawner.
//!
//! The engine may import the pipes and the leaf modules; the protocol itself is
//! `ferromq-zmtp`.

pub(crate) mod owner;
mod raw;
pub(crate) mod reader;
mod runtime;

pub(crate) use owner::{signalled, Attached, Owner, Slot, ZapCall};
pub(crate) use reader::{AppPoll, Pumped, ReadSide, Woken};
pub(crate) use runtime::{Io, TaskCount};

use std::cell::Cell;
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_zmtp::{AuthReply, Config, Connection, Event};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::message::Properties;
use crate::monitor::{Cause, EventKind};
use crate::pipe::{Batch, OutPipe, RawStream, Taken};
use crate::zap;
use reader::GRACE;

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The socket closed, or its endpoint was unbound or disconnected: do not reconnect.
    Closed,
    /// The connection failed or the peer went away: a connecting side retries.
    Lost,
}

/// Runs one connection from handshake to end.
#[allow(clippy::too_many_arguments)] // one connection's whole context
pub(crate) async fn run<H: Owner>(
    core: Arc<H>,
    wr: Writer,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
    endpoint: &str,
    fd: u64,
    raw: Arc<RawStream>,
) -> End {
    if core.socket_type().is_raw() {
        return raw::run(core, wr, slot, stop, endpoint, fd, raw).await;
    }
    let mut rd = ReadInterest::new(raw.clone());
    let opts = core.options();
    let mut config = Config::new(core.socket_type());
    config.identity = opts.routing_id.clone();
    config.max_msg_size = opts.max_msg_size();
    config.heartbeat = opts.heartbeat();
    config.mechanism = match opts.security.mechanism() {
        Ok(m) => m,
        Err(missing) => {
            core.monitors().emit_cause(
                EventKind::HandshakeFailedNoDetail,
                endpoint,
                0,
                Cause::Misconfigured(missing),
            );
            return End::Lost;
        }
    };
    config.null_authenticates = opts.security.null_asks_zap();
    let mut conn = Connection::new(config);

    let deadline = opts.handshake_ivl().map(|d| Instant::now() + d);
    // A closing socket has nothing to send to a fresh peer, and with linger 0 nothing at all:
    // such handshakes stop at once instead of holding the context for handshake_ivl.
    let mut closing = core.closing();
    // libzmq's value: the ZMTP error number for a protocol fault, 0 otherwise.
    let failed = |cause: Cause| {
        let (kind, value) = match &cause {
            Cause::Protocol(e) => (EventKind::HandshakeFailedProtocol, e.zmtp_code().into()),
            Cause::ZapReply(e) => (EventKind::HandshakeFailedProtocol, e.code().into()),
            Cause::Unauthorized { status } => (EventKind::HandshakeFailedAuth, (*status).into()),
            Cause::NoAuthenticator => (EventKind::HandshakeFailedNoDetail, EFAULT),
            _ => (EventKind::HandshakeFailedNoDetail, 0),
        };
        // As in libzmq, a client the server refused (its ERROR carried the status) does not
        // try again: the same credentials would be refused again.
        let end = match cause {
            Cause::Unauthorized { .. } => End::Closed,
            _ => End::Lost,
        };
        core.monitors().emit_cause(kind, endpoint, value, cause);
        end
    };
    let mut watch_closing = true;
    let peer = {
        let mut handshake = std::pin::pin!(handshake(&*core, &opts, &mut conn, &mut rd, &wr));
        loop {
            tokio::select! {
                r = &mut handshake => break match r {
                    Ok(peer) => peer,
                    Err(cause) => return failed(cause),
                },
                _ = sleep_until(deadline) => return failed(Cause::HandshakeTimedOut),
                _ = signalled(&mut stop) => return End::Closed,
                _ = signalled(&mut closing), if watch_closing => {
                    // The linger in force at close decides, as in libzmq.
                    let linger0 = core.options().linger() == Some(Duration::ZERO);
                    if matches!(slot, Slot::Fresh) || linger0 {
                        return End::Closed;
                    }
                    watch_closing = false; // lingering: finish the handshake to deliver
                }
            }
        }
    };

    let (peer, zap) = peer;
    // CURVE: what this side sends from now on is boxed, in the order the pipe encodes it.
    let sealer = conn.take_sealer();
    // An authenticated peer's messages say who it is, whether or not the socket keeps
    // properties otherwise.
    let properties = (core.keeps_properties() || zap.is_some())
        .then(|| Arc::new(peer_properties(&peer, &raw, zap.as_ref())));
    let Some(attached) = core.attach(slot, &peer.identity, peer.minor_version, properties) else {
        core.monitors().emit_cause(
            EventKind::HandshakeFailedNoDetail,
            endpoint,
            0,
            Cause::Refused,
        );
        return End::Lost;
    };
    core.monitors()
        .emit(EventKind::HandshakeSucceeded, endpoint, 0, None);
    attached.out.start_session(sealer);
    // Senders may now write to this connection themselves while its writer is idle, and a
    // receiver may read it.
    attached.out.set_direct(Some(raw.clone()));
    let id = attached.id;
    let side = Arc::new(ReadSide::new(&*core, id, conn, raw, attached.out.clone()));
    // Bytes that came with the handshake; this also starts the heartbeats, if any.
    let settled = side.settle(&*core);
    core.set_reader(id, Some(side.clone()));
    let reader = async {
        let full = match settled {
            Pumped::Ended => return side.cause().unwrap_or(Cause::PeerClosed),
            Pumped::Read { full, .. } => full,
            Pumped::WouldBlock => false,
        };
        read_loop(&*core, &side, &mut rd, &attached.room, full).await
    };
    let writer = write_loop(&*core, &wr, &attached.out);
    let (end, cause) = serve(
        &*core,
        reader,
        writer,
        &attached.out,
        &mut closing,
        &mut stop,
    )
    .await;
    // No sender may write to the socket once it closes (nor keep it open), nor a receiver
    // read it.
    attached.out.set_direct(None);
    attached.out.end_session();
    core.set_reader(id, None);
    core.detach(slot, id, false);
    // libzmq's value is the file descriptor; the cause rides along.
    core.monitors()
        .emit_cause(EventKind::Disconnected, endpoint, fd, cause);
    end
}

/// Runs a connection's reader and writer until one ends, the socket closes (and what it
/// lingers for is written, or its linger runs out) or the endpoint stops: how it ended, and
/// why.
async fn serve<H: Owner>(
    core: &H,
    reader: impl std::future::Future<Output = Cause>,
    writer: impl std::future::Future<Output = Result<(), Cause>>,
    out: &OutPipe,
    closing: &mut watch::Receiver<bool>,
    stop: &mut watch::Receiver<bool>,
) -> (End, Cause) {
    tokio::pin!(reader, writer);
    let mut lingering = false;
    let mut linger_deadline = None;
    loop {
        tokio::select! {
            cause = &mut reader, if !lingering => break (End::Lost, cause),
            w = &mut writer => break match w {
                Ok(()) => (End::Closed, Cause::Closed),
                Err(cause) => (End::Lost, cause),
            },
            _ = signalled(closing), if !lingering => {
                lingering = true;
                // The linger in force when the socket closes, as in libzmq (it may have been
                // set after this connection was made).
                match core.options().linger() {
                    Some(d) if d.is_zero() => break (End::Closed, Cause::Closed),
                    Some(d) => linger_deadline = Some(Instant::now() + d),
                    None => {}
                }
                out.nudge();
            }
            _ = sleep_until(linger_deadline), if linger_deadline.is_some() => {
                break (End::Closed, Cause::Closed)
            }
            _ = signalled(stop) => break (End::Closed, Cause::Closed),
        }
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// libzmq's value for a PLAIN server (or an enforcing NULL one) with no ZAP handler.
const EFAULT: u64 = 14;

/// Exchanges greetings, the mechanism's commands and READY, asking the ZAP handler when the
/// mechanism does; the error says why the peer could not be joined. With the peer, the ZAP
/// handler's reply, if one was asked.
async fn handshake<H: Owner>(
    core: &H,
    opts: &crate::options::Options,
    conn: &mut Connection,
    rd: &mut ReadInterest,
    wr: &Writer,
) -> Result<(ferromq_zmtp::PeerInfo, Option<zap::Reply>), Cause> {
    rd.watch().map_err(io_cause)?;
    let mut out = BytesMut::new();
    let mut zap_reply = None;
    loop {
        flush(conn, &mut out, wr).await.map_err(io_cause)?;
        match conn.poll_event() {
            Ok(Some(Event::Ready(peer))) => {
                // A PLAIN or CURVE server's READY is queued with this event: it must go before
                // any message does.
                flush(conn, &mut out, wr).await.map_err(io_cause)?;
                return Ok((peer, zap_reply));
            }
            Ok(Some(Event::Authenticate(request))) => {
                let reply = authenticate(core, opts, &rd.raw, &request).await?;
                let verdict = conn.authenticated(AuthReply {
                    status: reply.as_ref().map_or(200, |r| r.status),
                    user_id: reply
                        .as_ref()
                        .map(|r| r.user_id.clone())
                        .unwrap_or_default(),
                });
                zap_reply = reply;
                if let Err(e) = verdict {
                    // The ERROR command for 400 and 500, then close.
                    let _ = flush(conn, &mut out, wr).await;
                    return Err(match e {
                        ferromq_zmtp::Error::AuthFailed { status } => {
                            Cause::Unauthorized { status }
                        }
                        other => Cause::Protocol(other),
                    });
                }
                continue;
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                // What decoding queued (a PLAIN HELLO after the greeting ...) goes out before
                // we wait for the answer.
                if conn.has_transmit() {
                    continue;
                }
            }
            Err(e) => {
                // Tell the peer why (an ERROR command), then give up on it.
                let _ = flush(conn, &mut out, wr).await;
                return Err(refusal(e));
            }
        }
        let buf = conn.read_buf();
        buf.reserve(1024);
        loop {
            match rd.raw.recv_into(buf) {
                Ok(0) => return Err(Cause::PeerClosed),
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    rd.readable().await.map_err(io_cause)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_cause(e)),
            }
        }
    }
}

/// Writes what the connection queued for the peer (greeting, handshake commands, ERROR).
async fn flush(conn: &mut Connection, out: &mut BytesMut, wr: &Writer) -> io::Result<()> {
    if conn.poll_transmit(out) > 0 {
        wr.write_all(out).await?;
        out.clear();
    }
    Ok(())
}

/// A handshake's protocol error as its cause: an ERROR command from the peer carrying a ZAP
/// status ("300", "400", "500", as libzmq's servers send) is the server refusing us.
fn refusal(e: ferromq_zmtp::Error) -> Cause {
    if let ferromq_zmtp::Error::PeerError { reason } = &e {
        if let Ok(status @ (300 | 400 | 500)) = reason.parse::<u16>() {
            if reason.len() == 3 {
                return Cause::Unauthorized { status };
            }
        }
    }
    Cause::Protocol(e)
}

/// Asks the ZAP handler about a peer, as libzmq 4.3.5 does. `Ok(None)`: admitted without
/// asking, because CURVE with `zap_enforce_domain` and no domain does not ask, or because no
/// handler is bound and the mechanism admits then (NULL, and CURVE: encrypted but not
/// authenticated, unless `zap_enforce_domain`; PLAIN never).
async fn authenticate<H: Owner>(
    core: &H,
    opts: &crate::options::Options,
    raw: &RawStream,
    request: &ferromq_zmtp::AuthRequest,
) -> Result<Option<zap::Reply>, Cause> {
    let security = &opts.security;
    if request.mechanism == "CURVE" && !security.curve_asks_zap() {
        return Ok(None);
    }
    let address = raw.peer_ip().map(|ip| ip.to_string()).unwrap_or_default();
    let frames = zap::request(&security.zap_domain, &address, &opts.routing_id, request);
    let Some(call) = core.zap(frames) else {
        return match request.mechanism {
            "NULL" | "CURVE" if !security.zap_enforce_domain => Ok(None),
            _ => Err(Cause::NoAuthenticator),
        };
    };
    let reply = call.await.ok_or(Cause::Closed)?;
    zap::parse_reply(&reply).map(Some).map_err(Cause::ZapReply)
}

/// What messages from this peer carry, as libzmq gathers it (the first of a name wins): the
/// address it connects from (tcp), what the ZAP handler said of it (`User-Id` and the reply's
/// metadata), then its own READY properties.
fn peer_properties(
    peer: &ferromq_zmtp::PeerInfo,
    raw: &RawStream,
    zap: Option<&zap::Reply>,
) -> Properties {
    let address = raw.peer_ip().map(|ip| ip.to_string());
    let address = address.as_ref().map(|a| ("Peer-Address", a.as_bytes()));
    let user = zap.map(|z| ("User-Id", &z.user_id[..]));
    let zap_metadata = zap.into_iter().flat_map(|z| z.metadata.iter());
    Properties::new(
        address.into_iter().chain(user).chain(
            zap_metadata
                .chain(peer.metadata.iter())
                .map(|(name, value)| (name, &value[..])),
        ),
    )
}

/// An I/O failure as the cause of a connection's end.
fn io_cause(e: io::Error) -> Cause {
    Cause::Io(e.kind())
}

/// A connection's socket as the I/O thread's reactor sees it.
struct Registered(Arc<RawStream>);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// The I/O thread's registration for a connection's readability. It is dropped while a
/// receiver reads the connection itself, so that bytes the I/O thread leaves alone do not
/// wake it.
pub(crate) struct ReadInterest {
    raw: Arc<RawStream>,
    fd: Option<AsyncFd<Registered>>,
}

impl ReadInterest {
    pub fn new(raw: Arc<RawStream>) -> ReadInterest {
        ReadInterest { raw, fd: None }
    }

    /// Registers for readability, if not already.
    fn watch(&mut self) -> io::Result<()> {
        if self.fd.is_none() {
            let registered = Registered(self.raw.clone());
            // SAFETY: the descriptor belongs to the `RawStream`, which the `Arc` inside
            // `Registered` keeps open, unchanged, for as long as the `AsyncFd` lives.
            #[allow(unsafe_code)]
            let fd = unsafe { AsyncFd::register_with_interest(registered, Interest::READABLE) };
            self.fd = Some(fd.map_err(io::Error::from)?);
        }
        Ok(())
    }

    fn unwatch(&mut self) {
        self.fd = None; // deregisters
    }

    /// Waits until the socket may have bytes (forever while not registered). The readiness
    /// is cleared at once: the caller then reads until it would block, so bytes arriving
    /// after this still leave the socket readable.
    async fn readable(&self) -> io::Result<()> {
        match &self.fd {
            Some(fd) => {
                fd.readable().await?.clear_ready();
                Ok(())
            }
            None => std::future::pending().await,
        }
    }
}

/// The writing side of a connection, registered for writability only.
pub(crate) struct Writer(AsyncFd<RawStream>);

/// Writes a whole batch with as few syscalls as the socket allows, then empties it (keeping
/// its buffer).
async fn write_batch(batch: &mut Batch, wr: &Writer) -> io::Result<()> {
    {
        let mut parts: Vec<&[u8]> = batch.parts().collect();
        let mut next = 0;
        while next < parts.len() {
            let mut slices = [IoSlice::new(&[]); 64];
            let k = (parts.len() - next).min(slices.len());
            for (slice, part) in slices.iter_mut().zip(&parts[next..next + k]) {
                *slice = IoSlice::new(part);
            }
            let mut n = wr.write_vectored(&slices[..k]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            while next < parts.len() && n >= parts[next].len() {
                n -= parts[next].len();
                next += 1;
            }
            if n > 0 {
                parts[next] = &parts[next][n..];
            }
        }
    }
    batch.written();
    Ok(())
}

impl Writer {
    pub fn new(stream: RawStream) -> io::Result<Writer> {
        // SAFETY: the `AsyncFd` owns the stream, so its descriptor stays open and unchanged
        // for as long as the `AsyncFd` lives.
        #[allow(unsafe_code)]
        let fd = unsafe { AsyncFd::register_with_interest(stream, Interest::WRITABLE) };
        fd.map(Writer).map_err(io::Error::from)
    }

    /// Writes some of `bufs`, waiting while the socket is full.
    pub async fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        loop {
            let mut guard = self.0.writable().await?;
            match guard.try_io(|s| s.get_ref().write_vectored(bufs)) {
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(written) => return written,
                Err(_would_block) => {}
            }
        }
    }

    async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_vectored(&[IoSlice::new(buf)]).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// One read by the I/O thread, unless a receiver has the reading role.
fn pump_io<H: Owner>(core: &H, side: &ReadSide) -> Pumped {
    if !side.begin_io() {
        return Pumped::WouldBlock; // the receiver wakes us when it is done
    }
    let pumped = side.pump(core, false);
    side.end_io();
    pumped
}

/// Reads and decodes on the I/O thread whenever no receiver reads the connection itself (see
/// [`crate::engine::reader`]), until the connection ends.
///
/// It reads first, before it waits for readiness: the handshake's last read may have left
/// bytes in the socket, whose readiness was already consumed. `full`: the bytes that came with
/// the handshake filled the inbox.
async fn read_loop<H: Owner>(
    core: &H,
    side: &ReadSide,
    rd: &mut ReadInterest,
    room: &tokio::sync::Notify,
    full: bool,
) -> Cause {
    match read_until_end(core, side, rd, room, full).await {
        Ok(never) => match never {},
        // The reader's own cause when it has one: an error of ours past it (a failed
        // registration) comes second.
        Err(cause) => side.cause().unwrap_or(cause),
    }
}

/// [`read_loop`]'s body, with `?` for every way it ends.
async fn read_until_end<H: Owner>(
    core: &H,
    side: &ReadSide,
    rd: &mut ReadInterest,
    room: &tokio::sync::Notify,
    mut full: bool,
) -> Result<std::convert::Infallible, Cause> {
    let mut seen = side.app_reads();
    loop {
        if side.is_dead() {
            return Err(Cause::PeerClosed); // a receiver met the end of the stream
        }
        // A receiver that read since we last looked reads again when its inbox runs dry:
        // leave it the socket for a while, without being woken by its bytes.
        let reads = side.app_reads();
        let defer = if reads != seen {
            seen = reads;
            rd.unwatch();
            Some(Instant::now() + GRACE)
        } else {
            rd.watch().map_err(io_cause)?;
            loop {
                if full {
                    // At the receive high-water mark: stop reading until the application
                    // catches up.
                    loop {
                        room.notified().await;
                        if !core.inbox_full(side.peer) {
                            break;
                        }
                    }
                    full = false;
                }
                match pump_io(core, side) {
                    Pumped::WouldBlock => break,
                    Pumped::Ended => return Err(Cause::PeerClosed),
                    Pumped::Read { full: f, .. } => full = f,
                }
            }
            None
        };
        let heartbeat = side.decoder().conn.next_timeout().map(Instant::from_std);
        tokio::select! {
            r = rd.readable() => r.map_err(io_cause)?,
            _ = side.handback.notified() => {}
            _ = sleep_until(defer), if defer.is_some() => {}
            _ = sleep_until(heartbeat), if heartbeat.is_some() => {
                // A PING is queued, or the peer went silent.
                let mut d = side.decoder();
                d.conn
                    .handle_timeout(std::time::Instant::now())
                    .map_err(Cause::Protocol)?;
                d.flush_commands(side.out());
            }
        };
    }
}

/// A writer that wrote less than this while streaming yields its core once before the next
/// write (see [`write_loop`]).
const YIELD_BELOW: usize = 32 * 1024;

/// An I/O thread yields at most once per this interval, whatever number of connections it
/// writes: the others it serves wait while it does.
const YIELD_GAP: Duration = Duration::from_micros(50);

thread_local! {
    /// When this I/O thread last yielded its core.
    static LAST_YIELD: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
}

/// Whether this thread may yield now (and, if so, notes that it does).
fn may_yield() -> bool {
    let now = std::time::Instant::now();
    if LAST_YIELD
        .get()
        .is_some_and(|t| now.duration_since(t) < YIELD_GAP)
    {
        return false;
    }
    LAST_YIELD.set(Some(now));
    true
}

/// Writes the peer's batches. Returns `Ok` when the socket is closing and everything was
/// written, `Err` when the connection failed or the pipe was closed.
async fn write_loop<H: Owner>(core: &H, wr: &Writer, out: &OutPipe) -> Result<(), Cause> {
    let mut batch = Batch::default();
    let mut streaming = false;
    loop {
        match out.take(&mut batch) {
            Taken::Nothing => {
                streaming = false;
                if core.is_closed() {
                    return Ok(());
                }
                out.parked().await;
            }
            Taken::Data { freed } => {
                if freed {
                    core.writable();
                }
                let small = batch.len() < YIELD_BELOW;
                write_batch(&mut batch, wr).await.map_err(io_cause)?;
                if small && std::mem::replace(&mut streaming, true) && may_yield() {
                    // A sender that keeps sending while each batch is written leaves the
                    // next batch small again: every write then carries a few messages for
                    // the same syscall cost, and takes the core from the sender. Give the
                    // core to whoever waits for it (on two cores, often the sender) once,
                    // so that the next write carries more. Returns at once when nobody
                    // waits.
                    std::thread::yield_now();
                }
            }
            // This side dropped the peer (a disconnect, a routing id handed over).
            Taken::Closed => return Err(Cause::Closed),
        }
    }
}
