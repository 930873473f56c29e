//! PLAIN (RFC 24) and ZAP (RFC 27) from the socket API: ferromq against itself for each ZAP
//! rule of libzmq 4.3.5 (who asks, what a missing handler means, each status, a malformed
//! reply), and against libzmq (the `zmq` crate's 4.3.4) both ways for every socket-type
//! pairing of the interop suite, admitted and refused, with each side's monitor.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::zap::{admin_secret, admin_secret_as, answer, ferro_zap, libzmq_zap, ZapRequest};
use common::*;
use ferromq::{Cause, Context, EventKind as K, Monitor, MonitorEvent, Socket, SocketType as T};

const WAIT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

/// Whether an event of `kind` comes within `ms`.
fn sees(monitor: &Monitor, kind: K, ms: u64) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_millis(ms);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match monitor.recv_timeout(left) {
            Ok(e) if e.kind == kind => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

fn plain_server(ctx: &Context, t: T) -> (Socket, String) {
    let s = ferro(ctx, t);
    s.set_plain_server(true).unwrap();
    let ep = ferro_bind(&s);
    (s, ep)
}

fn plain_client(ctx: &Context, t: T, ep: &str, password: &str) -> Socket {
    let c = ferro(ctx, t);
    c.set_plain_credentials("admin", password).unwrap();
    c.connect(ep).unwrap();
    c
}

#[test]
fn an_admitted_client_is_served_and_its_messages_carry_the_user_id() {
    let ctx = Context::new();
    let zap = ferro_zap(&ctx, admin_secret("400"));
    let server = ferro(&ctx, T::Rep);
    server.set_plain_server(true).unwrap();
    server.set_zap_domain("global").unwrap();
    server.set_routing_id("the-server").unwrap();
    let ep = ferro_bind(&server);
    let client = plain_client(&ctx, T::Req, &ep, "secret");
    client.send("hello").unwrap();
    let request = server.recv().unwrap();
    assert_eq!(request.frames(), ["hello"]);
    assert_eq!(request.property("User-Id"), Some(&b"alice"[..]));
    assert_eq!(request.property("Socket-Type"), Some(&b"REQ"[..]));
    assert_eq!(request.property("Peer-Address"), Some(&b"127.0.0.1"[..]));
    server.send("world").unwrap();
    assert_eq!(client.recv().unwrap().frames(), ["world"]);
    // The request, framed as libzmq frames it: the server's own routing id, the peer's
    // address without its port, the credentials.
    let seen = zap.requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        (&r.version[..], &r.request_id[..], &r.domain[..]),
        (&b"1.0"[..], &b"1"[..], &b"global"[..])
    );
    assert_eq!(
        (&r.address[..], &r.identity[..], &r.mechanism[..]),
        (&b"127.0.0.1"[..], &b"the-server"[..], &b"PLAIN"[..])
    );
    assert_eq!(r.credentials, [b"admin".to_vec(), b"secret".to_vec()]);
}

#[test]
fn a_wrong_password_is_refused_on_both_monitors_and_others_are_still_served() {
    let ctx = Context::new();
    let _zap = ferro_zap(&ctx, admin_secret("400"));
    let server = ferro(&ctx, T::Pull);
    let server_events = server.monitor();
    server.set_plain_server(true).unwrap();
    let ep = ferro_bind(&server);

    let intruder = ferro(&ctx, T::Push);
    let intruder_events = intruder.monitor();
    intruder.set_plain_credentials("admin", "guess").unwrap();
    intruder.connect(&ep).unwrap();
    // Queued, never delivered; once refused the client drops its peer (it does not retry),
    // so a send that comes after the refusal finds none.
    let _ = intruder.try_send("let me in");

    let e = wait_for(&server_events, K::HandshakeFailedAuth);
    assert_eq!(
        (e.value, e.cause),
        (400, Some(Cause::Unauthorized { status: 400 }))
    );
    let e = wait_for(&intruder_events, K::HandshakeFailedAuth);
    assert_eq!(
        e.value, 400,
        "the client learns the status from the ERROR command"
    );
    // Refused by the server, the client does not try again (as libzmq).
    assert!(!sees(&intruder_events, K::Connected, 500));

    let friend = plain_client(&ctx, T::Push, &ep, "secret");
    friend.send("friend").unwrap();
    assert_eq!(server.recv().unwrap().frames(), ["friend"]);
    assert!(
        server.recv_within(200).is_none(),
        "nothing from the intruder"
    );
}

