//! Transports (below the socket API, above the engine) move bytes; they know nothing of
//! socket types. Each one knows how to bind (now, so that errors reach the caller) and how to
//! dial; accepting, reconnecting and handing each connection to an engine is shared here.

pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod tcp;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::watch;

use crate::engine::{self, End};
use crate::engine::{signalled, Owner, Slot};
use crate::monitor::EventKind;
use crate::pipe::RawStream;
use std::os::fd::AsRawFd;

/// A connected byte stream of any transport.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// The file descriptor, which monitor events report.
    fn fd(&self) -> u64 {
        match self {
            Stream::Tcp(s) => s.as_raw_fd() as u64,
            Stream::Unix(s) => s.as_raw_fd() as u64,
        }
    }

    /// Runs the connection until it ends.
    async fn run<O: Owner>(
        self,
        core: Arc<O>,
        slot: Slot,
        stop: watch::Receiver<bool>,
        endpoint: &str,
    ) -> End {
        let fd = self.fd();
        let opts = core.options();
        match self {
            Stream::Tcp(s) => {
                let _ = s.set_nodelay(true);
                opts.tune(socket2::SockRef::from(&s), true);
                let Ok(s) = s.into_std() else {
                    return End::Lost;
                };
                engine_run(core, RawStream::Tcp(s), slot, stop, endpoint, fd).await
            }
            Stream::Unix(s) => {
                opts.tune(socket2::SockRef::from(&s), false);
                let Ok(s) = s.into_std() else {
                    return End::Lost;
                };
                engine_run(core, RawStream::Unix(s), slot, stop, endpoint, fd).await
            }
        }
    }
}

/// Runs a connection on its socket: the I/O thread writes through the socket itself and reads
/// through a second descriptor, which receivers and direct writers share.
async fn engine_run<O: Owner>(
    core: Arc<O>,
    stream: RawStream,
    slot: Slot,
    stop: watch::Receiver<bool>,
    endpoint: &str,
    fd: u64,
) -> End {
    // Out of descriptors for the duplicate, or no room in the reactor: the connection cannot
    // run.
    let Ok(raw) = stream.try_clone() else {
        return End::Lost;
    };
    let Ok(wr) = engine::Writer::new(stream) else {
        return End::Lost;
    };
    engine::run(core, wr, slot, stop, endpoint, fd, Arc::new(raw)).await
}

/// A listening socket of any transport.
pub(crate) enum Listener {
    Tcp(TcpListener),
    /// With the path to remove when the listener closes (none for abstract names).
    Unix(UnixListener, Option<std::path::PathBuf>),
}

impl Listener {
    fn fd(&self) -> u64 {
        match self {
            Listener::Tcp(l) => l.as_raw_fd() as u64,
            Listener::Unix(l, _) => l.as_raw_fd() as u64,
        }
    }

    async fn accept(&self) -> std::io::Result<Stream> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Stream::Tcp(s)),
            Listener::Unix(l, _) => l.accept().await.map(|(s, _)| Stream::Unix(s)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // libzmq removes the socket file it created when the listener closes.
        if let Listener::Unix(_, Some(path)) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Where a connecting socket dials.
#[derive(Clone)]
pub(crate) enum Target {
    Tcp(crate::endpoint::Host, u16),
    Ipc(String),
}

impl Target {
    async fn open(&self, ipv6: bool) -> Option<Stream> {
        match self {
            Target::Tcp(host, port) => tcp::open(host, *port, ipv6).await.map(Stream::Tcp),
            Target::Ipc(path) => ipc::open(path).map(Stream::Unix),
        }
    }
}

/// A bound endpoint running on the I/O thread.
pub(crate) struct Listening {
    /// The bound endpoint, with a wildcard port resolved.
    pub endpoint: String,
    /// Disconnects once the listening socket is closed, so that `unbind` can return only
    /// when the address is free again.
    pub closed: std::sync::mpsc::Receiver<()>,
}

/// Accepts on the I/O thread until `stop` or the socket closes.
pub(crate) fn listen<O: Owner>(
    core: &Arc<O>,
    listener: Listener,
    endpoint: String,
    stop: watch::Receiver<bool>,
) -> Listening {
    let (closed_tx, closed) = std::sync::mpsc::sync_channel(0);
    core.monitors()
        .emit(EventKind::Listening, &endpoint, listener.fd(), None);
    core.io().spawn(accept_loop(
        core.clone(),
        listener,
        endpoint.clone(),
        stop,
        closed_tx,
    ));
    Listening { endpoint, closed }
}

async fn accept_loop<O: Owner>(
    core: Arc<O>,
    listener: Listener,
    endpoint: String,
    mut stop: watch::Receiver<bool>,
    closed: std::sync::mpsc::SyncSender<()>,
) {
    let endpoint: Arc<str> = endpoint.into();
    let mut closing = core.closing();
    let children_stop = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(stream) => {
                    core.monitors().emit(EventKind::Accepted, &endpoint, stream.fd(), None);
                    let (core, stop, ep) = (core.clone(), children_stop.clone(), endpoint.clone());
                    core.io().clone().spawn(async move {
                        stream.run(core, Slot::Fresh, stop, &ep).await;
                    });
                }
                // Out of file descriptors or similar: back off a little instead of spinning.
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(0) as u64;
                    core.monitors().emit(EventKind::AcceptFailed, &endpoint, errno, Some(e.to_string()));
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
            },
            _ = signalled(&mut stop) => break,
            _ = signalled(&mut closing) => break,
        }
    }
    let fd = listener.fd();
    drop(listener);
    core.monitors().emit(EventKind::Closed, &endpoint, fd, None);
    drop(closed); // tells a waiting unbind that the address is free
}

