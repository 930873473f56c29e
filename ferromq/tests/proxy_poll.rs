//! `poll` over many sockets, `select!` over async receives, and the proxy (plain and
//! steerable) joining libzmq and ferromq peers.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Events, ProxyStats, Socket, SocketType as T};

#[test]
fn poll_reports_what_is_ready_and_waits_for_it() {
    let ctx = Context::new();
    let a = ferro(&ctx, T::Pull);
    a.bind("inproc://poll-a").unwrap();
    let b = ferro(&ctx, T::Pull);
    let b_ep = ferro_bind(&b);
    let push_b = ferro(&ctx, T::Push);

    // Nothing ready: a zero timeout only looks, a short one waits that long.
    let mut items = [a.as_poll_item(Events::IN), b.as_poll_item(Events::IN)];
    assert_eq!(ferromq::poll(&mut items, 0).unwrap(), 0);
    let start = Instant::now();
    assert_eq!(ferromq::poll(&mut items, 50).unwrap(), 0);
    assert!(start.elapsed() >= Duration::from_millis(50));

    // A PUSH without a peer cannot send; once connected (over tcp) it can.
    let mut out = [push_b.as_poll_item(Events::OUT)];
    assert_eq!(ferromq::poll(&mut out, 0).unwrap(), 0);
    push_b.connect(&b_ep).unwrap();
    assert_eq!(ferromq::poll(&mut out, 10_000).unwrap(), 1);
    assert!(out[0].is_writable());

    // A message sent from another thread wakes an unbounded poll.
    std::thread::scope(|s| {
        s.spawn(|| push_b.send("wake").unwrap());
        let mut items = [a.as_poll_item(Events::IN), b.as_poll_item(Events::IN)];
        assert_eq!(ferromq::poll(&mut items, -1).unwrap(), 1);
        assert!(!items[0].is_readable());
        assert!(items[1].is_readable());
        assert_eq!(items[1].revents(), Events::IN);
    });
    // The message found by the poll is the next one received.
    assert_eq!(b.recv().unwrap()[0], "wake");
    let mut items = [b.as_poll_item(Events::IN | Events::OUT)];
    assert_eq!(
        ferromq::poll(&mut items, 0).unwrap(),
        0,
        "a PULL never sends"
    );
}

#[test]
fn poll_follows_each_pattern() {
    let ctx = Context::new();
    // REP: writable only while a request awaits its reply.
    let (rep, req) = ferro_pair(&ctx, T::Rep, T::Req);
    assert!(!rep.events().unwrap().contains(Events::OUT));
    req.send("q").unwrap();
    let mut items = [rep.as_poll_item(Events::IN)];
    assert_eq!(ferromq::poll(&mut items, 10_000).unwrap(), 1);
    assert_eq!(rep.recv().unwrap()[0], "q");
    assert_eq!(rep.events().unwrap(), Events::OUT);
    // REQ: not writable while it waits for the reply.
    assert!(!req.events().unwrap().contains(Events::OUT));
    rep.send("r").unwrap();
    assert_eq!(req.recv().unwrap()[0], "r");
    assert!(req.events().unwrap().contains(Events::OUT));

    // SUB: a message that its filter drops does not make it readable.
    let (publisher, sub) = ferro_pair(&ctx, T::Pub, T::Sub);
    sub.subscribe("yes").unwrap();
    let mut items = [sub.as_poll_item(Events::IN)];
    until(Duration::from_secs(10), || {
        publisher.send("yes, joined").unwrap();
        ferromq::poll(&mut items, 20).unwrap() == 1
    });
    while sub.try_recv().is_ok() {}
    publisher.send("no").unwrap();
    assert_eq!(ferromq::poll(&mut items, 100).unwrap(), 0);
    publisher.send("yes").unwrap();
    assert_eq!(ferromq::poll(&mut items, 10_000).unwrap(), 1);
    assert_eq!(sub.recv().unwrap()[0], "yes");
}

