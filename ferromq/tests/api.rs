//! Socket behaviour from the public API: pattern states, options, endpoints, timeouts,
//! endpoints coming and going, async use and cancel safety.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Error, Message, SocketType as T};
use futures::FutureExt;

fn wrong_state(e: Error) -> (T, &'static str) {
    match e {
        Error::WrongState {
            socket_type,
            operation,
            ..
        } => (socket_type, operation),
        other => panic!("expected WrongState, got {other:?}"),
    }
}

#[test]
fn req_and_rep_enforce_alternation() {
    let ctx = Context::new();
    let (rep, req) = ferro_pair(&ctx, T::Rep, T::Req);
    assert_eq!(wrong_state(req.recv().unwrap_err()), (T::Req, "receive"));
    assert_eq!(wrong_state(rep.send("x").unwrap_err()), (T::Rep, "send"));
    req.send("one").unwrap();
    let e = req.send("two").unwrap_err();
    assert!(e.to_string().contains("REQ socket cannot send"), "{e}");
    assert_eq!(wrong_state(e), (T::Req, "send"));
    assert_eq!(rep.recv().unwrap()[0], "one");
    assert_eq!(wrong_state(rep.recv().unwrap_err()), (T::Rep, "receive"));
    rep.send("ONE").unwrap();
    assert_eq!(req.recv().unwrap()[0], "ONE");
    // Alternation restored on both sides.
    req.send("three").unwrap();
    assert_eq!(rep.recv().unwrap()[0], "three");
}

#[test]
fn option_defaults_are_libzmqs() {
    let ctx = Context::new();
    let s = ctx.socket(T::Dealer).unwrap();
    assert_eq!(s.sndhwm(), 1000);
    assert_eq!(s.rcvhwm(), 1000);
    assert_eq!(s.linger(), -1);
    assert_eq!(s.rcvtimeo(), -1);
    assert_eq!(s.sndtimeo(), -1);
    assert_eq!(s.maxmsgsize(), -1);
    assert_eq!(s.reconnect_ivl(), 100);
    assert_eq!(s.reconnect_ivl_max(), 0);
    assert_eq!(s.handshake_ivl(), 30_000);
    assert!(!s.immediate() && !s.ipv6());
    assert!(s.routing_id().is_empty());
    assert_eq!(s.socket_type(), T::Dealer);
    assert_eq!(s.last_endpoint(), None);
    s.set_linger(0).unwrap();
}

#[test]
fn bad_option_values_name_the_option() {
    let ctx = Context::new();
    let s = ctx.socket(T::Dealer).unwrap();
    s.set_linger(0).unwrap();
    let name = |r: ferromq::Result<()>| match r {
        Err(Error::InvalidOption { option, .. }) => option,
        other => panic!("expected InvalidOption, got {other:?}"),
    };
    assert_eq!(name(s.set_sndhwm(-1)), "sndhwm");
    assert_eq!(name(s.set_rcvhwm(-5)), "rcvhwm");
    assert_eq!(name(s.set_linger(-2)), "linger");
    assert_eq!(name(s.set_rcvtimeo(-2)), "rcvtimeo");
    assert_eq!(name(s.set_maxmsgsize(-2)), "maxmsgsize");
    assert_eq!(name(s.set_routing_id([1u8; 256])), "routing_id");
    assert_eq!(name(s.set_routing_id([0u8, 1])), "routing_id");
    assert_eq!(name(s.set_router_mandatory(true)), "router_mandatory");
    assert_eq!(name(s.set_req_relaxed(true)), "req_relaxed");
    assert_eq!(name(s.subscribe("x")), "subscribe");
    assert_eq!(name(s.unsubscribe("x")), "unsubscribe");
    assert_eq!(name(s.set_xpub_verbose(true)), "xpub_verbose");
    let e = s.set_router_handover(true).unwrap_err().to_string();
    assert!(
        e.contains("router_handover") && e.contains("only ROUTER"),
        "{e}"
    );
    // Values in range are kept.
    s.set_sndhwm(0).unwrap();
    s.set_rcvhwm(7).unwrap();
    s.set_routing_id("me").unwrap();
    assert_eq!(
        (s.sndhwm(), s.rcvhwm(), &s.routing_id()[..]),
        (0, 7, &b"me"[..])
    );
}

