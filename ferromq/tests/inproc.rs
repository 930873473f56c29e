//! inproc: what it promises beyond the pattern matrix (which `ferro_pairs` runs over inproc
//! too): no copy, connect before bind, high-water marks, close and disconnect, names.

mod common;

use ferromq::{Bytes, Context, Error, Message, SocketType as T};

fn name(test: &str) -> String {
    format!("inproc://{test}")
}

#[test]
fn a_1mib_frame_arrives_without_a_copy() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.bind(&name("nocopy")).unwrap();
    let push = ctx.socket(T::Push).unwrap();
    push.connect(&name("nocopy")).unwrap();

    let big = Bytes::from(vec![7u8; 1 << 20]);
    let small = Bytes::from_static(b"head");
    push.send(Message::from(vec![small.clone(), big.clone()]))
        .unwrap();
    let got = pull.recv().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].as_ptr(), big.as_ptr(), "the frame was copied");
    assert_eq!(got[1].len(), big.len());
    assert_eq!(got[0].as_ptr(), small.as_ptr());

    // The same through a PAIR, both ways.
    let a = ctx.socket(T::Pair).unwrap();
    a.bind(&name("nocopy-pair")).unwrap();
    let b = ctx.socket(T::Pair).unwrap();
    b.connect(&name("nocopy-pair")).unwrap();
    b.send(big.clone()).unwrap();
    assert_eq!(a.recv().unwrap()[0].as_ptr(), big.as_ptr());
    a.send(big.clone()).unwrap();
    assert_eq!(b.recv().unwrap()[0].as_ptr(), big.as_ptr());
}

#[test]
fn connect_before_bind_queues_until_the_bind() {
    let ctx = Context::new();
    let push = ctx.socket(T::Push).unwrap();
    push.connect(&name("later")).unwrap();
    for i in 0..3 {
        push.try_send(format!("early {i}")).unwrap();
    }
    let pull = ctx.socket(T::Pull).unwrap();
    pull.set_rcvtimeo(5000).unwrap();
    pull.bind(&name("later")).unwrap();
    for i in 0..3 {
        assert_eq!(pull.recv().unwrap()[0], format!("early {i}").as_bytes());
    }
    push.send("after").unwrap();
    assert_eq!(pull.recv().unwrap()[0], "after");

    // REQ before REP, with routing ids passed at the bind: a ROUTER sees the REQ's.
    let req = ctx.socket(T::Req).unwrap();
    req.set_routing_id("early-req").unwrap();
    req.connect(&name("later-router")).unwrap();
    req.send("hello").unwrap();
    let router = ctx.socket(T::Router).unwrap();
    router.set_rcvtimeo(5000).unwrap();
    router.bind(&name("later-router")).unwrap();
    let got = router.recv().unwrap();
    assert_eq!(got.frames(), [&b"early-req"[..], b"", b"hello"]);
    router
        .send(Message::from(["early-req", "", "world"]))
        .unwrap();
    req.set_rcvtimeo(5000).unwrap();
    assert_eq!(req.recv().unwrap()[0], "world");
}

#[test]
fn a_name_is_bound_once_per_context() {
    let ctx = Context::new();
    let a = ctx.socket(T::Pull).unwrap();
    a.bind(&name("taken")).unwrap();
    let b = ctx.socket(T::Pull).unwrap();
    match b.bind(&name("taken")) {
        Err(Error::AddrInUse { endpoint }) => assert_eq!(endpoint, "inproc://taken"),
        other => panic!("expected AddrInUse, got {other:?}"),
    }
    // Once unbound (or closed), the name is free again; another context never saw it.
    a.unbind(&name("taken")).unwrap();
    b.bind(&name("taken")).unwrap();
    drop(b);
    a.bind(&name("taken")).unwrap();
    let other = Context::new();
    let c = other.socket(T::Pull).unwrap();
    c.bind(&name("taken")).unwrap();
    assert!(matches!(
        ctx.socket(T::Pull).unwrap().bind("inproc://"),
        Err(Error::InvalidEndpoint { .. })
    ));
}

