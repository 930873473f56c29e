//! `conflate`: only the newest message is kept, in and out.

mod common;

use common::*;
use ferromq::{Context, Error, SocketType as T};

#[test]
fn outbound_keeps_only_the_newest_while_the_peer_is_away() {
    let ctx = Context::new();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", free.local_addr().unwrap());
    drop(free);
    let push = ferro(&ctx, T::Push);
    push.set_conflate(true).unwrap();
    push.connect(&ep).unwrap();
    for i in 1..=100 {
        push.try_send(format!("state {i}")).unwrap(); // never would-block
    }
    let zctx = zmq::Context::new();
    let pull = libzmq(&zctx, zmq::PULL);
    pull.bind(&ep).unwrap();
    assert_eq!(pull.recv_bytes(0).unwrap(), b"state 100");
    pull.set_rcvtimeo(200).unwrap();
    assert!(matches!(pull.recv_bytes(0), Err(zmq::Error::EAGAIN)));
}

#[test]
fn inbound_keeps_only_the_newest() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (pull, push) = joined(
        &ctx,
        &zctx,
        T::Pull,
        T::Push,
        Binder::Ferro,
        |s| s.set_conflate(true).unwrap(),
        |_| {},
    );
    for i in 0..1000 {
        push.send(format!("state {i}").as_bytes(), 0).unwrap();
    }
    push.send("latest", 0).unwrap();
    let mut reads = 0;
    loop {
        let m = pull.recv().unwrap();
        reads += 1;
        if m[0] == "latest" {
            break;
        }
    }
    // Batches of updates collapse to their newest: far fewer reads than messages sent.
    assert!(
        reads < 500,
        "{reads} reads for 1001 messages: nothing was conflated"
    );
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn conflate_is_refused_where_it_means_nothing() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Router);
    match s.set_conflate(true) {
        Err(Error::InvalidOption { option, .. }) => assert_eq!(option, "conflate"),
        other => panic!("{other:?}"),
    }
}
