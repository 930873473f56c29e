//! CURVE (ZMTP-CURVE, RFC 25, carrying CurveZMQ, RFC 26): the handshake's four commands and
//! the MESSAGE boxes after it, laid out byte for byte as libzmq lays them out.
//!
//! ```text
//! client                                           server
//!  HELLO    C', Box[64 zeros](C'→S)          ──►
//!                                            ◄──  WELCOME  Box[S' + cookie](S→C')
//!  INITIATE cookie, Box[C + vouch + meta](C'→S') ──►     vouch = Box[C' + S](C→S')
//!                                            ◄──  READY    Box[meta](S'→C')
//!  MESSAGE  Box[flags + frame](C'→S')        ◄─►  MESSAGE  Box[flags + frame](S'→C')
//! ```
//!
//! C/c and S/s are the long-term key pairs, C'/c' and S'/s' the short-term ones made for
//! each connection. The cookie is `Box[C' + s']` under a key K that the server makes for
//! each connection: it lets the server check that an INITIATE answers its own WELCOME.
//! Every box is NaCl's `crypto_box` (Curve25519, XSalsa20, Poly1305) from RustCrypto's
//! `crypto_box`, and the cookie its `crypto_secretbox`: no cipher, MAC or curve arithmetic is
//! written here. Short nonces count up from 1 on each side, and a box whose nonce is not
//! above the last one seen is refused (RFC 26's replay protection). Every length the peer
//! declares is checked before it is used; comparisons of secret material are constant-time;
//! short-term secrets and the cookie key are wiped when dropped.

use bytes::{Bytes, BytesMut};
use crypto_box::aead::rand_core::{OsRng, RngCore};
use crypto_box::aead::{Aead, AeadInPlace, KeyInit};
use crypto_box::{Nonce, PublicKey, SalsaBox, SecretKey};
use crypto_secretbox::XSalsa20Poly1305;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::key::{KeyPair, KEY_LEN};
use crate::{encode, Error, Metadata};

/// HELLO's whole body.
const HELLO_LEN: usize = 200;
/// WELCOME's whole body.
const WELCOME_LEN: usize = 168;
/// The shortest INITIATE (no metadata).
const INITIATE_MIN: usize = 257;
/// The shortest READY (no metadata).
const READY_MIN: usize = 30;
/// A MESSAGE's body before its frame: name, short nonce, MAC and flags.
pub const MESSAGE_OVERHEAD: usize = 33;
/// A box's MAC.
const MAC_LEN: usize = 16;
/// The cookie: a 16-byte nonce and `Box[C' + s']`.
const COOKIE_LEN: usize = 16 + MAC_LEN + 2 * KEY_LEN;

/// The flag bits a MESSAGE box carries before its frame (libzmq's: RFC 26 names only MORE).
const MORE: u8 = 0x01;
const COMMAND: u8 = 0x02;

fn cryptographic() -> Error {
    Error::Cryptographic
}

fn malformed(command: &str, reason: &'static str) -> Error {
    Error::MalformedCommand {
        command: command.into(),
        reason,
    }
}

/// A 24-byte nonce: a fixed prefix and a tail (a short nonce's 8 bytes, or 16 random ones).
fn nonce(prefix: &[u8], tail: &[u8]) -> Nonce {
    let mut n = Nonce::default();
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

/// `n` random bytes from the system.
fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| Error::Cryptographic)?;
    Ok(bytes)
}

/// A fresh short-term secret key.
fn short_term() -> Result<SecretKey, Error> {
    Ok(SecretKey::from(*Zeroizing::new(random::<KEY_LEN>()?)))
}

/// The 8 bytes at `at` as a big-endian short nonce.
fn short_nonce(body: &[u8], at: usize) -> u64 {
    let mut n = [0; 8];
    n.copy_from_slice(&body[at..at + 8]);
    u64::from_be_bytes(n)
}

/// The 32 bytes at `at` as a key.
fn key_at(body: &[u8], at: usize) -> [u8; KEY_LEN] {
    let mut k = [0; KEY_LEN];
    k.copy_from_slice(&body[at..at + KEY_LEN]);
    k
}

fn open(cipher: &SalsaBox, nonce: &Nonce, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    cipher
        .decrypt(nonce, sealed)
        .map(Zeroizing::new)
        .map_err(|_| cryptographic())
}