#[test]
fn bad_endpoints_are_named_with_their_fault() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Pull);
    let e = s.bind("tcpp://127.0.0.1:5555").unwrap_err().to_string();
    assert!(
        e.contains("tcpp://127.0.0.1:5555") && e.contains("unknown transport"),
        "{e}"
    );
    let e = s.connect("tcp://127.0.0.1").unwrap_err().to_string();
    assert!(e.contains("missing port"), "{e}");
    let e = s.connect("tcp://no host:1").unwrap_err().to_string();
    assert!(e.contains("neither an IP address nor a host name"), "{e}");
    assert!(matches!(
        s.unbind("tcp://127.0.0.1:1"),
        Err(Error::UnknownEndpoint { .. })
    ));
    assert!(matches!(
        s.disconnect("tcp://127.0.0.1:1"),
        Err(Error::UnknownEndpoint { .. })
    ));
}

#[test]
fn address_in_use_names_the_endpoint() {
    let ctx = Context::new();
    let a = ferro(&ctx, T::Pull);
    let ep = ferro_bind(&a);
    let b = ferro(&ctx, T::Pull);
    match b.bind(&ep) {
        Err(Error::AddrInUse { endpoint }) => assert_eq!(endpoint, ep),
        other => panic!("expected AddrInUse, got {other:?}"),
    }
    // libzmq holding the port is refused the same way.
    let zctx = zmq::Context::new();
    let z = libzmq(&zctx, zmq::PULL);
    let zep = zmq_bind(&z);
    let e = b.bind(&zep).unwrap_err().to_string();
    assert!(e.starts_with("address in use") && e.contains(&zep), "{e}");
}

#[test]
fn tcp_endpoint_forms() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    // `*` binds every IPv4 interface; a host name connects.
    let pull = ferro(&ctx, T::Pull);
    pull.bind("tcp://*:*").unwrap();
    let ep = pull.last_endpoint().unwrap();
    assert!(ep.starts_with("tcp://0.0.0.0:"), "{ep}");
    let port = ep.rsplit(':').next().unwrap();
    let push = ferro(&ctx, T::Push);
    push.connect(&format!("tcp://localhost:{port}")).unwrap();
    push.send("by name").unwrap();
    assert_eq!(pull.recv().unwrap()[0], "by name");
    let zpush = libzmq(&zctx, zmq::PUSH);
    zpush.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    zpush.send("from libzmq", 0).unwrap();
    assert_eq!(pull.recv().unwrap()[0], "from libzmq");

    // IPv6 loopback both ways with libzmq, where the machine has it.
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping the IPv6 part: this machine has no ::1");
        return;
    }
    let pull6 = ferro(&ctx, T::Pull);
    pull6.bind("tcp://[::1]:*").unwrap();
    let ep6 = pull6.last_endpoint().unwrap();
    assert!(ep6.starts_with("tcp://[::1]:"), "{ep6}");
    let zpush6 = libzmq(&zctx, zmq::PUSH);
    zpush6.set_ipv6(true).unwrap();
    zpush6.connect(&ep6).unwrap();
    zpush6.send("v6 in", 0).unwrap();
    assert_eq!(pull6.recv().unwrap()[0], "v6 in");
    let zpull6 = libzmq(&zctx, zmq::PULL);
    zpull6.set_ipv6(true).unwrap();
    zpull6.bind("tcp://[::1]:*").unwrap();
    let push6 = ferro(&ctx, T::Push);
    push6
        .connect(&zpull6.get_last_endpoint().unwrap().unwrap())
        .unwrap();
    push6.send("v6 out").unwrap();
    assert_eq!(zpull6.recv_bytes(0).unwrap(), b"v6 out");
}

