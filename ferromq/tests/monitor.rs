//! Socket monitor events, as `zmq_socket_monitor` reports them.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use ferromq::{Context, Error, EventKind as K, MonitorEvent, SocketType as T};

const WAIT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

#[test]
fn bind_side_lifecycle_with_a_libzmq_peer() {
    let ctx = Context::new();
    let rep = ferro(&ctx, T::Rep);
    let monitor = rep.monitor();
    let ep = ferro_bind(&rep);
    let listening = monitor.recv_timeout(WAIT).unwrap();
    assert_eq!((listening.kind, &listening.endpoint), (K::Listening, &ep));
    assert!(listening.value > 0, "a file descriptor");
    assert_eq!(K::Listening.number(), 0x0008);

    let zctx = zmq::Context::new();
    let req = libzmq(&zctx, zmq::REQ);
    req.connect(&ep).unwrap();
    let accepted = monitor.recv_timeout(WAIT).unwrap();
    assert_eq!((accepted.kind, &accepted.endpoint), (K::Accepted, &ep));
    assert_eq!(
        monitor.recv_timeout(WAIT).unwrap().kind,
        K::HandshakeSucceeded
    );
    req.send("hi", 0).unwrap();
    assert_eq!(rep.recv().unwrap()[0], "hi");

    drop(req);
    let gone = monitor.recv_timeout(WAIT).unwrap();
    assert_eq!((gone.kind, gone.value), (K::Disconnected, accepted.value));
    assert_eq!(gone.cause, Some(ferromq::Cause::PeerClosed));
    rep.unbind(&ep).unwrap();
    assert_eq!(monitor.recv_timeout(WAIT).unwrap().kind, K::Closed);
    drop(rep);
    assert_eq!(monitor.recv_timeout(WAIT).unwrap().kind, K::MonitorStopped);
    assert!(matches!(monitor.recv(), Err(Error::Closed)));
}

#[test]
fn connect_side_retries_until_a_peer_appears() {
    let ctx = Context::new();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", free.local_addr().unwrap());
    drop(free);
    let dealer = ferro(&ctx, T::Dealer);
    dealer.set_reconnect_ivl(50).unwrap();
    let monitor = dealer.monitor();
    dealer.connect(&ep).unwrap();
    assert_eq!(monitor.recv_timeout(WAIT).unwrap().kind, K::ConnectDelayed);
    let retried = wait_for(&monitor, K::ConnectRetried);
    assert_eq!((retried.value, &retried.endpoint), (50, &ep));
    // A peer appears: the next attempt connects and the handshake succeeds.
    let router = ferro(&ctx, T::Router);
    router.bind(&ep).unwrap();
    let connected = wait_for(&monitor, K::Connected);
    assert!(connected.value > 0);
    wait_for(&monitor, K::HandshakeSucceeded);
}

#[test]
fn handshake_failures_say_why() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let monitor = pull.monitor();
    let ep = ferro_bind(&pull);
    let addr = ep.trim_start_matches("tcp://").to_owned();
    let mut http = TcpStream::connect(&addr).unwrap();
    http.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let failed = wait_for(&monitor, K::HandshakeFailedProtocol);
    assert!(failed.reason.unwrap().contains("signature"));
    // A peer that leaves mid-greeting gives no protocol reason.
    let mut quitter = TcpStream::connect(&addr).unwrap();
    quitter.write_all(&[0xFF, 0, 0]).unwrap();
    drop(quitter);
    wait_for(&monitor, K::HandshakeFailedNoDetail);
}

/// A raw ZMTP 3.1 peer's greeting and READY, with these properties.
fn greeting_and_ready(properties: &[(&str, &str)]) -> Vec<u8> {
    let mut bytes = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1];
    let mut mechanism = [0u8; 20];
    mechanism[..4].copy_from_slice(b"NULL");
    bytes.extend_from_slice(&mechanism);
    bytes.extend_from_slice(&[0u8; 32]);
    let mut ready = vec![5];
    ready.extend_from_slice(b"READY");
    for (name, value) in properties {
        ready.push(name.len() as u8);
        ready.extend_from_slice(name.as_bytes());
        ready.extend_from_slice(&(value.len() as u32).to_be_bytes());
        ready.extend_from_slice(value.as_bytes());
    }
    bytes.extend_from_slice(&[0x04, ready.len() as u8]);
    bytes.extend_from_slice(&ready);
    bytes
}

