//! TCP keepalive and kernel buffer sizes, read back from the kernel with `ss` (iproute2).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use ferromq::{Context, EventKind, SocketType as T};

/// `ss`'s line for the established connection from local port `port`, if it is listed yet.
fn ss_line(port: u16) -> Option<String> {
    let out = Command::new("ss")
        .args([
            "-tnoem",
            "--tos",
            "state",
            "established",
            &format!("( sport = :{port} )"),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).replace("\n\t", " ");
    text.lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .map(str::to_owned)
}

/// Connects a DEALER set up by `setup` to a ROUTER; returns what `ss` says of its connection.
fn connection_seen_by_ss(ctx: &Context, setup: impl FnOnce(&ferromq::Socket)) -> String {
    let router = ferro(ctx, T::Router);
    let ep = ferro_bind(&router);
    let dealer = ferro(ctx, T::Dealer);
    setup(&dealer);
    let monitor = dealer.monitor();
    dealer.connect(&ep).unwrap();
    loop {
        let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
        if e.kind == EventKind::HandshakeSucceeded {
            break;
        }
    }
    // The DEALER's side of the connection: find its local port from the ROUTER's view.
    dealer.send("hi").unwrap();
    router.recv().unwrap();
    let out = Command::new("ss")
        .args(["-tn", "state", "established"])
        .output()
        .unwrap();
    let router_port = ep.rsplit(':').next().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let local_port: u16 = text
        .lines()
        .find(|l| {
            l.split_whitespace()
                .nth(3)
                .is_some_and(|peer| peer.ends_with(&format!(":{router_port}")))
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(2)?
                .rsplit(':')
                .next()?
                .parse()
                .ok()
        })
        .expect("the DEALER's connection is listed");
    // While data is in flight ss shows the retransmit timer instead of keepalive's: read the
    // connection once it is idle (a bounded number of tries).
    for _ in 0..200 {
        let line = ss_line(local_port).expect("ss lists the connection");
        if !line.contains("timer:(on") {
            return line;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the connection never went idle");
}

#[test]
fn keepalive_and_buffer_sizes_reach_the_kernel() {
    if Command::new("ss").arg("-V").output().is_err() {
        eprintln!("skipping: `ss` (iproute2) is not installed");
        return;
    }
    let ctx = Context::new();
    let tuned = connection_seen_by_ss(&ctx, |s| {
        s.set_tcp_keepalive(1).unwrap();
        s.set_tcp_keepalive_idle(77).unwrap();
        s.set_tcp_keepalive_intvl(5).unwrap();
        s.set_tcp_keepalive_cnt(3).unwrap();
        s.set_rcvbuf(100_000).unwrap();
        s.set_sndbuf(150_000).unwrap();
    });
    assert!(
        tuned.contains("timer:(keepalive,1m"),
        "keepalive idle 77 s: {tuned}"
    );
    // Linux doubles the sizes it is given.
    assert!(tuned.contains("rb200000"), "rcvbuf: {tuned}");
    assert!(tuned.contains("tb300000"), "sndbuf: {tuned}");
    let plain = connection_seen_by_ss(&ctx, |_| {});
    assert!(!plain.contains("keepalive"), "{plain}");
    assert!(!plain.contains("rb200000"), "{plain}");
}

#[test]
fn tos_reaches_both_ends_and_backlog_the_listener() {
    if Command::new("ss").arg("-V").output().is_err() {
        eprintln!("skipping: `ss` (iproute2) is not installed");
        return;
    }
    let ctx = Context::new();
    let marked = connection_seen_by_ss(&ctx, |s| s.set_tos(0x28).unwrap());
    assert!(marked.contains("tos:0x28"), "dealer's tos: {marked}");
    let plain = connection_seen_by_ss(&ctx, |_| {});
    assert!(!plain.contains("tos:0x28"), "{plain}");

    // A listener queues `backlog` connections: ss shows it as the LISTEN socket's Send-Q.
    let router = ferro(&ctx, T::Router);
    router.set_backlog(7).unwrap();
    router.set_tos(0x10).unwrap();
    let ep = ferro_bind(&router);
    let port = ep.rsplit(':').next().unwrap();
    let out = Command::new("ss")
        .args(["-ltn", &format!("( sport = :{port} )")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let listen = text.lines().nth(1).expect("ss lists the listener");
    assert_eq!(listen.split_whitespace().nth(2), Some("7"), "{listen}");
    let ipc = ferro(&ctx, T::Pull);
    ipc.set_backlog(9).unwrap();
    let ipc_ep = ferro_bind_over(&ipc, Transport::Ipc);
    let path = ipc_ep.trim_start_matches("ipc://");
    let out = Command::new("ss")
        .args(["-xl", "src", path])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let listen = text.lines().nth(1).expect("ss lists the ipc listener");
    assert_eq!(listen.split_whitespace().nth(3), Some("9"), "{listen}");

    // The accepted side of a connection carries the ROUTER's tos.
    let dealer = ferro(&ctx, T::Dealer);
    dealer.connect(&ep).unwrap();
    dealer.send("hi").unwrap();
    router.recv().unwrap();
    let out = Command::new("ss")
        .args([
            "-tn",
            "--tos",
            "state",
            "established",
            &format!("( sport = :{port} )"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tos:0x10"),
        "router's accepted connection: {text}"
    );
}

#[test]
fn tcp_option_ranges() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Dealer);
    assert_eq!(
        (
            s.tcp_keepalive(),
            s.tcp_keepalive_idle(),
            s.sndbuf(),
            s.rcvbuf()
        ),
        (-1, -1, -1, -1)
    );
    assert!(s.set_tcp_keepalive(2).is_err());
    assert!(s.set_tcp_keepalive_cnt(-2).is_err());
    assert!(s.set_sndbuf(-2).is_err());
    assert_eq!((s.backlog(), s.tos()), (100, 0));
    assert!(s.set_backlog(-1).is_err());
    assert!(matches!(
        s.set_tos(256),
        Err(ferromq::Error::InvalidOption { option: "tos", .. })
    ));
}
