//! The handshake harness (test support): a real peer's conversation, valid and then mutated.
//!
//! Random bytes rarely make a valid CURVE box, so the `zmtp` harness stops at CURVE's first
//! check. Here the peer is a second, well-behaved [`Connection`] holding the other half of
//! the fixed keys: it makes every greeting, handshake command and (sealed) message as a real
//! peer does, and the input says what happens to each unit of its stream on the way (the
//! greeting, then one frame at a time): delivered, bits flipped, cut short, dropped, sent
//! twice, swapped with the next, or preceded by bytes of the input's choosing. The
//! connection under test answers through the peer unharmed, so that a conversation goes as
//! deep as its mutations let it: READY, traffic, boxes opened.
//!
//! Besides no panic, the harness checks what a peer could not get away with:
//! - a conversation with no mutation succeeds, and every frame the peer sent arrives, in
//!   order and intact, up to any frame above our size limit, which ends it; when the
//!   authenticator refuses, or CURVE's handshake commands are above the limit, the
//!   connection fails;
//! - under CURVE, whatever the mutations, every frame that arrives is one the peer sent, in
//!   the order sent, none twice: no altered box opens, no replay is accepted;
//! - no frame above the size limit arrives, and a failed connection stays failed.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::curve::Sealer;
use ferromq_zmtp::{encode, AuthReply, Config, Connection, Event, Mechanism, SocketType};
use zeroize::Zeroizing;

use crate::zmtp::{key_pair, CLIENT_SECRET, LIMIT, SERVER_SECRET};

/// The socket type pairs a conversation is between: ours, then the peer's.
const PAIRS: [(SocketType, SocketType); 8] = [
    (SocketType::Dealer, SocketType::Router),
    (SocketType::Router, SocketType::Dealer),
    (SocketType::Req, SocketType::Rep),
    (SocketType::Rep, SocketType::Req),
    (SocketType::Sub, SocketType::Pub),
    (SocketType::Pull, SocketType::Push),
    (SocketType::Pair, SocketType::Pair),
    (SocketType::Xpub, SocketType::Xsub),
];

/// Most units a run delivers: every conversation here ends well within it.
const MAX_STEPS: usize = 512;

/// The conversation, from the input's first byte: bit 0, our side is the client (else the
/// server: the side that authenticates the other); bits 1-2, the mechanism (0 NULL, 1
/// PLAIN, 2 and 3 CURVE); bit 3, the server's authenticator refuses; bit 4, our frame size
/// limit is [`LIMIT`]; bits 5-7, the socket types ([`PAIRS`]).
#[derive(Debug, Clone, Copy)]
struct Conversation {
    client: bool,
    mechanism: u8,
    refused: bool,
    limited: bool,
    pair: (SocketType, SocketType),
}

impl Conversation {
    fn read(head: u8) -> Conversation {
        Conversation {
            client: head & 1 != 0,
            mechanism: ((head >> 1) & 3).min(2),
            refused: head & 8 != 0,
            limited: head & 16 != 0,
            pair: PAIRS[usize::from(head >> 5)],
        }
    }

    /// The configuration of one side: ours (`we`) or the peer's.
    fn config(&self, we: bool) -> Config {
        let server = we != self.client;
        let mut config = Config::new(if we { self.pair.0 } else { self.pair.1 });
        config.identity = Bytes::from_static(if we { b"us" } else { b"peer" });
        if we && self.limited {
            config.max_msg_size = Some(LIMIT);
        }
        config.mechanism = match (self.mechanism, server) {
            (0, _) => Mechanism::Null,
            (1, true) => Mechanism::PlainServer,
            (1, false) => Mechanism::PlainClient {
                username: Bytes::from_static(b"admin"),
                password: Zeroizing::new(b"secret".to_vec()),
            },
            (_, true) => Mechanism::CurveServer {
                secret: Zeroizing::new(SERVER_SECRET),
            },
            (_, false) => Mechanism::CurveClient {
                secret: Some(Zeroizing::new(CLIENT_SECRET)),
                server_key: *key_pair(&SERVER_SECRET).public(),
            },
        };
        // A NULL server asks its authenticator only when told to: when it is to refuse.
        config.null_authenticates = server && self.refused;
        config
    }

    fn verdict(&self) -> AuthReply {
        AuthReply {
            status: if self.refused { 400 } else { 200 },
            user_id: Bytes::from_static(b"fuzzed"),
        }
    }
}

/// What happens to the next unit of the peer's stream, read from the input.
#[derive(Debug)]
enum Fate<'a> {
    Deliver,
    Flip {
        at: usize,
        bit: u8,
    },
    Truncate {
        to: usize,
    },
    Drop,
    Twice,
    SwapWithNext,
    Prefix(&'a [u8]),
    /// Not a mutation: the peer sends a message frame of `len` bytes (then the unit is
    /// delivered), or queues it until its handshake is done.
    Send {
        len: usize,
        more: bool,
    },
}