#[test]
fn select_over_async_receives_loses_nothing() {
    let ctx = Context::new();
    let a = ferro(&ctx, T::Pull);
    let a_ep = ferro_bind(&a);
    let b = ferro(&ctx, T::Pull);
    b.bind("inproc://select-b").unwrap();
    let zctx = zmq::Context::new();
    let za = libzmq(&zctx, zmq::PUSH);
    za.connect(&a_ep).unwrap();
    let fb = ferro(&ctx, T::Push);
    fb.connect("inproc://select-b").unwrap();
    const N: u32 = 2000;
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..N {
                za.send(&i.to_be_bytes()[..], 0).unwrap();
            }
        });
        s.spawn(|| {
            for i in 0..N {
                fb.send(ferromq::Bytes::copy_from_slice(&i.to_be_bytes()))
                    .unwrap();
            }
        });
        let (mut next_a, mut next_b) = (0u32, 0u32);
        futures::executor::block_on(async {
            use futures::FutureExt;
            while next_a < N || next_b < N {
                // Each turn drops the receive that lost the race: it must not lose a message.
                futures::select! {
                    m = a.recv_async().fuse() => {
                        assert_eq!(m.unwrap()[0], next_a.to_be_bytes()[..]);
                        next_a += 1;
                    }
                    m = b.recv_async().fuse() => {
                        assert_eq!(m.unwrap()[0], next_b.to_be_bytes()[..]);
                        next_b += 1;
                    }
                }
            }
        });
        assert_eq!((next_a, next_b), (N, N));
    });
}

/// Runs a steerable proxy in a thread; returns its control socket (a PAIR) and the handle.
fn spawn_proxy<'s>(
    s: &'s std::thread::Scope<'s, '_>,
    ctx: &Context,
    frontend: &'s Socket,
    backend: &'s Socket,
    capture: Option<&'s Socket>,
    name: &str,
) -> (Socket, std::thread::ScopedJoinHandle<'s, ProxyStats>) {
    let control_end = ferro(ctx, T::Pair);
    control_end.bind(&format!("inproc://{name}")).unwrap();
    let control = ferro(ctx, T::Pair);
    control.connect(&format!("inproc://{name}")).unwrap();
    let handle = s.spawn(move || {
        ferromq::proxy_steerable(frontend, backend, capture, Some(&control_end)).unwrap()
    });
    (control, handle)
}

#[test]
fn a_router_dealer_broker_serves_libzmq_clients_with_ferromq_workers() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let frontend = ferro(&ctx, T::Router);
    let fe = ferro_bind(&frontend);
    let backend = ferro(&ctx, T::Dealer);
    backend.bind("inproc://broker-workers").unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let (control, proxy) = spawn_proxy(s, &ctx, &frontend, &backend, None, "broker-ctl");
        // Two workers, each answering with its name.
        for i in 0..2 {
            let w = ferro(&ctx, T::Rep);
            w.set_rcvtimeo(50).unwrap();
            w.connect("inproc://broker-workers").unwrap();
            let stop = &stop;
            s.spawn(move || loop {
                match w.recv() {
                    Ok(req) => w
                        .send(vec![format!("worker {i}").into_bytes(), req[0].to_vec()])
                        .unwrap(),
                    Err(_) if stop.load(std::sync::atomic::Ordering::Relaxed) => break,
                    Err(_) => {}
                }
            });
        }
        // Three libzmq clients, 20 requests each.
        let mut served_by = HashSet::new();
        let mut requests = 0u64;
        for c in 0..3 {
            let client = libzmq(&zctx, zmq::REQ);
            client.connect(&fe).unwrap();
            for r in 0..20 {
                let body = format!("client {c} request {r}");
                client.send(body.as_bytes(), 0).unwrap();
                let reply = client.recv_multipart(0).unwrap();
                assert_eq!(reply[1], body.as_bytes());
                served_by.insert(reply[0].clone());
                requests += 1;
            }
        }
        assert_eq!(served_by.len(), 2, "both workers took requests");

        control.send("STATISTICS").unwrap();
        let stats = ProxyStats::from_message(&control.recv().unwrap()).unwrap();
        assert_eq!(stats.frontend_msgs_in, requests);
        assert_eq!(stats.backend_msgs_out, requests);
        assert_eq!(stats.backend_msgs_in, requests);
        assert_eq!(stats.frontend_msgs_out, requests);
        assert_eq!(stats.frontend_bytes_in, stats.backend_bytes_out);
        assert_eq!(stats.backend_bytes_in, stats.frontend_bytes_out);
        assert!(
            stats.backend_bytes_in > stats.frontend_bytes_in,
            "replies are longer"
        );
        control.send("TERMINATE").unwrap();
        assert_eq!(proxy.join().unwrap(), stats);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

