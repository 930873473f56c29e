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
    /// A CURVE box did not open (a wrong key, a forged or damaged box), or a key could not
    /// be made.
    #[error("a CURVE box did not open: wrong key, or forged or damaged data")]
    Cryptographic,
    /// A CURVE box came with a nonce not above the last one: replayed or reordered.
    #[error("a CURVE nonce did not increase: replayed or reordered data")]
    InvalidSequence,
    /// A CURVE client's vouch does not name its own short-term key and this server.
    #[error("the CURVE client's vouch names another key")]
    KeyExchange,
    /// The authenticator refused the peer with this ZAP status (300, 400 or 500).
    #[error("authentication refused the peer (status {status})")]
    AuthFailed {
        /// The ZAP status code.
        status: u16,
    },
}

/// libzmq's `ZMQ_PROTOCOL_ERROR_ZMTP_*` numbers, which its monitor gives as the value of a
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` event.
pub mod zmtp_code {
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`.
    pub const UNSPECIFIED: u32 = 0x1000_0000;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`.
    pub const UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`.
    pub const INVALID_SEQUENCE: u32 = 0x1000_0002;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`.
    pub const KEY_EXCHANGE: u32 = 0x1000_0003;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`.
    pub const MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`.
    pub const MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`.
    pub const MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`.
    pub const MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`.
    pub const MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`.
    pub const MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`.
    pub const MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`.
    pub const INVALID_METADATA: u32 = 0x1000_0018;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`.
    pub const CRYPTOGRAPHIC: u32 = 0x1100_0001;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`.
    pub const MECHANISM_MISMATCH: u32 = 0x1100_0002;
}

impl Error {
    /// libzmq's number for this fault ([`zmtp_code`]), as its monitor reports a handshake that
    /// failed on it.
    ///
    /// ```
    /// use ferromq_zmtp::{zmtp_code, Error};
    /// let e = Error::MissingSocketType;
    /// assert_eq!(e.zmtp_code(), zmtp_code::INVALID_METADATA);
    /// ```
    pub fn zmtp_code(&self) -> u32 {
        use zmtp_code::*;
        match self {
            Error::MechanismMismatch { .. } => MECHANISM_MISMATCH,
            Error::Cryptographic => CRYPTOGRAPHIC,
            Error::InvalidSequence => INVALID_SEQUENCE,
            Error::KeyExchange => KEY_EXCHANGE,
            Error::CommandWithMore => MALFORMED_COMMAND_UNSPECIFIED,
            Error::MalformedCommand { command, .. } => match command.as_str() {
                "READY" => MALFORMED_COMMAND_READY,
                "ERROR" => MALFORMED_COMMAND_ERROR,
                "HELLO" => MALFORMED_COMMAND_HELLO,
                "INITIATE" => MALFORMED_COMMAND_INITIATE,
                "WELCOME" => MALFORMED_COMMAND_WELCOME,
                "MESSAGE" => MALFORMED_COMMAND_MESSAGE,
                _ => MALFORMED_COMMAND_UNSPECIFIED,
            },
            Error::UnexpectedCommand { .. } | Error::UnexpectedMessage => UNEXPECTED_COMMAND,
            Error::MalformedMetadata(_)
            | Error::MissingSocketType
            | Error::UnknownSocketType(_)
            | Error::IncompatiblePeer { .. }
            | Error::InvalidIdentity(_) => INVALID_METADATA,
            Error::BadSignature
            | Error::UnsupportedVersion { .. }
            | Error::ReservedFlags { .. }
            | Error::FrameTooLarge { .. }
            | Error::HeartbeatExpired
            | Error::PeerError { .. }
            | Error::AuthFailed { .. } => UNSPECIFIED,
        }
    }
}
