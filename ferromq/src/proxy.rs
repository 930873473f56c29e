//! The built-in proxy (socket API layer), like `zmq_proxy` and `zmq_proxy_steerable`.

use crate::{Error, Events, Message, Result, Socket};

/// The eight counters of a proxy, as `STATISTICS` reports them (libzmq's order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Messages received from the frontend.
    pub frontend_msgs_in: u64,
    /// Bytes received from the frontend (the sum of frame sizes).
    pub frontend_bytes_in: u64,
    /// Messages sent to the frontend.
    pub frontend_msgs_out: u64,
    /// Bytes sent to the frontend.
    pub frontend_bytes_out: u64,
    /// Messages received from the backend.
    pub backend_msgs_in: u64,
    /// Bytes received from the backend.
    pub backend_bytes_in: u64,
    /// Messages sent to the backend.
    pub backend_msgs_out: u64,
    /// Bytes sent to the backend.
    pub backend_bytes_out: u64,
}

impl ProxyStats {
    /// The reply to `STATISTICS`: eight frames, each a `u64` in native byte order.
    pub fn to_message(&self) -> Message {
        let counters = [
            self.frontend_msgs_in,
            self.frontend_bytes_in,
            self.frontend_msgs_out,
            self.frontend_bytes_out,
            self.backend_msgs_in,
            self.backend_bytes_in,
            self.backend_msgs_out,
            self.backend_bytes_out,
        ];
        counters
            .iter()
            .map(|c| bytes::Bytes::copy_from_slice(&c.to_ne_bytes()))
            .collect()
    }

    /// Reads a `STATISTICS` reply.
    pub fn from_message(msg: &Message) -> Option<ProxyStats> {
        let mut c = [0u64; 8];
        if msg.len() != 8 {
            return None;
        }
        for (slot, frame) in c.iter_mut().zip(msg.iter()) {
            *slot = u64::from_ne_bytes(frame[..].try_into().ok()?);
        }
        Some(ProxyStats {
            frontend_msgs_in: c[0],
            frontend_bytes_in: c[1],
            frontend_msgs_out: c[2],
            frontend_bytes_out: c[3],
            backend_msgs_in: c[4],
            backend_bytes_in: c[5],
            backend_msgs_out: c[6],
            backend_bytes_out: c[7],
        })
    }
}

/// Most messages moved in one direction before the proxy looks at the other again.
const BURST: usize = 256;

/// Joins `frontend` and `backend`, passing every message (all its frames together) from each
/// to the other, and a copy of each to `capture` when given, like `zmq_proxy`. It runs in the
/// calling thread until a socket fails (for example [`Error::Closed`]); use
/// [`proxy_steerable`] to stop it from outside. A message for a ROUTER peer that has left
/// is dropped, `router_mandatory` or not, and the proxy goes on.
///
/// The pairs that make sense are libzmq's: ROUTER/DEALER (a broker for REQ/REP), XSUB/XPUB
/// (a forwarder: subscriptions go upstream, so publishers filter at the source) and PULL/PUSH
/// (a streamer). A message is only read when the other side can take it, so a slow side
/// holds messages back in its peers' queues (high-water marks apply) instead of piling them
/// up in the proxy.
///
/// ```no_run
/// use ferromq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let frontend = ctx.socket(SocketType::Router)?;
/// frontend.bind("tcp://*:5559")?; // clients (REQ) connect here
/// let backend = ctx.socket(SocketType::Dealer)?;
/// backend.bind("tcp://*:5560")?; // workers (REP) connect here
/// ferromq::proxy(&frontend, &backend, None)?;
/// # Ok::<(), ferromq::Error>(())
/// ```
pub fn proxy(frontend: &Socket, backend: &Socket, capture: Option<&Socket>) -> Result<()> {
    proxy_steerable(frontend, backend, capture, None).map(|_| ())
}