fn seal(cipher: &SalsaBox, nonce: &Nonce, plain: &[u8]) -> Result<Vec<u8>, Error> {
    cipher.encrypt(nonce, plain).map_err(|_| cryptographic())
}

/// The next of a side's short nonces, which must never repeat.
fn take_nonce(next: &mut u64) -> Result<u64, Error> {
    let n = *next;
    *next = n.checked_add(1).ok_or_else(cryptographic)?;
    Ok(n)
}

/// A CURVE client's handshake.
pub(crate) struct Client {
    long: KeyPair,
    server: PublicKey,
    short: SecretKey,
    short_public: [u8; KEY_LEN],
    next_nonce: u64,
    /// `Box(c', S')`, once WELCOME gave S'.
    session: Option<SalsaBox>,
    /// S', once WELCOME gave it.
    server_short: Option<PublicKey>,
    /// The server's last short nonce.
    peer_nonce: u64,
}

impl Client {
    /// A client with key pair `long`, for the server whose public key is `server`.
    pub fn new(long: KeyPair, server: [u8; KEY_LEN]) -> Result<Client, Error> {
        let short = short_term()?;
        Ok(Client {
            long,
            server: PublicKey::from(server),
            short_public: *short.public_key().as_bytes(),
            short,
            next_nonce: 1,
            session: None,
            server_short: None,
            peer_nonce: 0,
        })
    }

    /// HELLO: version 1.0, padding, C', and a box of 64 zeros that only the server can open.
    pub fn hello(&mut self) -> Result<Vec<u8>, Error> {
        let n = take_nonce(&mut self.next_nonce)?.to_be_bytes();
        let sealed = seal(
            &SalsaBox::new(&self.server, &self.short),
            &nonce(b"CurveZMQHELLO---", &n),
            &[0; 64],
        )?;
        let mut body = Vec::with_capacity(HELLO_LEN);
        body.extend_from_slice(b"\x05HELLO\x01\x00");
        body.extend_from_slice(&[0; 72]);
        body.extend_from_slice(&self.short_public);
        body.extend_from_slice(&n);
        body.extend_from_slice(&sealed);
        Ok(body)
    }

    /// Opens WELCOME and answers INITIATE, vouching for C' with our long-term key and
    /// carrying `meta` (encoded metadata). libzmq reports a WELCOME of the wrong size as a
    /// cryptographic failure, and so do we.
    pub fn welcome(&mut self, body: &[u8], meta: &[u8]) -> Result<Vec<u8>, Error> {
        if body.len() != WELCOME_LEN {
            return Err(cryptographic());
        }
        let plain = open(
            &SalsaBox::new(&self.server, &self.short),
            &nonce(b"WELCOME-", &body[8..24]),
            &body[24..],
        )?;
        let server_short = PublicKey::from(key_at(&plain, 0));
        let cookie = &plain[KEY_LEN..];
        let session = SalsaBox::new(&server_short, &self.short);
        // The vouch: C' and S, boxed from our long-term key to S'.
        let vouch_nonce = random::<16>()?;
        let mut vouched = [0; 2 * KEY_LEN];
        vouched[..KEY_LEN].copy_from_slice(&self.short_public);
        vouched[KEY_LEN..].copy_from_slice(self.server.as_bytes());
        let long_secret = SecretKey::from(*self.long.secret());
        let vouch = seal(
            &SalsaBox::new(&server_short, &long_secret),
            &nonce(b"VOUCH---", &vouch_nonce),
            &vouched,
        )?;
        let mut plain = Zeroizing::new(Vec::with_capacity(128 + meta.len()));
        plain.extend_from_slice(self.long.public());
        plain.extend_from_slice(&vouch_nonce);
        plain.extend_from_slice(&vouch);
        plain.extend_from_slice(meta);
        let n = take_nonce(&mut self.next_nonce)?.to_be_bytes();
        let sealed = seal(&session, &nonce(b"CurveZMQINITIATE", &n), &plain)?;
        let mut out = Vec::with_capacity(INITIATE_MIN + meta.len());
        out.extend_from_slice(b"\x08INITIATE");
        out.extend_from_slice(cookie);
        out.extend_from_slice(&n);
        out.extend_from_slice(&sealed);
        self.session = Some(session);
        self.server_short = Some(server_short);
        Ok(out)
    }

