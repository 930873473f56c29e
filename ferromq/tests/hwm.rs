//! High-water marks against peers that stop reading: what blocks, what drops, and that nothing
//! accepted is lost.

mod common;

use bytes::Bytes;
use common::*;
use ferromq::{Context, Error, Message, Socket, SocketType as T};

/// 64 KiB, shared by every message (frames this large are sent without copying), so that
/// kernel buffers fill after a few hundred messages.
fn payload() -> Bytes {
    Bytes::from(vec![7u8; 64 * 1024])
}

fn numbered(prefix: &[Bytes], seq: u64, body: &Bytes) -> Message {
    let mut frames = prefix.to_vec();
    frames.push(Bytes::copy_from_slice(&seq.to_be_bytes()));
    frames.push(body.clone());
    Message::from(frames)
}

fn seq_of(frame: &[u8]) -> u64 {
    u64::from_be_bytes(frame.try_into().expect("8-byte sequence frame"))
}

/// Sends numbered messages until one times out (sndtimeo 100 ms); returns how many went.
fn fill(s: &Socket, prefix: &[Bytes], max: u64) -> u64 {
    s.set_sndtimeo(100).unwrap();
    let body = payload();
    for seq in 0..max {
        match s.send(numbered(prefix, seq, &body)) {
            Ok(()) => {}
            Err(Error::TimedOut) => return seq,
            Err(e) => panic!("send {seq}: {e}"),
        }
    }
    panic!("never blocked within {max} messages");
}

#[test]
fn push_and_dealer_block_at_the_hwm_and_lose_nothing() {
    for ours in [T::Push, T::Dealer] {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let theirs = if ours == T::Push { T::Pull } else { T::Dealer };
        let (sender, reader) = joined(
            &ctx,
            &zctx,
            ours,
            theirs,
            Binder::Ferro,
            |s| s.set_sndhwm(10).unwrap(),
            |z| z.set_rcvhwm(10).unwrap(),
        );
        // The reader is connected but reads nothing yet.
        let sent = fill(&sender, &[], 20_000);
        assert!(
            sent >= 10,
            "{ours:?} blocked before sndhwm messages were queued"
        );
        // Every accepted message arrives, in order, and nothing more.
        for seq in 0..sent {
            let m = reader.recv_multipart(0).unwrap();
            assert_eq!(seq_of(&m[0]), seq);
        }
        reader.set_rcvtimeo(200).unwrap();
        assert!(matches!(reader.recv_multipart(0), Err(zmq::Error::EAGAIN)));
    }
}

#[test]
fn router_drops_for_a_stalled_peer_or_blocks_when_mandatory() {
    for mandatory in [false, true] {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let (router, dealer) = joined(
            &ctx,
            &zctx,
            T::Router,
            T::Dealer,
            Binder::Ferro,
            |s| {
                s.set_sndhwm(10).unwrap();
                s.set_router_mandatory(mandatory).unwrap();
            },
            |z| {
                z.set_rcvhwm(10).unwrap();
                z.set_identity(b"slow").unwrap();
            },
        );
        dealer.send("hello", 0).unwrap();
        assert_eq!(router.recv().unwrap()[0], "slow");
        let id = [Bytes::from_static(b"slow")];
        if mandatory {
            let sent = fill(&router, &id, 20_000);
            assert!(sent >= 10);
            for seq in 0..sent {
                assert_eq!(seq_of(&dealer.recv_multipart(0).unwrap()[0]), seq);
            }
        } else {
            // Never blocks: what the stalled peer cannot take is dropped.
            router.set_sndtimeo(0).unwrap();
            let body = payload();
            let total = 5_000;
            for seq in 0..total {
                router.send(numbered(&id, seq, &body)).unwrap();
            }
            dealer.set_rcvtimeo(200).unwrap();
            let mut got = Vec::new();
            while let Ok(m) = dealer.recv_multipart(0) {
                got.push(seq_of(&m[0]));
            }
            assert!(got.len() < total as usize, "nothing was dropped");
            assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept");
        }
    }
}