/// The first HANDSHAKE_FAILED_PROTOCOL value libzmq's monitor reports on a PULL bound at a
/// fresh endpoint when a raw peer sends `bytes`.
fn libzmq_protocol_failure(bytes: &[u8]) -> u32 {
    let zctx = zmq::Context::new();
    let pull = libzmq(&zctx, zmq::PULL);
    let ep = zmq_bind(&pull);
    pull.monitor(
        "inproc://monitor-cause",
        zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL as i32,
    )
    .unwrap();
    let events = libzmq(&zctx, zmq::PAIR);
    events.connect("inproc://monitor-cause").unwrap();
    let mut raw = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    raw.write_all(bytes).unwrap();
    let event = events.recv_multipart(0).unwrap();
    assert_eq!(
        u16::from_ne_bytes([event[0][0], event[0][1]]),
        zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL as u16
    );
    u32::from_ne_bytes(event[0][2..6].try_into().unwrap())
}

/// What a ferromq PULL's monitor reports when a raw peer sends `bytes`.
fn ferromq_protocol_failure(bytes: &[u8]) -> MonitorEvent {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let monitor = pull.monitor();
    let ep = ferro_bind(&pull);
    let mut raw = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    raw.write_all(bytes).unwrap();
    wait_for(&monitor, K::HandshakeFailedProtocol)
}

#[test]
fn a_failed_handshake_reports_libzmqs_zmtp_error_number_and_the_cause() {
    use ferromq_zmtp::Error as Zmtp;
    // A PING where READY belongs: both libraries report UNEXPECTED_COMMAND.
    let mut ping_first = greeting_and_ready(&[]);
    ping_first.truncate(64);
    ping_first.extend_from_slice(&[0x04, 7, 4, b'P', b'I', b'N', b'G', 0, 0]);
    let failed = ferromq_protocol_failure(&ping_first);
    let code = u64::from(zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    assert_eq!(failed.value, code);
    assert_eq!(u64::from(libzmq_protocol_failure(&ping_first)), code);
    assert!(matches!(
        failed.cause,
        Some(ferromq::Cause::Protocol(Zmtp::UnexpectedCommand { ref command, .. })) if command == "PING"
    ));

    // Metadata that ferromq refuses (libzmq drops such a peer with no handshake event):
    // INVALID_METADATA, with the fault as the cause.
    let wrong_type = greeting_and_ready(&[("Socket-Type", "PULL")]);
    for (bytes, cause) in [
        (greeting_and_ready(&[]), Zmtp::MissingSocketType),
        (
            wrong_type,
            Zmtp::IncompatiblePeer {
                ours: T::Pull,
                theirs: T::Pull,
            },
        ),
    ] {
        let failed = ferromq_protocol_failure(&bytes);
        let code = u64::from(zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
        assert_eq!(failed.value, code, "{cause}");
        assert_eq!(failed.cause, Some(ferromq::Cause::Protocol(cause)));
    }
}

#[test]
fn a_connection_closed_for_a_bad_frame_says_so() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let monitor = pull.monitor();
    let ep = ferro_bind(&pull);
    let mut raw = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let mut bytes = greeting_and_ready(&[("Socket-Type", "PUSH")]);
    bytes.extend_from_slice(&[0x00, 0x02, b'o', b'k', 0xf8, 0x00]);
    raw.write_all(&bytes).unwrap();
    let accepted = wait_for(&monitor, K::Accepted);
    assert_eq!(
        pull.recv().unwrap()[0],
        "ok",
        "what came before the fault is delivered"
    );
    let gone = wait_for(&monitor, K::Disconnected);
    assert_eq!(gone.value, accepted.value, "libzmq's value: the descriptor");
    assert_eq!(
        gone.cause,
        Some(ferromq::Cause::Protocol(
            ferromq_zmtp::Error::ReservedFlags { flags: 0xf8 }
        ))
    );
}

#[test]
fn bind_failures_are_reported() {
    let ctx = Context::new();
    let a = ferro(&ctx, T::Pull);
    let ep = ferro_bind(&a);
    let b = ferro(&ctx, T::Pull);
    let monitor = b.monitor();
    assert!(b.bind(&ep).is_err());
    let failed = monitor.try_recv().unwrap();
    assert_eq!((failed.kind, &failed.endpoint), (K::BindFailed, &ep));
    assert!(failed.reason.unwrap().contains("address in use"));
    assert!(matches!(monitor.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn events_can_be_awaited() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let monitor = pull.monitor();
    futures::executor::block_on(within_deadline(async {
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let e = monitor.recv_async().await.unwrap();
        assert_eq!(e.kind, K::Listening);
    }));
}
