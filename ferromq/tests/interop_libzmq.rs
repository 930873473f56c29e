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
