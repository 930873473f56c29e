//! Every socket type against libzmq over ipc (Unix domain sockets), both bind directions.

mod common;

use common::*;
use ferromq::{Context, SocketType as T};

const BOTH: [Binder; 2] = [Binder::Ferro, Binder::Libzmq];

fn over_ipc(
    ours: T,
    theirs: T,
    b: Binder,
) -> (Context, zmq::Context, ferromq::Socket, zmq::Socket) {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (f, z) = joined_over(Transport::Ipc, &ctx, &zctx, ours, theirs, b, |_| {}, |_| {});
    (ctx, zctx, f, z)
}

#[test]
fn req_rep_over_ipc() {
    for b in BOTH {
        let (_c, _z, req, rep) = over_ipc(T::Req, T::Rep, b);
        req_rep(&req, &rep);
        let (_c, _z, rep, req) = over_ipc(T::Rep, T::Req, b);
        req_rep(&req, &rep);
    }
}

#[test]
fn dealer_router_over_ipc() {
    for b in BOTH {
        let (_c, _z, dealer, router) = over_ipc(T::Dealer, T::Router, b);
        dealer_router(&dealer, &router, None);
        let (_c, _z, router, dealer) = over_ipc(T::Router, T::Dealer, b);
        dealer_router(&dealer, &router, None);
        let (_c, _z, req, router) = over_ipc(T::Req, T::Router, b);
        req_router(&req, &router);
        let (_c, _z, rep, dealer) = over_ipc(T::Rep, T::Dealer, b);
        dealer_rep(&dealer, &rep);
    }
}

#[test]
fn push_pull_and_pair_over_ipc() {
    for b in BOTH {
        let (_c, _z, push, pull) = over_ipc(T::Push, T::Pull, b);
        push_pull(&push, &pull);
        let (_c, _z, pull, push) = over_ipc(T::Pull, T::Push, b);
        push_pull(&push, &pull);
        let (_c, _z, ours, theirs) = over_ipc(T::Pair, T::Pair, b);
        pair_pair(&ours, &theirs);
    }
}

#[test]
fn pub_sub_over_ipc() {
    for b in BOTH {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (publisher, subscriber) = joined_over(
            Transport::Ipc,
            &ctx,
            &zctx,
            T::Pub,
            T::Sub,
            b,
            |_| {},
            |s| {
                s.set_subscribe(b"a").unwrap();
                s.set_subscribe(b"b").unwrap();
            },
        );
        pub_sub(&publisher, &subscriber);
        let (subscriber, publisher) = joined_over(
            Transport::Ipc,
            &ctx,
            &zctx,
            T::Sub,
            T::Pub,
            b,
            |s| {
                s.subscribe("a").unwrap();
                s.subscribe("b").unwrap();
            },
            |_| {},
        );
        pub_sub(&publisher, &subscriber);
        // XSUB (ours) with a libzmq XPUB-compatible PUB, and XPUB (ours) with libzmq's XSUB.
        let (xsub, publisher) = joined_over(
            Transport::Ipc,
            &ctx,
            &zctx,
            T::Xsub,
            T::Pub,
            b,
            |_| {},
            |_| {},
        );
        xsub.send(&b"\x01a"[..]).unwrap();
        xsub.send(&b"\x01b"[..]).unwrap();
        pub_sub(&publisher, &xsub);
        let (xpub, zsub) = joined_over(
            Transport::Ipc,
            &ctx,
            &zctx,
            T::Xpub,
            T::Sub,
            b,
            |_| {},
            |s| {
                s.set_subscribe(b"a").unwrap();
                s.set_subscribe(b"b").unwrap();
            },
        );
        pub_sub(&xpub, &zsub);
    }
}

#[test]
fn ferro_to_ferro_over_ipc_and_abstract_names() {
    let ctx = Context::new();
    let rep = ferro(&ctx, T::Rep);
    let ep = ferro_bind_over(&rep, Transport::Ipc);
    let req = ferro(&ctx, T::Req);
    req.connect(&ep).unwrap();
    req_rep(&req, &rep);
    if cfg!(target_os = "linux") {
        let name = format!("ipc://@ferromq-test-{}", std::process::id());
        let pull = ferro(&ctx, T::Pull);
        pull.bind(&name).unwrap();
        assert_eq!(pull.last_endpoint().unwrap(), name);
        // libzmq connects to the abstract name too.
        let zctx = zmq::Context::new();
        let zpush = libzmq(&zctx, zmq::PUSH);
        zpush.connect(&name).unwrap();
        zpush.send("abstract", 0).unwrap();
        assert_eq!(pull.recv().unwrap()[0], "abstract");
    }
}
