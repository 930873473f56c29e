//! The CURVE handshake (RFC 25, 26) and boxed traffic between two connections in memory:
//! admitted with the client's key going to the authenticator, refused, a wrong server key,
//! a CURVE peer against a NULL one, replayed boxes, and any split of the input.

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::curve::Sealer;
use ferromq_zmtp::key::KeyPair;
use ferromq_zmtp::{AuthReply, Config, Connection, Error, Event, Mechanism, SocketType};
use proptest::prelude::*;

mod common;
use common::{deliver, Seen};

fn client(own: &KeyPair, server_key: &[u8; 32]) -> Connection {
    let mut config = Config::new(SocketType::Dealer);
    config.mechanism = Mechanism::CurveClient {
        secret: Some(own.secret()),
        server_key: *server_key,
    };
    Connection::new(config)
}

fn server(own: &KeyPair) -> Connection {
    let mut config = Config::new(SocketType::Router);
    config.mechanism = Mechanism::CurveServer {
        secret: own.secret(),
    };
    Connection::new(config)
}

/// Runs the handshake, the authenticator answering `status` for the client key `allowed`
/// and 400 for any other.
fn handshake(
    c: &mut Connection,
    s: &mut Connection,
    allowed: &[u8; 32],
    status: u16,
    chunk: usize,
) -> (Seen, Seen) {
    let (mut cs, mut ss) = (Seen::default(), Seen::default());
    for _ in 0..4 {
        let before = ss.events.len();
        deliver(c, s, chunk, &mut ss);
        let asked = ss.events[before..].iter().find_map(|e| match e {
            Event::Authenticate(r) => Some(r.clone()),
            _ => None,
        });
        if let Some(r) = asked {
            assert_eq!(r.mechanism, "CURVE");
            let status = if r.credentials == [&allowed[..]] {
                status
            } else {
                400
            };
            let reply = AuthReply {
                status,
                user_id: Bytes::from_static(b"curve-user"),
            };
            if let Err(e) = s.authenticated(reply) {
                ss.error.get_or_insert(e);
            }
        }
        deliver(s, c, chunk, &mut cs);
    }
    (cs, ss)
}

fn ready(seen: &Seen) -> Option<&ferromq_zmtp::PeerInfo> {
    seen.events.iter().find_map(|e| match e {
        Event::Ready(peer) => Some(peer),
        _ => None,
    })
}

/// The frames `to` decodes from what `sealer` boxes.
fn boxed(sealer: &mut Sealer, to: &mut Connection, frames: &[(&[u8], bool)]) -> Vec<Event> {
    let mut wire = Vec::new();
    for (frame, more) in frames {
        sealer.seal(frame, *more, false, &mut wire);
    }
    to.feed(&wire);
    let mut events = Vec::new();
    while let Some(e) = to.poll_event().unwrap() {
        events.push(e);
    }
    events
}

