//! Drives one connection: the ZMTP handshake, then decoded frames into the socket's inbox and
//! the peer's outgoing batch onto the wire, until the connection breaks or the socket closes.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::{Config, Connection, Event};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::core::{PeerId, Slot, SocketCore};
use crate::monitor::EventKind;
use crate::pattern::subscription_message;
use crate::pipe::{DirectWriter, OutPipe, Taken};
use crate::{Message, SocketType};

/// Reads are at least this large: many small messages arrive per syscall.
const READ_SIZE: usize = 64 * 1024;

/// Most we reserve at once for a large frame, so that memory follows the bytes that arrive
/// rather than the size a peer claims.
const MAX_RESERVE: usize = 4 * 1024 * 1024;

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
pub(crate) async fn run<R, W>(
    core: Arc<SocketCore>,
    mut rd: R,
    mut wr: W,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
    endpoint: &str,
    fd: u64,
    direct: Option<DirectWriter>,
) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let opts = core.options();
    let mut config = Config::new(core.socket_type);
    config.identity = opts.routing_id.clone();
    config.max_msg_size = opts.max_msg_size();
    config.heartbeat = opts.heartbeat();
    let mut conn = Connection::new(config);

    let deadline = opts.handshake_ivl().map(|d| Instant::now() + d);
    // A closing socket has nothing to send to a fresh peer, and with linger 0 nothing at all:
    // such handshakes stop at once instead of holding the context for handshake_ivl.
    let mut closing = core.closing();
    let failed = |reason: Option<ferromq_zmtp::Error>| {
        let kind = match reason {
            Some(_) => EventKind::HandshakeFailedProtocol,
            None => EventKind::HandshakeFailedNoDetail,
        };
        core.monitors
            .emit(kind, endpoint, 0, reason.map(|e| e.to_string()));
        End::Lost
    };
    let mut watch_closing = true;
    let peer = {
        let mut handshake = std::pin::pin!(handshake(&mut conn, &mut rd, &mut wr));
        loop {
            tokio::select! {
                r = &mut handshake => break match r {
                    Ok(peer) => peer,
                    Err(reason) => return failed(reason),
                },
                _ = sleep_until(deadline) => return failed(None),
                _ = crate::core::signalled(&mut stop) => return End::Closed,
                _ = crate::core::signalled(&mut closing), if watch_closing => {
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

    let Some(attached) = core.attach(slot, &peer.identity, peer.minor_version) else {
        return End::Lost;
    };
    core.monitors
        .emit(EventKind::HandshakeSucceeded, endpoint, 0, None);
    // Senders may now write to this connection themselves while its writer is idle.
    attached.out.set_direct(direct);
    let id = attached.id;
    let reader = read_loop(&core, &mut conn, &mut rd, id, &attached.out, &attached.room);
    let writer = write_loop(&core, &mut wr, &attached.out);
    tokio::pin!(reader, writer);
    let mut lingering = false;
    let mut linger_deadline = None;
    let end = loop {
        tokio::select! {
            _ = &mut reader, if !lingering => break End::Lost,
            w = &mut writer => break if w.is_ok() { End::Closed } else { End::Lost },
            _ = crate::core::signalled(&mut closing), if !lingering => {
                lingering = true;
                // The linger in force when the socket closes, as in libzmq (it may have been
                // set after this connection was made).
                match core.options().linger() {
                    Some(d) if d.is_zero() => break End::Closed,
                    Some(d) => linger_deadline = Some(Instant::now() + d),
                    None => {}
                }
                attached.out.nudge();
            }
            _ = sleep_until(linger_deadline), if linger_deadline.is_some() => break End::Closed,
            _ = crate::core::signalled(&mut stop) => break End::Closed,
        }
    };
    // No sender may write to the socket once it closes (nor keep it open).
    attached.out.set_direct(None);
    core.detach(slot, id, false);
    core.monitors
        .emit(EventKind::Disconnected, endpoint, fd, None);
    end
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Exchanges greetings and READY. `None` when the peer failed it or went away.
/// Exchanges greetings and READY. `Err(Some(e))`: the peer broke the protocol;
/// `Err(None)`: it went away.
async fn handshake<R, W>(
    conn: &mut Connection,
    rd: &mut R,
    wr: &mut W,
) -> Result<ferromq_zmtp::PeerInfo, Option<ferromq_zmtp::Error>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut out = BytesMut::new();
    loop {
        if conn.poll_transmit(&mut out) > 0 {
            wr.write_all(&out).await.map_err(|_| None)?;
            out.clear();
        }
        match conn.poll_event() {
            Ok(Some(Event::Ready(peer))) => return Ok(peer),
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                // Tell the peer why (an ERROR command), then give up on it.
                if conn.poll_transmit(&mut out) > 0 {
                    let _ = wr.write_all(&out).await;
                }
                return Err(Some(e));
            }
        }
        let buf = conn.read_buf();
        buf.reserve(1024);
        match rd.read_buf(buf).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(_) => {}
        }
    }
}

/// Reads and decodes, handing whole messages to the socket a read's worth at a time.
async fn read_loop<R: AsyncRead + Unpin>(
    core: &SocketCore,
    conn: &mut Connection,
    rd: &mut R,
    id: PeerId,
    out: &OutPipe,
    room: &tokio::sync::Notify,
) -> Result<(), ()> {
    let mut batch: Vec<Message> = Vec::new();
    let mut frames: Vec<Bytes> = Vec::new();
    let takes_subscriptions = matches!(core.socket_type, SocketType::Pub | SocketType::Xpub);
    // The handshake's bytes just arrived: this starts the heartbeats, if any.
    let mut arrived = true;
    loop {
        loop {
            match conn.poll_event() {
                Ok(Some(Event::Frame(f))) if !f.more && frames.is_empty() => {
                    batch.push(Message::from(f.data)); // single frame: no allocation
                }
                Ok(Some(Event::Frame(f))) => {
                    frames.push(f.data);
                    if !f.more {
                        batch.push(Message::from(std::mem::take(&mut frames)));
                    }
                }
                // A publisher takes SUBSCRIBE and CANCEL as the subscription messages that
                // ZMTP 3.0 peers send as data; other sockets ignore them. PINGs are answered
                // by the protocol layer.
                Ok(Some(Event::Subscribe(topic))) if takes_subscriptions => {
                    batch.push(subscription_message(true, &topic));
                }
                Ok(Some(Event::Cancel(topic))) if takes_subscriptions => {
                    batch.push(subscription_message(false, &topic));
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    // Messages decoded before the fault still reach the application, as in
                    // libzmq; the connection ends after them.
                    core.deliver(id, &mut batch);
                    return Err(());
                }
            }
        }
        if std::mem::take(&mut arrived) {
            // After decoding, so that a PING among these bytes arms its TTL.
            conn.received(std::time::Instant::now());
        }
        if conn.has_transmit() {
            let mut cmd = BytesMut::new();
            conn.poll_transmit(&mut cmd);
            out.push_command(cmd.freeze());
        }
        if !batch.is_empty() && core.deliver(id, &mut batch) {
            // At the receive high-water mark: stop reading until the application catches up.
            loop {
                room.notified().await;
                if !core.inbox_full(id) {
                    break;
                }
            }
        }
        let want = conn.read_hint().clamp(READ_SIZE, MAX_RESERVE);
        let heartbeat = conn.next_timeout().map(Instant::from_std);
        let buf = conn.read_buf();
        if buf.capacity() - buf.len() < READ_SIZE / 4 {
            buf.reserve(want);
        }
        // `read_buf` is cancel-safe: a heartbeat deadline interrupting it loses no bytes.
        tokio::select! {
            read = rd.read_buf(buf) => match read {
                Ok(0) | Err(_) => return Err(()),
                Ok(_) => arrived = true,
            },
            _ = sleep_until(heartbeat), if heartbeat.is_some() => {
                // A PING is queued (and sent above on the next turn), or the peer went silent.
                conn.handle_timeout(std::time::Instant::now()).map_err(|_| ())?;
            }
        }
    }
}

/// Writes the peer's batches. Returns `Ok` when the socket is closing and everything was
/// written, `Err` when the connection failed or the pipe was closed.
async fn write_loop<W: AsyncWrite + Unpin>(
    core: &SocketCore,
    wr: &mut W,
    out: &OutPipe,
) -> Result<(), ()> {
    let mut chunks: Vec<Bytes> = Vec::new();
    loop {
        match out.take(&mut chunks) {
            Taken::Nothing => {
                if core.is_closed() {
                    let _ = wr.flush().await;
                    return Ok(());
                }
                out.parked().await;
            }
            Taken::Data { freed } => {
                if freed {
                    core.writable.notify(usize::MAX);
                }
                for chunk in chunks.drain(..) {
                    wr.write_all(&chunk).await.map_err(|_| ())?;
                }
            }
            Taken::Closed => return Err(()),
        }
    }
}
