//! A `Connection` driven byte by byte through memory: handshakes, every split of the input,
//! malformed input, and proptest round trips.

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::{encode, Command, Config, Connection, Error, Event, Metadata, SocketType};
use proptest::prelude::*;

/// Collects every event until the connection wants more bytes.
fn drain(conn: &mut Connection) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event()? {
        events.push(e);
    }
    Ok(events)
}

/// Moves bytes both ways until neither side has anything to say.
fn pump(a: &mut Connection, b: &mut Connection) -> (Vec<Event>, Vec<Event>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let mut wire = BytesMut::new();
    while a.has_transmit() || b.has_transmit() {
        a.poll_transmit(&mut wire);
        b.feed(&wire.split());
        eb.extend(drain(b).unwrap());
        b.poll_transmit(&mut wire);
        a.feed(&wire.split());
        ea.extend(drain(a).unwrap());
    }
    (ea, eb)
}

fn established(a: SocketType, b: SocketType) -> (Connection, Connection) {
    let mut a = Connection::new(Config::new(a));
    let mut b = Connection::new(Config::new(b));
    let (ea, eb) = pump(&mut a, &mut b);
    assert!(matches!(ea[..], [Event::Ready(_)]), "{ea:?}");
    assert!(matches!(eb[..], [Event::Ready(_)]), "{eb:?}");
    (a, b)
}

fn transmit(conn: &mut Connection) -> Bytes {
    let mut out = BytesMut::new();
    conn.poll_transmit(&mut out);
    out.freeze()
}

#[test]
fn handshake_reports_peer_metadata() {
    let mut cfg = Config::new(SocketType::Dealer);
    cfg.identity = Bytes::from_static(b"alice");
    cfg.properties.push("X-Color", &b"blue"[..]);
    let mut dealer = Connection::new(cfg);
    let mut router = Connection::new(Config::new(SocketType::Router));
    let (_, at_router) = pump(&mut dealer, &mut router);
    let [Event::Ready(peer)] = &at_router[..] else {
        panic!("{at_router:?}")
    };
    assert_eq!(peer.socket_type, SocketType::Dealer);
    assert_eq!(peer.identity, "alice");
    assert_eq!(peer.minor_version, 1);
    assert_eq!(peer.metadata.get("x-color").unwrap(), "blue");
    assert!(dealer.is_established() && router.is_established());
}

#[test]
fn our_opening_bytes_are_greeting_then_ready() {
    let mut req = Connection::new(Config::new(SocketType::Req));
    let out = transmit(&mut req);
    assert_eq!(&out[..12], b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x01");
    assert_eq!(&out[12..16], b"NULL");
    let ready = &out[64..];
    let expected = b"\x04\x26\x05READY\x0bSocket-Type\0\0\0\x03REQ\x08Identity\0\0\0\0";
    assert_eq!(ready, &expected[..]);
}

#[test]
fn handshake_survives_every_split_point() {
    let mut rep = Connection::new(Config::new(SocketType::Rep));
    let mut wire = transmit(&mut rep).to_vec();
    let mut msg = BytesMut::new();
    encode::message(&mut msg, [&b""[..], &[9u8; 300][..]]);
    wire.extend_from_slice(&msg);
    for split in 0..=wire.len() {
        let mut req = Connection::new(Config::new(SocketType::Req));
        req.feed(&wire[..split]);
        let mut events = drain(&mut req).unwrap();
        req.feed(&wire[split..]);
        events.extend(drain(&mut req).unwrap());
        assert_eq!(events.len(), 3, "split at {split}: {events:?}");
        assert!(matches!(events[0], Event::Ready(_)));
        let Event::Frame(f) = &events[2] else {
            panic!()
        };
        assert_eq!((f.more, f.data.len()), (false, 300));
    }
}

#[test]
fn incompatible_peer_fails_and_is_told_why() {
    let mut push = Connection::new(Config::new(SocketType::Push));
    let mut push2 = Connection::new(Config::new(SocketType::Push));
    push2.feed(&transmit(&mut push));
    let err = drain(&mut push2).unwrap_err();
    assert_eq!(
        err,
        Error::IncompatiblePeer {
            ours: SocketType::Push,
            theirs: SocketType::Push
        }
    );
    // The failure is sticky, and an ERROR command after our greeting and READY explains it.
    assert_eq!(push2.poll_event().unwrap_err(), err);
    let out = transmit(&mut push2);
    let after_ready = 64 + 2 + usize::from(out[65]);
    let error = ferromq_zmtp::frame::Header::decode(&out[after_ready..])
        .unwrap()
        .unwrap();
    assert!(error.is_command());
    let body = out.slice(after_ready + error.len..);
    let Command::Error { reason } = Command::decode(body).unwrap() else {
        panic!("no ERROR command")
    };
    let reason = String::from_utf8_lossy(&reason);
    assert!(reason.contains("PUSH"), "{reason}");
}

fn ready_body(props: &[(&str, &[u8])]) -> BytesMut {
    let mut m = Metadata::new();
    for (n, v) in props {
        m.push(*n, Bytes::copy_from_slice(v));
    }
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&ferromq_zmtp::greeting::Greeting::encode("NULL", false));
    Command::Ready(m).encode(&mut buf);
    buf
}

