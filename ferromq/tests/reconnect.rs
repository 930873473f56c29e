//! Peers that die and come back on the same address: reconnection, resubscription, queued
//! messages, and the backoff of reconnect_ivl_max (read from monitor events).

mod common;

use std::time::Duration;

use common::*;
use ferromq::{Context, EventKind, SocketType as T};

/// Probes a publisher until the subscriber hears it (its subscription has arrived).
fn until_heard(publisher: &zmq::Socket, subscriber: &ferromq::Socket) {
    let heard = (0..200).find_map(|_| {
        publisher.send("news probe", 0).unwrap();
        subscriber.recv_within(50)
    });
    assert!(heard.is_some(), "the subscriber never heard the publisher");
}

#[test]
fn sub_resubscribes_to_a_restarted_libzmq_publisher() {
    let ctx = Context::new();
    let sub = ferro(&ctx, T::Sub);
    sub.set_reconnect_ivl(20).unwrap();
    sub.subscribe("news").unwrap();
    // The first publisher has a context of its own: terminating it waits until libzmq has
    // really closed the socket (libzmq closes asynchronously), freeing the address.
    let first_ctx = zmq::Context::new();
    let first = libzmq(&first_ctx, zmq::PUB);
    // ipc: a freed tcp port may go to a test running beside this one.
    let ep = zmq_bind_over(&first, Transport::Ipc);
    sub.connect(&ep).unwrap();
    until_heard(&first, &sub);
    drop(first); // the publisher dies...
    drop(first_ctx);
    let zctx = zmq::Context::new();
    let second = libzmq(&zctx, zmq::PUB);
    second.bind(&ep).unwrap(); // ...and another takes its address
    until_heard(&second, &sub); // only possible if the SUB subscribed again
    second.send("other topic", 0).unwrap();
    second.send("news end", 0).unwrap();
    loop {
        let m = sub.recv().unwrap();
        assert!(
            m[0].starts_with(b"news"),
            "filtering holds after reconnecting"
        );
        if m[0] == "news end" {
            break;
        }
    }
}

#[test]
fn queued_messages_reach_the_replacement_peer() {
    let ctx = Context::new();
    let push = ferro(&ctx, T::Push);
    push.set_reconnect_ivl(20).unwrap();
    let monitor = push.monitor();
    let first = ferro(&ctx, T::Pull);
    // ipc, not tcp: a freed tcp port can be handed to a test running beside this one, and the
    // PUSH would deliver its queue there.
    let ep = ferro_bind_over(&first, Transport::Ipc);
    push.connect(&ep).unwrap();
    push.send("to the first").unwrap();
    assert_eq!(first.recv().unwrap()[0], "to the first");
    drop(first);
    // Wait until the PUSH knows its peer is gone, then queue while nobody listens.
    loop {
        let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
        if e.kind == EventKind::Disconnected {
            break;
        }
    }
    for i in 0..100 {
        push.send(format!("queued {i}")).unwrap();
    }
    let second = ferro(&ctx, T::Pull);
    second.bind(&ep).unwrap();
    for i in 0..100 {
        assert_eq!(second.recv().unwrap()[0], format!("queued {i}").as_bytes());
    }
}

#[test]
fn reconnect_backoff_doubles_up_to_the_maximum() {
    let ctx = Context::new();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", free.local_addr().unwrap());
    drop(free);
    let dealer = ferro(&ctx, T::Dealer);
    dealer.set_reconnect_ivl(10).unwrap();
    dealer.set_reconnect_ivl_max(80).unwrap();
    let monitor = dealer.monitor();
    dealer.connect(&ep).unwrap();
    let mut waits = Vec::new();
    while waits.len() < 6 {
        let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
        if e.kind == EventKind::ConnectRetried {
            waits.push(e.value);
        }
    }
    assert_eq!(waits, [10, 20, 40, 80, 80, 80]);

    // Without a maximum the interval stays fixed (libzmq's default).
    let steady = ferro(&ctx, T::Dealer);
    steady.set_reconnect_ivl(10).unwrap();
    let monitor = steady.monitor();
    steady.connect(&ep).unwrap();
    let mut waits = Vec::new();
    while waits.len() < 3 {
        let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
        if e.kind == EventKind::ConnectRetried {
            waits.push(e.value);
        }
    }
    assert_eq!(waits, [10, 10, 10]);
}