/// A PUB with a subscriber that reads and one that never does, both joined and subscribed.
fn publisher_with_fast_and_stalled(
    ctx: &Context,
    zctx: &zmq::Context,
    nodrop: bool,
) -> (Socket, zmq::Socket, zmq::Socket) {
    let publisher = ferro(ctx, T::Pub);
    publisher.set_sndhwm(10).unwrap();
    publisher.set_xpub_nodrop(nodrop).unwrap();
    let ep = ferro_bind(&publisher);
    let subscriber = || {
        let s = libzmq(zctx, zmq::SUB);
        s.set_rcvhwm(10).unwrap();
        s.set_subscribe(b"").unwrap();
        s.connect(&ep).unwrap();
        s
    };
    let (fast, stalled) = (subscriber(), subscriber());
    // Both subscriptions must be in before counting: probe until each has one.
    for s in [&fast, &stalled] {
        let joined = (0..200).find_map(|_| {
            publisher.send("probe").unwrap();
            s.set_rcvtimeo(50).unwrap();
            s.recv_bytes(0).ok()
        });
        assert!(joined.is_some(), "a subscription never arrived");
        s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    }
    (publisher, fast, stalled)
}

/// Receives on the fast subscriber until sequence `seq` (skipping probes).
fn fast_gets(fast: &zmq::Socket, seq: u64) {
    loop {
        let m = fast.recv_multipart(0).unwrap();
        if m[0] != b"probe" {
            assert_eq!(
                seq_of(&m[0]),
                seq,
                "the reading subscriber missed a message"
            );
            return;
        }
    }
}

#[test]
fn pub_drops_only_for_the_stalled_subscriber() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (publisher, fast, _stalled) = publisher_with_fast_and_stalled(&ctx, &zctx, false);
    publisher.set_sndtimeo(0).unwrap(); // it must never even want to block
    let body = payload();
    // Paced by the reader; far more than the stalled path can hold (2000 x 64 KiB).
    for seq in 0..2_000 {
        publisher.send(numbered(&[], seq, &body)).unwrap();
        fast_gets(&fast, seq);
    }
}

#[test]
fn xpub_nodrop_blocks_instead_of_dropping() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let (publisher, fast, _stalled) = publisher_with_fast_and_stalled(&ctx, &zctx, true);
    assert!(publisher.xpub_nodrop());
    publisher.set_sndtimeo(100).unwrap();
    let body = payload();
    let mut blocked = false;
    for seq in 0..2_000 {
        match publisher.send(numbered(&[], seq, &body)) {
            Ok(()) => fast_gets(&fast, seq),
            Err(Error::TimedOut) => {
                blocked = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        blocked,
        "the stalled subscriber never made the publisher wait"
    );
}

/// Messages sent without blocking to a tcp endpoint nobody listens on, until the HWM refuses
/// one.
fn queued_without_a_peer(send: impl Fn() -> bool) -> usize {
    (0..100_000)
        .find(|_| !send())
        .expect("never refused a message")
}

#[test]
fn a_sender_without_a_peer_queues_sndhwm_large_messages_as_libzmq_does() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let body = payload();
    for hwm in [3, 10] {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let ours = ferro(&ctx, T::Push);
        ours.set_sndhwm(hwm).unwrap();
        ours.set_sndtimeo(0).unwrap();
        ours.connect(&ep).unwrap();
        let theirs = libzmq(&zctx, zmq::PUSH);
        theirs.set_sndhwm(hwm).unwrap();
        theirs.connect(&ep).unwrap();
        // Large frames go into the batch by reference: they must count like waiting ones.
        let ferromq = queued_without_a_peer(|| match ours.send(&body) {
            Ok(()) => true,
            Err(Error::WouldBlock) => false,
            Err(e) => panic!("{e}"),
        });
        let libzmq = queued_without_a_peer(|| match theirs.send(&body[..], zmq::DONTWAIT) {
            Ok(()) => true,
            Err(zmq::Error::EAGAIN) => false,
            Err(e) => panic!("{e}"),
        });
        assert_eq!(ferromq, libzmq, "messages queued at sndhwm {hwm}");
        // Small messages are copied into the batch, which is not the queue: at least as many.
        let small = ferro(&ctx, T::Push);
        small.set_sndhwm(hwm).unwrap();
        small.set_sndtimeo(0).unwrap();
        small.connect(&ep).unwrap();
        let n = queued_without_a_peer(|| small.send("x").is_ok());
        assert!(n >= libzmq, "{n} small messages queued, fewer than sndhwm");
    }
}
