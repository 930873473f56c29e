//! Every implemented socket type against libzmq (the `zmq` crate, libzmq 4.3.4 built from
//! source) over tcp, in both directions: ferromq binds and libzmq connects, and the reverse.

mod common;

use common::*;
use ferromq::{Context, SocketType as T};

const BOTH: [Binder; 2] = [Binder::Ferro, Binder::Libzmq];

fn contexts() -> (Context, zmq::Context) {
    (Context::new(), zmq::Context::new())
}

#[test]
fn ferro_req_to_libzmq_rep() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (req, rep) = joined(&ctx, &zctx, T::Req, T::Rep, b, |_| {}, |_| {});
        req_rep(&req, &rep);
    }
}

#[test]
fn libzmq_req_to_ferro_rep() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (rep, req) = joined(&ctx, &zctx, T::Rep, T::Req, b, |_| {}, |_| {});
        req_rep(&req, &rep);
    }
}

#[test]
fn ferro_dealer_to_libzmq_router() {
    for b in BOTH {
        for identity in [None, Some(&b"ferro-dealer"[..])] {
            let (ctx, zctx) = contexts();
            let (dealer, router) = joined(
                &ctx,
                &zctx,
                T::Dealer,
                T::Router,
                b,
                |s| {
                    if let Some(id) = identity {
                        s.set_routing_id(id).unwrap()
                    }
                },
                |_| {},
            );
            dealer_router(&dealer, &router, identity);
        }
    }
}

#[test]
fn libzmq_dealer_to_ferro_router() {
    for b in BOTH {
        for identity in [None, Some(&b"zmq-dealer"[..])] {
            let (ctx, zctx) = contexts();
            let (router, dealer) = joined(
                &ctx,
                &zctx,
                T::Router,
                T::Dealer,
                b,
                |_| {},
                |s| {
                    if let Some(id) = identity {
                        s.set_identity(id).unwrap()
                    }
                },
            );
            dealer_router(&dealer, &router, identity);
        }
    }
}

#[test]
fn ferro_req_through_libzmq_router() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (req, router) = joined(&ctx, &zctx, T::Req, T::Router, b, |_| {}, |_| {});
        req_router(&req, &router);
    }
}

#[test]
fn libzmq_req_through_ferro_router() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (router, req) = joined(&ctx, &zctx, T::Router, T::Req, b, |_| {}, |_| {});
        req_router(&req, &router);
    }
}

#[test]
fn libzmq_dealer_to_ferro_rep() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (rep, dealer) = joined(&ctx, &zctx, T::Rep, T::Dealer, b, |_| {}, |_| {});
        dealer_rep(&dealer, &rep);
    }
}

#[test]
fn ferro_dealer_to_libzmq_rep() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (dealer, rep) = joined(&ctx, &zctx, T::Dealer, T::Rep, b, |_| {}, |_| {});
        dealer_rep(&dealer, &rep);
    }
}

#[test]
fn ferro_push_to_libzmq_pull() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (push, pull) = joined(&ctx, &zctx, T::Push, T::Pull, b, |_| {}, |_| {});
        push_pull(&push, &pull);
    }
}

#[test]
fn libzmq_push_to_ferro_pull() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (pull, push) = joined(&ctx, &zctx, T::Pull, T::Push, b, |_| {}, |_| {});
        push_pull(&push, &pull);
    }
}

#[test]
fn ferro_pair_with_libzmq_pair() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (ours, theirs) = joined(&ctx, &zctx, T::Pair, T::Pair, b, |_| {}, |_| {});
        pair_pair(&ours, &theirs);
        pair_pair(&theirs, &ours);
    }
}

#[test]
fn ferro_dealer_with_libzmq_dealer() {
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (ours, theirs) = joined(&ctx, &zctx, T::Dealer, T::Dealer, b, |_| {}, |_| {});
        pair_pair(&ours, &theirs);
    }
}

#[test]
fn router_to_router_with_identities_both_ways() {
    // ROUTER-ROUTER needs both routing ids known up front; the connecting side learns the
    // binder's id from its handshake, so it speaks first.
    for b in BOTH {
        let (ctx, zctx) = contexts();
        let (ours, theirs) = joined(
            &ctx,
            &zctx,
            T::Router,
            T::Router,
            b,
            |s| s.set_routing_id("ferro").unwrap(),
            |s| s.set_identity(b"zmq").unwrap(),
        );
        match b {
            Binder::Ferro => router_router(&theirs, b"zmq", &ours, b"ferro"),
            Binder::Libzmq => router_router(&ours, b"ferro", &theirs, b"zmq"),
        }
    }
}

#[test]
fn messages_carry_a_libzmq_peers_properties_when_asked() {
    let (ctx, zctx) = contexts();
    let router = ctx.socket(T::Router).unwrap();
    router.set_message_properties(true);
    router.set_rcvtimeo(5000).unwrap();
    router.bind("tcp://127.0.0.1:*").unwrap();
    let plain = ctx.socket(T::Pull).unwrap();
    plain.set_rcvtimeo(5000).unwrap();
    plain
        .bind("ipc:///tmp/ferromq-properties-test.ipc")
        .unwrap();

    let dealer = zctx.socket(zmq::DEALER).unwrap();
    dealer.set_identity(b"zmq-dealer").unwrap();
    dealer.connect(&router.last_endpoint().unwrap()).unwrap();
    dealer.send("hi", 0).unwrap();
    let msg = router.recv().unwrap();
    assert_eq!(msg[1], "hi");
    assert_eq!(msg.property("Socket-Type"), Some(&b"DEALER"[..]));
    assert_eq!(msg.property("Identity"), Some(&b"zmq-dealer"[..]));
    assert_eq!(msg.property("Peer-Address"), Some(&b"127.0.0.1"[..]));
    assert_eq!(
        msg.property("socket-type"),
        None,
        "names match exactly, as in libzmq"
    );

    // Not asked for: nothing carried.
    let push = zctx.socket(zmq::PUSH).unwrap();
    push.connect("ipc:///tmp/ferromq-properties-test.ipc")
        .unwrap();
    push.send("job", 0).unwrap();
    let msg = plain.recv().unwrap();
    assert_eq!(msg[0], "job");
    assert!(msg.properties().is_none());
}
