//! tcp (transport layer): binding and dialing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{listen, Listener, Listening};
use crate::endpoint::Host;
use crate::engine::Owner;
use crate::{Error, Result};

/// Binds now (so that errors reach the caller) and accepts on the I/O thread until `stop`.
/// Returns the bound endpoint with its real port, for `last_endpoint`.
pub(crate) fn bind<O: Owner>(
    core: &Arc<O>,
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
    // The standard library listens with its own backlog; listening again sets ours.
    socket2::SockRef::from(&listener)
        .listen(opts.backlog)
        .map_err(io_err)?;
    listener.set_nonblocking(true).map_err(io_err)?;
    let local = listener.local_addr().map_err(io_err)?;
    let listener = {
        let _enter = core.io().handle.enter();
        TcpListener::from_std(listener).map_err(io_err)?
    };
    Ok(listen(
        core,
        Listener::Tcp(listener),
        format!("tcp://{local}"),
        stop,
    ))
}

/// Resolves and connects, trying each address in turn.
pub(crate) async fn open(host: &Host, port: u16, ipv6: bool) -> Option<TcpStream> {
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
