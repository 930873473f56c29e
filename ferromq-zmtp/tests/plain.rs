//! The PLAIN handshake (RFC 24) between two connections in memory: admitted, refused with
//! each ZAP status, mismatched mechanisms, malformed HELLOs, and any split of the input; and
//! NULL asking its authenticator, as libzmq does when `zap_domain` is set.

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::{
    encode, zmtp_code, AuthReply, Config, Connection, Error, Event, Mechanism, SocketType,
};
use proptest::prelude::*;

mod common;
use common::{deliver, Seen};
use zeroize::Zeroizing;

fn client(password: &[u8]) -> Connection {
    let mut config = Config::new(SocketType::Dealer);
    config.mechanism = Mechanism::PlainClient {
        username: Bytes::from_static(b"admin"),
        password: Zeroizing::new(password.to_vec()),
    };
    Connection::new(config)
}

fn server() -> Connection {
    let mut config = Config::new(SocketType::Router);
    config.mechanism = Mechanism::PlainServer;
    Connection::new(config)
}

/// Runs the handshake to its end, the server's authenticator answering `status` for the
/// right credentials (admin, secret) and 400 for any other; returns what each side saw
/// (client, server).
fn handshake(mut c: Connection, mut s: Connection, status: u16, chunk: usize) -> (Seen, Seen) {
    handshake_keep(&mut c, &mut s, status, chunk)
}

