//! Socket monitor events, as `zmq_socket_monitor` reports them.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use ferromq::{Context, Error, EventKind as K, Monitor, MonitorEvent, SocketType as T};

const WAIT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

/// Receives events until one of `kind` (others are skipped), within the test timeout.
fn wait_for(monitor: &Monitor, kind: K) -> MonitorEvent {
    loop {
        let e = monitor
            .recv_timeout(WAIT)
            .unwrap_or_else(|err| panic!("no {kind:?} event: {err}"));
        if e.kind == kind {
            return e;
        }
    }
}

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
