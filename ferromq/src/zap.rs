//! ZAP, the ZeroMQ Authentication Protocol (leaf data; RFC 27): the request a server sends
//! the authenticator bound at [`ENDPOINT`] in its context, and the checks on the reply, as
//! libzmq 4.3.5 frames and checks them.
//!
//! ```text
//! request: ""  "1.0"  "1"  domain  address  routing-id  mechanism  credentials...
//! reply:   ""  "1.0"  "1"  status  status-text  user-id  metadata
//! ```
//!
//! The leading empty frame is the envelope delimiter: the request goes out as from a DEALER,
//! so that a REP handler sees it from `"1.0"` on and its reply comes back behind one.
//! Like libzmq, the request id is always `"1"` (each request has a socket of its own), the
//! address is the peer's IP address without its port (empty over ipc), and the routing id is
//! the *server's own* `routing_id` option, not the peer's.

use bytes::Bytes;
use ferromq_zmtp::{AuthRequest, Metadata};

/// Where the application binds its authenticator (a REP or ROUTER socket).
pub const ENDPOINT: &str = "inproc://zeromq.zap.01";

/// [`ENDPOINT`]'s name in the context's inproc registry.
pub(crate) const NAME: &str = "zeromq.zap.01";

/// The only request id ferromq (like libzmq) sends.
const REQUEST_ID: &[u8] = b"1";

/// The frames of a ZAP request about one peer.
pub(crate) fn request(
    domain: &[u8],
    address: &str,
    routing_id: &[u8],
    auth: &AuthRequest,
) -> Vec<Bytes> {
    let mut frames = vec![
        Bytes::new(),
        Bytes::from_static(b"1.0"),
        Bytes::from_static(REQUEST_ID),
        Bytes::copy_from_slice(domain),
        Bytes::copy_from_slice(address.as_bytes()),
        Bytes::copy_from_slice(routing_id),
        Bytes::from_static(auth.mechanism.as_bytes()),
    ];
    frames.extend(auth.credentials.iter().cloned());
    frames
}

/// An authenticator's answer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// 200, 300, 400 or 500.
    pub status: u16,
    /// Who the peer is: `User-Id` on its messages (possibly empty).
    pub user_id: Bytes,
    /// Properties for the peer's messages, in ZMTP's metadata format.
    pub metadata: Metadata,
}

/// What was wrong with a ZAP reply; each has libzmq's protocol error number
/// ([`code`](Self::code)), which the monitor reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The reply did not have exactly seven frames.
    #[error("the ZAP reply has {0} frames where seven were expected")]
    Malformed(usize),
    /// The first frame, the envelope delimiter, was not empty.
    #[error("the ZAP reply does not start with an empty delimiter frame")]
    Unspecified,
    /// The version was not `"1.0"`.
    #[error("the ZAP reply's version is not 1.0")]
    BadVersion,
    /// The request id was not the one sent.
    #[error("the ZAP reply answers another request")]
    BadRequestId,
    /// The status code was not one of 200, 300, 400, 500.
    #[error("the ZAP reply's status code is not 200, 300, 400 or 500")]
    InvalidStatusCode,
    /// The metadata frame did not parse.
    #[error("the ZAP reply's metadata is malformed")]
    InvalidMetadata,
}

impl ReplyError {
    /// libzmq's number for it (`ZMQ_PROTOCOL_ERROR_ZAP_*`), the value of the monitor's
    /// HANDSHAKE_FAILED_PROTOCOL event.
    pub fn code(&self) -> u32 {
        match self {
            ReplyError::Unspecified => 0x2000_0000,
            ReplyError::Malformed(_) => 0x2000_0001,
            ReplyError::BadRequestId => 0x2000_0002,
            ReplyError::BadVersion => 0x2000_0003,
            ReplyError::InvalidStatusCode => 0x2000_0004,
            ReplyError::InvalidMetadata => 0x2000_0005,
        }
    }
}

/// Checks a reply's frames in libzmq's order.
pub(crate) fn parse_reply(frames: &[Bytes]) -> Result<Reply, ReplyError> {
    let [delimiter, version, id, status, _text, user_id, metadata] = frames else {
        return Err(ReplyError::Malformed(frames.len()));
    };
    if !delimiter.is_empty() {
        return Err(ReplyError::Unspecified);
    }
    if &version[..] != b"1.0" {
        return Err(ReplyError::BadVersion);
    }
    if &id[..] != REQUEST_ID {
        return Err(ReplyError::BadRequestId);
    }
    let status = match &status[..] {
        b"200" => 200,
        b"300" => 300,
        b"400" => 400,
        b"500" => 500,
        _ => return Err(ReplyError::InvalidStatusCode),
    };
    let metadata = Metadata::decode(metadata.clone()).map_err(|_| ReplyError::InvalidMetadata)?;
    Ok(Reply {
        status,
        user_id: user_id.clone(),
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(frames: &[&[u8]]) -> Result<Reply, ReplyError> {
        let frames: Vec<Bytes> = frames.iter().map(|f| Bytes::copy_from_slice(f)).collect();
        parse_reply(&frames)
    }

    #[test]
    fn a_good_reply_gives_status_user_and_metadata() {
        let mut meta = bytes::BytesMut::new();
        let mut m = Metadata::new();
        m.push("X-Role", Bytes::from_static(b"admin"));
        m.encode(&mut meta);
        let r = reply(&[b"", b"1.0", b"1", b"200", b"OK", b"alice", &meta]).unwrap();
        assert_eq!((r.status, &r.user_id[..]), (200, &b"alice"[..]));
        assert_eq!(
            r.metadata.get("X-Role").map(|v| &v[..]),
            Some(&b"admin"[..])
        );
        assert_eq!(
            reply(&[b"", b"1.0", b"1", b"300", b"", b"", b""])
                .unwrap()
                .status,
            300
        );
    }

    #[test]
    fn each_fault_has_libzmqs_code() {
        let cases: [(&[&[u8]], u32); 7] = [
            (&[b"", b"1.0", b"1", b"200", b"", b""], 0x2000_0001),
            (
                &[b"", b"1.0", b"1", b"200", b"", b"", b"", b""],
                0x2000_0001,
            ),
            (&[b"x", b"1.0", b"1", b"200", b"", b"", b""], 0x2000_0000),
            (&[b"", b"1.1", b"1", b"200", b"", b"", b""], 0x2000_0003),
            (&[b"", b"1.0", b"2", b"200", b"", b"", b""], 0x2000_0002),
            (&[b"", b"1.0", b"1", b"201", b"", b"", b""], 0x2000_0004),
            (
                &[b"", b"1.0", b"1", b"200", b"", b"", b"\x05X"],
                0x2000_0005,
            ),
        ];
        for (frames, code) in cases {
            assert_eq!(reply(frames).unwrap_err().code(), code, "{frames:?}");
        }
    }

    #[test]
    fn the_request_is_framed_as_libzmq_frames_it() {
        let auth = AuthRequest::new(
            "PLAIN",
            vec![Bytes::from_static(b"admin"), Bytes::from_static(b"pw")],
        );
        let frames = request(b"global", "10.0.0.7", b"srv", &auth);
        let want: [&[u8]; 9] = [
            b"",
            b"1.0",
            b"1",
            b"global",
            b"10.0.0.7",
            b"srv",
            b"PLAIN",
            b"admin",
            b"pw",
        ];
        assert_eq!(frames, want);
    }
}
