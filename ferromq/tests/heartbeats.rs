//! ZMTP heartbeats end to end: PINGs answered for libzmq, silent peers dropped and reconnected.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::*;
use ferromq::{Context, SocketType as T};
use ferromq_zmtp::{Config, Connection};

/// Greeting and READY of a well-behaved peer of type `t`.
fn handshake_bytes(t: ferromq_zmtp::SocketType) -> Vec<u8> {
    let mut out = BytesMut::new();
    Connection::new(Config::new(t)).poll_transmit(&mut out);
    out.to_vec()
}

/// Reads until the other side closes; fails after `TIMEOUT_MS`. Returns what it sent.
fn read_until_closed(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(TIMEOUT_MS as u64)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_silent_peer_is_pinged_then_dropped() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    pull.set_heartbeat_ivl(50).unwrap();
    pull.set_heartbeat_timeout(200).unwrap();
    pull.set_heartbeat_ttl(1000).unwrap();
    let ep = ferro_bind(&pull);
    let mut s = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    s.write_all(&handshake_bytes(ferromq_zmtp::SocketType::Push))
        .unwrap();
    // Never answer: the PINGs (TTL 10 tenths) go unanswered, and the connection is closed.
    let start = Instant::now();
    let got = read_until_closed(&mut s);
    assert!(contains(&got, b"\x04PING\x00\x0a"), "no PING with TTL 1 s");
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn a_connection_dropped_by_heartbeat_is_made_again() {
    let ctx = Context::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let dealer = ferro(&ctx, T::Dealer);
    dealer.set_heartbeat_ivl(50).unwrap();
    dealer.set_heartbeat_timeout(200).unwrap();
    dealer.connect(&ep).unwrap();
    // First connection: handshake as a ROUTER, then go quiet.
    let (mut first, _) = listener.accept().unwrap();
    first
        .write_all(&handshake_bytes(ferromq_zmtp::SocketType::Router))
        .unwrap();
    read_until_closed(&mut first);
    // The DEALER reconnects by itself.
    listener.set_nonblocking(false).unwrap();
    let (second, _) = listener.accept().unwrap();
    drop(second);
}

/// Watches a libzmq socket for DISCONNECTED events.
fn disconnects(zctx: &zmq::Context, z: &zmq::Socket, name: &str) -> zmq::Socket {
    let ep = format!("inproc://monitor-{name}");
    z.monitor(&ep, zmq::SocketEvent::DISCONNECTED as i32)
        .unwrap();
    let m = zctx.socket(zmq::PAIR).unwrap();
    m.connect(&ep).unwrap();
    m
}

/// A ferromq REP with a libzmq REQ that PINGs every 50 ms and disconnects when a PONG is
/// 200 ms late, after one request and its reply; with a monitor of the REQ's disconnections.
fn rep_and_pinging_req(
    ctx: &Context,
    zctx: &zmq::Context,
    name: &str,
) -> (ferromq::Socket, zmq::Socket, zmq::Socket) {
    let (rep, req) = joined(
        ctx,
        zctx,
        T::Rep,
        T::Req,
        Binder::Ferro,
        |_| {},
        |z| {
            z.set_heartbeat_ivl(50).unwrap();
            z.set_heartbeat_timeout(200).unwrap();
        },
    );
    let monitor = disconnects(zctx, &req, name);
    req.send("hello", 0).unwrap();
    assert_eq!(rep.recv().unwrap()[0], "hello");
    (rep, req, monitor)
}

#[test]
fn pings_are_answered_while_a_receiver_sleeps_on_the_connection() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (rep, req, monitor) = rep_and_pinging_req(&ctx, &zctx, "asleep");
    rep.send("hi").unwrap();
    assert_eq!(req.recv_bytes(0).unwrap(), b"hi");
    // 1.5 s in a blocking receive, which reads and sleeps on the connection itself (the
    // socket's only peer), through 50 ms PINGs: one unanswered for 200 ms and libzmq would
    // disconnect.
    rep.set_rcvtimeo(1500).unwrap();
    assert!(matches!(rep.recv(), Err(ferromq::Error::TimedOut)));
    monitor.set_rcvtimeo(50).unwrap();
    match monitor.recv_multipart(0) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("libzmq disconnected: {other:?}"),
    }
    rep.set_rcvtimeo(TIMEOUT_MS).unwrap();
    req.send("again", 0).unwrap();
    assert_eq!(rep.recv().unwrap()[0], "again");
}

#[test]
fn libzmq_heartbeats_are_answered() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (rep, req, monitor) = rep_and_pinging_req(&ctx, &zctx, "answered");
    // Two seconds of 50 ms PINGs: were one unanswered for 200 ms, libzmq would disconnect.
    monitor.set_rcvtimeo(2000).unwrap();
    match monitor.recv_multipart(0) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("libzmq disconnected: {other:?}"),
    }
    rep.send("still here").unwrap();
    assert_eq!(req.recv_bytes(0).unwrap(), b"still here");
}

#[test]
fn our_heartbeats_keep_a_libzmq_connection() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (dealer, router) = joined(
        &ctx,
        &zctx,
        T::Dealer,
        T::Router,
        Binder::Libzmq,
        |s| {
            s.set_heartbeat_ivl(50).unwrap();
            s.set_heartbeat_timeout(200).unwrap();
        },
        |_| {},
    );
    let monitor = disconnects(&zctx, &router, "ours");
    dealer.send("hello").unwrap();
    let m = router.recv_multipart(0).unwrap();
    monitor.set_rcvtimeo(1500).unwrap();
    match monitor.recv_multipart(0) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("the connection was dropped: {other:?}"),
    }
    router.send_multipart([&m[0][..], b"back"], 0).unwrap();
    assert_eq!(dealer.recv().unwrap()[0], "back");
}

#[test]
fn heartbeat_options() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Dealer);
    assert_eq!(
        (s.heartbeat_ivl(), s.heartbeat_timeout(), s.heartbeat_ttl()),
        (0, -1, 0)
    );
    s.set_heartbeat_ttl(1234).unwrap();
    assert_eq!(
        s.heartbeat_ttl(),
        1200,
        "kept in tenths of a second, as libzmq does"
    );
    assert!(s.set_heartbeat_ttl(6_553_600).is_err());
    assert!(s.set_heartbeat_timeout(-1).is_err());
    assert!(s.set_heartbeat_ivl(-1).is_err());
}