#[test]
fn ipc_paths_errors_and_cleanup() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Pull);
    // Too long for a Unix socket, and in a directory that does not exist: named, with why.
    let long = format!("ipc:///tmp/{}", "x".repeat(120));
    let e = s.bind(&long).unwrap_err().to_string();
    assert!(e.contains(&long) && e.contains("too long"), "{e}");
    let e = s.connect(&long).unwrap_err().to_string();
    assert!(e.contains("too long"), "{e}");
    let missing = "ipc:///nonexistent-ferromq-dir/x.sock";
    let e = s.bind(missing).unwrap_err().to_string();
    assert!(
        e.contains(missing) && e.contains("directory does not exist"),
        "{e}"
    );
    assert!(s
        .bind("ipc://*")
        .unwrap_err()
        .to_string()
        .contains("wildcard"));

    // A socket file left behind by an earlier run is taken over, as libzmq does.
    let ep = bind_endpoint(Transport::Ipc);
    let path = ep.trim_start_matches("ipc://").to_owned();
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap()); // leaves the file
    assert!(std::path::Path::new(&path).exists());
    s.bind(&ep).unwrap();
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    push.send("over ipc").unwrap();
    assert_eq!(s.recv().unwrap()[0], "over ipc");
    // A second bind on a live path is refused; unbind removes the file.
    let other = ferro(&ctx, T::Pull);
    assert!(matches!(other.bind(&ep), Err(Error::AddrInUse { .. })));
    s.unbind(&ep).unwrap();
    assert!(
        !std::path::Path::new(&path).exists(),
        "unbind removes the socket file"
    );

    // A regular file at the path is never deleted: the bind fails instead.
    let file = bind_endpoint(Transport::Ipc);
    let file_path = file.trim_start_matches("ipc://").to_owned();
    std::fs::write(&file_path, b"precious").unwrap();
    assert!(other.bind(&file).is_err());
    assert_eq!(std::fs::read(&file_path).unwrap(), b"precious");
    std::fs::remove_file(&file_path).unwrap();
}

#[test]
fn several_io_threads() {
    assert!(matches!(
        Context::with_io_threads(0),
        Err(Error::InvalidOption {
            option: "io_threads",
            ..
        })
    ));
    let ctx = Context::with_io_threads(3).unwrap();
    // Sockets land on different I/O threads and still talk.
    let (rep, req) = ferro_pair(&ctx, T::Rep, T::Req);
    let (pull, push) = ferro_pair(&ctx, T::Pull, T::Push);
    for i in 0..50 {
        req.send(format!("{i}")).unwrap();
        rep.send(rep.recv().unwrap()).unwrap();
        assert_eq!(req.recv().unwrap()[0], format!("{i}").as_bytes());
        push.send(format!("{i}")).unwrap();
        assert_eq!(pull.recv().unwrap()[0], format!("{i}").as_bytes());
    }
}

#[test]
fn timeouts_and_non_blocking_calls() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
    pull.set_rcvtimeo(0).unwrap();
    assert!(matches!(pull.recv(), Err(Error::WouldBlock)));
    pull.set_rcvtimeo(50).unwrap();
    let start = Instant::now();
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
    assert!(start.elapsed() >= Duration::from_millis(50));

    // PUSH with no peer blocks; non-blocking and timed sends say so.
    let push = ferro(&ctx, T::Push);
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    push.set_sndtimeo(30).unwrap();
    assert!(matches!(push.send("x"), Err(Error::TimedOut)));
    // Sending is refused on receive-only types and the reverse.
    assert!(matches!(pull.send("x"), Err(Error::NotSupported { .. })));
    assert!(matches!(push.recv(), Err(Error::NotSupported { .. })));
    assert!(matches!(
        push.send(Message::new()),
        Err(Error::InvalidMessage(_))
    ));
}

/// A free tcp port on loopback (bound then released; nothing else here binds ports by number).
fn free_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", l.local_addr().unwrap())
}

#[test]
fn connect_before_bind_queues_until_the_peer_appears() {
    let ctx = Context::new();
    let ep = free_endpoint();
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    for i in 0..100 {
        push.send(format!("m{i}")).unwrap(); // queued: the peer exists before its connection
    }
    let pull = ferro(&ctx, T::Pull);
    pull.bind(&ep).unwrap();
    for i in 0..100 {
        assert_eq!(pull.recv().unwrap()[0], format!("m{i}").as_bytes());
    }

    // The same with libzmq binding late.
    let ep = free_endpoint();
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    push.send("early").unwrap();
    let zctx = zmq::Context::new();
    let zpull = libzmq(&zctx, zmq::PULL);
    zpull.bind(&ep).unwrap();
    assert_eq!(zpull.recv_bytes(0).unwrap(), b"early");
}