#[test]
fn names_do_not_cross_contexts() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.bind(&name("private")).unwrap();
    let other = Context::new();
    let push = other.socket(T::Push).unwrap();
    push.connect(&name("private")).unwrap();
    push.try_send("lost").unwrap(); // queued for a bind in the other context
    pull.set_rcvtimeo(100).unwrap();
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
}

#[test]
fn the_high_water_mark_is_sndhwm_plus_rcvhwm() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.set_rcvhwm(3).unwrap();
    pull.bind(&name("hwm")).unwrap();
    let push = ctx.socket(T::Push).unwrap();
    push.set_sndhwm(2).unwrap();
    push.connect(&name("hwm")).unwrap();
    for i in 0..5 {
        push.try_send(format!("{i}")).unwrap();
    }
    assert!(matches!(push.try_send("full"), Err(Error::WouldBlock)));

    // A blocked sender is woken by the receive that makes room (a lost wake-up would
    // time the send out).
    push.set_sndtimeo(5000).unwrap();
    pull.set_rcvtimeo(5000).unwrap();
    std::thread::scope(|s| {
        let sender = s.spawn(|| push.send("sixth"));
        assert_eq!(pull.recv().unwrap()[0], "0");
        sender.join().unwrap().unwrap();
    });
    let rest: Vec<Bytes> = (0..5).map(|_| pull.recv().unwrap()[0].clone()).collect();
    assert_eq!(rest, ["1", "2", "3", "4", "sixth"]);

    // PUB drops for a full subscriber instead of blocking.
    let publisher = ctx.socket(T::Pub).unwrap();
    publisher.set_sndhwm(1).unwrap();
    publisher.bind(&name("hwm-pub")).unwrap();
    let sub = ctx.socket(T::Sub).unwrap();
    sub.set_rcvhwm(1).unwrap();
    sub.subscribe("").unwrap();
    sub.connect(&name("hwm-pub")).unwrap();
    for i in 0..10 {
        publisher.try_send(format!("{i}")).unwrap();
    }
    sub.set_rcvtimeo(100).unwrap();
    let got: Vec<Bytes> = std::iter::from_fn(|| sub.recv().ok().map(|m| m[0].clone())).collect();
    assert_eq!(got, ["0", "1"]);
}

#[test]
fn close_delivers_what_was_sent_unless_linger_is_zero() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.set_rcvtimeo(100).unwrap();
    pull.bind(&name("close")).unwrap();

    let push = ctx.socket(T::Push).unwrap();
    push.connect(&name("close")).unwrap();
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    drop(push);
    for i in 0..10 {
        assert_eq!(pull.recv().unwrap()[0], format!("{i}").as_bytes());
    }
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));

    let push = ctx.socket(T::Push).unwrap();
    push.set_linger(0).unwrap();
    push.connect(&name("close")).unwrap();
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    drop(push);
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
}

#[test]
fn a_closed_or_disconnected_peer_leaves_routing() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.bind(&name("leave")).unwrap();
    let push = ctx.socket(T::Push).unwrap();
    push.connect(&name("leave")).unwrap();
    push.send("one").unwrap();
    push.disconnect(&name("leave")).unwrap();
    assert!(matches!(push.try_send("nobody"), Err(Error::WouldBlock)));
    assert_eq!(pull.recv().unwrap()[0], "one");

    // The receiver closing leaves the sender with no peer: a send would block.
    push.connect(&name("leave")).unwrap();
    push.send("two").unwrap();
    drop(pull);
    assert!(matches!(push.try_send("nobody"), Err(Error::WouldBlock)));
}

#[test]
fn a_pair_takes_one_peer() {
    let ctx = Context::new();
    let a = ctx.socket(T::Pair).unwrap();
    a.bind(&name("pair")).unwrap();
    let b = ctx.socket(T::Pair).unwrap();
    b.connect(&name("pair")).unwrap();
    let intruder = ctx.socket(T::Pair).unwrap();
    intruder.connect(&name("pair")).unwrap();
    assert!(matches!(intruder.try_send("x"), Err(Error::WouldBlock)));
    b.send("from b").unwrap();
    a.set_rcvtimeo(5000).unwrap();
    assert_eq!(a.recv().unwrap()[0], "from b");
    a.set_rcvtimeo(50).unwrap();
    assert!(matches!(a.recv(), Err(Error::TimedOut)));
}