#[test]
fn an_admitted_client_and_its_server_box_traffic_both_ways() {
    let (ck, sk) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
    let (mut c, mut s) = (client(&ck, sk.public()), server(&sk));
    let (cs, ss) = handshake(&mut c, &mut s, ck.public(), 200, usize::MAX);
    assert_eq!((&cs.error, &ss.error), (&None, &None));
    assert_eq!(&ready(&ss).unwrap().user_id[..], b"curve-user");
    assert_eq!(ready(&cs).unwrap().socket_type, SocketType::Router);
    assert!(c.is_encrypted() && s.is_encrypted());
    let (mut cseal, mut sseal) = (c.take_sealer().unwrap(), s.take_sealer().unwrap());
    assert!(c.take_sealer().is_none(), "taken once");

    let got = boxed(&mut cseal, &mut s, &[(b"", true), (b"hello", false)]);
    let frames: Vec<_> = got
        .iter()
        .map(|e| match e {
            Event::Frame(f) => (f.data.clone(), f.more),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        frames,
        [(Bytes::new(), true), (Bytes::from_static(b"hello"), false)]
    );
    // The fast path leaves boxes alone.
    let mut wire = Vec::new();
    sseal.seal(b"back", false, false, &mut wire);
    c.feed(&wire);
    assert!(c.poll_frame().is_none());
    assert!(matches!(c.poll_event(), Ok(Some(Event::Frame(f))) if &f.data[..] == b"back"));
    // Commands travel boxed too: a PING is answered with a PONG, boxed by the owner.
    let mut ping = BytesMut::new();
    ferromq_zmtp::Command::Ping {
        ttl: 0,
        context: Bytes::from_static(b"ctx"),
    }
    .encode(&mut ping);
    let mut wire = Vec::new();
    cseal.seal(&ping[2..], false, true, &mut wire);
    s.feed(&wire);
    assert_eq!(s.poll_event(), Ok(Some(Event::Ping { ttl: 0 })));
    assert!(s.has_transmit(), "its PONG, for the owner to seal");
    // A box replayed: the connection fails.
    s.feed(&wire);
    assert_eq!(s.poll_event(), Err(Error::InvalidSequence));
}

#[test]
fn a_client_that_does_not_know_the_servers_key_is_refused() {
    let (ck, sk, other) = (
        KeyPair::generate().unwrap(),
        KeyPair::generate().unwrap(),
        KeyPair::generate().unwrap(),
    );
    let (mut c, mut s) = (client(&ck, other.public()), server(&sk));
    let (cs, ss) = handshake(&mut c, &mut s, ck.public(), 200, usize::MAX);
    assert_eq!(ss.error, Some(Error::Cryptographic));
    assert!(ready(&cs).is_none() && ready(&ss).is_none());
}

#[test]
fn the_authenticator_refuses_a_key_with_an_error_after_initiate() {
    let (ck, sk) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
    let stranger = KeyPair::generate().unwrap();
    let (mut c, mut s) = (client(&stranger, sk.public()), server(&sk));
    let (cs, ss) = handshake(&mut c, &mut s, ck.public(), 200, usize::MAX);
    assert_eq!(ss.error, Some(Error::AuthFailed { status: 400 }));
    assert_eq!(
        cs.error,
        Some(Error::PeerError {
            reason: "400".into()
        })
    );
    assert!(ready(&cs).is_none());
}

#[test]
fn curve_and_null_do_not_meet() {
    let sk = KeyPair::generate().unwrap();
    let mut s = server(&sk);
    let mut null = Connection::new(Config::new(SocketType::Dealer));
    let (mut a, mut b) = (Seen::default(), Seen::default());
    deliver(&mut null, &mut s, usize::MAX, &mut a);
    deliver(&mut s, &mut null, usize::MAX, &mut b);
    assert!(matches!(a.error, Some(Error::MechanismMismatch { .. })));
    assert!(matches!(b.error, Some(Error::MechanismMismatch { .. })));
}

proptest! {
    /// Any split of the handshake's bytes gives the same result.
    #[test]
    fn any_split_gives_the_same_handshake(chunk in 1usize..300) {
        let (ck, sk) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let (mut c, mut s) = (client(&ck, sk.public()), server(&sk));
        let (cs, ss) = handshake(&mut c, &mut s, ck.public(), 200, chunk);
        prop_assert_eq!((&cs.error, &ss.error), (&None, &None));
        prop_assert!(ready(&cs).is_some() && ready(&ss).is_some());
        let mut sealer = c.take_sealer().unwrap();
        let mut wire = Vec::new();
        for i in 0..5u8 {
            sealer.seal(&[i; 100], i < 4, false, &mut wire);
        }
        let mut frames = Vec::new();
        for piece in wire.chunks(chunk) {
            s.feed(piece);
            while let Some(e) = s.poll_event().unwrap() {
                if let Event::Frame(f) = e {
                    frames.push(f.data[0]);
                }
            }
        }
        prop_assert_eq!(frames, vec![0, 1, 2, 3, 4]);
    }

    /// Garbage after a CURVE greeting never panics; it is refused or waits for more.
    #[test]
    fn garbage_in_the_handshake_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (ck, sk) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let mut c = client(&ck, sk.public());
        let mut s = server(&sk);
        let mut greeting = BytesMut::new();
        c.poll_transmit(&mut greeting);
        let greeting = greeting.split_to(64);
        s.feed(&greeting);
        s.feed(&data);
        while let Ok(Some(_)) = s.poll_event() {}
        let mut sg = BytesMut::new();
        server(&sk).poll_transmit(&mut sg);
        c.feed(&sg);
        c.feed(&data);
        while let Ok(Some(_)) = c.poll_event() {}
    }
}
