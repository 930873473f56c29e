//! PUB, SUB, XPUB and XSUB against libzmq over tcp, both bind directions, and a ZMTP 3.0
//! subscriber on a raw connection.

mod common;

use std::io::{ErrorKind, Read, Write};

use common::*;
use ferromq::{Context, SocketType as T};

const BOTH: [Binder; 2] = [Binder::Ferro, Binder::Libzmq];

#[test]
fn ferro_pub_to_libzmq_sub() {
    for b in BOTH {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (publisher, subscriber) = joined(
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
    }
}

#[test]
fn libzmq_pub_to_ferro_sub() {
    for b in BOTH {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (subscriber, publisher) = joined(
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
    }
}

#[test]
fn ferro_pub_to_ferro_sub_and_unsubscribe() {
    let ctx = Context::new();
    let (publisher, subscriber) = ferro_pair(&ctx, T::Pub, T::Sub);
    subscriber.subscribe("a").unwrap();
    subscriber.subscribe("b").unwrap();
    pub_sub(&publisher, &subscriber);
    // Once the cancel has reached the publisher, a round of ("a", then a "b" marker) arrives
    // with no "a" in it. Repeat rounds, a bounded number of times, until one does.
    subscriber.unsubscribe("a").unwrap();
    let clean_round = (0..200).find(|_| {
        publisher.send("a-after").unwrap();
        publisher.send("b-marker").unwrap();
        let first = subscriber.recv().unwrap();
        if first[0] == "b-marker" {
            return true;
        }
        assert_eq!(subscriber.recv().unwrap()[0], "b-marker");
        false
    });
    assert!(clean_round.is_some(), "the unsubscribe never took effect");
}

#[test]
fn ferro_xpub_sees_libzmq_subscriptions() {
    for b in BOTH {
        for verbose in [false, true] {
            let (ctx, zctx) = (Context::new(), zmq::Context::new());
            let (xpub, sub) = joined(
                &ctx,
                &zctx,
                T::Xpub,
                T::Sub,
                b,
                |s| s.set_xpub_verbose(verbose).unwrap(),
                |s| s.set_subscribe(b"news").unwrap(),
            );
            assert_eq!(recv_poking(&xpub, &[&sub]).frames(), [&b"\x01news"[..]]);
            // A second SUB on the same topic: XPUB hears of it only when verbose.
            let sub2 = libzmq(&zctx, zmq::SUB);
            sub2.set_subscribe(b"news").unwrap();
            sub2.connect(&xpub_endpoint(&xpub, &sub, b)).unwrap();
            sub2.set_subscribe(b"other").unwrap();
            let next = recv_poking(&xpub, &[&sub, &sub2]);
            if verbose {
                assert_eq!(next.frames(), [&b"\x01news"[..]]);
                assert_eq!(recv_poking(&xpub, &[&sub2]).frames(), [&b"\x01other"[..]]);
            } else {
                assert_eq!(next.frames(), [&b"\x01other"[..]]);
            }
            // Data reaches the libzmq subscriber.
            xpub.send(["news", "flash"]).unwrap();
            assert_eq!(sub.recv_multipart(0).unwrap(), [&b"news"[..], b"flash"]);
            // The last unsubscribe from "other" is passed on as a cancel.
            sub2.set_unsubscribe(b"other").unwrap();
            assert_eq!(recv_poking(&xpub, &[&sub2]).frames(), [&b"\x00other"[..]]);
        }
    }
}

/// Receives on a ferromq socket while making the libzmq peers process their commands.
/// A libzmq socket attaches an accepted connection (and sends its subscriptions over it) only
/// when its application thread next calls into it, so an idle libzmq SUB would never send them.
fn recv_poking(ours: &ferromq::Socket, theirs: &[&zmq::Socket]) -> ferromq::Message {
    for _ in 0..200 {
        for z in theirs {
            z.get_events().unwrap();
        }
        if let Some(m) = ours.recv_within(50) {
            return ferromq::Message::from(m);
        }
    }
    panic!("nothing arrived within 10 s");
}

/// Where a second subscriber connects to reach the XPUB in `ferro_xpub_sees_...`.
fn xpub_endpoint(xpub: &ferromq::Socket, sub: &zmq::Socket, b: Binder) -> String {
    match b {
        Binder::Ferro => xpub.last_endpoint().unwrap(),
        Binder::Libzmq => {
            // libzmq bound the SUB; give the XPUB a second endpoint of its own.
            let _ = sub;
            xpub.bind("tcp://127.0.0.1:*").unwrap();
            xpub.last_endpoint().unwrap()
        }
    }
}

#[test]
fn ferro_xsub_with_libzmq_pub() {
    for b in BOTH {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (xsub, publisher) = joined(&ctx, &zctx, T::Xsub, T::Pub, b, |_| {}, |_| {});
        xsub.send(&b"\x01a"[..]).unwrap();
        xsub.send(&b"\x01b"[..]).unwrap();
        pub_sub(&publisher, &xsub);
    }
}

#[test]
fn libzmq_xsub_with_ferro_xpub() {
    for b in BOTH {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (xpub, xsub) = joined(&ctx, &zctx, T::Xpub, T::Xsub, b, |_| {}, |_| {});
        xsub.send(&b"\x01x"[..], 0).unwrap();
        assert_eq!(recv_poking(&xpub, &[&xsub]).frames(), [&b"\x01x"[..]]);
        xpub.send("x1").unwrap();
        assert_eq!(xsub.recv_bytes(0).unwrap(), b"x1");
    }
}

#[test]
fn zmtp_3_0_subscriber_uses_data_frames() {
    // A raw ZMTP 3.0 SUB: greeting with minor version 0, READY, then a subscription as a data
    // frame [1, topic]. Our PUB must filter for it.
    let ctx = Context::new();
    let publisher = ferro(&ctx, T::Pub);
    let ep = ferro_bind(&publisher);
    let mut s = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    // Short reads: until the subscription is in, nothing is published to us.
    s.set_read_timeout(Some(std::time::Duration::from_millis(50)))
        .unwrap();
    let mut hello = bytes::BytesMut::new();
    ferromq_zmtp::Connection::new(ferromq_zmtp::Config::new(ferromq_zmtp::SocketType::Sub))
        .poll_transmit(&mut hello);
    hello[11] = 0; // ZMTP 3.0
    hello.extend_from_slice(b"\x00\x03\x01ok");
    s.write_all(&hello).unwrap();
    // Read the PUB's greeting and READY, then published messages; probe until "ok" arrives.
    let mut conn =
        ferromq_zmtp::Connection::new(ferromq_zmtp::Config::new(ferromq_zmtp::SocketType::Sub));
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    for round in 0..200 {
        publisher.send(format!("no{round}")).unwrap();
        publisher.send(format!("ok{round}")).unwrap();
        let n = match s.read(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => panic!("reading from the publisher: {e}"),
        };
        assert!(n > 0, "publisher closed the 3.0 subscriber");
        conn.feed(&buf[..n]);
        while let Some(ev) = conn.poll_event().unwrap() {
            if let ferromq_zmtp::Event::Frame(f) = ev {
                got.push(f.data);
            }
        }
        if !got.is_empty() {
            break;
        }
    }
    assert!(!got.is_empty(), "no message reached the 3.0 subscriber");
    assert!(got.iter().all(|f| f.starts_with(b"ok")), "{got:?}");
}

#[test]
fn xpub_hears_the_topics_a_leaving_subscriber_took_with_it() {
    // libzmq's XPUB reports, when a subscriber goes, each topic nobody subscribes to any more.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let xpub = ferro(&ctx, T::Xpub);
    let ep = ferro_bind(&xpub);
    let stays = libzmq(&zctx, zmq::SUB);
    stays.set_subscribe(b"shared").unwrap();
    stays.connect(&ep).unwrap();
    assert_eq!(xpub.recv().unwrap()[0], "\x01shared");
    let leaves = libzmq(&zctx, zmq::SUB);
    leaves.set_subscribe(b"shared").unwrap();
    leaves.set_subscribe(b"own").unwrap();
    leaves.connect(&ep).unwrap();
    assert_eq!(xpub.recv().unwrap()[0], "\x01own"); // "shared" was already known
    drop(leaves);
    assert_eq!(xpub.recv().unwrap()[0], "\x00own");
    // "shared" still has a subscriber: nothing else comes.
    xpub.set_rcvtimeo(200).unwrap();
    assert!(matches!(xpub.recv(), Err(ferromq::Error::TimedOut)));
}

#[test]
fn a_message_matching_several_topics_of_a_subscriber_reaches_it_once() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let xpub = ferro(&ctx, T::Xpub);
    let ep = ferro_bind(&xpub);
    // One subscriber with three topics that all match "news", one with a topic of its own.
    let (all, x) = (libzmq(&zctx, zmq::SUB), libzmq(&zctx, zmq::SUB));
    for topic in [&b""[..], b"n", b"ne"] {
        all.set_subscribe(topic).unwrap();
    }
    x.set_subscribe(b"x").unwrap();
    all.connect(&ep).unwrap();
    x.connect(&ep).unwrap();
    let mut heard = Vec::new();
    while heard.len() < 4 {
        heard.push(recv_poking(&xpub, &[&all, &x])[0].clone());
    }
    heard.sort();
    assert_eq!(heard, [&b"\x01"[..], b"\x01n", b"\x01ne", b"\x01x"]);
    for m in ["news", "x-1", "other", "x-end"] {
        xpub.send(m).unwrap();
    }
    let received = |s: &zmq::Socket, n: usize| -> Vec<Vec<u8>> {
        let mut got: Vec<Vec<u8>> = (0..n).map(|_| s.recv_bytes(0).unwrap()).collect();
        s.set_rcvtimeo(200).unwrap();
        if let Ok(extra) = s.recv_bytes(0) {
            got.push(extra);
        }
        got
    };
    assert_eq!(
        received(&all, 4),
        [&b"news"[..], b"x-1", b"other", b"x-end"]
    );
    assert_eq!(received(&x, 2), [&b"x-1"[..], b"x-end"]);
}
