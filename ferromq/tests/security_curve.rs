//! CURVE (RFC 25, 26) from the socket API, ferromq against itself: every pattern encrypted,
//! ZAP's rules for CURVE as libzmq 4.3.5 has them (asked about each client key; without a
//! handler, any client that knows the server's key), refusals on both monitors, messages
//! queued before the connection and across a reconnect, heartbeats inside the boxes, and bad
//! input from a raw peer. libzmq itself is the peer in `interop_curve.rs`.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use common::zap::{answer, ferro_zap, ZapRequest};
use common::*;
use ferromq::{
    Cause, Context, CurveKeyPair, EventKind as K, MonitorEvent, Socket, SocketType as T,
};

const WAIT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

fn keys() -> CurveKeyPair {
    ferromq::curve_keypair().unwrap()
}

/// A CURVE server of type `t` with `server_keys`, bound over `transport`.
fn curve_server(
    ctx: &Context,
    t: T,
    server_keys: &CurveKeyPair,
    transport: Transport,
) -> (Socket, String) {
    let s = ferro(ctx, t);
    s.set_curve_server(server_keys).unwrap();
    let ep = ferro_bind_over(&s, transport);
    (s, ep)
}

fn curve_client(ctx: &Context, t: T, server_key: &[u8; 32], own: Option<&CurveKeyPair>) -> Socket {
    let c = ferro(ctx, t);
    c.set_curve_client(server_key, own).unwrap();
    c
}

/// A ZAP policy admitting exactly `allowed` (as user "trusted"), 400 for any other key.
fn allow_only(allowed: [u8; 32]) -> common::zap::Policy {
    Arc::new(move |r: &ZapRequest| {
        if r.mechanism == b"CURVE" && r.credentials == [allowed.to_vec()] {
            answer(r, "200", "trusted")
        } else {
            answer(r, "400", "")
        }
    })
}

#[test]
fn every_pattern_runs_encrypted_over_tcp_and_ipc() {
    type Scenario = fn(&Socket, &Socket);
    let pairings: [((T, T), Scenario); 6] = [
        ((T::Rep, T::Req), |server, client| req_rep(client, server)),
        ((T::Router, T::Dealer), |server, client| {
            dealer_router(client, server, None)
        }),
        ((T::Pull, T::Push), |server, client| {
            push_pull(client, server)
        }),
        ((T::Pair, T::Pair), |server, client| {
            pair_pair(client, server)
        }),
        ((T::Router, T::Req), |server, client| {
            req_router(client, server)
        }),
        ((T::Pub, T::Sub), |server, client| {
            client.subscribe("a").unwrap();
            client.subscribe("b").unwrap();
            pub_sub(server, client)
        }),
    ];
    for transport in [Transport::Tcp, Transport::Ipc] {
        for ((st, ct), scenario) in pairings {
            let ctx = Context::new();
            let sk = keys();
            let (server, ep) = curve_server(&ctx, st, &sk, transport);
            let client = curve_client(&ctx, ct, sk.public(), None);
            client.connect(&ep).unwrap();
            scenario(&server, &client);
        }
    }
}

#[test]
fn the_zap_handler_is_asked_about_each_client_key_and_names_the_user() {
    let ctx = Context::new();
    let (sk, ck) = (keys(), keys());
    let zap = ferro_zap(&ctx, allow_only(*ck.public()));
    let (server, ep) = curve_server(&ctx, T::Pull, &sk, Transport::Tcp);
    let events = server.monitor();
    let friend = curve_client(&ctx, T::Push, sk.public(), Some(&ck));
    friend.connect(&ep).unwrap();
    friend.send("from a friend").unwrap();
    let m = server.recv().unwrap();
    assert_eq!(m.frames(), ["from a friend"]);
    assert_eq!(m.property("User-Id"), Some(&b"trusted"[..]));
    let r = &zap.requests()[0];
    assert_eq!(
        (&r.mechanism[..], &r.credentials[..]),
        (&b"CURVE"[..], &[ck.public().to_vec()][..])
    );

    // A key the handler does not know: refused with 400 on both monitors; the friend is
    // still served.
    let stranger = curve_client(&ctx, T::Push, sk.public(), Some(&keys()));
    let stranger_events = stranger.monitor();
    stranger.connect(&ep).unwrap();
    // A refused client drops its peer (it does not retry): the send may find none.
    let _ = stranger.try_send("let me in");
    let e = wait_for(&events, K::HandshakeFailedAuth);
    assert_eq!(
        (e.value, e.cause),
        (400, Some(Cause::Unauthorized { status: 400 }))
    );
    assert_eq!(
        wait_for(&stranger_events, K::HandshakeFailedAuth).value,
        400
    );
    friend.send("still here").unwrap();
    assert_eq!(server.recv().unwrap().frames(), ["still here"]);
    assert!(server.recv_within(200).is_none());
}

