//! ipc (transport layer): Unix domain sockets, by path (`ipc:///tmp/feed.sock`) or by Linux
//! abstract name (`ipc://@feed`).

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{SocketAddr, UnixListener as StdListener, UnixStream as StdStream};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use super::{listen, Listener, Listening};
use crate::engine::Owner;
use crate::{Error, Result};

/// Longest path a Unix socket address holds (`sun_path` is 108 bytes with its NUL).
const MAX_PATH: usize = 107;

/// Checks an ipc address and turns it into a socket address, with the file path to clean up
/// (none for abstract names). The error says what is wrong.
pub(crate) fn address_of(
    address: &str,
) -> std::result::Result<(SocketAddr, Option<PathBuf>), String> {
    if address == "*" {
        return Err("wildcard ipc endpoints are not supported; name a path".into());
    }
    if let Some(name) = address.strip_prefix('@') {
        return abstract_address(name).map(|a| (a, None));
    }
    if address.len() > MAX_PATH {
        return Err(format!(
            "a path of {} bytes is too long for a Unix socket (at most {MAX_PATH})",
            address.len()
        ));
    }
    SocketAddr::from_pathname(address)
        .map(|a| (a, Some(PathBuf::from(address))))
        .map_err(|e| e.to_string())
}

#[cfg(target_os = "linux")]
fn abstract_address(name: &str) -> std::result::Result<SocketAddr, String> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name.as_bytes())
        .map_err(|_| format!("an abstract name is at most {} bytes", MAX_PATH - 1))
}

#[cfg(not(target_os = "linux"))]
fn abstract_address(_name: &str) -> std::result::Result<SocketAddr, String> {
    Err("abstract names (ipc://@name) exist only on Linux".into())
}

/// Binds now and accepts on the I/O thread until `stop`. Like libzmq, a socket file left at
/// the path by an earlier run is replaced. Unlike libzmq, a socket that is still listening is
/// not: libzmq would silently take the path from its owner, where ferromq reports the address
/// in use. Any other kind of file is left alone and the bind fails.
pub(crate) fn bind<O: Owner>(
    core: &Arc<O>,
    endpoint: &str,
    address: &str,
    stop: watch::Receiver<bool>,
) -> Result<Listening> {
    let invalid = |reason: String| Error::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let (addr, path) = address_of(address).map_err(invalid)?;
    if let Some(path) = &path {
        let socket_file = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
        if socket_file {
            if StdStream::connect_addr(&addr).is_ok() {
                return Err(Error::AddrInUse {
                    endpoint: endpoint.to_owned(),
                });
            }
            let _ = std::fs::remove_file(path); // nobody listens: left over, take it over
        }
    }
    let listener = StdListener::bind_addr(&addr).map_err(|e| match e.kind() {
        ErrorKind::AddrInUse => Error::AddrInUse {
            endpoint: endpoint.to_owned(),
        },
        // An operating system error (libzmq's ENOENT), in words that say which part is wrong.
        ErrorKind::NotFound => Error::Io {
            endpoint: endpoint.to_owned(),
            source: std::io::Error::new(ErrorKind::NotFound, "its directory does not exist"),
        },
        _ => Error::Io {
            endpoint: endpoint.to_owned(),
            source: e,
        },
    })?;
    let io_err = |source| Error::Io {
        endpoint: endpoint.to_owned(),
        source,
    };
    // The standard library listens with its own backlog; listening again sets ours.
    socket2::SockRef::from(&listener)
        .listen(core.options().backlog)
        .map_err(io_err)?;
    listener.set_nonblocking(true).map_err(io_err)?;
    let listener = {
        let _enter = core.io().handle.enter();
        UnixListener::from_std(listener).map_err(io_err)?
    };
    Ok(listen(
        core,
        Listener::Unix(listener, path),
        format!("ipc://{address}"),
        stop,
    ))
}

/// Connects (on the I/O thread). A local connect completes or fails at once.
pub(crate) fn open(address: &str) -> Option<UnixStream> {
    let (addr, _) = address_of(address).ok()?;
    let stream = StdStream::connect_addr(&addr).ok()?;
    stream.set_nonblocking(true).ok()?;
    UnixStream::from_std(stream).ok()
}
