//! The ZMTP harness (test support): one connection fed a peer's bytes in arbitrary pieces.

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::key::{self, KeyPair};
use ferromq_zmtp::{AuthReply, Config, Connection, Event, Mechanism, SocketType};
use zeroize::Zeroizing;

/// The CURVE server's long-term secret key in every CURVE setup (fixed, so that the corpus
/// can hold handshakes made for it).
pub const SERVER_SECRET: [u8; 32] = [0x5e; 32];
/// The CURVE client's long-term secret key.
pub const CLIENT_SECRET: [u8; 32] = [0xc1; 32];
/// The largest frame a connection with a size limit accepts.
pub const LIMIT: u64 = 64;

/// How the harness sets up its connection, read from the input's first byte: the socket type
/// (bits 0-3, libzmq's numbering, modulo 11), the mechanism (bits 4-6), the frame size limit
/// (bit 7: [`LIMIT`]). The second byte seeds the sizes of the pieces the rest is fed in (0:
/// all at once). The rest is what the peer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// Our socket type.
    pub socket_type: SocketType,
    /// 0 NULL, 1 NULL asking the authenticator, 2 PLAIN server, 3 PLAIN client, 4 CURVE
    /// server, 5 CURVE client; 6 and 7 are 4 and 5 refused by the authenticator.
    pub mechanism: u8,
    /// Frames above [`LIMIT`] are refused.
    pub limited: bool,
    /// Seeds the sizes of the pieces.
    pub pieces: u8,
}

impl Setup {
    /// The two header bytes that select this setup.
    pub fn header(&self) -> [u8; 2] {
        let number = SocketType::ALL
            .iter()
            .position(|&t| t == self.socket_type)
            .unwrap_or(0) as u8;
        [
            number | (self.mechanism & 7) << 4 | u8::from(self.limited) << 7,
            self.pieces,
        ]
    }

    fn read(head: u8, pieces: u8) -> Setup {
        Setup {
            socket_type: SocketType::ALL[usize::from(head & 0x0f) % SocketType::ALL.len()],
            mechanism: (head >> 4) & 7,
            limited: head & 0x80 != 0,
            pieces,
        }
    }

    /// Our connection's configuration.
    pub fn config(&self) -> Config {
        let mut config = Config::new(self.socket_type);
        config.identity = Bytes::from_static(b"fuzz");
        config.max_msg_size = self.limited.then_some(LIMIT);
        config.mechanism = match self.mechanism {
            0 | 1 => Mechanism::Null,
            2 => Mechanism::PlainServer,
            3 => Mechanism::PlainClient {
                username: Bytes::from_static(b"admin"),
                password: Zeroizing::new(b"secret".to_vec()),
            },
            4 | 6 => Mechanism::CurveServer {
                secret: fixed(&SERVER_SECRET),
            },
            _ => Mechanism::CurveClient {
                secret: Some(fixed(&CLIENT_SECRET)),
                server_key: *key_pair(&SERVER_SECRET).public(),
            },
        };
        config.null_authenticates = self.mechanism == 1;
        config
    }

    fn verdict(&self) -> AuthReply {
        AuthReply {
            status: if self.mechanism >= 6 { 400 } else { 200 },
            user_id: Bytes::from_static(b"fuzzed"),
        }
    }
}

fn fixed(secret: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    key::parse(secret).unwrap_or_else(|_| unreachable!("32 bytes are a key"))
}

/// The key pair of one of the fixed secrets ([`SERVER_SECRET`], [`CLIENT_SECRET`]).
pub fn key_pair(secret: &[u8; 32]) -> KeyPair {
    KeyPair::from_secret(fixed(secret))
}

/// Runs a connection set up by the input's first byte (see [`Setup`]) on the rest of it, as
/// the engine does: our greeting and handshake go out, the peer's bytes come in piece by
/// piece, every event is taken, an authenticator answers, until the bytes end or the
/// connection fails. Checks that no frame above the limit comes out, and that a failed
/// connection stays failed.
pub fn zmtp(data: &[u8]) {
    let [head, pieces, peer @ ..] = data else {
        return;
    };
    let setup = Setup::read(*head, *pieces);
    let mut conn = Connection::new(setup.config());
    let mut out = BytesMut::new();
    conn.poll_transmit(&mut out);
    let mut rng = u32::from(setup.pieces) | 0x100;
    let mut rest = peer;
    while !rest.is_empty() {
        let size = if setup.pieces == 0 {
            rest.len()
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            1 + rng as usize % 97
        };
        let (piece, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        conn.feed(piece);
        if !drain(&mut conn, &setup) {
            assert!(conn.poll_event().is_err(), "a failed connection recovered");
            return;
        }
        out.clear();
        conn.poll_transmit(&mut out);
    }
}

/// Takes every event; false once the connection has failed.
fn drain(conn: &mut Connection, setup: &Setup) -> bool {
    let limit = if setup.limited { LIMIT } else { u64::MAX };
    let check = |len: usize| assert!(len as u64 <= limit, "a frame of {len} bytes let through");
    loop {
        conn.poll_frames(|frame| check(frame.data.len()));
        match conn.poll_event() {
            Ok(Some(Event::Frame(frame))) => check(frame.data.len()),
            Ok(Some(Event::Authenticate(_))) => {
                if conn.authenticated(setup.verdict()).is_err() {
                    return false;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}