#[test]
fn each_zap_status_is_reported_with_its_code_and_300_sends_no_error() {
    for status in ["300", "400", "500"] {
        let ctx = Context::new();
        let _zap = ferro_zap(&ctx, Arc::new(move |r: &ZapRequest| answer(r, status, "")));
        let (server, ep) = plain_server(&ctx, T::Rep);
        let events = server.monitor();
        let client = ferro(&ctx, T::Req);
        let client_events = client.monitor();
        client.set_plain_credentials("admin", "secret").unwrap();
        client.connect(&ep).unwrap();
        let code: u64 = status.parse().unwrap();
        assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, code);
        if status == "300" {
            // Silent: the client sees the connection close, and tries again.
            assert!(!sees(&client_events, K::HandshakeFailedAuth, 300));
            wait_for(&client_events, K::ConnectRetried);
        } else {
            assert_eq!(wait_for(&client_events, K::HandshakeFailedAuth).value, code);
        }
        drop(server);
    }
}

#[test]
fn plain_refuses_every_client_while_no_handler_is_bound() {
    let ctx = Context::new();
    let (server, ep) = plain_server(&ctx, T::Pull);
    let events = server.monitor();
    let client = plain_client(&ctx, T::Push, &ep, "secret");
    client.send("x").unwrap();
    let e = wait_for(&events, K::HandshakeFailedNoDetail);
    // libzmq's EFAULT.
    assert_eq!((e.value, e.cause), (14, Some(Cause::NoAuthenticator)));
    assert!(server.recv_within(100).is_none());
    // Once a handler is bound, the client's next attempt gets in.
    let _zap = ferro_zap(&ctx, admin_secret("400"));
    assert_eq!(server.recv().unwrap().frames(), ["x"]);
}

#[test]
fn null_asks_zap_only_with_a_domain_and_admits_without_a_handler_unless_enforced() {
    // No domain: no request, and messages carry no User-Id.
    let ctx = Context::new();
    let zap = ferro_zap(&ctx, admin_secret("200"));
    let (pull, push) = ferro_pair(&ctx, T::Pull, T::Push);
    push.send("plain old null").unwrap();
    let m = pull.recv().unwrap();
    assert_eq!(m.property("User-Id"), None);
    assert!(zap.requests().is_empty());
    drop(zap);

    // A domain: asked, with mechanism NULL and no credentials; admitted with its user id.
    let zap = ferro_zap(&ctx, admin_secret("200"));
    let pull = ferro(&ctx, T::Pull);
    pull.set_zap_domain("d").unwrap();
    let ep = ferro_bind(&pull);
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    push.send("known").unwrap();
    let m = pull.recv().unwrap();
    assert_eq!(m.property("User-Id"), Some(&b"anonymous"[..]));
    let r = &zap.requests()[0];
    assert_eq!((&r.mechanism[..], &r.domain[..]), (&b"NULL"[..], &b"d"[..]));
    assert!(r.credentials.is_empty());
    drop(zap);

    // Refused with 400.
    let zap = ferro_zap(&ctx, admin_secret("400"));
    let pull = ferro(&ctx, T::Pull);
    let events = pull.monitor();
    pull.set_zap_domain("d").unwrap();
    let ep = ferro_bind(&pull);
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    let _ = push.try_send("unknown"); // refused: the peer may be gone already
    assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, 400);
    assert!(pull.recv_within(100).is_none());
    drop(zap);

    // No handler: admitted, without a User-Id; with zap_enforce_domain, refused.
    for enforce in [false, true] {
        let pull = ferro(&ctx, T::Pull);
        let events = pull.monitor();
        pull.set_zap_domain("d").unwrap();
        pull.set_option(ferromq::SocketOption::ZapEnforceDomain, enforce)
            .unwrap();
        let ep = ferro_bind(&pull);
        let push = ferro(&ctx, T::Push);
        push.connect(&ep).unwrap();
        push.send("anyone").unwrap();
        if enforce {
            assert_eq!(wait_for(&events, K::HandshakeFailedNoDetail).value, 14);
            assert!(pull.recv_within(100).is_none());
        } else {
            assert_eq!(pull.recv().unwrap().property("User-Id"), None);
        }
    }
}