#[test]
fn a_broker_goes_on_when_a_client_leaves_before_its_reply() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let frontend = ferro(&ctx, T::Router);
    // Mandatory: a reply to a client that has gone is an error on the send, not a silent drop.
    frontend.set_router_mandatory(true).unwrap();
    let monitor = frontend.monitor();
    let fe = ferro_bind(&frontend);
    let backend = ferro(&ctx, T::Dealer);
    backend.bind("inproc://broker-late").unwrap();
    let worker = ferro(&ctx, T::Dealer);
    worker.connect("inproc://broker-late").unwrap();
    std::thread::scope(|s| {
        let control_end = ferro(&ctx, T::Pair);
        control_end.bind("inproc://broker-late-ctl").unwrap();
        let control = ferro(&ctx, T::Pair);
        control.connect("inproc://broker-late-ctl").unwrap();
        let (frontend, backend) = (&frontend, &backend);
        let proxy =
            s.spawn(move || ferromq::proxy_steerable(frontend, backend, None, Some(&control_end)));
        // A client asks, then leaves before the worker answers.
        let early = libzmq(&zctx, zmq::REQ);
        early.connect(&fe).unwrap();
        early.send("early", 0).unwrap();
        let request = worker.recv().unwrap();
        assert_eq!(request.frames().last().unwrap(), "early");
        drop(early);
        loop {
            let event = monitor.recv_timeout(Duration::from_secs(20)).unwrap();
            if event.kind == ferromq::EventKind::Disconnected {
                break;
            }
        }
        worker.send(request).unwrap(); // to the gone client: dropped
                                       // The next client is still served.
        let late = libzmq(&zctx, zmq::REQ);
        late.connect(&fe).unwrap();
        late.send("late", 0).unwrap();
        let request = worker.recv().unwrap();
        assert_eq!(request.frames().last().unwrap(), "late");
        worker.send(request).unwrap();
        assert_eq!(late.recv_bytes(0).unwrap(), b"late");

        control.send("STATISTICS").unwrap();
        let stats = ProxyStats::from_message(&control.recv().unwrap()).unwrap();
        assert_eq!((stats.backend_msgs_in, stats.frontend_msgs_out), (2, 1));
        control.send("TERMINATE").unwrap();
        assert_eq!(proxy.join().unwrap().unwrap(), stats);
    });
}

#[test]
fn an_xsub_xpub_proxy_joins_two_publishers_and_filters_at_the_source() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let xsub = ferro(&ctx, T::Xsub);
    let upstream = ferro_bind(&xsub);
    let xpub = ferro(&ctx, T::Xpub);
    let downstream = ferro_bind(&xpub);
    std::thread::scope(|s| {
        let (control, proxy) = spawn_proxy(s, &ctx, &xsub, &xpub, None, "forwarder-ctl");
        // One publisher is libzmq; the other a ferromq XPUB, which sees the subscriptions
        // that reach it through the proxy.
        let zpub = libzmq(&zctx, zmq::PUB);
        zpub.connect(&upstream).unwrap();
        let fpub = ferro(&ctx, T::Xpub);
        fpub.connect(&upstream).unwrap();
        let sub = libzmq(&zctx, zmq::SUB);
        sub.set_subscribe(b"a").unwrap();
        sub.connect(&downstream).unwrap();

        assert_eq!(fpub.recv().unwrap().frames(), [&b"\x01a"[..]]);
        // Both publishers send until the subscriber has heard from each.
        let mut heard = HashSet::new();
        let mut rounds = 0;
        until(Duration::from_secs(10), || {
            rounds += 1;
            zpub.send("a from libzmq", 0).unwrap();
            zpub.send("b from libzmq", 0).unwrap();
            fpub.send("a from ferromq").unwrap();
            fpub.send("b from ferromq").unwrap();
            while let Some(m) = sub.recv_within(20) {
                assert!(m[0].starts_with(b"a"), "filtered: {:?}", m[0]);
                heard.insert(m[0].clone());
            }
            heard.len() == 2
        });
        control.send("TERMINATE").unwrap();
        let stats = proxy.join().unwrap();
        // Both publishers filtered at the source: no "b" entered the proxy, so at most the
        // two "a" messages of each round did.
        assert!(stats.frontend_msgs_in >= 2);
        assert!(
            stats.frontend_msgs_in <= 2 * rounds,
            "{stats:?}, {rounds} rounds"
        );
    });
}