/// Starts connecting (and reconnecting) on the I/O thread. The socket decides whether the
/// peer exists from now on, so that messages queue for it until the connection is up.
pub(crate) fn connect<O: Owner>(
    core: &Arc<O>,
    target: Target,
    endpoint: &str,
    stop: watch::Receiver<bool>,
) -> Slot {
    let slot = core.connect_slot();
    core.io().spawn(connect_loop(
        core.clone(),
        target,
        endpoint.to_owned(),
        slot,
        stop,
    ));
    slot
}

async fn connect_loop<O: Owner>(
    core: Arc<O>,
    target: Target,
    endpoint: String,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
) {
    let opts = core.options();
    let base = Duration::from_millis(opts.reconnect_ivl.max(0) as u64);
    let max = Duration::from_millis(opts.reconnect_ivl_max.max(0) as u64);
    let mut ivl = base;
    let mut closing = core.closing();
    let mut give_up_at: Option<tokio::time::Instant> = None;
    loop {
        if core.is_closed() {
            // Lingering: keep trying only while unsent messages wait, up to `linger`.
            let pending = match slot {
                Slot::Persistent(id) => core.has_unsent(id),
                Slot::Fresh => false,
            };
            let now = tokio::time::Instant::now();
            // The linger in force at close, not at connect.
            let deadline = *give_up_at.get_or_insert_with(|| match core.options().linger() {
                Some(d) => now + d,
                None => now + Duration::from_secs(u64::MAX / 4),
            });
            if !pending || now >= deadline {
                break;
            }
        }
        core.monitors()
            .emit(EventKind::ConnectDelayed, &endpoint, 0, None);
        let open = target.open(opts.ipv6);
        let attempt = tokio::select! {
            s = async {
                match (&target, opts.connect_timeout()) {
                    (Target::Tcp(..), Some(limit)) => {
                        tokio::time::timeout(limit, open).await.ok().flatten()
                    }
                    _ => open.await,
                }
            } => s,
            _ = signalled(&mut stop) => break,
        };
        // The wait before the next attempt: the current interval, which failed attempts double
        // (up to reconnect_ivl_max) for the one after, as libzmq does.
        let wait;
        if let Some(stream) = attempt {
            ivl = base;
            wait = base;
            core.monitors()
                .emit(EventKind::Connected, &endpoint, stream.fd(), None);
            if stream
                .run(core.clone(), slot, stop.clone(), &endpoint)
                .await
                == End::Closed
            {
                break;
            }
        } else {
            wait = ivl;
            if max > base {
                ivl = (ivl * 2).min(max);
            }
        }
        if opts.reconnect_ivl < 0 {
            break; // reconnection disabled
        }
        core.monitors().emit(
            EventKind::ConnectRetried,
            &endpoint,
            wait.as_millis() as u64,
            None,
        );
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = signalled(&mut stop) => break,
            _ = signalled(&mut closing), if !core.is_closed() => {}
        }
    }
    if let Slot::Persistent(id) = slot {
        core.detach(slot, id, true);
    }
}