#[test]
fn several_binds_and_connects_on_one_socket() {
    let ctx = Context::new();
    // One PULL bound twice, fed by a PUSH on each endpoint.
    let pull = ferro(&ctx, T::Pull);
    let ep1 = ferro_bind(&pull);
    let ep2 = ferro_bind(&pull);
    assert_ne!(ep1, ep2);
    let (p1, p2) = (ferro(&ctx, T::Push), ferro(&ctx, T::Push));
    p1.connect(&ep1).unwrap();
    p2.connect(&ep2).unwrap();
    p1.send("via 1").unwrap();
    p2.send("via 2").unwrap();
    let mut got = [pull.recv().unwrap(), pull.recv().unwrap()];
    got.sort_by(|a, b| a[0].cmp(&b[0]));
    assert_eq!(
        (&got[0][0][..], &got[1][0][..]),
        (&b"via 1"[..], &b"via 2"[..])
    );

    // One DEALER connected to two REPs: requests are load-balanced in turn.
    let dealer = ferro(&ctx, T::Dealer);
    let reps = [ferro(&ctx, T::Rep), ferro(&ctx, T::Rep)];
    for r in &reps {
        dealer.connect(&ferro_bind(r)).unwrap();
    }
    for i in 0..4 {
        dealer.send(["", &format!("req{i}")]).unwrap();
    }
    for (n, rep) in reps.iter().enumerate() {
        for k in 0..2 {
            let got = rep.recv().unwrap();
            assert_eq!(got[0], format!("req{}", n + 2 * k).as_bytes());
            rep.send("ok").unwrap();
        }
    }
}

#[test]
fn req_load_balances_over_its_peers() {
    let ctx = Context::new();
    let req = ferro(&ctx, T::Req);
    let reps = [ferro(&ctx, T::Rep), ferro(&ctx, T::Rep)];
    for r in &reps {
        req.connect(&ferro_bind(r)).unwrap();
    }
    // Connected-to peers exist from connect on, so requests alternate from the first.
    for i in 0..6 {
        req.send(format!("{i}")).unwrap();
        let rep = &reps[i % 2];
        assert_eq!(rep.recv().unwrap()[0], format!("{i}").as_bytes());
        rep.send("ok").unwrap();
        assert_eq!(req.recv().unwrap()[0], "ok");
    }
}

#[test]
fn sub_with_the_empty_subscription_gets_everything() {
    let ctx = Context::new();
    let (publisher, subscriber) = ferro_pair(&ctx, T::Pub, T::Sub);
    subscriber.subscribe("").unwrap();
    let joined = (0..200).find_map(|_| {
        publisher.send("probe").unwrap();
        subscriber.recv_within(50)
    });
    assert!(joined.is_some());
    for topic in ["", "x", "anything at all", "\0binary"] {
        publisher.send([topic, "body"]).unwrap();
    }
    publisher.send("end").unwrap();
    let mut got = Vec::new();
    loop {
        let m = subscriber.recv().unwrap();
        if m[0] == "end" {
            break;
        }
        if m[0] != "probe" {
            got.push(m[0].clone());
        }
    }
    assert_eq!(got, ["", "x", "anything at all", "\0binary"]);
}

#[test]
fn pair_refuses_a_second_peer() {
    let ctx = Context::new();
    let (a, b) = ferro_pair(&ctx, T::Pair, T::Pair);
    b.send("first").unwrap();
    assert_eq!(a.recv().unwrap()[0], "first");
    let intruder = ferro(&ctx, T::Pair);
    intruder.connect(&a.last_endpoint().unwrap()).unwrap();
    intruder.send("intruding").unwrap(); // queued; its connection is refused
    a.send("to my peer").unwrap();
    assert_eq!(b.recv().unwrap()[0], "to my peer");
    a.set_rcvtimeo(200).unwrap();
    assert!(matches!(a.recv(), Err(Error::TimedOut)));
}