#[test]
fn a_malformed_zap_reply_is_a_protocol_failure_with_libzmqs_code() {
    type Reply = fn(&ZapRequest) -> Vec<Vec<u8>>;
    let cases: [(&str, u64, Reply); 4] = [
        ("wrong request id", 0x2000_0002, |r| {
            let mut a = answer(r, "200", "");
            a[1] = b"7".to_vec();
            a
        }),
        ("wrong version", 0x2000_0003, |r| {
            let mut a = answer(r, "200", "");
            a[0] = b"2.0".to_vec();
            a
        }),
        ("bad status", 0x2000_0004, |r| answer(r, "201", "")),
        ("too few frames", 0x2000_0001, |r| {
            answer(r, "200", "")[..4].to_vec()
        }),
    ];
    for (what, code, policy) in cases {
        let ctx = Context::new();
        let _zap = ferro_zap(&ctx, Arc::new(policy));
        let (server, ep) = plain_server(&ctx, T::Rep);
        let events = server.monitor();
        let _client = plain_client(&ctx, T::Req, &ep, "secret");
        let e = wait_for(&events, K::HandshakeFailedProtocol);
        assert_eq!(e.value, code, "{what}");
        assert!(matches!(e.cause, Some(Cause::ZapReply(_))), "{what}");
    }
}

#[test]
fn plain_mechanism_options_read_back_as_libzmq_reads_them() {
    use ferromq::{OptionValue as V, SocketOption as O};
    let ctx = Context::new();
    let s = ferro(&ctx, T::Dealer);
    assert_eq!(s.get_option(O::Mechanism).unwrap(), V::Int(0));
    s.set_plain_credentials("user", "pw").unwrap();
    assert_eq!(s.get_option(O::Mechanism).unwrap(), V::Int(1));
    assert_eq!(s.get_option(O::PlainServer).unwrap(), V::Bool(false));
    assert_eq!(
        s.get_option(O::PlainUsername).unwrap(),
        V::Bytes("user".into())
    );
    assert_eq!(
        s.get_option(O::PlainPassword).unwrap(),
        V::Bytes("pw".into())
    );
    s.set_plain_server(true).unwrap();
    assert_eq!(s.get_option(O::PlainServer).unwrap(), V::Bool(true));
    s.set_plain_server(false).unwrap();
    assert_eq!(s.get_option(O::Mechanism).unwrap(), V::Int(0));
    // Too long: refused, naming the option; nothing kept.
    let long = "x".repeat(256);
    let e = s.set_plain_credentials("user", &long).unwrap_err();
    assert!(e.to_string().contains("plain_password"), "{e}");
    assert_eq!(s.get_option(O::Mechanism).unwrap(), V::Int(0));
    assert!(s.set_zap_domain(&long).is_err());
    assert!(s.set_option(O::Mechanism, 1).is_err(), "read-only");
}

// ----- against libzmq -----

/// libzmq's monitor of `s`: a PAIR reading its events.
fn libzmq_monitor(zctx: &zmq::Context, s: &zmq::Socket, name: &str) -> zmq::Socket {
    let ep = format!("inproc://monitor-{name}");
    s.monitor(&ep, zmq::SocketEvent::ALL as i32).unwrap();
    let pair = zctx.socket(zmq::PAIR).unwrap();
    pair.set_rcvtimeo(TIMEOUT_MS).unwrap();
    pair.connect(&ep).unwrap();
    pair
}

/// The value of the first libzmq event `event`, skipping others.
fn libzmq_wait_for(monitor: &zmq::Socket, event: zmq::SocketEvent) -> u32 {
    loop {
        let frames = monitor.recv_multipart(0).expect("no libzmq event in time");
        let id = u16::from_ne_bytes([frames[0][0], frames[0][1]]);
        if id == event as u16 {
            return u32::from_ne_bytes(frames[0][2..6].try_into().unwrap());
        }
    }
}

/// Which side is the PLAIN server in an interop test.
#[derive(Clone, Copy, Debug)]
enum Server {
    Ferro,
    Libzmq,
}

/// Joins `ours` and `theirs` with PLAIN, `server` holding the ZAP handler (admin/secret)
/// and `binder` binding; `password` is the client's.
fn plain_joined(
    ctx: &Context,
    zctx: &zmq::Context,
    (ours, theirs): (T, T),
    binder: Binder,
    server: Server,
    password: &'static str,
) -> (Socket, zmq::Socket, common::zap::ZapHandler) {
    let zap = match server {
        Server::Ferro => ferro_zap(ctx, admin_secret("400")),
        Server::Libzmq => libzmq_zap(zctx, admin_secret_as("", "400")),
    };
    let (f, z) = joined(
        ctx,
        zctx,
        ours,
        theirs,
        binder,
        |s| match server {
            Server::Ferro => s.set_plain_server(true).unwrap(),
            Server::Libzmq => s.set_plain_credentials("admin", password).unwrap(),
        },
        |s| match server {
            Server::Ferro => {
                s.set_plain_username(Some("admin")).unwrap();
                s.set_plain_password(Some(password)).unwrap();
            }
            Server::Libzmq => s.set_plain_server(true).unwrap(),
        },
    );
    (f, z, zap)
}

