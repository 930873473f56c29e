//! tcp: listening and accepting, connecting and reconnecting with backoff.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::core::{Slot, SocketCore};
use crate::endpoint::Host;
use crate::engine::{self, End};
use crate::{Error, Result, SocketType};

/// Binds now (so that errors reach the caller) and accepts on the I/O thread until `stop`.
/// Returns the bound endpoint with its real port, for `last_endpoint`.
pub(crate) fn bind(
    core: &Arc<SocketCore>,
    endpoint: &str,
    host: &Host,
    port: Option<u16>,
    stop: watch::Receiver<bool>,
) -> Result<Listening> {
    let opts = core.options();
    let port = port.unwrap_or(0);
    let io_err = |source| Error::Io {
        endpoint: endpoint.to_owned(),
        source,
    };
    let addr = match host {
        Host::Any if opts.ipv6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
        Host::Any => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        Host::Ip(ip) => SocketAddr::new(*ip, port),
        Host::Name(name) => {
            use std::net::ToSocketAddrs;
            (name.as_str(), port)
                .to_socket_addrs()
                .map_err(io_err)?
                .find(|a| opts.ipv6 || a.is_ipv4())
                .ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: endpoint.to_owned(),
                    reason: format!("{name:?} resolves to no usable address"),
                })?
        }
    };
    let listener = std::net::TcpListener::bind(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => Error::AddrInUse {
            endpoint: endpoint.to_owned(),
        },
        _ => io_err(e),
    })?;
    listener.set_nonblocking(true).map_err(io_err)?;
    let local = listener.local_addr().map_err(io_err)?;
    let listener = {
        let _enter = core.io.handle.enter();
        TcpListener::from_std(listener).map_err(io_err)?
    };
    let (closed_tx, closed) = std::sync::mpsc::sync_channel(0);
    core.io
        .spawn(accept_loop(core.clone(), listener, stop, closed_tx));
    Ok(Listening {
        endpoint: format!("tcp://{local}"),
        closed,
    })
}

/// A listening socket running on the I/O thread.
pub(crate) struct Listening {
    /// The bound endpoint with its real port.
    pub endpoint: String,
    /// Disconnects once the listening socket is closed, so that `unbind` can return only
    /// when the port is free again.
    pub closed: std::sync::mpsc::Receiver<()>,
}

async fn accept_loop(
    core: Arc<SocketCore>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    closed: std::sync::mpsc::SyncSender<()>,
) {
    let mut closing = core.closing();
    let children_stop = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let (core, stop) = (core.clone(), children_stop.clone());
                    core.io.clone().spawn(async move {
                        let (rd, wr) = stream.into_split();
                        engine::run(core, rd, wr, Slot::Fresh, stop).await;
                    });
                }
                // Out of file descriptors or similar: back off a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = crate::core::signalled(&mut stop) => break,
            _ = crate::core::signalled(&mut closing) => break,
        }
    }
    drop(listener);
    drop(closed); // tells a waiting unbind that the port is free
}

/// Starts connecting (and reconnecting) on the I/O thread. Unless `immediate` is set (or the
/// socket is a ROUTER, which needs the peer's identity), the peer exists from now on, so
/// messages queue for it until the connection is up.
pub(crate) fn connect(
    core: &Arc<SocketCore>,
    host: Host,
    port: u16,
    stop: watch::Receiver<bool>,
) -> Slot {
    let opts = core.options();
    let slot = if opts.immediate || core.socket_type == SocketType::Router {
        Slot::Fresh
    } else {
        Slot::Persistent(core.add_persistent_peer())
    };
    core.io
        .spawn(connect_loop(core.clone(), host, port, slot, stop));
    slot
}

async fn connect_loop(
    core: Arc<SocketCore>,
    host: Host,
    port: u16,
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
                Slot::Persistent(id) => core
                    .state()
                    .peers
                    .get(id)
                    .is_some_and(|p| !p.out.is_empty()),
                Slot::Fresh => false,
            };
            let now = tokio::time::Instant::now();
            let deadline = *give_up_at.get_or_insert_with(|| match opts.linger() {
                Some(d) => now + d,
                None => now + Duration::from_secs(u64::MAX / 4),
            });
            if !pending || now >= deadline {
                break;
            }
        }
        let attempt = tokio::select! {
            s = open(&host, port, opts.ipv6) => s,
            _ = crate::core::signalled(&mut stop) => break,
        };
        if let Some(stream) = attempt {
            ivl = base;
            let _ = stream.set_nodelay(true);
            let (rd, wr) = stream.into_split();
            if engine::run(core.clone(), rd, wr, slot, stop.clone()).await == End::Closed {
                break;
            }
        } else if max > base {
            // Failed attempt: back off exponentially up to reconnect_ivl_max.
            ivl = (ivl * 2).min(max);
        }
        if opts.reconnect_ivl < 0 {
            break; // reconnection disabled
        }
        tokio::select! {
            _ = tokio::time::sleep(ivl) => {}
            _ = crate::core::signalled(&mut stop) => break,
            _ = crate::core::signalled(&mut closing), if !core.is_closed() => {}
        }
    }
    if let Slot::Persistent(id) = slot {
        core.detach(slot, id, true);
    }
}

/// Resolves and connects, trying each address in turn.
async fn open(host: &Host, port: u16, ipv6: bool) -> Option<TcpStream> {
    let addrs: Vec<SocketAddr> = match host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .ok()?
            .filter(|a| ipv6 || a.is_ipv4())
            .collect(),
        Host::Any => return None,
    };
    for addr in addrs {
        if let Ok(stream) = TcpStream::connect(addr).await {
            return Some(stream);
        }
    }
    None
}