/// [`proxy`] with a control socket, like `zmq_proxy_steerable`: it takes the single-frame
/// commands `PAUSE` (stop passing messages), `RESUME`, `TERMINATE` (return) and `STATISTICS`
/// (reply with the eight counters, see [`ProxyStats::to_message`]). A REP control socket gets
/// a reply to every command (an empty frame but for `STATISTICS`), so that a REQ can steer.
/// Returns the counters when terminated.
pub fn proxy_steerable(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: Option<&Socket>,
) -> Result<ProxyStats> {
    let mut stats = ProxyStats::default();
    let mut paused = false;
    // A message read but not yet taken by the other side, per direction.
    let mut to_backend: Option<Message> = None;
    let mut to_frontend: Option<Message> = None;
    loop {
        // Read a side only when nothing from it is held; wait for the other side's room when
        // something is.
        let want = |held: &Option<Message>| match (paused, held.is_some()) {
            (true, _) => Events::NONE,
            (false, false) => Events::IN,
            (false, true) => Events::NONE,
        };
        let mut fe = want(&to_backend);
        let mut be = want(&to_frontend);
        if !paused && to_frontend.is_some() {
            fe |= Events::OUT;
        }
        if !paused && to_backend.is_some() {
            be |= Events::OUT;
        }
        let mut items = vec![frontend.as_poll_item(fe), backend.as_poll_item(be)];
        if let Some(control) = control {
            items.push(control.as_poll_item(Events::IN));
        }
        crate::poll(&mut items, -1)?;
        let (fe_ready, be_ready) = (items[0].revents(), items[1].revents());
        let control_ready = items.get(2).is_some_and(|i| i.is_readable());
        drop(items);

        if control_ready {
            if let Some(control) = control {
                let command = control.recv()?;
                let reply_always = control.socket_type() == crate::SocketType::Rep;
                match command.first().map(|f| &f[..]).unwrap_or_default() {
                    b"PAUSE" => paused = true,
                    b"RESUME" => paused = false,
                    b"TERMINATE" => {
                        if reply_always {
                            control.send("")?;
                        }
                        return Ok(stats);
                    }
                    b"STATISTICS" => {
                        control.send(stats.to_message())?;
                        continue;
                    }
                    _ => {} // unknown commands are ignored, as in libzmq
                }
                if reply_always {
                    control.send("")?;
                }
            }
            continue;
        }
        // A side is read when it has input and nothing of its is held; a held message goes
        // when the other side has room.
        let goes = |held: &Option<Message>, from: Events, to: Events| match held {
            None => from.contains(Events::IN),
            Some(_) => to.contains(Events::OUT),
        };
        if goes(&to_backend, fe_ready, be_ready) {
            forward(
                frontend,
                backend,
                capture,
                &mut to_backend,
                Direction::ToBackend,
                &mut stats,
            )?;
        }
        if goes(&to_frontend, be_ready, fe_ready) {
            forward(
                backend,
                frontend,
                capture,
                &mut to_frontend,
                Direction::ToFrontend,
                &mut stats,
            )?;
        }
    }
}

#[derive(Clone, Copy)]
enum Direction {
    ToBackend,
    ToFrontend,
}

/// Moves up to a burst of messages from `from` to `to`; a message `to` cannot take now is
/// kept in `held` for the next turn.
fn forward(
    from: &Socket,
    to: &Socket,
    capture: Option<&Socket>,
    held: &mut Option<Message>,
    direction: Direction,
    stats: &mut ProxyStats,
) -> Result<()> {
    for _ in 0..BURST {
        let msg = match held.take() {
            Some(msg) => msg,
            None => match from.try_recv() {
                Ok(msg) => {
                    let size: usize = msg.iter().map(|f| f.len()).sum();
                    let (msgs, bytes) = match direction {
                        Direction::ToBackend => {
                            (&mut stats.frontend_msgs_in, &mut stats.frontend_bytes_in)
                        }
                        Direction::ToFrontend => {
                            (&mut stats.backend_msgs_in, &mut stats.backend_bytes_in)
                        }
                    };
                    *msgs += 1;
                    *bytes += size as u64;
                    if let Some(capture) = capture {
                        capture.send(msg.clone())?;
                    }
                    msg
                }
                Err(Error::WouldBlock) => return Ok(()),
                Err(e) => return Err(e),
            },
        };
        let size: usize = msg.iter().map(|f| f.len()).sum();
        match to.try_send_or_return(msg) {
            Ok(None) => {
                let (msgs, bytes) = match direction {
                    Direction::ToBackend => {
                        (&mut stats.backend_msgs_out, &mut stats.backend_bytes_out)
                    }
                    Direction::ToFrontend => {
                        (&mut stats.frontend_msgs_out, &mut stats.frontend_bytes_out)
                    }
                };
                *msgs += 1;
                *bytes += size as u64;
            }
            Ok(Some(back)) => {
                *held = Some(back);
                return Ok(());
            }
            // A ROUTER with `router_mandatory` names a peer that has left (a reply whose
            // client hung up): that message cannot be delivered, the others still can.
            // libzmq's proxy returns here, so one vanished client stops it for all.
            Err(Error::HostUnreachable { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