const SERVERS: [Server; 2] = [Server::Ferro, Server::Libzmq];
const BOTH: [Binder; 2] = [Binder::Ferro, Binder::Libzmq];

/// Every pairing of the interop suite, each way round, with PLAIN on either side and either
/// side binding: the whole message matrix goes through.
#[test]
fn every_pattern_pairing_runs_over_plain_with_libzmq() {
    type Scenario = fn(&Socket, &zmq::Socket);
    let pairings: [((T, T), Scenario); 12] = [
        ((T::Req, T::Rep), |f, z| req_rep(f, z)),
        ((T::Rep, T::Req), |f, z| req_rep(z, f)),
        ((T::Dealer, T::Router), |f, z| dealer_router(f, z, None)),
        ((T::Router, T::Dealer), |f, z| dealer_router(z, f, None)),
        ((T::Req, T::Router), |f, z| req_router(f, z)),
        ((T::Router, T::Req), |f, z| req_router(z, f)),
        ((T::Dealer, T::Rep), |f, z| dealer_rep(f, z)),
        ((T::Rep, T::Dealer), |f, z| dealer_rep(z, f)),
        ((T::Push, T::Pull), |f, z| push_pull(f, z)),
        ((T::Pull, T::Push), |f, z| push_pull(z, f)),
        ((T::Pair, T::Pair), |f, z| pair_pair(f, z)),
        ((T::Pub, T::Sub), |f, z| {
            z.set_subscribe(b"a").unwrap();
            z.set_subscribe(b"b").unwrap();
            pub_sub(f, z)
        }),
    ];
    for (types, scenario) in pairings {
        for server in SERVERS {
            for binder in BOTH {
                let (ctx, zctx) = (Context::new(), zmq::Context::new());
                let (f, z, zap) = plain_joined(&ctx, &zctx, types, binder, server, "secret");
                scenario(&f, &z);
                assert_eq!(zap.requests().len(), 1, "{types:?} {server:?} {binder:?}");
            }
        }
    }
}

/// The first handshake failure of any kind, with its kind.
fn wait_for_failure(monitor: &Monitor) -> MonitorEvent {
    loop {
        let e = monitor
            .recv_timeout(WAIT)
            .expect("no handshake failure in time");
        match e.kind {
            K::HandshakeFailedNoDetail | K::HandshakeFailedProtocol | K::HandshakeFailedAuth => {
                return e
            }
            K::HandshakeSucceeded => panic!("the handshake succeeded"),
            _ => {}
        }
    }
}

#[test]
fn libzmq_and_ferromq_refuse_each_others_wrong_password() {
    for binder in BOTH {
        // ferromq the server: its monitor says 400. libzmq's client says "unexpected
        // command": libzmq spells PLAIN's ERROR as the C string "\x05ERROR", whose hex escape
        // swallows the E, and takes only that misspelling for an ERROR; ferromq sends the
        // ERROR of RFC 23. Refused either way, and libzmq does not try again.
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let _zap = ferro_zap(&ctx, admin_secret("400"));
        let server = ferro(&ctx, T::Pull);
        let events = server.monitor();
        server.set_plain_server(true).unwrap();
        let client = libzmq(&zctx, zmq::PUSH);
        let client_events = libzmq_monitor(&zctx, &client, "client");
        client.set_plain_username(Some("admin")).unwrap();
        client.set_plain_password(Some("guess")).unwrap();
        match binder {
            Binder::Ferro => client.connect(&ferro_bind(&server)).unwrap(),
            Binder::Libzmq => server.connect(&zmq_bind(&client)).unwrap(),
        }
        assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, 400);
        assert_eq!(
            libzmq_wait_for(&client_events, zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL),
            0x1000_0001
        );
        // Bound with no peer, libzmq's PUSH would block: try once, without waiting.
        let _ = client.send("refused", zmq::DONTWAIT);
        assert!(server.recv_within(200).is_none());

        // libzmq the server: both monitors say 400 (ferromq reads libzmq's misspelt ERROR
        // as the ERROR it means).
        let _zap = libzmq_zap(&zctx, admin_secret("400"));
        let server = libzmq(&zctx, zmq::PULL);
        let server_events = libzmq_monitor(&zctx, &server, "server");
        server.set_plain_server(true).unwrap();
        let client = ferro(&ctx, T::Push);
        let events = client.monitor();
        client.set_plain_credentials("admin", "guess").unwrap();
        match binder {
            Binder::Ferro => server.connect(&ferro_bind(&client)).unwrap(),
            Binder::Libzmq => client.connect(&zmq_bind(&server)).unwrap(),
        }
        assert_eq!(
            libzmq_wait_for(&server_events, zmq::SocketEvent::HANDSHAKE_FAILED_AUTH),
            400
        );
        let e = wait_for(&events, K::HandshakeFailedAuth);
        assert_eq!(
            (e.value, e.cause),
            (400, Some(Cause::Unauthorized { status: 400 }))
        );
    }
}

