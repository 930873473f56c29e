use crate::SocketType;

/// Why a ZMTP connection cannot go on.
///
/// Every variant is fatal for the one connection that produced it: the owner closes that
/// connection (after sending whatever [`Connection::poll_transmit`](crate::Connection::poll_transmit)
/// still holds, such as an ERROR command) and keeps serving the others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first bytes are not a ZMTP 3.x signature (`0xFF`, 8 bytes, `0x7F`): the peer speaks
    /// ZMTP 1.0 or another protocol entirely (HTTP, TLS ...).
    #[error("not a ZMTP 3 peer: bad greeting signature")]
    BadSignature,
    /// The peer announced a major version below 3.
    #[error("peer speaks ZMTP {major}.{minor}; ferromq needs ZMTP 3.0 or later")]
    UnsupportedVersion {
        /// The peer's major version.
        major: u8,
        /// The peer's minor version.
        minor: u8,
    },
    /// The peer uses a different security mechanism.
    #[error("security mechanism mismatch: we use {ours}, the peer uses {theirs}")]
    MechanismMismatch {
        /// Our mechanism.
        ours: String,
        /// The peer's mechanism, as it was sent.
        theirs: String,
    },
    /// A frame's flags byte has bits set that ZMTP reserves.
    #[error("reserved bits set in frame flags {flags:#04x}")]
    ReservedFlags {
        /// The offending flags byte.
        flags: u8,
    },
    /// A frame declares more bytes than the configured maximum (`maxmsgsize`) or than any
    /// machine can hold.
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// Declared size.
        size: u64,
        /// The limit it broke.
        max: u64,
    },
    /// A command frame carries the MORE flag, which ZMTP forbids.
    #[error("command frame with the MORE flag set")]
    CommandWithMore,
    /// A command's body is not well formed.
    #[error("malformed {command} command: {reason}")]
    MalformedCommand {
        /// The command's name, or `"unnamed"`.
        command: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A command arrived in a state where it is not allowed.
    #[error("unexpected {command} command {state}")]
    UnexpectedCommand {
        /// The command's name.
        command: String,
        /// Where it arrived, e.g. "during the handshake".
        state: &'static str,
    },
    /// A message frame arrived before the handshake finished.
    #[error("message frame received before the handshake finished")]
    UnexpectedMessage,
    /// READY metadata is not well formed.
    #[error("malformed metadata: {0}")]
    MalformedMetadata(&'static str),
    /// READY carries no `Socket-Type` property.
    #[error("peer's READY carries no Socket-Type")]
    MissingSocketType,
    /// The peer's `Socket-Type` names no socket type we know.
    #[error("peer announced unknown socket type {0:?}")]
    UnknownSocketType(String),
    /// The two socket types may not talk to each other (RFC 37's matrix).
    #[error("incompatible peer: a {ours} socket cannot talk to a {theirs} socket")]
    IncompatiblePeer {
        /// Our socket type.
        ours: SocketType,
        /// The peer's socket type.
        theirs: SocketType,
    },
    /// The peer's `Identity` property is not a valid routing id.
    #[error("peer sent an invalid identity: {0}")]
    InvalidIdentity(&'static str),
    /// The peer sent nothing within a heartbeat timeout or the TTL it asked for.
    #[error("heartbeat expired: the peer went silent")]
    HeartbeatExpired,
    /// The peer sent an ERROR command.
    #[error("peer reported an error: {reason}")]
    PeerError {
        /// The reason it gave, lossily decoded as UTF-8.
        reason: String,
    },
}
