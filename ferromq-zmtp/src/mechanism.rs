//! Security mechanisms (RFC 23 §"Security"): which one a connection speaks, its credentials,
//! and the PLAIN commands (RFC 24; CURVE's are in [`curve`](crate::curve)). The handshake
//! steps themselves are in `connection.rs`.
//!
//! A PLAIN client sends HELLO with its user name and password; the server asks its
//! authenticator ([`Event::Authenticate`](crate::Event::Authenticate), answered with
//! [`Connection::authenticated`](crate::Connection::authenticated)) and answers WELCOME; the
//! client sends INITIATE with its metadata, and the server READY with its own:
//!
//! ```text
//! HELLO     = "\x05HELLO" username-length(1) username password-length(1) password
//! WELCOME   = "\x07WELCOME"
//! INITIATE  = "\x08INITIATE" metadata
//! READY     = "\x05READY" metadata
//! ```
//!
//! PLAIN sends the password in clear text: it is for networks that are trusted not to be
//! read, as RFC 24 says.

use bytes::{BufMut, Bytes, BytesMut};
use zeroize::Zeroizing;

use crate::key::KEY_LEN;
use crate::Error;

/// The security mechanism of one side of a connection, with its credentials.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mechanism {
    /// No security (RFC 23's NULL): READY at once, no credentials.
    #[default]
    Null,
    /// A PLAIN client, sending these credentials (each at most 255 bytes).
    PlainClient {
        /// The user name.
        username: Bytes,
        /// The password, wiped from memory when dropped.
        password: Zeroizing<Vec<u8>>,
    },
    /// A PLAIN server: each client's credentials go to the authenticator.
    PlainServer,
    /// A CURVE client (RFC 25, 26) of the server whose public key is `server_key`.
    CurveClient {
        /// Our long-term secret key (the public one follows from it); `None`: a fresh key
        /// pair for each connection.
        secret: Option<Zeroizing<[u8; KEY_LEN]>>,
        /// The server's long-term public key.
        server_key: [u8; KEY_LEN],
    },
    /// A CURVE server with this long-term secret key: each client's long-term public key
    /// goes to the authenticator.
    CurveServer {
        /// Our long-term secret key.
        secret: Zeroizing<[u8; KEY_LEN]>,
    },
}

impl Mechanism {
    /// The name in the greeting: `NULL` or `PLAIN`.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::Null => "NULL",
            Mechanism::PlainClient { .. } | Mechanism::PlainServer => "PLAIN",
            Mechanism::CurveClient { .. } | Mechanism::CurveServer { .. } => "CURVE",
        }
    }

    /// The greeting's as-server flag.
    pub fn as_server(&self) -> bool {
        matches!(self, Mechanism::PlainServer | Mechanism::CurveServer { .. })
    }
}

impl std::fmt::Debug for Mechanism {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mechanism::Null => f.write_str("Null"),
            Mechanism::PlainClient { username, .. } => f
                .debug_struct("PlainClient")
                .field("username", username)
                .finish_non_exhaustive(),
            Mechanism::PlainServer => f.write_str("PlainServer"),
            Mechanism::CurveClient { server_key, .. } => f
                .debug_struct("CurveClient")
                .field(
                    "server_key",
                    &crate::z85::encode(server_key).unwrap_or_default(),
                )
                .finish_non_exhaustive(),
            Mechanism::CurveServer { .. } => f.write_str("CurveServer"),
        }
    }
}

/// What a server asks its authenticator about a peer (a ZAP request's mechanism part, RFC 27).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthRequest {
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub mechanism: &'static str,
    /// The credentials, as ZAP frames them: PLAIN's user name and password, CURVE's client
    /// long-term public key (32 bytes); none for NULL.
    pub credentials: Vec<Bytes>,
}

impl AuthRequest {
    /// A request about a peer speaking `mechanism` with these credentials.
    pub fn new(mechanism: &'static str, credentials: Vec<Bytes>) -> Self {
        AuthRequest {
            mechanism,
            credentials,
        }
    }
}

impl std::fmt::Debug for AuthRequest {
    /// The mechanism and how many credentials, never their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("mechanism", &self.mechanism)
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

/// The authenticator's answer (a ZAP reply's status code and user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthReply {
    /// 200 admits the peer; 300 (temporary) and 400 (denied) and 500 (internal error)
    /// refuse it.
    pub status: u16,
    /// Who the peer is, for the application (`User-Id` on its messages).
    pub user_id: Bytes,
}

/// HELLO's body: the user name and the password, each after its 1-byte length.
pub(crate) fn encode_hello(buf: &mut BytesMut, username: &[u8], password: &[u8]) {
    let username = &username[..username.len().min(255)];
    let password = &password[..password.len().min(255)];
    buf.put_u8(username.len() as u8);
    buf.put_slice(username);
    buf.put_u8(password.len() as u8);
    buf.put_slice(password);
}

/// Reads HELLO's body: every length within the command, nothing after the password.
pub(crate) fn parse_hello(mut data: Bytes) -> Result<(Bytes, Bytes), Error> {
    let malformed = |reason| Error::MalformedCommand {
        command: "HELLO".into(),
        reason,
    };
    let mut field = |what| {
        let len = usize::from(*data.first().ok_or(malformed(what))?);
        if data.len() < 1 + len {
            return Err(malformed(what));
        }
        let _ = data.split_to(1);
        Ok(data.split_to(len))
    };
    let username = field("user name length past the end")?;
    let password = field("password length past the end")?;
    if !data.is_empty() {
        return Err(malformed("bytes after the password"));
    }
    Ok((username, password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hello_round_trips_and_checks_every_length() {
        let mut buf = BytesMut::new();
        encode_hello(&mut buf, b"admin", b"secret");
        assert_eq!(&buf[..], b"\x05admin\x06secret");
        let (user, pass) = parse_hello(buf.freeze()).unwrap();
        assert_eq!((&user[..], &pass[..]), (&b"admin"[..], &b"secret"[..]));
        for bad in [
            &b""[..],
            b"\x05adm",
            b"\x05admin",
            b"\x05admin\x07secret",
            b"\x05admin\x06secret!",
        ] {
            assert!(
                matches!(
                    parse_hello(Bytes::copy_from_slice(bad)),
                    Err(Error::MalformedCommand { ref command, .. }) if command == "HELLO"
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_hello(Bytes::from_static(b"\x00\x00")).unwrap(),
            (Bytes::new(), Bytes::new())
        );
    }

    #[test]
    fn debug_never_shows_a_password() {
        let m = Mechanism::PlainClient {
            username: Bytes::from_static(b"admin"),
            password: Zeroizing::new(b"hunter2".to_vec()),
        };
        assert!(!format!("{m:?}").contains("hunter2"));
        let r = AuthRequest {
            mechanism: "PLAIN",
            credentials: vec![Bytes::from_static(b"admin"), Bytes::from_static(b"hunter2")],
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    proptest! {
        /// Any bytes: parsed or refused, never a panic; what parses encodes back the same.
        #[test]
        fn hello_parsing_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok((user, pass)) = parse_hello(Bytes::from(data.clone())) {
                let mut again = BytesMut::new();
                encode_hello(&mut again, &user, &pass);
                prop_assert_eq!(&again[..], &data[..]);
            }
        }
    }
}