#[test]
fn a_plain_peer_and_a_null_peer_refuse_each_other_across_implementations() {
    // A libzmq PLAIN client against a ferromq NULL server, then a ferromq NULL client
    // against a libzmq PLAIN server: the side that reads the other's greeting first reports
    // the mismatch; the other sees the connection go.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let null = ferro(&ctx, T::Pull);
    let events = null.monitor();
    let ep = ferro_bind(&null);
    let client = libzmq(&zctx, zmq::PUSH);
    let client_events = libzmq_monitor(&zctx, &client, "plain-client");
    client.set_plain_username(Some("admin")).unwrap();
    client.set_plain_password(Some("secret")).unwrap();
    client.connect(&ep).unwrap();
    assert_eq!(
        libzmq_wait_for(&client_events, zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL),
        0x1100_0002,
        "ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH"
    );
    wait_for_failure(&events);

    let server = libzmq(&zctx, zmq::PULL);
    let server_events = libzmq_monitor(&zctx, &server, "plain-server");
    server.set_plain_server(true).unwrap();
    let ep = zmq_bind(&server);
    let client = ferro(&ctx, T::Push);
    let events = client.monitor();
    client.connect(&ep).unwrap();
    assert_eq!(
        libzmq_wait_for(&server_events, zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL),
        0x1100_0002
    );
    wait_for_failure(&events);
}

#[test]
fn nulls_zap_rules_and_plains_missing_handler_hold_against_libzmq() {
    // libzmq a NULL server with a domain: it asks its handler about a ferromq client.
    for (status, admitted) in [("200", true), ("400", false)] {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let _zap = libzmq_zap(&zctx, admin_secret_as("", status));
        let pull = libzmq(&zctx, zmq::PULL);
        let pull_events = libzmq_monitor(&zctx, &pull, "null-server");
        pull.set_zap_domain("d").unwrap();
        let ep = zmq_bind(&pull);
        let push = ferro(&ctx, T::Push);
        let events = push.monitor();
        push.connect(&ep).unwrap();
        push.send("null").unwrap();
        if admitted {
            assert_eq!(pull.recv_bytes(0).unwrap(), b"null");
        } else {
            assert_eq!(
                libzmq_wait_for(&pull_events, zmq::SocketEvent::HANDSHAKE_FAILED_AUTH),
                400
            );
            assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, 400);
        }
    }
    // ferromq the NULL server with a domain, a libzmq client: its monitor reads our ERROR.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let _zap = ferro_zap(&ctx, admin_secret("400"));
    let pull = ferro(&ctx, T::Pull);
    pull.set_zap_domain("d").unwrap();
    let ep = ferro_bind(&pull);
    let push = libzmq(&zctx, zmq::PUSH);
    let push_events = libzmq_monitor(&zctx, &push, "null-client");
    push.connect(&ep).unwrap();
    assert_eq!(
        libzmq_wait_for(&push_events, zmq::SocketEvent::HANDSHAKE_FAILED_AUTH),
        400
    );

    // PLAIN with no handler: libzmq refuses our client with EFAULT, as we refuse its.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let server = libzmq(&zctx, zmq::PULL);
    let server_events = libzmq_monitor(&zctx, &server, "plain-nohandler");
    server.set_plain_server(true).unwrap();
    let ep = zmq_bind(&server);
    let client = plain_client(&ctx, T::Push, &ep, "secret");
    client.send("x").unwrap();
    assert_eq!(
        libzmq_wait_for(&server_events, zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL),
        14
    );
    let (ours, ep) = plain_server(&ctx, T::Pull);
    let events = ours.monitor();
    let zclient = libzmq(&zctx, zmq::PUSH);
    zclient.set_plain_username(Some("admin")).unwrap();
    zclient.set_plain_password(Some("secret")).unwrap();
    zclient.connect(&ep).unwrap();
    assert_eq!(wait_for(&events, K::HandshakeFailedNoDetail).value, 14);
}