impl Fate<'_> {
    /// Reads one fate off the front of `ops`; `None` when they are used up.
    fn read<'a>(ops: &mut &'a [u8]) -> Option<Fate<'a>> {
        let (&op, rest) = ops.split_first()?;
        *ops = rest;
        let mut byte = || {
            let (&b, rest) = ops.split_first().unwrap_or((&0, &[]));
            *ops = rest;
            b
        };
        Some(match op % 8 {
            0 => Fate::Deliver,
            1 => Fate::Flip {
                at: usize::from(u16::from_le_bytes([byte(), byte()])),
                bit: byte() % 8,
            },
            2 => Fate::Truncate {
                to: usize::from(byte()),
            },
            3 => Fate::Drop,
            4 => Fate::Twice,
            5 => Fate::SwapWithNext,
            6 => {
                let n = usize::from(byte() % 64).min(ops.len());
                let (bytes, rest) = ops.split_at(n);
                *ops = rest;
                Fate::Prefix(bytes)
            }
            _ => {
                let b = byte();
                Fate::Send {
                    len: usize::from(b & 0x7f) * 3,
                    more: b & 0x80 != 0,
                }
            }
        })
    }

    fn mutates(&self) -> bool {
        !matches!(self, Fate::Deliver | Fate::Send { .. })
    }
}

/// The peer: a connection, its stream cut into units, what it sent.
struct Peer {
    conn: Connection,
    /// Bytes from `poll_transmit` not yet cut into units.
    stream: BytesMut,
    greeted: bool,
    units: VecDeque<Vec<u8>>,
    sealer: Option<Sealer>,
    /// The message frames it sent (body, more), in order.
    sent: Vec<(Vec<u8>, bool)>,
    /// Frames to send once the handshake is done (length, more).
    waiting: Vec<(usize, bool)>,
}

impl Peer {
    /// Moves what the connection has to send into whole units.
    fn cut(&mut self) {
        let mut out = BytesMut::new();
        self.conn.poll_transmit(&mut out);
        self.stream.extend_from_slice(&out);
        loop {
            let len = if !self.greeted {
                (self.stream.len() >= 64).then_some(64)
            } else {
                frame_len(&self.stream)
            };
            let Some(len) = len.filter(|&n| n <= self.stream.len()) else {
                return;
            };
            let unit = self.stream.split_to(len).to_vec();
            self.greeted = true;
            match &mut self.sealer {
                // After a CURVE handshake, commands (a PONG ...) go boxed.
                Some(sealer) => {
                    let mut boxed = Vec::new();
                    let body = &unit[frame_len_header(&unit)..];
                    sealer.seal(body, false, true, &mut boxed);
                    self.units.push_back(boxed);
                }
                None => self.units.push_back(unit),
            }
        }
    }

    /// Sends the frames waiting for the handshake, once it is done.
    fn flush(&mut self) {
        if !self.conn.is_established() {
            return;
        }
        if self.conn.is_encrypted() && self.sealer.is_none() {
            // What the handshake queued (its READY) goes as it is; what follows is boxed.
            self.cut();
            self.sealer = self.conn.take_sealer();
        }
        for (len, more) in std::mem::take(&mut self.waiting) {
            self.send(len, more);
        }
    }

    fn send(&mut self, len: usize, more: bool) {
        // After whatever the connection queued before it (its READY ...).
        self.cut();
        let body: Vec<u8> = (0..len).map(|i| (i + self.sent.len()) as u8).collect();
        let mut unit = Vec::new();
        match &mut self.sealer {
            Some(sealer) => {
                sealer.seal(&body, more, false, &mut unit);
            }
            None => {
                let mut buf = BytesMut::new();
                encode::frame(&mut buf, &body, more);
                unit.extend_from_slice(&buf);
            }
        }
        self.units.push_back(unit);
        self.sent.push((body, more));
    }
}

/// The length of the ZMTP frame at the front of `buf`, if its header is there.
fn frame_len(buf: &[u8]) -> Option<usize> {
    let &flags = buf.first()?;
    if flags & 0x02 != 0 {
        let size: [u8; 8] = buf.get(1..9)?.try_into().ok()?;
        usize::try_from(u64::from_be_bytes(size))
            .ok()?
            .checked_add(9)
    } else {
        Some(2 + usize::from(*buf.get(1)?))
    }
}

fn frame_len_header(frame: &[u8]) -> usize {
    if frame.first().is_some_and(|f| f & 0x02 != 0) {
        9
    } else {
        2
    }
}