#[test]
fn async_receivers_on_another_executor_are_woken() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.bind(&name("async")).unwrap();
    let push = ctx.socket(T::Push).unwrap();
    push.connect(&name("async")).unwrap();
    std::thread::scope(|s| {
        let receiver = s.spawn(|| {
            futures::executor::block_on(async {
                let mut n = 0u32;
                for i in 0..1000u32 {
                    let m = pull.recv_async().await.unwrap();
                    assert_eq!(m[0], i.to_be_bytes()[..]);
                    n += 1;
                }
                n
            })
        });
        for i in 0..1000u32 {
            push.send(Bytes::copy_from_slice(&i.to_be_bytes())).unwrap();
        }
        assert_eq!(receiver.join().unwrap(), 1000);
    });
}

#[test]
fn a_closed_receiver_is_no_longer_load_balanced_to() {
    let ctx = Context::new();
    let push = ctx.socket(T::Push).unwrap();
    push.set_sndhwm(1).unwrap();
    push.bind(&name("lb-close")).unwrap();
    let pulls: Vec<_> = (0..3)
        .map(|_| {
            let p = ctx.socket(T::Pull).unwrap();
            p.set_rcvhwm(1).unwrap();
            p.set_linger(0).unwrap();
            p.set_rcvtimeo(2000).unwrap();
            p.connect(&name("lb-close")).unwrap();
            p
        })
        .collect();
    for i in 0..6 {
        push.try_send(format!("{i}")).unwrap();
    }
    let mut pulls = pulls.into_iter();
    let dead = pulls.next().unwrap();
    assert!(dead.recv().is_ok());
    drop(dead);
    let alive: Vec<_> = pulls.collect();
    // Everything sent from now on reaches the living.
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..20 {
                push.send(format!("after {i}")).unwrap();
            }
        });
        let mut got = 0;
        while got < 20 {
            let mut any = false;
            for p in &alive {
                if let Ok(m) = p.try_recv() {
                    any = true;
                    if m[0].starts_with(b"after") {
                        got += 1;
                    }
                }
            }
            if !any {
                let mut items: Vec<_> = alive
                    .iter()
                    .map(|p| p.as_poll_item(ferromq::Events::IN))
                    .collect();
                assert!(
                    ferromq::poll(&mut items, 2000).unwrap() > 0,
                    "stuck at {got}"
                );
            }
        }
    });
}

#[test]
fn peers_keep_their_turns_while_a_sender_refills_its_pipe() {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.bind(&name("turns")).unwrap();
    let [a, b] = ["a", "b"].map(|_| {
        let s = ctx.socket(T::Push).unwrap();
        s.connect(&name("turns")).unwrap();
        s
    });
    let send = |s: &ferromq::Socket, tag: &str, range: std::ops::Range<usize>| {
        for i in range {
            s.send(format!("{tag}{i}")).unwrap();
        }
    };
    send(&a, "a", 0..100);
    send(&b, "b", 0..100);
    assert_eq!(pull.recv().unwrap()[0], "a0");
    // That receive emptied both pipes into the socket: refilling a's signals a again while
    // a still has its turn in the queue. It must not get a second one.
    send(&a, "a", 100..200);
    let mut got = vec!["a0".to_string()];
    for _ in 1..300 {
        got.push(String::from_utf8(pull.recv().unwrap()[0].to_vec()).unwrap());
    }
    let expected: Vec<String> = (0..100)
        .flat_map(|i| [format!("a{i}"), format!("b{i}")])
        .chain((100..200).map(|i| format!("a{i}")))
        .collect();
    assert_eq!(got, expected, "one message from each peer in turn");
}