#[test]
fn without_a_handler_any_client_that_knows_the_server_key_gets_in_unauthenticated() {
    let ctx = Context::new();
    let sk = keys();
    let (server, ep) = curve_server(&ctx, T::Rep, &sk, Transport::Tcp);
    let client = curve_client(&ctx, T::Req, sk.public(), None);
    client.connect(&ep).unwrap();
    client.send("anyone").unwrap();
    let m = server.recv().unwrap();
    assert_eq!(m.property("User-Id"), None, "not authenticated");
    server.send("welcome").unwrap();
    assert_eq!(client.recv().unwrap().frames(), ["welcome"]);
}

#[test]
fn a_client_with_the_wrong_server_key_is_refused_as_libzmq_reports_it() {
    let ctx = Context::new();
    let sk = keys();
    let (server, ep) = curve_server(&ctx, T::Pull, &sk, Transport::Tcp);
    let events = server.monitor();
    let client = curve_client(&ctx, T::Push, keys().public(), None);
    client.connect(&ep).unwrap();
    client.send("x").unwrap();
    let e = wait_for(&events, K::HandshakeFailedProtocol);
    assert_eq!(
        e.value, 0x1100_0001,
        "ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC"
    );
    assert!(server.recv_within(200).is_none());
}

#[test]
fn curve_and_null_refuse_each_other_both_ways() {
    let ctx = Context::new();
    let sk = keys();
    let (server, ep) = curve_server(&ctx, T::Pull, &sk, Transport::Tcp);
    let events = server.monitor();
    let null = ferro(&ctx, T::Push);
    null.connect(&ep).unwrap();
    assert_eq!(
        wait_for(&events, K::HandshakeFailedProtocol).value,
        0x1100_0002
    );

    let null_server = ferro(&ctx, T::Pull);
    let events = null_server.monitor();
    let ep = ferro_bind(&null_server);
    let client = curve_client(&ctx, T::Push, sk.public(), None);
    client.connect(&ep).unwrap();
    assert_eq!(
        wait_for(&events, K::HandshakeFailedProtocol).value,
        0x1100_0002
    );
}

#[test]
fn messages_queued_before_the_connection_and_across_a_reconnect_arrive_encrypted() {
    let ctx = Context::new();
    let sk = keys();
    // Sent before the server exists: they wait, unencrypted, for a connection's keys.
    let client = curve_client(&ctx, T::Push, sk.public(), None);
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", probe.local_addr().unwrap());
    drop(probe);
    client.connect(&ep).unwrap();
    for i in 0..3 {
        client.send(format!("early {i}")).unwrap();
    }
    let server = ferro(&ctx, T::Pull);
    server.set_curve_server(&sk).unwrap();
    server.bind(&ep).unwrap();
    for i in 0..3 {
        assert_eq!(server.recv().unwrap().frames(), [format!("early {i}")]);
    }
    // The server goes away and comes back: a new connection, new short-term keys.
    drop(server);
    let server = ferro(&ctx, T::Pull);
    server.set_curve_server(&sk).unwrap();
    server.bind(&ep).unwrap();
    let got = (0..200).find_map(|i| {
        client.send(format!("late {i}")).unwrap();
        server.recv_within(50)
    });
    let got = got.expect("nothing after the reconnect");
    assert!(got[0].starts_with(b"late "));
}