#[test]
fn unbind_and_disconnect() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let ep = ferro_bind(&pull);
    let push = ferro(&ctx, T::Push);
    push.connect(&ep).unwrap();
    push.send("before").unwrap();
    assert_eq!(pull.recv().unwrap()[0], "before");
    pull.unbind(&ep).unwrap();
    // The port is free again: another socket can bind it.
    let other = ferro(&ctx, T::Pull);
    other.bind(&ep).unwrap();
    // ... and the PUSH, reconnecting, reaches the new binder. What it writes before it
    // notices the old connection closed is lost (as with libzmq), so it repeats itself.
    let reached = (0..100).find_map(|_| {
        push.send("after").unwrap();
        other.recv_within(100)
    });
    assert_eq!(
        reached.expect("PUSH never reached the new binder"),
        [b"after"]
    );

    // disconnect: a DEALER connected to two REPs sends only to the one left.
    let dealer = ferro(&ctx, T::Dealer);
    let (r1, r2) = (ferro(&ctx, T::Rep), ferro(&ctx, T::Rep));
    let (e1, e2) = (ferro_bind(&r1), ferro_bind(&r2));
    dealer.connect(&e1).unwrap();
    dealer.connect(&e2).unwrap();
    dealer.disconnect(&e1).unwrap();
    for i in 0..3 {
        dealer.send(["", &format!("{i}")]).unwrap();
        assert_eq!(r2.recv().unwrap()[0], format!("{i}").as_bytes());
        r2.send("ok").unwrap();
    }
    r1.set_rcvtimeo(100).unwrap();
    assert!(matches!(r1.recv(), Err(Error::TimedOut)));
}

#[test]
fn router_mandatory_names_the_unknown_identity() {
    let ctx = Context::new();
    let router = ferro(&ctx, T::Router);
    router.bind("tcp://127.0.0.1:*").unwrap();
    // Without router_mandatory an unroutable message is dropped silently.
    router.send(["nobody", "x"]).unwrap();
    router.set_router_mandatory(true).unwrap();
    match router.send(["nobody", "x"]) {
        Err(Error::HostUnreachable { routing_id }) => assert_eq!(routing_id, "nobody"),
        other => panic!("expected HostUnreachable, got {other:?}"),
    }
    let e = router.send(["nobody", "x"]).unwrap_err().to_string();
    assert!(e.contains("nobody"), "{e}");
}

/// A ROUTER whose first DEALER, "worker", has been heard from, and a second DEALER that
/// claims the same routing id and has sent "from second".
fn two_workers_named_alike(
    ctx: &Context,
    handover: bool,
) -> (ferromq::Socket, ferromq::Socket, ferromq::Socket) {
    let router = ferro(ctx, T::Router);
    router.set_router_handover(handover).unwrap();
    let ep = ferro_bind(&router);
    let dealer = || {
        let d = ferro(ctx, T::Dealer);
        d.set_routing_id("worker").unwrap();
        d.connect(&ep).unwrap();
        d
    };
    let first = dealer();
    first.send("from first").unwrap();
    assert_eq!(router.recv().unwrap().frames(), ["worker", "from first"]);
    let second = dealer();
    second.send("from second").unwrap();
    (router, first, second)
}

#[test]
fn router_handover_gives_the_id_to_the_newcomer() {
    let ctx = Context::new();
    let (router, _first, second) = two_workers_named_alike(&ctx, true);
    assert_eq!(router.recv().unwrap().frames(), ["worker", "from second"]);
    router.send(["worker", "to the newcomer"]).unwrap();
    assert_eq!(second.recv().unwrap()[0], "to the newcomer");
}

#[test]
fn router_without_handover_keeps_the_first_peer() {
    let ctx = Context::new();
    // The second DEALER is refused at the handshake: "from second" is never routed.
    let (router, first, _second) = two_workers_named_alike(&ctx, false);
    router.send(["worker", "still yours"]).unwrap();
    assert_eq!(first.recv().unwrap()[0], "still yours");
    router.set_rcvtimeo(200).unwrap();
    assert!(matches!(router.recv(), Err(Error::TimedOut)));
}