/// `handshake`, on connections the caller keeps.
fn handshake_keep(
    c: &mut Connection,
    s: &mut Connection,
    status: u16,
    chunk: usize,
) -> (Seen, Seen) {
    let (mut cs, mut ss) = (Seen::default(), Seen::default());
    for _ in 0..4 {
        let before = ss.events.len();
        deliver(c, s, chunk, &mut ss);
        let asked = ss.events[before..].iter().find_map(|e| match e {
            Event::Authenticate(request) => Some(request.clone()),
            _ => None,
        });
        if let Some(request) = asked {
            let right = match request.mechanism {
                "PLAIN" => request.credentials == [&b"admin"[..], b"secret"],
                "NULL" => request.credentials.is_empty(),
                other => panic!("asked about {other}"),
            };
            let reply = AuthReply {
                status: if right { status } else { 400 },
                user_id: Bytes::from_static(b"user-admin"),
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

#[test]
fn admitted_client_and_server_reach_traffic_with_the_user_id() {
    let (mut c, mut s) = (client(b"secret"), server());
    let (cs, ss) = handshake_keep(&mut c, &mut s, 200, usize::MAX);
    assert_eq!((&cs.error, &ss.error), (&None, &None));
    let server_view = ready(&ss).expect("server ready");
    assert_eq!(server_view.socket_type, SocketType::Dealer);
    assert_eq!(&server_view.user_id[..], b"user-admin");
    assert_eq!(
        ready(&cs).expect("client ready").socket_type,
        SocketType::Router
    );
    assert!(c.is_established() && s.is_established());
    // Messages flow after it.
    let mut wire = BytesMut::new();
    encode::message(&mut wire, [&b"hello"[..]]);
    s.feed(&wire);
    match s.poll_event() {
        Ok(Some(Event::Frame(frame))) => assert_eq!(&frame.data[..], b"hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refusal_with_400_or_500_tells_the_client_the_status() {
    for status in [400, 500] {
        let (cs, ss) = handshake(client(b"secret"), server(), status, usize::MAX);
        assert_eq!(ss.error, Some(Error::AuthFailed { status }));
        assert_eq!(
            cs.error,
            Some(Error::PeerError {
                reason: status.to_string()
            })
        );
        assert!(ready(&cs).is_none() && ready(&ss).is_none());
    }
    // A wrong password is the authenticator's 400 here.
    let (cs, ss) = handshake(client(b"wrong"), server(), 200, usize::MAX);
    assert_eq!(ss.error, Some(Error::AuthFailed { status: 400 }));
    assert!(matches!(cs.error, Some(Error::PeerError { .. })));
}

#[test]
fn a_refusal_with_300_sends_no_error() {
    let (mut c, mut s) = (client(b"secret"), server());
    let (cs, ss) = handshake_keep(&mut c, &mut s, 300, usize::MAX);
    assert_eq!(ss.error, Some(Error::AuthFailed { status: 300 }));
    assert_eq!((&cs.error, ready(&cs).is_none()), (&None, true));
    assert!(!s.has_transmit());
}

#[test]
fn a_plain_client_never_sends_its_password_to_a_null_server() {
    let mut c = client(b"secret");
    let mut s = Connection::new(Config::new(SocketType::Router));
    let mut wire = BytesMut::new();
    c.poll_transmit(&mut wire);
    assert_eq!(
        wire.len(),
        64,
        "only the greeting before the peer's is seen"
    );
    let (mut cs, mut ss) = (Seen::default(), Seen::default());
    s.feed(&wire);
    while let Ok(Some(e)) = s.poll_event() {
        ss.events.push(e);
    }
    deliver(&mut s, &mut c, usize::MAX, &mut cs);
    let e = cs.error.expect("client refuses NULL");
    assert!(matches!(e, Error::MechanismMismatch { .. }), "{e:?}");
    assert_eq!(e.zmtp_code(), zmtp_code::MECHANISM_MISMATCH);
    let mut rest = BytesMut::new();
    c.poll_transmit(&mut rest);
    assert!(!rest.windows(6).any(|w| w == b"secret"));
}

#[test]
fn a_malformed_hello_fails_with_libzmqs_code() {
    let mut s = server();
    let mut wire = BytesMut::new();
    let mut c = client(b"secret");
    c.poll_transmit(&mut wire); // the greeting
    s.feed(&wire);
    assert!(matches!(s.poll_event(), Ok(None)));
    // HELLO whose password length runs past the end of the command.
    s.feed(b"\x04\x0f\x05HELLO\x05admin\x09ab");
    let e = s.poll_event().unwrap_err();
    assert_eq!(e.zmtp_code(), zmtp_code::MALFORMED_COMMAND_HELLO, "{e:?}");
    // A message frame before the handshake is over.
    let mut s = server();
    s.feed(&wire);
    s.feed(b"\x00\x02hi");
    assert_eq!(s.poll_event().unwrap_err(), Error::UnexpectedMessage);
}

#[test]
fn a_second_authentication_reply_is_refused() {
    let mut s = server();
    let e = s
        .authenticated(AuthReply {
            status: 200,
            user_id: Bytes::new(),
        })
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedCommand { .. }));
}

proptest! {
    /// However the bytes are split, the handshake ends the same way.
    #[test]
    fn any_split_gives_the_same_outcome(chunk in 1usize..80, status in prop::sample::select(vec![200u16, 300, 400, 500])) {
        let (cs, ss) = handshake(client(b"secret"), server(), status, chunk);
        let (cw, sw) = handshake(client(b"secret"), server(), status, usize::MAX);
        prop_assert_eq!(format!("{:?}", cs.events), format!("{:?}", cw.events));
        prop_assert_eq!(format!("{:?}", ss.events), format!("{:?}", sw.events));
        prop_assert_eq!(cs.error, cw.error);
        prop_assert_eq!(&ss.error, &sw.error);
        prop_assert_eq!(ready(&ss).is_some(), status == 200);
    }
}

fn null(socket_type: SocketType, authenticates: bool) -> Connection {
    let mut config = Config::new(socket_type);
    config.null_authenticates = authenticates;
    Connection::new(config)
}

#[test]
fn null_with_an_authenticator_sends_ready_only_once_admitted() {
    // Nothing but the greeting goes out before the verdict.
    let mut s = null(SocketType::Router, true);
    let mut wire = BytesMut::new();
    s.poll_transmit(&mut wire);
    assert_eq!(wire.len(), 64, "the greeting alone");

    let (mut c, mut s) = (
        null(SocketType::Dealer, false),
        null(SocketType::Router, true),
    );
    let (cs, ss) = handshake_keep(&mut c, &mut s, 200, usize::MAX);
    assert_eq!((&cs.error, &ss.error), (&None, &None));
    assert!(ss.events.iter().any(|e| matches!(
        e,
        Event::Authenticate(r) if r.mechanism == "NULL" && r.credentials.is_empty()
    )));
    assert_eq!(
        &ready(&ss).expect("server ready").user_id[..],
        b"user-admin"
    );
    assert!(ready(&cs).is_some() && c.is_established() && s.is_established());

    for (status, told) in [(300, None), (400, Some("400")), (500, Some("500"))] {
        let (cs, ss) = handshake(
            null(SocketType::Dealer, false),
            null(SocketType::Router, true),
            status,
            1,
        );
        assert_eq!(ss.error, Some(Error::AuthFailed { status }));
        assert!(ready(&cs).is_none() && ready(&ss).is_none());
        let told = told.map(|r| Error::PeerError { reason: r.into() });
        assert_eq!(cs.error, told, "status {status}");
    }
}

#[test]
fn libzmqs_misspelt_plain_error_reads_as_the_status_it_carries() {
    // libzmq's PLAIN server writes ERROR's name as the C string "\x05ERROR", whose hex
    // escape swallows the E: its 400 arrives as 0x5e "RROR" 3 "400".
    let mut c = client(b"guess");
    let mut greeting = BytesMut::new();
    server().poll_transmit(&mut greeting);
    c.feed(&greeting);
    assert!(
        matches!(c.poll_event(), Ok(None)),
        "HELLO sent, WELCOME awaited"
    );
    c.feed(b"\x04\x09\x5eRROR\x03400");
    assert_eq!(
        c.poll_event(),
        Err(Error::PeerError {
            reason: "400".into()
        })
    );
    // The same bytes are not an ERROR to a server, nor one whose length runs past the end.
    let mut s = server();
    s.feed(&{
        let mut g = BytesMut::new();
        client(b"x").poll_transmit(&mut g);
        g
    });
    let _ = s.poll_event();
    s.feed(b"\x04\x09\x5eRROR\x03400");
    assert!(!matches!(s.poll_event(), Err(Error::PeerError { .. })));
    let mut c = client(b"guess");
    c.feed(&greeting);
    let _ = c.poll_event();
    c.feed(b"\x04\x08\x5eRROR\x03400"[..10].as_ref());
    assert!(!matches!(c.poll_event(), Err(Error::PeerError { .. })));
}