#[test]
fn heartbeats_travel_inside_the_boxes() {
    let ctx = Context::new();
    let sk = keys();
    let (server, ep) = curve_server(&ctx, T::Pair, &sk, Transport::Tcp);
    let events = server.monitor();
    server.set_heartbeat_ivl(50).unwrap();
    server.set_heartbeat_timeout(300).unwrap();
    let client = curve_client(&ctx, T::Pair, sk.public(), None);
    client.set_heartbeat_ivl(50).unwrap();
    client.set_heartbeat_timeout(300).unwrap();
    client.connect(&ep).unwrap();
    client.send("hello").unwrap();
    assert_eq!(server.recv().unwrap().frames(), ["hello"]);
    // Ten heartbeat timeouts of silence: PINGs and PONGs, boxed, keep the connection.
    assert!(server.recv_within(3000).is_none());
    client.send("still connected").unwrap();
    assert_eq!(server.recv().unwrap().frames(), ["still connected"]);
    while let Ok(e) = events.try_recv() {
        assert_ne!(e.kind, K::Disconnected, "{:?}", e.reason);
    }
}

/// A raw tcp peer that sent a CURVE greeting and then `bytes`; returns the server's monitor
/// event that ended it.
fn raw_curve_peer(bytes: &[u8]) -> MonitorEvent {
    let ctx = Context::new();
    let sk = keys();
    let (server, ep) = curve_server(&ctx, T::Pull, &sk, Transport::Tcp);
    let events = server.monitor();
    let mut raw = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let mut greeting = [0u8; 64];
    greeting[0] = 0xff;
    greeting[8] = 1;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = 1;
    greeting[12..17].copy_from_slice(b"CURVE");
    raw.write_all(&greeting).unwrap();
    raw.write_all(bytes).unwrap();
    let e = loop {
        let e = events.recv_timeout(WAIT).expect("no handshake failure");
        if matches!(
            e.kind,
            K::HandshakeFailedProtocol | K::HandshakeFailedNoDetail
        ) {
            break e;
        }
    };
    // The server closed the connection (no panic, nothing else to read but its greeting).
    raw.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest);
    e
}

#[test]
fn malformed_curve_commands_close_only_that_connection_with_libzmqs_codes() {
    // A HELLO of the wrong size.
    let mut hello = vec![0x04, 199, 5];
    hello.extend_from_slice(b"HELLO");
    hello.extend_from_slice(&[0; 193]);
    assert_eq!(
        raw_curve_peer(&hello).value,
        0x1000_0013,
        "MALFORMED_COMMAND_HELLO"
    );
    // A HELLO of the right size whose box does not open.
    let mut hello = vec![0x04, 200, 5];
    hello.extend_from_slice(b"HELLO\x01\x00");
    hello.extend_from_slice(&[0; 192]);
    assert_eq!(raw_curve_peer(&hello).value, 0x1100_0001, "CRYPTOGRAPHIC");
    // A message frame before the handshake.
    assert_eq!(raw_curve_peer(b"\x00\x05hello").value, 0x1000_0001);
    // Another command where HELLO belongs.
    let e = raw_curve_peer(b"\x04\x0a\x08INITIATE\x00");
    assert_eq!(e.value, 0x1000_0001, "UNEXPECTED_COMMAND");
}

/// A tcp relay to `target` that keeps a copy of every byte it forwards, both ways.
fn recording_relay(target: String) -> (String, Arc<std::sync::Mutex<Vec<u8>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = std::net::TcpStream::connect(&target).unwrap();
        for (mut from, mut to) in [
            (client.try_clone().unwrap(), server.try_clone().unwrap()),
            (server, client),
        ] {
            let record = record.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (ep, seen)
}

#[test]
fn nothing_of_the_messages_crosses_the_wire_in_clear() {
    const SECRET: &[u8] = b"the launch code is 0000";
    for curve in [false, true] {
        let ctx = Context::new();
        let sk = keys();
        let server = ferro(&ctx, T::Rep);
        if curve {
            server.set_curve_server(&sk).unwrap();
        }
        let target = ferro_bind(&server).trim_start_matches("tcp://").to_owned();
        let (ep, seen) = recording_relay(target);
        let client = ferro(&ctx, T::Req);
        if curve {
            client.set_curve_client(sk.public(), None).unwrap();
        }
        client.connect(&ep).unwrap();
        client.send(SECRET).unwrap();
        assert_eq!(server.recv().unwrap().frames(), [SECRET]);
        server.send(SECRET).unwrap();
        assert_eq!(client.recv().unwrap().frames(), [SECRET]);
        let wire = seen.lock().unwrap().clone();
        let in_clear = wire.windows(SECRET.len()).any(|w| w == SECRET);
        // The relay saw the secret exactly when the sockets speak NULL.
        assert_eq!(in_clear, !curve, "curve: {curve}");
    }
}
