//! The interop matrix, ferromq against ferromq over tcp, ipc and inproc.

mod common;

use common::*;
use ferromq::{Context, SocketType as T};

#[test]
fn req_rep_both_ways() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (rep, req) = ferro_pair_over(t, &ctx, T::Rep, T::Req);
        req_rep(&req, &rep);
        let (req, rep) = ferro_pair_over(t, &ctx, T::Req, T::Rep);
        req_rep(&req, &rep);
    }
}

#[test]
fn dealer_router_with_and_without_identity() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (router, dealer) = ferro_pair_over(t, &ctx, T::Router, T::Dealer);
        dealer_router(&dealer, &router, None);
        let router = ferro(&ctx, T::Router);
        let dealer = ferro(&ctx, T::Dealer);
        dealer.set_routing_id("d1").unwrap();
        dealer.connect(&ferro_bind_over(&router, t)).unwrap();
        dealer_router(&dealer, &router, Some(b"d1"));
    }
}

#[test]
fn req_router_and_dealer_rep() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (router, req) = ferro_pair_over(t, &ctx, T::Router, T::Req);
        req_router(&req, &router);
        let (rep, dealer) = ferro_pair_over(t, &ctx, T::Rep, T::Dealer);
        dealer_rep(&dealer, &rep);
    }
}

#[test]
fn push_pull_both_ways() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (pull, push) = ferro_pair_over(t, &ctx, T::Pull, T::Push);
        push_pull(&push, &pull);
        let (push, pull) = ferro_pair_over(t, &ctx, T::Push, T::Pull);
        push_pull(&push, &pull);
    }
}

#[test]
fn pair_and_dealer_dealer() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (a, b) = ferro_pair_over(t, &ctx, T::Pair, T::Pair);
        pair_pair(&a, &b);
        let (a, b) = ferro_pair_over(t, &ctx, T::Dealer, T::Dealer);
        pair_pair(&a, &b);
    }
}

#[test]
fn router_router() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let binder = ferro(&ctx, T::Router);
        binder.set_routing_id("binder").unwrap();
        let connecter = ferro(&ctx, T::Router);
        connecter.set_routing_id("connecter").unwrap();
        connecter.connect(&ferro_bind_over(&binder, t)).unwrap();
        common::router_router(&connecter, b"connecter", &binder, b"binder");
    }
}

#[test]
fn pub_sub_and_xpub_xsub() {
    for t in TRANSPORTS {
        let ctx = Context::new();
        let (publisher, subscriber) = ferro_pair_over(t, &ctx, T::Pub, T::Sub);
        subscriber.subscribe("a").unwrap();
        subscriber.subscribe("b").unwrap();
        pub_sub(&publisher, &subscriber);

        let (xpub, xsub) = ferro_pair_over(t, &ctx, T::Xpub, T::Xsub);
        xsub.send(&b"\x01a"[..]).unwrap();
        xsub.send(&b"\x01b"[..]).unwrap();
        assert_eq!(xpub.recv().unwrap().frames(), [&b"\x01a"[..]]);
        assert_eq!(xpub.recv().unwrap().frames(), [&b"\x01b"[..]]);
        pub_sub(&xpub, &xsub);
        // Data an XSUB sends upstream reaches the XPUB application; so does a cancel.
        xsub.send("upstream").unwrap();
        assert_eq!(xpub.recv().unwrap()[0], "upstream");
        xsub.send(&b"\x00a"[..]).unwrap();
        assert_eq!(xpub.recv().unwrap().frames(), [&b"\x00a"[..]]);
    }
}