    /// Opens READY: the server's metadata.
    pub fn ready(&mut self, body: &[u8]) -> Result<Metadata, Error> {
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| Error::UnexpectedCommand {
                command: "READY".into(),
                state: "before CURVE's WELCOME",
            })?;
        if body.len() < READY_MIN {
            return Err(malformed("READY", "shorter than CURVE's 30 bytes"));
        }
        let n = short_nonce(body, 6);
        let plain = open(
            session,
            &nonce(b"CurveZMQREADY---", &n.to_be_bytes()),
            &body[14..],
        )?;
        self.peer_nonce = n;
        Metadata::decode(Bytes::copy_from_slice(&plain))
    }

    /// The MESSAGE codec, once READY was opened.
    pub fn into_codec(self) -> Option<(Sealer, Opener)> {
        let session = self.session?;
        // A second box of the same keys: one for each direction's owner.
        let sealing = SalsaBox::new(&self.server_short?, &self.short);
        Some(codec(
            (sealing, *b"CurveZMQMESSAGEC", self.next_nonce),
            (session, *b"CurveZMQMESSAGES", self.peer_nonce),
        ))
    }
}

/// A CURVE server's handshake.
pub(crate) struct Server {
    long: KeyPair,
    short: SecretKey,
    short_public: [u8; KEY_LEN],
    /// K, the key of this connection's cookie.
    cookie_key: Zeroizing<[u8; KEY_LEN]>,
    client_short: [u8; KEY_LEN],
    next_nonce: u64,
    peer_nonce: u64,
    /// `Box(s', C')`, once INITIATE was opened.
    session: Option<SalsaBox>,
}

/// What a server learns from INITIATE.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Initiated {
    /// The client's long-term public key C, for the authenticator.
    pub client_key: [u8; KEY_LEN],
    /// The client's metadata.
    pub metadata: Metadata,
}

impl Server {
    /// A server with key pair `long`; its short-term pair and cookie key are made here, for
    /// this connection only.
    pub fn new(long: KeyPair) -> Result<Server, Error> {
        let short = short_term()?;
        Ok(Server {
            long,
            short_public: *short.public_key().as_bytes(),
            short,
            cookie_key: Zeroizing::new(random()?),
            client_short: [0; KEY_LEN],
            next_nonce: 1,
            peer_nonce: 0,
            session: None,
        })
    }