#[test]
fn bad_ready_is_refused() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(BytesMut, Check)> = vec![
        (ready_body(&[]), |e| matches!(e, Error::MissingSocketType)),
        (ready_body(&[("Socket-Type", b"BOGUS")]), |e| {
            matches!(e, Error::UnknownSocketType(_))
        }),
        (
            ready_body(&[("Socket-Type", b"DEALER"), ("Identity", b"\0id")]),
            |e| matches!(e, Error::InvalidIdentity(_)),
        ),
        (
            ready_body(&[("Socket-Type", b"DEALER"), ("Identity", &[1u8; 256])]),
            |e| matches!(e, Error::InvalidIdentity(_)),
        ),
    ];
    for (wire, check) in cases {
        let mut router = Connection::new(Config::new(SocketType::Router));
        router.feed(&wire);
        let err = drain(&mut router).unwrap_err();
        assert!(check(&err), "{err:?}");
    }
}

#[test]
fn old_versions_and_other_mechanisms_are_refused() {
    let mut g = ferromq_zmtp::greeting::Greeting::encode("NULL", false);
    g[10] = 2;
    let mut c = Connection::new(Config::new(SocketType::Sub));
    c.feed(&g[..11]); // refused as soon as the version byte is there
    assert_eq!(
        c.poll_event().unwrap_err(),
        Error::UnsupportedVersion { major: 2, minor: 0 }
    );

    let mut c = Connection::new(Config::new(SocketType::Sub));
    c.feed(b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(c.poll_event().unwrap_err(), Error::BadSignature);
    assert!(!c.has_transmit() || transmit(&mut c)[0] == 0xFF);

    let mut c = Connection::new(Config::new(SocketType::Sub));
    c.feed(&ferromq_zmtp::greeting::Greeting::encode("CURVE", false));
    assert!(matches!(
        c.poll_event().unwrap_err(),
        Error::MechanismMismatch { theirs, .. } if theirs == "CURVE"
    ));
}

#[test]
fn zmtp_3_0_peer_is_reported() {
    let mut wire = ready_body(&[("Socket-Type", b"SUB")]);
    wire[11] = 0;
    let mut c = Connection::new(Config::new(SocketType::Pub));
    c.feed(&wire);
    let events = drain(&mut c).unwrap();
    let [Event::Ready(peer)] = &events[..] else {
        panic!()
    };
    assert_eq!(peer.minor_version, 0);
}

#[test]
fn message_before_ready_is_a_protocol_error() {
    let mut wire = BytesMut::from(&ferromq_zmtp::greeting::Greeting::encode("NULL", false)[..]);
    encode::frame(&mut wire, b"sneaky", false);
    let mut c = Connection::new(Config::new(SocketType::Pull));
    c.feed(&wire);
    assert_eq!(c.poll_event().unwrap_err(), Error::UnexpectedMessage);
}

#[test]
fn ping_is_answered_with_pong() {
    let (mut a, mut b) = established(SocketType::Pair, SocketType::Pair);
    a.send_command(&Command::Ping {
        ttl: 20,
        context: Bytes::from_static(b"ctx"),
    });
    let (ea, eb) = pump(&mut a, &mut b);
    assert_eq!(eb, [Event::Ping { ttl: 20 }]);
    assert_eq!(
        ea,
        [Event::Pong {
            context: Bytes::from_static(b"ctx")
        }]
    );
}

#[test]
fn subscribe_and_cancel_commands() {
    let (mut sub, mut publ) = established(SocketType::Sub, SocketType::Pub);
    sub.send_command(&Command::Subscribe(Bytes::from_static(b"news")));
    sub.send_command(&Command::Cancel(Bytes::from_static(b"news")));
    let (_, at_pub) = pump(&mut sub, &mut publ);
    assert_eq!(
        at_pub,
        [
            Event::Subscribe(Bytes::from_static(b"news")),
            Event::Cancel(Bytes::from_static(b"news"))
        ]
    );
}

#[test]
fn oversized_frames_are_refused_before_buffering() {
    // A frame claiming 2^62 bytes: refused from its 9-byte header alone.
    let (mut a, _) = established(SocketType::Pull, SocketType::Push);
    a.feed(&[0x02, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        a.poll_event().unwrap_err(),
        Error::FrameTooLarge {
            size: 1 << 62,
            max: 1 << 47
        }
    );
    assert!(a.read_buf().capacity() < 4096);

    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_msg_size = Some(100);
    let mut pull = Connection::new(cfg);
    let mut push = Connection::new(Config::new(SocketType::Push));
    pump(&mut push, &mut pull);
    let mut wire = BytesMut::new();
    encode::frame(&mut wire, &[0; 100], false);
    encode::header(&mut wire, 101, false, false);
    pull.feed(&wire);
    assert!(matches!(pull.poll_event(), Ok(Some(Event::Frame(_)))));
    assert_eq!(
        pull.poll_event().unwrap_err(),
        Error::FrameTooLarge {
            size: 101,
            max: 100
        }
    );
}

#[test]
fn command_name_longer_than_its_body_is_refused() {
    let (mut a, _) = established(SocketType::Pull, SocketType::Push);
    a.feed(b"\x04\x03\x09SUB");
    assert!(matches!(
        a.poll_event().unwrap_err(),
        Error::MalformedCommand { .. }
    ));
}

#[test]
fn read_hint_covers_a_large_frame() {
    let (mut a, _) = established(SocketType::Pull, SocketType::Push);
    let mut wire = BytesMut::new();
    encode::frame(&mut wire, &vec![1; 1 << 20], false);
    a.feed(&wire[..100]);
    assert_eq!(a.poll_event().unwrap(), None);
    assert_eq!(a.read_hint(), (1 << 20) + 9 - 100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Messages survive encode -> decode whatever the frame sizes and however the bytes are cut.
    #[test]
    fn messages_round_trip_through_any_split(
        messages in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..5), 1..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let (mut rx, _tx) = established(SocketType::Pull, SocketType::Push);
        let mut wire = BytesMut::new();
        for m in &messages {
            encode::message(&mut wire, m.iter().map(Vec::as_slice));
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        points.push(wire.len());
        points.sort_unstable();
        let mut got: Vec<Vec<Vec<u8>>> = vec![Vec::new()];
        let mut at = 0;
        for p in points {
            rx.feed(&wire[at..p]);
            at = p;
            for e in drain(&mut rx).unwrap() {
                let Event::Frame(f) = e else { panic!("{e:?}") };
                got.last_mut().unwrap().push(f.data.to_vec());
                if !f.more { got.push(Vec::new()); }
            }
        }
        got.pop();
        prop_assert_eq!(got, messages);
    }

    /// The receiver's fast paths, `poll_frame` and `poll_frames`, yield exactly what
    /// `poll_event` would: the same frames, and leave to it every command, partial or
    /// oversized frame and error.
    #[test]
    fn poll_frame_agrees_with_poll_event(
        messages in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..4), 0..6),
        ping in any::<bool>(),
        garbage in prop::collection::vec(any::<u8>(), 0..40),
        max in prop::option::of(64u64..500),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = BytesMut::new();
        for (i, m) in messages.iter().enumerate() {
            encode::message(&mut wire, m.iter().map(Vec::as_slice));
            if ping && i == 0 {
                Command::Ping { ttl: 0, context: Bytes::new() }.encode(&mut wire);
            }
        }
        wire.extend_from_slice(&garbage);
        let cut = cut.index(wire.len() + 1);
        // 0: poll_event alone; 1: poll_frame first; 2: poll_frames first.
        let run = |fast: u8| {
            let (mut rx, _tx) = established(SocketType::Pull, SocketType::Push);
            let mut cfg = Config::new(SocketType::Pull);
            cfg.max_msg_size = max;
            let mut rx = if max.is_some() {
                let mut c = Connection::new(cfg);
                let mut tx = Connection::new(Config::new(SocketType::Push));
                pump(&mut c, &mut tx);
                c
            } else {
                rx.feed(&[]);
                rx
            };
            let mut seen = Vec::new();
            for part in [&wire[..cut], &wire[cut..]] {
                rx.feed(part);
                loop {
                    if fast == 1 {
                        if let Some(f) = rx.poll_frame() {
                            seen.push(format!("{:?}", Event::Frame(f)));
                            continue;
                        }
                    }
                    if fast == 2
                        && rx.poll_frames(|f| seen.push(format!("{:?}", Event::Frame(f)))) > 0
                    {
                        continue;
                    }
                    match rx.poll_event() {
                        Ok(Some(e)) => seen.push(format!("{e:?}")),
                        Ok(None) => break,
                        Err(e) => {
                            seen.push(format!("error {e}"));
                            return seen;
                        }
                    }
                }
            }
            seen
        };
        let slow = run(0);
        prop_assert_eq!(run(1), slow.clone());
        prop_assert_eq!(run(2), slow);
    }

    /// Garbage never panics, whether it arrives as the greeting or after the handshake.
    #[test]
    fn garbage_never_panics(garbage in prop::collection::vec(any::<u8>(), 0..2000), after in any::<bool>()) {
        let mut c = if after {
            established(SocketType::Router, SocketType::Dealer).0
        } else {
            Connection::new(Config::new(SocketType::Router))
        };
        c.feed(&garbage);
        for _ in 0..garbage.len() + 1 {
            match c.poll_event() {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// A greeting with a random prefix of valid bytes plus garbage never panics either.
    #[test]
    fn mutated_handshake_never_panics(
        flips in prop::collection::vec((0usize..140, any::<u8>()), 1..6),
    ) {
        let mut wire = ready_body(&[("Socket-Type", b"DEALER"), ("Identity", b"abc")]).to_vec();
        for (at, byte) in flips {
            let at = at % wire.len();
            wire[at] = byte;
        }
        let mut c = Connection::new(Config::new(SocketType::Router));
        c.feed(&wire);
        let _ = drain(&mut c);
    }
}

mod heartbeats {
    use super::*;
    use ferromq_zmtp::Heartbeat;
    use std::time::{Duration, Instant};

    const MS: Duration = Duration::from_millis(1);

    fn with_heartbeat(t: SocketType, hb: Heartbeat) -> Connection {
        let mut cfg = Config::new(t);
        cfg.heartbeat = Some(hb);
        Connection::new(cfg)
    }

    /// Moves bytes from `from` to `to`, decoding them there and telling it they arrived.
    fn deliver(from: &mut Connection, to: &mut Connection, now: Instant) -> Vec<Event> {
        let bytes = transmit(from);
        if bytes.is_empty() {
            return Vec::new();
        }
        to.feed(&bytes);
        let events = drain(to).unwrap();
        to.received(now);
        events
    }

    #[test]
    fn pings_are_sent_answered_and_keep_the_connection_alive() {
        let hb = Heartbeat {
            interval: 50 * MS,
            timeout: 200 * MS,
            ttl: Duration::ZERO,
        };
        let t0 = Instant::now();
        let mut a = with_heartbeat(SocketType::Dealer, hb);
        let mut b = Connection::new(Config::new(SocketType::Router));
        pump(&mut a, &mut b);
        assert_eq!(a.next_timeout(), None, "no heartbeat before time is given");
        a.received(t0);
        assert_eq!(a.next_timeout(), Some(t0 + 50 * MS));
        // Two seconds of virtual time: a pings every 50 ms, b answers, nothing expires.
        let mut pongs = 0;
        let mut now = t0;
        while now < t0 + 2000 * MS {
            now = a.next_timeout().unwrap();
            a.handle_timeout(now).unwrap();
            let at_b = deliver(&mut a, &mut b, now);
            assert!(matches!(at_b[..], [Event::Ping { ttl: 0 }]), "{at_b:?}");
            let at_a = deliver(&mut b, &mut a, now);
            pongs += at_a
                .iter()
                .filter(|e| matches!(e, Event::Pong { .. }))
                .count();
        }
        assert!(pongs >= 39, "{pongs} pongs in 2 s at 50 ms");
    }

    #[test]
    fn a_silent_peer_expires_after_the_timeout() {
        let hb = Heartbeat {
            interval: 50 * MS,
            timeout: 200 * MS,
            ttl: Duration::ZERO,
        };
        let t0 = Instant::now();
        let mut a = with_heartbeat(SocketType::Pair, hb);
        let mut b = Connection::new(Config::new(SocketType::Pair));
        pump(&mut a, &mut b);
        a.received(t0);
        // The first PING goes out at 50 ms; b never answers.
        a.handle_timeout(t0 + 50 * MS).unwrap();
        assert!(a.has_transmit());
        assert_eq!(a.next_timeout(), Some(t0 + 100 * MS));
        a.handle_timeout(t0 + 100 * MS).unwrap(); // another PING, same deadline
        assert!(a.handle_timeout(t0 + 249 * MS).is_ok());
        assert_eq!(
            a.handle_timeout(t0 + 250 * MS),
            Err(Error::HeartbeatExpired)
        );
        assert_eq!(a.poll_event(), Err(Error::HeartbeatExpired));
    }

    #[test]
    fn the_peers_ttl_is_enforced_and_traffic_renews_it() {
        let hb = Heartbeat {
            interval: 100 * MS,
            timeout: 100 * MS,
            ttl: 1000 * MS,
        };
        let t0 = Instant::now();
        let mut a = with_heartbeat(SocketType::Pair, hb);
        let mut b = Connection::new(Config::new(SocketType::Pair));
        pump(&mut a, &mut b);
        a.received(t0);
        a.handle_timeout(t0 + 100 * MS).unwrap();
        let at_b = deliver(&mut a, &mut b, t0 + 100 * MS);
        assert_eq!(at_b, [Event::Ping { ttl: 10 }], "TTL in tenths of a second");
        deliver(&mut b, &mut a, t0 + 100 * MS); // b's PONG satisfies a's timeout
                                                // b now expects traffic from a within 1 s.
        assert_eq!(b.next_timeout(), Some(t0 + 1100 * MS));
        // A message from a at 900 ms renews nothing by itself (no new PING): the TTL is
        // cancelled by traffic, as in libzmq, until the next PING arms it again.
        let mut m = BytesMut::new();
        encode::frame(&mut m, b"hi", false);
        b.feed(&m);
        drain(&mut b).unwrap();
        b.received(t0 + 900 * MS);
        assert_eq!(b.next_timeout(), None);
        // Another PING at 1 s arms it again; silence after it expires b's side.
        a.handle_timeout(t0 + 200 * MS).unwrap();
        deliver(&mut a, &mut b, t0 + 1000 * MS);
        assert!(b.handle_timeout(t0 + 1999 * MS).is_ok());
        assert_eq!(
            b.handle_timeout(t0 + 2000 * MS),
            Err(Error::HeartbeatExpired)
        );
    }
}
