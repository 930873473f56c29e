//! A blocking receive reads its socket's only connection itself (see the crate docs, "How a
//! message travels"); the I/O thread reads whenever it does not. These tests drive the
//! hand-over both ways against libzmq peers: wake-ups for whatever else happens to the socket,
//! timeouts, a peer that leaves, and order and completeness across many hand-overs (PINGs
//! answered while a receiver sleeps on its connection: `heartbeats.rs`).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Events, SocketType as T};

/// Connects a libzmq PUSH to `ep` and has it send `text`.
fn pusher(zctx: &zmq::Context, ep: &str, text: &str) -> zmq::Socket {
    let push = zctx.socket(zmq::PUSH).unwrap();
    push.connect(ep).unwrap();
    push.send(text, 0).unwrap();
    push
}

/// A PULL bound over `transport` with one libzmq PUSH, whose first message it has received (a
/// blocking receive, so the PULL now reads the connection itself); with the endpoint.
fn pull_reading_a_pusher(
    ctx: &Context,
    zctx: &zmq::Context,
    transport: Transport,
) -> (ferromq::Socket, String, zmq::Socket) {
    let pull = ferro(ctx, T::Pull);
    let ep = ferro_bind_over(&pull, transport);
    let push = pusher(zctx, &ep, "a");
    assert_eq!(pull.recv().unwrap()[0], "a");
    (pull, ep, push)
}

#[test]
fn a_second_peer_wakes_a_receiver_reading_the_first() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (pull, ep, first) = pull_reading_a_pusher(&ctx, &zctx, Transport::Tcp);
    std::thread::scope(|s| {
        // This receive sleeps on the first peer's connection, which stays silent.
        let blocked = s.spawn(|| pull.recv().unwrap());
        let second = pusher(&zctx, &ep, "b");
        assert_eq!(blocked.join().unwrap()[0], "b");
        // Both peers are served from now on.
        first.send("a2", 0).unwrap();
        second.send("b2", 0).unwrap();
        let mut got = [pull.recv().unwrap(), pull.recv().unwrap()].map(|m| m[0].clone());
        got.sort();
        assert_eq!(got, ["a2", "b2"]);
    });
}

#[test]
fn rcvtimeo_holds_while_reading_the_connection() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (pull, _ep, _push) = pull_reading_a_pusher(&ctx, &zctx, Transport::Tcp);
    pull.set_rcvtimeo(200).unwrap();
    let start = Instant::now();
    assert!(matches!(pull.recv(), Err(ferromq::Error::TimedOut)));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "returned after {took:?}"
    );
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
}

#[test]
fn a_peer_that_leaves_is_closed_and_the_next_one_is_read() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (pull, ep, first) = pull_reading_a_pusher(&ctx, &zctx, Transport::Ipc);
    let monitor = pull.monitor(); // before the disconnection it waits for
    std::thread::scope(|s| {
        let blocked = s.spawn(|| pull.recv().unwrap());
        first.send("last", 0).unwrap();
        drop(first); // libzmq delivers "last" before it closes (linger)
        assert_eq!(blocked.join().unwrap()[0], "last");
    });
    // The end of the stream, met by the receiver, closes the connection.
    until(Duration::from_secs(10), || {
        matches!(
            monitor.recv_timeout(Duration::from_millis(100)),
            Ok(e) if e.kind == ferromq::EventKind::Disconnected
        )
    });
    pull.set_rcvtimeo(100).unwrap();
    assert!(matches!(pull.recv(), Err(ferromq::Error::TimedOut)));
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    let _second = pusher(&zctx, &ep, "b");
    assert_eq!(pull.recv().unwrap()[0], "b");
}

/// How the receiver takes the next batch of messages in the hand-over test.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Blocking receives: the receiver reads the connection itself.
    Blocking,
    /// Async receives: the I/O thread reads.
    Async,
    /// `poll`, then a non-blocking receive: the I/O thread reads.
    Polling,
}

#[test]
fn hand_overs_lose_nothing_and_keep_order() {
    const COUNT: u64 = 20_000;
    const BATCH: u64 = 500;
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let pull = ferro(&ctx, T::Pull);
    pull.set_rcvhwm(50).unwrap(); // the HWM is reached in every mode
    let ep = ferro_bind(&pull);
    let push = zctx.socket(zmq::PUSH).unwrap();
    push.connect(&ep).unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..COUNT {
                // Small messages, with a large one now and then: the receiver reads it in
                // several pieces, whoever reads.
                let size = if i % 97 == 0 {
                    70_000
                } else {
                    (i % 13) as usize
                };
                let frames = [i.to_le_bytes().to_vec(), pattern(size, i as u8)];
                push.send_multipart(frames, 0).unwrap();
            }
        });
        let mut next = 0u64;
        let modes = [Mode::Blocking, Mode::Async, Mode::Polling];
        while next < COUNT {
            let mode = modes[(next / BATCH) as usize % modes.len()];
            for _ in 0..BATCH.min(COUNT - next) {
                let msg = match mode {
                    Mode::Blocking => pull.recv().unwrap(),
                    Mode::Async => futures::executor::block_on(pull.recv_async()).unwrap(),
                    Mode::Polling => {
                        let mut items = [pull.as_poll_item(Events::IN)];
                        assert_eq!(ferromq::poll(&mut items, TIMEOUT_MS as i64).unwrap(), 1);
                        pull.try_recv().unwrap()
                    }
                };
                let seq = u64::from_le_bytes(msg[0][..].try_into().unwrap());
                assert_eq!(seq, next, "in {mode:?} mode");
                let size = if seq % 97 == 0 {
                    70_000
                } else {
                    (seq % 13) as usize
                };
                assert_eq!(msg[1], pattern(size, seq as u8), "message {seq}");
                next += 1;
            }
        }
    });
}

#[test]
fn messages_that_come_with_the_handshake_are_read_by_the_io_thread() {
    // libzmq queues these while it connects, then writes them right behind its READY: the
    // handshake's last read leaves most of them in the socket, with no readiness left to
    // announce them. A polling receiver (the I/O thread reads) must still get them all.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let ep = bind_endpoint(Transport::Ipc);
    let push = zctx.socket(zmq::PUSH).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..200u32 {
        push.send(pattern(100, i as u8), 0).unwrap();
    }
    let pull = ferro(&ctx, T::Pull);
    pull.bind(&ep).unwrap();
    for i in 0..200u32 {
        let mut items = [pull.as_poll_item(Events::IN)];
        assert_eq!(ferromq::poll(&mut items, 5_000).unwrap(), 1, "message {i}");
        assert_eq!(pull.try_recv().unwrap()[0], pattern(100, i as u8));
    }
}

#[test]
fn the_io_thread_reads_on_after_the_inbox_was_full() {
    // Bursts that fill the inbox (rcvhwm 2), each drained by a polling receiver, so that the
    // I/O thread reads: after each wait for room it must read the next burst.
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let pull = ferro(&ctx, T::Pull);
    pull.set_rcvhwm(2).unwrap();
    let ep = ferro_bind(&pull);
    let push = zctx.socket(zmq::PUSH).unwrap();
    push.connect(&ep).unwrap();
    for burst in 0..20u8 {
        for i in 0..10u8 {
            push.send(&[burst, i][..], 0).unwrap();
        }
        for i in 0..10u8 {
            let mut items = [pull.as_poll_item(Events::IN)];
            assert_eq!(
                ferromq::poll(&mut items, 5_000).unwrap(),
                1,
                "burst {burst}, {i}"
            );
            assert_eq!(pull.try_recv().unwrap()[0], [burst, i][..]);
        }
    }
}