    /// Opens HELLO and answers WELCOME with S' and a cookie.
    pub fn hello(&mut self, body: &[u8]) -> Result<Vec<u8>, Error> {
        if body.len() != HELLO_LEN {
            return Err(malformed("HELLO", "not CURVE's 200 bytes"));
        }
        if body[6..8] != [1, 0] {
            return Err(malformed("HELLO", "not CurveZMQ version 1.0"));
        }
        let client_short = key_at(body, 80);
        let n = short_nonce(body, 112);
        let long_secret = SecretKey::from(*self.long.secret());
        let to_client = SalsaBox::new(&PublicKey::from(client_short), &long_secret);
        let zeros = open(
            &to_client,
            &nonce(b"CurveZMQHELLO---", &n.to_be_bytes()),
            &body[120..],
        )?;
        if !bool::from(zeros.as_slice().ct_eq(&[0u8; 64][..])) {
            return Err(cryptographic());
        }
        self.client_short = client_short;
        self.peer_nonce = n;
        // The cookie: C' and s', which only we can open, so that INITIATE proves it
        // answers this WELCOME.
        let cookie_nonce = random::<16>()?;
        let mut kept = Zeroizing::new([0; 2 * KEY_LEN]);
        kept[..KEY_LEN].copy_from_slice(&client_short);
        kept[KEY_LEN..].copy_from_slice(&self.short.to_bytes());
        let cookie_box = XSalsa20Poly1305::new((&*self.cookie_key).into())
            .encrypt(&nonce(b"COOKIE--", &cookie_nonce), &kept[..])
            .map_err(|_| cryptographic())?;
        let mut plain = Vec::with_capacity(KEY_LEN + COOKIE_LEN);
        plain.extend_from_slice(&self.short_public);
        plain.extend_from_slice(&cookie_nonce);
        plain.extend_from_slice(&cookie_box);
        let welcome_nonce = random::<16>()?;
        let sealed = seal(&to_client, &nonce(b"WELCOME-", &welcome_nonce), &plain)?;
        let mut out = Vec::with_capacity(WELCOME_LEN);
        out.extend_from_slice(b"\x07WELCOME");
        out.extend_from_slice(&welcome_nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens INITIATE: checks the cookie, the box, and the vouch (which must name C' and
    /// our own S), in libzmq's order and with its error for each.
    pub fn initiate(&mut self, body: &[u8]) -> Result<Initiated, Error> {
        if body.len() < INITIATE_MIN {
            return Err(malformed("INITIATE", "shorter than CURVE's 257 bytes"));
        }
        let cookie = &body[9..9 + COOKIE_LEN];
        let kept = XSalsa20Poly1305::new((&*self.cookie_key).into())
            .decrypt(&nonce(b"COOKIE--", &cookie[..16]), &cookie[16..])
            .map(Zeroizing::new)
            .map_err(|_| cryptographic())?;
        let mut expected = Zeroizing::new([0; 2 * KEY_LEN]);
        expected[..KEY_LEN].copy_from_slice(&self.client_short);
        expected[KEY_LEN..].copy_from_slice(&self.short.to_bytes());
        if !bool::from(kept.as_slice().ct_eq(&expected[..])) {
            return Err(cryptographic());
        }
        let n = short_nonce(body, 105);
        if n <= self.peer_nonce {
            return Err(Error::InvalidSequence);
        }
        let session = SalsaBox::new(&PublicKey::from(self.client_short), &self.short);
        let plain = open(
            &session,
            &nonce(b"CurveZMQINITIATE", &n.to_be_bytes()),
            &body[113..],
        )?;
        // C, the vouch's nonce and box, then metadata (the minimum length leaves room).
        let client_key = key_at(&plain, 0);
        let vouched = open(
            &SalsaBox::new(&PublicKey::from(client_key), &self.short),
            &nonce(b"VOUCH---", &plain[32..48]),
            &plain[48..128],
        )?;
        let mut expected = [0; 2 * KEY_LEN];
        expected[..KEY_LEN].copy_from_slice(&self.client_short);
        expected[KEY_LEN..].copy_from_slice(self.long.public());
        if !bool::from(vouched.as_slice().ct_eq(&expected[..])) {
            return Err(Error::KeyExchange);
        }
        let metadata = Metadata::decode(Bytes::copy_from_slice(&plain[128..]))?;
        self.peer_nonce = n;
        self.session = Some(session);
        Ok(Initiated {
            client_key,
            metadata,
        })
    }

    /// READY with our metadata, once the authenticator admitted the client.
    pub fn ready(&mut self, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        let session = self.session.as_ref().ok_or_else(cryptographic)?;
        let mut meta = BytesMut::new();
        metadata.encode(&mut meta);
        let n = take_nonce(&mut self.next_nonce)?.to_be_bytes();
        let sealed = seal(session, &nonce(b"CurveZMQREADY---", &n), &meta)?;
        let mut out = Vec::with_capacity(READY_MIN + meta.len());
        out.extend_from_slice(b"\x05READY");
        out.extend_from_slice(&n);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The MESSAGE codec, once READY went out.
    pub fn into_codec(self) -> Option<(Sealer, Opener)> {
        let session = self.session?;
        let sealing = SalsaBox::new(&PublicKey::from(self.client_short), &self.short);
        Some(codec(
            (sealing, *b"CurveZMQMESSAGES", self.next_nonce),
            (session, *b"CurveZMQMESSAGEC", self.peer_nonce),
        ))
    }
}

/// A session's MESSAGE codec: boxes of the same keys for each direction, each direction's
/// nonce prefix, our next short nonce and the peer's last.
fn codec(
    (sealing, ours, next): (SalsaBox, [u8; 16], u64),
    (opening, theirs, last): (SalsaBox, [u8; 16], u64),
) -> (Sealer, Opener) {
    (
        Sealer {
            cipher: sealing,
            prefix: ours,
            next,
        },
        Opener {
            cipher: opening,
            prefix: theirs,
            last,
        },
    )
}

/// Boxes outgoing frames as CURVE MESSAGE commands, each under the next short nonce. It
/// belongs to one connection: whoever encodes that connection's output owns it, so that
/// nonces go on the wire in the order they were taken.
pub struct Sealer {
    cipher: SalsaBox,
    prefix: [u8; 16],
    next: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("next_nonce", &self.next)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// Bytes on the wire for a frame of `len` bytes.
    pub fn sealed_len(len: usize) -> usize {
        let body = MESSAGE_OVERHEAD + len;
        crate::frame::header_len(body) + body
    }

    /// Appends one frame to `out` as a MESSAGE (a ZMTP frame with flags 0, as libzmq sends
    /// it), boxing `command` and `more` with the frame. Returns the bytes appended.
    pub fn seal(&mut self, frame: &[u8], more: bool, command: bool, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let body = MESSAGE_OVERHEAD + frame.len();
        out.reserve(9 + body);
        encode::header(out, body, false, false);
        // The nonce space (2^64 per connection) cannot run out in practice; should it, the
        // same nonce is never used twice: the frame goes as an empty, undecryptable box
        // and the peer closes the connection.
        let n = self.next;
        self.next = self.next.saturating_add(1);
        out.extend_from_slice(b"\x07MESSAGE");
        out.extend_from_slice(&n.to_be_bytes());
        let mac_at = out.len();
        out.extend_from_slice(&[0; MAC_LEN]);
        let plain_at = out.len();
        out.push((u8::from(more) * MORE) | (u8::from(command) * COMMAND));
        out.extend_from_slice(frame);
        let sealed = self.cipher.encrypt_in_place_detached(
            &nonce(&self.prefix, &n.to_be_bytes()),
            b"",
            &mut out[plain_at..],
        );
        match sealed {
            Ok(mac) => out[mac_at..plain_at].copy_from_slice(&mac),
            Err(_) => out.truncate(start), // a frame too long for the cipher: never sent
        }
        out.len() - start
    }
}

/// Opens incoming MESSAGE commands, refusing any whose nonce is not above the last.
pub(crate) struct Opener {
    cipher: SalsaBox,
    prefix: [u8; 16],
    last: u64,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("last_nonce", &self.last)
            .finish_non_exhaustive()
    }
}

impl Opener {
    /// Opens one MESSAGE: the frame with its MORE and COMMAND flags. The box is opened in
    /// place, so the frame shares the input's memory.
    pub fn open(&mut self, mut body: BytesMut) -> Result<(Bytes, bool, bool), Error> {
        if !body.starts_with(b"\x07MESSAGE") {
            return Err(Error::UnexpectedCommand {
                command: String::from_utf8_lossy(&body[..body.len().min(16)]).into_owned(),
                state: "where CURVE expects MESSAGE",
            });
        }
        if body.len() < MESSAGE_OVERHEAD {
            return Err(malformed("MESSAGE", "shorter than CURVE's 33 bytes"));
        }
        let n = short_nonce(&body, 8);
        if n <= self.last {
            return Err(Error::InvalidSequence);
        }
        let mut mac = [0; MAC_LEN];
        mac.copy_from_slice(&body[16..32]);
        self.cipher
            .decrypt_in_place_detached(
                &nonce(&self.prefix, &n.to_be_bytes()),
                b"",
                &mut body[32..],
                (&mac).into(),
            )
            .map_err(|_| cryptographic())?;
        self.last = n;
        let flags = body[32];
        let frame = body.freeze().slice(MESSAGE_OVERHEAD..);
        Ok((frame, flags & MORE != 0, flags & COMMAND != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiate_metadata_lengths_past_the_end_are_refused_inside_the_box() {
        // CVE-2019-13132: libzmq copied INITIATE metadata into a fixed buffer by its declared
        // length. Here a property declaring 2^32 - 1 bytes, and one a byte short, in a box
        // that opens: refused as malformed metadata, nothing allocated for them.
        for meta in [
            &b"\x0bSocket-Type\xff\xff\xff\xffDEALER"[..],
            b"\x0bSocket-Type\x00\x00\x00\x07DEALER",
            b"\x0b",
        ] {
            let (c, s) = pairs();
            let mut client = Client::new(c, *s.public()).unwrap();
            let mut server = Server::new(s).unwrap();
            let welcome = server.hello(&client.hello().unwrap()).unwrap();
            let initiate = client.welcome(&welcome, meta).unwrap();
            assert!(
                matches!(server.initiate(&initiate), Err(Error::MalformedMetadata(_))),
                "{meta:?}"
            );
        }
    }

    #[test]
    fn a_vouch_naming_another_key_is_refused() {
        // A client whose vouch is made with a long-term key other than the C it claims:
        // built by hand from the pieces, as an attacker who knows C but not c would.
        let (c, s) = pairs();
        let (mallory, _) = pairs();
        let mut client = Client::new(mallory, *s.public()).unwrap();
        let mut server = Server::new(s).unwrap();
        let welcome = server.hello(&client.hello().unwrap()).unwrap();
        let initiate = client.welcome(&welcome, &[]).unwrap();
        // Re-box the INITIATE with C swapped for another client's public key.
        let session = client.session.as_ref().unwrap();
        let n = short_nonce(&initiate, 105);
        let mut plain = open(
            session,
            &nonce(b"CurveZMQINITIATE", &n.to_be_bytes()),
            &initiate[113..],
        )
        .unwrap()
        .to_vec();
        plain[..32].copy_from_slice(c.public());
        let forged = seal(
            session,
            &nonce(b"CurveZMQINITIATE", &n.to_be_bytes()),
            &plain,
        )
        .unwrap();
        let mut bad = initiate[..113].to_vec();
        bad.extend_from_slice(&forged);
        // The vouch box no longer opens under (C, s'): a cryptographic failure.
        assert_eq!(server.initiate(&bad), Err(Error::Cryptographic));
        // The honest INITIATE still works.
        assert!(server.initiate(&initiate).is_ok());
        // And a second, replayed, INITIATE is refused: its nonce does not increase.
        assert_eq!(server.initiate(&initiate), Err(Error::InvalidSequence));
    }

    #[test]
    fn a_vouch_for_another_short_term_key_is_a_key_exchange_failure() {
        // A client holding its long-term secret vouches, to the right S', for a short-term
        // key other than the one it uses: the vouch opens, and names another key.
        let (c, s) = pairs();
        let c_secret = SecretKey::from(*c.secret());
        let c_public = *c.public();
        let s_public = *s.public();
        let mut client = Client::new(c, s_public).unwrap();
        let mut server = Server::new(s).unwrap();
        let welcome = server.hello(&client.hello().unwrap()).unwrap();
        let initiate = client.welcome(&welcome, &[]).unwrap();
        let server_short = client.server_short.clone().unwrap();
        let mut vouched = [7u8; 64];
        vouched[32..].copy_from_slice(&s_public);
        let vouch_nonce = [9u8; 16];
        let vouch = seal(
            &SalsaBox::new(&server_short, &c_secret),
            &nonce(b"VOUCH---", &vouch_nonce),
            &vouched,
        )
        .unwrap();
        let mut plain = c_public.to_vec();
        plain.extend_from_slice(&vouch_nonce);
        plain.extend_from_slice(&vouch);
        let session = client.session.as_ref().unwrap();
        let n = short_nonce(&initiate, 105);
        let forged = seal(
            session,
            &nonce(b"CurveZMQINITIATE", &n.to_be_bytes()),
            &plain,
        )
        .unwrap();
        let mut bad = initiate[..113].to_vec();
        bad.extend_from_slice(&forged);
        assert_eq!(server.initiate(&bad), Err(Error::KeyExchange));
    }

    fn pairs() -> (KeyPair, KeyPair) {
        (KeyPair::generate().unwrap(), KeyPair::generate().unwrap())
    }

    fn handshake() -> ((Sealer, Opener), (Sealer, Opener)) {
        let (c, s) = pairs();
        let mut client = Client::new(c, *s.public()).unwrap();
        let mut server = Server::new(s).unwrap();
        let welcome = server.hello(&client.hello().unwrap()).unwrap();
        let initiate = client.welcome(&welcome, &[]).unwrap();
        server.initiate(&initiate).unwrap();
        let ready = server.ready(&Metadata::new()).unwrap();
        client.ready(&ready).unwrap();
        (client.into_codec().unwrap(), server.into_codec().unwrap())
    }

    /// The MESSAGE body of the one frame `sealed` holds (after its 2-byte header).
    fn body(sealed: &[u8]) -> BytesMut {
        BytesMut::from(&sealed[2..])
    }

    #[test]
    fn the_commands_have_libzmqs_sizes() {
        let (c, s) = pairs();
        let mut meta = Metadata::new();
        meta.push("Socket-Type", Bytes::from_static(b"DEALER"));
        let mut client = Client::new(c, *s.public()).unwrap();
        let mut server = Server::new(s).unwrap();
        let hello = client.hello().unwrap();
        assert_eq!(hello.len(), 200);
        let welcome = server.hello(&hello).unwrap();
        assert_eq!(welcome.len(), 168);
        let mut encoded = BytesMut::new();
        meta.encode(&mut encoded);
        let initiate = client.welcome(&welcome, &encoded).unwrap();
        assert_eq!(initiate.len(), 257 + meta.encoded_len());
        let got = server.initiate(&initiate).unwrap();
        assert_eq!(got.metadata, meta);
        let ready = server.ready(&meta).unwrap();
        assert_eq!(ready.len(), 30 + meta.encoded_len());
        assert_eq!(client.ready(&ready).unwrap(), meta);
    }

    #[test]
    fn messages_open_on_the_other_side_only_in_order() {
        let ((mut c_seal, mut c_open), (mut s_seal, mut s_open)) = handshake();
        let mut wire = Vec::new();
        assert_eq!(c_seal.seal(b"hello", true, false, &mut wire), 2 + 33 + 5);
        assert_eq!(wire.len(), Sealer::sealed_len(5));
        let (frame, more, command) = s_open.open(body(&wire)).unwrap();
        assert_eq!((&frame[..], more, command), (&b"hello"[..], true, false));
        // The same box again: replayed, refused.
        assert_eq!(s_open.open(body(&wire)), Err(Error::InvalidSequence));
        // The other way, a command.
        let mut back = Vec::new();
        s_seal.seal(b"\x04PING\x00\x00", false, true, &mut back);
        let (frame, more, command) = c_open.open(body(&back)).unwrap();
        assert_eq!(
            (&frame[..], more, command),
            (&b"\x04PING\x00\x00"[..], false, true)
        );
        // A flipped bit anywhere in the box.
        let mut next = Vec::new();
        c_seal.seal(b"again", false, false, &mut next);
        for i in 18..next.len() {
            let mut bad = next.clone();
            bad[i] ^= 1;
            assert_eq!(
                s_open.open(body(&bad)),
                Err(Error::Cryptographic),
                "byte {i}"
            );
        }
        assert!(s_open.open(body(&next)).is_ok());
        // A server's box does not open as a client's.
        let mut own = Vec::new();
        c_seal.seal(b"x", false, false, &mut own);
        assert_eq!(c_open.open(body(&own)), Err(Error::Cryptographic));
        assert!(matches!(
            s_open.open(BytesMut::from(&b"\x07MESSAGE"[..])),
            Err(Error::MalformedCommand { .. })
        ));
    }

    #[test]
    fn a_hello_for_another_server_does_not_open() {
        let (c, s) = pairs();
        let (_, other) = pairs();
        let mut client = Client::new(c, *other.public()).unwrap();
        let mut server = Server::new(s).unwrap();
        assert_eq!(
            server.hello(&client.hello().unwrap()),
            Err(Error::Cryptographic)
        );
        assert!(matches!(
            server.hello(&[0; 199]),
            Err(Error::MalformedCommand { .. })
        ));
    }

    #[test]
    fn an_initiate_with_another_connections_cookie_is_refused() {
        let (c, s) = pairs();
        let s_again = KeyPair::from_secret(s.secret());
        let mut client = Client::new(c, *s.public()).unwrap();
        let mut server = Server::new(s).unwrap();
        let mut other_server = Server::new(s_again).unwrap();
        let hello = client.hello().unwrap();
        let welcome = server.hello(&hello).unwrap();
        other_server.hello(&hello).unwrap();
        let initiate = client.welcome(&welcome, &[]).unwrap();
        // The same server key, another connection: its cookie key differs.
        assert_eq!(other_server.initiate(&initiate), Err(Error::Cryptographic));
        assert!(server.initiate(&initiate).is_ok());
    }
}
