//! ZMTP commands (RFC 37 §"Commands"): a 1-byte name length, the name, then command data.

use bytes::{BufMut, Bytes, BytesMut};

use crate::{encode, Error, Metadata};

/// Largest PING context RFC 37 allows.
pub const MAX_PING_CONTEXT: usize = 16;

/// A command, decoded from or to be encoded into one command frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// End of the NULL handshake, with the sender's metadata.
    Ready(Metadata),
    /// A fatal error; the sender closes the connection after it.
    Error {
        /// Human-readable reason, at most 255 bytes.
        reason: Bytes,
    },
    /// Subscribe to messages starting with this prefix (ZMTP 3.1).
    Subscribe(Bytes),
    /// Cancel a subscription (ZMTP 3.1).
    Cancel(Bytes),
    /// Heartbeat request.
    Ping {
        /// Time to live in tenths of a second (0: none).
        ttl: u16,
        /// Up to 16 bytes that the PONG echoes.
        context: Bytes,
    },
    /// Heartbeat reply.
    Pong {
        /// The PING's context.
        context: Bytes,
    },
    /// A command this crate does not interpret (e.g. a security mechanism's).
    Unknown {
        /// The command name.
        name: Bytes,
        /// Its data.
        data: Bytes,
    },
}

impl Command {
    /// The command's wire name.
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Unknown { name, .. } => name,
        }
    }

    /// Appends the whole command frame (header and body).
    pub fn encode(&self, buf: &mut BytesMut) {
        let name = self.name();
        let data_len = match self {
            Command::Ready(m) => m.encoded_len(),
            Command::Error { reason } => 1 + reason.len().min(255),
            Command::Subscribe(t) | Command::Cancel(t) => t.len(),
            Command::Ping { context, .. } => 2 + context.len().min(MAX_PING_CONTEXT),
            Command::Pong { context } => context.len().min(MAX_PING_CONTEXT),
            Command::Unknown { data, .. } => data.len(),
        };
        let size = 1 + name.len() + data_len;
        buf.reserve(9 + size);
        encode::header(buf, size, false, true);
        buf.put_u8(name.len() as u8);
        buf.put_slice(name);
        match self {
            Command::Ready(m) => m.encode(buf),
            Command::Error { reason } => {
                let reason = &reason[..reason.len().min(255)];
                buf.put_u8(reason.len() as u8);
                buf.put_slice(reason);
            }
            Command::Subscribe(t) | Command::Cancel(t) => buf.put_slice(t),
            Command::Ping { ttl, context } => {
                buf.put_u16(*ttl);
                buf.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
            }
            Command::Pong { context } => {
                buf.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)])
            }
            Command::Unknown { data, .. } => buf.put_slice(data),
        }
    }

    /// Decodes a command frame's body.
    pub fn decode(mut body: Bytes) -> Result<Command, Error> {
        let malformed = |command: &[u8], reason| Error::MalformedCommand {
            command: String::from_utf8_lossy(command).into_owned(),
            reason,
        };
        let Some(&name_len) = body.first() else {
            return Err(malformed(b"unnamed", "empty command frame"));
        };
        let name_len = usize::from(name_len);
        if name_len == 0 {
            return Err(malformed(b"unnamed", "empty command name"));
        }
        if body.len() < 1 + name_len {
            return Err(malformed(
                b"unnamed",
                "command name is longer than the frame",
            ));
        }
        let _ = body.split_to(1);
        let name = body.split_to(name_len);
        if !name.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed(b"unnamed", "command name is not alphabetic"));
        }
        let data = body;
        Ok(match &name[..] {
            b"READY" => Command::Ready(Metadata::decode(data)?),
            b"ERROR" => {
                let len = data.first().map(|&l| usize::from(l));
                match len {
                    Some(len) if data.len() == 1 + len => Command::Error {
                        reason: data.slice(1..),
                    },
                    _ => return Err(malformed(&name, "reason length does not match")),
                }
            }
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            b"PING" => {
                if data.len() < 2 || data.len() > 2 + MAX_PING_CONTEXT {
                    return Err(malformed(
                        &name,
                        "needs a 2-byte TTL and at most 16 bytes of context",
                    ));
                }
                Command::Ping {
                    ttl: u16::from_be_bytes([data[0], data[1]]),
                    context: data.slice(2..),
                }
            }
            b"PONG" => {
                if data.len() > MAX_PING_CONTEXT {
                    return Err(malformed(&name, "context longer than 16 bytes"));
                }
                Command::Pong { context: data }
            }
            _ => Command::Unknown { name, data },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Header;

    fn body_of(cmd: &Command) -> (Vec<u8>, Bytes) {
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf);
        let header = Header::decode(&buf).unwrap().unwrap();
        assert!(header.is_command());
        assert_eq!(header.len + header.size as usize, buf.len());
        let whole = buf.to_vec();
        (whole, buf.freeze().slice(header.len..))
    }

    #[test]
    fn byte_exact_commands() {
        let (wire, _) = body_of(&Command::Subscribe(Bytes::from_static(b"ab")));
        assert_eq!(wire, b"\x04\x0c\x09SUBSCRIBEab");
        let (wire, _) = body_of(&Command::Cancel(Bytes::new()));
        assert_eq!(wire, b"\x04\x07\x06CANCEL");
        let (wire, _) = body_of(&Command::Ping {
            ttl: 30,
            context: Bytes::from_static(b"x"),
        });
        assert_eq!(wire, b"\x04\x08\x04PING\x00\x1ex");
        let (wire, _) = body_of(&Command::Pong {
            context: Bytes::from_static(b"x"),
        });
        assert_eq!(wire, b"\x04\x06\x04PONGx");
        let (wire, _) = body_of(&Command::Error {
            reason: Bytes::from_static(b"no"),
        });
        assert_eq!(wire, b"\x04\x09\x05ERROR\x02no");
    }

    #[test]
    fn long_commands_use_the_long_size() {
        let topic = Bytes::from(vec![b't'; 300]);
        let (wire, body) = body_of(&Command::Subscribe(topic.clone()));
        assert_eq!(wire[0], 0x06);
        assert_eq!(Command::decode(body).unwrap(), Command::Subscribe(topic));
    }

    #[test]
    fn round_trips() {
        let mut m = Metadata::new();
        m.push("Socket-Type", &b"DEALER"[..]);
        m.push("Identity", &b"me"[..]);
        for cmd in [
            Command::Ready(m),
            Command::Error {
                reason: Bytes::from_static(b"bad"),
            },
            Command::Subscribe(Bytes::from_static(b"weather")),
            Command::Cancel(Bytes::from_static(b"weather")),
            Command::Ping {
                ttl: 0,
                context: Bytes::new(),
            },
            Command::Pong {
                context: Bytes::from_static(b"0123456789abcdef"),
            },
            Command::Unknown {
                name: Bytes::from_static(b"HELLO"),
                data: Bytes::from_static(b"\x00"),
            },
        ] {
            let (_, body) = body_of(&cmd);
            assert_eq!(Command::decode(body).unwrap(), cmd);
        }
    }

    #[test]
    fn rejects_malformed_bodies() {
        for body in [
            &b""[..],
            b"\x00",
            b"\x0aREADY",                 // name longer than the body
            b"\x05ERROR\x05ab",           // reason length mismatch
            b"\x04PING\x00",              // TTL cut short
            b"\x04PONG01234567890123456", // context over 16 bytes
            b"\x03A1B",                   // not alphabetic
        ] {
            assert!(
                Command::decode(Bytes::from_static(body)).is_err(),
                "{body:?}"
            );
        }
    }
}
