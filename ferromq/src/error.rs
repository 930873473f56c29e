//! Errors (leaf): one type whose variants name what went wrong and where.

use std::io;

use bytes::Bytes;

use crate::SocketType;

/// Everything that can go wrong in ferromq, each variant naming what it concerns.
///
/// A peer that breaks the protocol is no error of a call: its connection closes and the
/// others go on, and the socket's [`Monitor`](crate::Monitor) says why
/// ([`Cause::Protocol`](crate::Cause::Protocol)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `bind` found the address taken (libzmq's `EADDRINUSE`).
    #[error("address in use: {endpoint}")]
    AddrInUse {
        /// The endpoint that could not be bound.
        endpoint: String,
    },
    /// An endpoint string could not be used (libzmq's `EINVAL`, `EPROTONOSUPPORT`).
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `unbind` or `disconnect` of an endpoint this socket is not bound or connected to
    /// (libzmq's `ENOENT`).
    #[error("endpoint {endpoint:?} is not bound or connected on this socket")]
    UnknownEndpoint {
        /// The endpoint as given.
        endpoint: String,
    },
    /// A non-blocking operation could not complete now (libzmq's `EAGAIN`).
    #[error("operation would block")]
    WouldBlock,
    /// A blocking operation hit `sndtimeo` or `rcvtimeo`.
    #[error("operation timed out")]
    TimedOut,
    /// A signal reached the thread while an interruptible call waited
    /// ([`Socket::recv_interruptible`](crate::Socket::recv_interruptible); libzmq's `EINTR`):
    /// nothing was taken or sent, so the call can simply be made again.
    #[error("interrupted by a signal")]
    Interrupted,
    /// The socket's pattern does not allow this operation now (libzmq's `EFSM`), e.g. a REQ
    /// sending twice without receiving the reply.
    #[error("{socket_type} socket cannot {operation} now: {reason}")]
    WrongState {
        /// The socket's type.
        socket_type: SocketType,
        /// "send" or "receive".
        operation: &'static str,
        /// What the pattern expects instead.
        reason: &'static str,
    },
    /// The operation is not available on this socket type (libzmq's `ENOTSUP`).
    #[error("{socket_type} sockets cannot {operation}")]
    NotSupported {
        /// The socket's type.
        socket_type: SocketType,
        /// What was attempted.
        operation: &'static str,
    },
    /// The socket or its context was closed (libzmq's `ETERM` / `ENOTSOCK`).
    #[error("socket is closed")]
    Closed,
    /// A ROUTER with `router_mandatory` was asked to send to an identity it does not know
    /// (libzmq's `EHOSTUNREACH`).
    #[error(
        "no peer with routing id {}",
        crate::message::display_frame(routing_id)
    )]
    HostUnreachable {
        /// The routing id that matched no peer.
        routing_id: Bytes,
    },
    /// An option's value is out of range or does not fit the socket type (libzmq's `EINVAL`).
    #[error("invalid value for option {option}: {reason}")]
    InvalidOption {
        /// The option's libzmq name, e.g. `"sndhwm"`.
        option: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// A message was refused locally because it is not valid for the pattern (e.g. an empty
    /// message on a ROUTER, which needs a routing id frame).
    #[error("invalid message: {0}")]
    InvalidMessage(&'static str),
    /// An operating system error on an endpoint.
    #[error("{endpoint}: {source}")]
    Io {
        /// The endpoint involved.
        endpoint: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// ferromq's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