#[test]
fn req_relaxed_and_correlate_against_libzmq_router() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    for binder in [Binder::Ferro, Binder::Libzmq] {
        let (req, router) = joined(
            &ctx,
            &zctx,
            T::Req,
            T::Router,
            binder,
            |s| {
                s.set_req_relaxed(true).unwrap();
                s.set_req_correlate(true).unwrap();
            },
            |_| {},
        );
        req.send("first").unwrap();
        let r1 = router.recv_multipart(0).unwrap();
        req.send("second").unwrap(); // allowed: relaxed
        let r2 = router.recv_multipart(0).unwrap();
        // [identity, request id (4 bytes), "", body]
        assert_eq!(r1.len(), 4);
        assert_eq!(
            (r1[1].len(), &r1[2][..], &r1[3][..]),
            (4, &b""[..], &b"first"[..])
        );
        assert_ne!(r1[1], r2[1], "each request carries its own id");
        // The stale reply to "first" is discarded; the reply to "second" is delivered.
        let reply = |r: &[Vec<u8>], body: &[u8]| {
            vec![r[0].clone(), r[1].clone(), Vec::new(), body.to_vec()]
        };
        router.send_multipart(reply(&r1, b"stale"), 0).unwrap();
        router.send_multipart(reply(&r2, b"fresh"), 0).unwrap();
        assert_eq!(req.recv().unwrap()[0], "fresh");
    }
}

#[test]
fn queued_messages_are_delivered_after_close_with_default_linger() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    let ep = ferro_bind(&pull);
    let push = ctx.socket(T::Push).unwrap(); // linger -1: deliver everything
    push.connect(&ep).unwrap();
    for i in 0..1000 {
        push.send(format!("{i}")).unwrap();
    }
    drop(push);
    for i in 0..1000 {
        assert_eq!(pull.recv().unwrap()[0], format!("{i}").as_bytes());
    }
}

#[test]
fn socket_is_send_and_sync_and_works_from_two_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ferromq::Socket>();
    assert_send_sync::<Context>();

    let ctx = Context::new();
    let (router, dealer) = ferro_pair(&ctx, T::Router, T::Dealer);
    let dealer = Arc::new(dealer);
    // An echo service on the ROUTER side.
    let echo = std::thread::spawn(move || {
        for _ in 0..1000 {
            let m = router.recv().unwrap();
            router.send(m).unwrap();
        }
        router // handed back: with linger 0, closing now could drop the last echoes
    });
    let sender = {
        let dealer = dealer.clone();
        std::thread::spawn(move || {
            for i in 0..1000u32 {
                dealer.send(i.to_be_bytes().to_vec()).unwrap();
            }
        })
    };
    // Receive on this thread while the other sends on the same socket.
    for i in 0..1000u32 {
        assert_eq!(dealer.recv().unwrap()[0], i.to_be_bytes()[..]);
    }
    sender.join().unwrap();
    drop(echo.join().unwrap());
}

#[test]
fn async_under_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctx = Context::new();
        let (rep, req) = ferro_pair(&ctx, T::Rep, T::Req);
        let server = tokio::spawn(async move {
            for _ in 0..100 {
                let m = rep.recv_async().await.unwrap();
                rep.send_async(m).await.unwrap();
            }
            rep // handed back: with linger 0, closing now could drop the last reply
        });
        for i in 0..100 {
            req.send_async(format!("{i}")).await.unwrap();
            let r = tokio::time::timeout(Duration::from_secs(10), req.recv_async())
                .await
                .expect("reply within 10 s")
                .unwrap();
            assert_eq!(r[0], format!("{i}").as_bytes());
        }
        drop(server.await.unwrap());
    });
}