#[test]
fn a_streamer_with_capture_pause_and_resume() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let pull = ferro(&ctx, T::Pull);
    let fe = ferro_bind(&pull);
    let push = ferro(&ctx, T::Push);
    // Tiny queues: the proxy must hold messages until the worker makes room.
    push.set_sndhwm(1).unwrap();
    push.bind("inproc://streamer-out").unwrap();
    let capture = ferro(&ctx, T::Push);
    capture.bind("inproc://streamer-capture").unwrap();
    let captured = ferro(&ctx, T::Pull);
    captured.connect("inproc://streamer-capture").unwrap();
    let worker = ferro(&ctx, T::Pull);
    worker.set_rcvhwm(1).unwrap();
    worker.connect("inproc://streamer-out").unwrap();
    let source = libzmq(&zctx, zmq::PUSH);
    source.connect(&fe).unwrap();
    std::thread::scope(|s| {
        let (control, proxy) = spawn_proxy(s, &ctx, &pull, &push, Some(&capture), "streamer-ctl");
        for i in 0..10 {
            source
                .send_multipart([format!("task {i}").as_bytes(), b"part 2"], 0)
                .unwrap();
        }
        for i in 0..10 {
            let task = worker.recv().unwrap();
            assert_eq!(task.frames(), [format!("task {i}").as_bytes(), b"part 2"]);
            assert_eq!(captured.recv().unwrap(), task);
        }
        control.send("PAUSE").unwrap();
        // A STATISTICS round trip proves the PAUSE was handled before the next task.
        control.send("STATISTICS").unwrap();
        let stats = ProxyStats::from_message(&control.recv().unwrap()).unwrap();
        assert_eq!(stats.frontend_msgs_in, 10);
        source.send("while paused", 0).unwrap();
        assert!(
            worker.recv_within(200).is_none(),
            "paused proxies hold messages"
        );
        control.send("RESUME").unwrap();
        assert_eq!(worker.recv().unwrap()[0], "while paused");
        control.send("TERMINATE").unwrap();
        proxy.join().unwrap();
    });
}

#[test]
fn a_rep_control_socket_gets_a_reply_to_every_command() {
    let ctx = Context::new();
    let fe = ferro(&ctx, T::Pull);
    fe.bind("inproc://rep-ctl-fe").unwrap();
    let be = ferro(&ctx, T::Push);
    be.bind("inproc://rep-ctl-be").unwrap();
    let control = ferro(&ctx, T::Rep);
    control.bind("inproc://rep-ctl").unwrap();
    let steer = ferro(&ctx, T::Req);
    steer.connect("inproc://rep-ctl").unwrap();
    std::thread::scope(|s| {
        let proxy = s.spawn(|| ferromq::proxy_steerable(&fe, &be, None, Some(&control)));
        for command in ["PAUSE", "RESUME", "BOGUS"] {
            steer.send(command).unwrap();
            assert_eq!(steer.recv().unwrap()[0], "");
        }
        steer.send("STATISTICS").unwrap();
        assert_eq!(steer.recv().unwrap().len(), 8);
        steer.send("TERMINATE").unwrap();
        assert_eq!(steer.recv().unwrap()[0], "");
        assert_eq!(proxy.join().unwrap().unwrap(), ProxyStats::default());
    });
}