/// Takes every event of `conn`, answering its authenticator with `verdict`; the frames that
/// arrive go to `got`. False once the connection has failed.
fn drain(conn: &mut Connection, verdict: &AuthReply, got: &mut Vec<(Bytes, bool)>) -> bool {
    loop {
        conn.poll_frames(|f| got.push((f.data, f.more)));
        match conn.poll_event() {
            Ok(Some(Event::Frame(f))) => got.push((f.data, f.more)),
            Ok(Some(Event::Authenticate(_))) => {
                if conn.authenticated(verdict.clone()).is_err() {
                    return false;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// How a conversation ended, for tests that check the harness gets deep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Our side finished its handshake.
    pub established: bool,
    /// Message frames that reached our side.
    pub delivered: usize,
}

/// Runs one conversation (see the module's doc): the input's first byte sets it up, the
/// rest are the fates of the peer's units.
pub fn handshakes(data: &[u8]) -> Outcome {
    let Some((&head, mut ops)) = data.split_first() else {
        return Outcome {
            established: false,
            delivered: 0,
        };
    };
    let talk = Conversation::read(head);
    let mut us = Connection::new(talk.config(true));
    let mut peer = Peer {
        conn: Connection::new(talk.config(false)),
        stream: BytesMut::new(),
        greeted: false,
        units: VecDeque::new(),
        sealer: None,
        sent: Vec::new(),
        waiting: Vec::new(),
    };
    let verdict = talk.verdict();
    let (mut got, mut peer_got) = (Vec::new(), Vec::new());
    let (mut mutated, mut failed, mut peer_failed) = (false, false, false);
    let mut out = BytesMut::new();
    // Whether the conversation ran to its end rather than to the step bound.
    let mut finished = false;
    for _ in 0..MAX_STEPS {
        // Ours goes to the peer unharmed.
        out.clear();
        us.poll_transmit(&mut out);
        if !out.is_empty() && !peer_failed {
            peer.conn.feed(&out);
            peer_failed = !drain(&mut peer.conn, &verdict, &mut peer_got);
        }
        peer.flush();
        peer.cut();
        let fate = Fate::read(&mut ops).unwrap_or(Fate::Deliver);
        if let Fate::Send { len, more } = fate {
            peer.waiting.push((len, more));
            peer.flush();
        }
        let Some(unit) = peer.units.pop_front() else {
            if ops.is_empty() && out.is_empty() && (peer_failed || peer.waiting.is_empty()) {
                finished = true; // both sides are quiet
                break;
            }
            continue;
        };
        mutated |= fate.mutates();
        let mut deliver = |bytes: &[u8]| {
            if !failed {
                us.feed(bytes);
                failed = !drain(&mut us, &verdict, &mut got);
            }
        };
        match fate {
            Fate::Deliver | Fate::Send { .. } => deliver(&unit),
            Fate::Flip { at, bit } => {
                let mut unit = unit;
                let i = at % unit.len().max(1);
                if let Some(b) = unit.get_mut(i) {
                    *b ^= 1 << bit;
                }
                deliver(&unit);
            }
            Fate::Truncate { to } => deliver(&unit[..to.min(unit.len())]),
            Fate::Drop => {}
            Fate::Twice => {
                deliver(&unit);
                deliver(&unit);
            }
            Fate::SwapWithNext => {
                peer.cut();
                if let Some(next) = peer.units.pop_front() {
                    deliver(&next);
                }
                deliver(&unit);
            }
            Fate::Prefix(bytes) => {
                deliver(bytes);
                deliver(&unit);
            }
        }
        if failed {
            assert!(us.poll_event().is_err(), "a failed connection recovered");
        }
    }
    check(&talk, &us, (failed, finished, mutated), &peer.sent, &got);
    Outcome {
        established: us.is_established(),
        delivered: got.len(),
    }
}

/// The rules of the module's doc, at the end of a conversation.
fn check(
    talk: &Conversation,
    us: &Connection,
    (failed, finished, mutated): (bool, bool, bool),
    sent: &[(Vec<u8>, bool)],
    got: &[(Bytes, bool)],
) {
    if talk.limited {
        if let Some((f, _)) = got.iter().find(|(f, _)| f.len() as u64 > LIMIT) {
            panic!("a frame of {} bytes let through", f.len());
        }
    }
    if !mutated {
        // A frame above our limit ends a valid conversation, after the frames before it.
        let over = sent
            .iter()
            .position(|(f, _)| talk.limited && f.len() as u64 > LIMIT);
        if talk.refused {
            assert!(failed, "a refused peer's conversation went on");
        } else if talk.limited && talk.mechanism == 2 {
            // CURVE's commands are longer than the limit, which applies to every frame, as
            // libzmq's `maxmsgsize` does: the handshake itself is refused.
            assert!(
                failed && got.is_empty(),
                "a CURVE command above the limit was taken"
            );
        } else {
            assert!(!failed || over.is_some(), "a valid conversation failed");
            assert!(
                failed || over.is_none() || !finished,
                "a frame over the limit was taken"
            );
            assert!(us.is_established() || failed, "a valid handshake stalled");
            let expected = &sent[..over.unwrap_or(sent.len())];
            // All of them, unless the run stopped at its step bound first.
            let whole = if finished {
                got.len() == expected.len()
            } else {
                got.len() <= expected.len()
            };
            let intact = whole
                && got
                    .iter()
                    .zip(expected)
                    .all(|((g, gm), (s, sm))| g[..] == s[..] && gm == sm);
            assert!(
                intact,
                "a valid conversation's frames arrived altered or not at all"
            );
        }
    }
    if talk.mechanism == 2 {
        // Every frame that arrived is the next of those sent after the previous one.
        let mut rest = sent.iter();
        for (g, gm) in got {
            assert!(
                rest.any(|(s, sm)| g[..] == s[..] && gm == sm),
                "a CURVE frame arrived that the peer did not send, or out of order, or twice"
            );
        }
    }
}