#[test]
fn async_under_futures_executor_with_libzmq_peer() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let (pull, zpush) = joined(&ctx, &zctx, T::Pull, T::Push, Binder::Ferro, |_| {}, |_| {});
    for i in 0..100 {
        zpush.send(format!("{i}").as_bytes(), 0).unwrap(); // queued by libzmq
    }
    futures::executor::block_on(within_deadline(async {
        for i in 0..100 {
            assert_eq!(
                pull.recv_async().await.unwrap()[0],
                format!("{i}").as_bytes()
            );
        }
    }));
    // zpush stays open until everything arrived: with linger 0 libzmq would drop the rest.
    drop(zpush);
}

#[test]
fn async_under_smol_with_two_tasks_on_one_socket() {
    let ctx = Context::new();
    let (router, dealer) = ferro_pair(&ctx, T::Router, T::Dealer);
    let dealer = Arc::new(dealer);
    smol::block_on(within_deadline(async {
        let echo = smol::spawn(async move {
            for _ in 0..200 {
                let m = router.recv_async().await.unwrap();
                router.send_async(m).await.unwrap();
            }
            router
        });
        // One task sends while another receives on the same DEALER.
        let sender = {
            let dealer = dealer.clone();
            smol::spawn(async move {
                for i in 0..200u32 {
                    dealer.send_async(i.to_be_bytes().to_vec()).await.unwrap();
                }
            })
        };
        for i in 0..200u32 {
            assert_eq!(dealer.recv_async().await.unwrap()[0], i.to_be_bytes()[..]);
        }
        sender.await;
        drop(echo.await);
    }));
}

#[test]
fn frame_by_frame_receive_with_rcvmore() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let (pull, push) = joined(&ctx, &zctx, T::Pull, T::Push, Binder::Ferro, |_| {}, |_| {});
    push.send_multipart(["a", "b", "c"], 0).unwrap();
    push.send_multipart(["x", "y"], 0).unwrap();
    push.send("z", 0).unwrap();
    assert!(!pull.rcvmore());
    let mut frames = Vec::new();
    loop {
        frames.push(pull.recv_frame().unwrap());
        if !pull.rcvmore() {
            break;
        }
    }
    assert_eq!(frames, ["a", "b", "c"]);
    // One frame, then the whole-message receive returns the rest.
    assert_eq!(pull.recv_frame().unwrap(), "x");
    assert!(pull.rcvmore());
    assert_eq!(pull.recv().unwrap().frames(), ["y"]);
    assert!(!pull.rcvmore());
    assert_eq!(pull.recv_frame().unwrap(), "z");
    assert!(!pull.rcvmore());
}

#[test]
fn dropping_a_pending_recv_loses_no_message() {
    let ctx = Context::new();
    let (pull, push) = ferro_pair(&ctx, T::Pull, T::Push);
    for i in 0..50 {
        // Start a receive, poll it once while nothing is there, and drop it.
        let mut pending = Box::pin(pull.recv_async());
        assert!((&mut pending).now_or_never().is_none());
        drop(pending);
        push.send(format!("{i}")).unwrap();
        // The message is still there for the next receive.
        let got = futures::executor::block_on(within_deadline(pull.recv_async())).unwrap();
        assert_eq!(got[0], format!("{i}").as_bytes());
    }
}

#[test]
fn dropping_a_pending_send_sends_nothing() {
    let ctx = Context::new();
    let push = ferro(&ctx, T::Push);
    // No peer yet (immediate: no queueing for unconnected peers), so the send must wait.
    push.set_immediate(true).unwrap();
    let pull = ferro(&ctx, T::Pull);
    let ep = ferro_bind(&pull);
    push.connect(&ep).unwrap();
    // Drop a send that may be pending before the connection is up...
    let mut pending = Box::pin(push.send_async(["never", "sent"]));
    let first_poll = (&mut pending).now_or_never();
    drop(pending);
    // ...then send a marker: the only messages that can arrive are whole ones.
    futures::executor::block_on(within_deadline(push.send_async("marker"))).unwrap();
    let mut got = pull.recv().unwrap();
    if first_poll.is_some() {
        // The connection was already up: the whole message went, before the marker.
        assert_eq!(got.frames(), ["never", "sent"]);
        got = pull.recv().unwrap();
    }
    assert_eq!(got.frames(), ["marker"]);
}
