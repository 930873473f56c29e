//! A send from borrowed data (`&[u8]`, `&str`, `&Message` ...) is encoded straight from the
//! borrow, and copied only when it must wait for room: the caller may reuse its buffer as soon
//! as `send` returns. These tests change the buffer after every send, with the connection
//! backed up so that messages wait, and check what libzmq receives.

mod common;

use common::*;
use ferromq::{Bytes, Context, Message, SocketType as T};

/// The body of message `seq`: `size` bytes, all derived from `seq`.
fn body(buf: &mut [u8], seq: u32) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (seq as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
    if buf.len() >= 4 {
        buf[..4].copy_from_slice(&seq.to_be_bytes());
    }
}

/// Sizes cycle through small, medium and large (above the 32 KiB by-reference threshold).
fn size_of(seq: u32) -> usize {
    [16, 1000, 40_000, 200][seq as usize % 4]
}

const COUNT: u32 = 1000;

/// Sends [`COUNT`] messages of every kind (borrowed and owned, small and large, multipart),
/// scribbling over the buffer after each send.
fn send_all(push: &ferromq::Socket) {
    let mut buf = vec![0u8; 40_000];
    let multi = Message::from(["multi", "part"]);
    for seq in 0..COUNT {
        let b = &mut buf[..size_of(seq)];
        body(b, seq);
        let (vec, bytes) = (b.to_vec(), Bytes::copy_from_slice(b));
        match seq % 5 {
            0 => push.send(&*b).unwrap(),
            1 => push.send(&vec).unwrap(),
            2 => push.send(&bytes).unwrap(),
            3 => push.send(&multi).unwrap(),
            _ => push.send(b.to_vec()).unwrap(),
        }
        body(&mut buf, u32::MAX);
    }
}

/// Checks that `recv` yields what [`send_all`] sent, in order.
fn check_all(what: &str, mut recv: impl FnMut() -> Vec<Vec<u8>>) {
    let mut expected = vec![0u8; 40_000];
    for seq in 0..COUNT {
        let got = recv();
        if seq % 5 == 3 {
            assert_eq!(got, [b"multi".to_vec(), b"part".to_vec()], "{what}");
            continue;
        }
        let e = &mut expected[..size_of(seq)];
        body(e, seq);
        assert_eq!(got.len(), 1);
        assert!(got[0] == *e, "{what}: message {seq} changed");
    }
}

#[test]
fn a_reused_buffer_does_not_change_messages_already_sent() {
    for transport in [Transport::Tcp, Transport::Ipc] {
        let (ctx, zctx) = (Context::new(), zmq::Context::new());
        let pull = libzmq(&zctx, zmq::PULL);
        pull.set_rcvbuf(4096).unwrap();
        pull.set_rcvhwm(10).unwrap();
        let ep = zmq_bind_over(&pull, transport);
        let push = ferro(&ctx, T::Push);
        push.set_sndhwm(100_000).unwrap();
        push.set_sndbuf(4096).unwrap();
        push.connect(&ep).unwrap();
        // About 10 MB: far more than the kernel buffers and the 256 KiB batch hold while
        // nobody reads, so most of these wait in the pipe.
        send_all(&push);
        check_all(&format!("{transport:?}"), || {
            pull.recv_multipart(0).unwrap()
        });
    }
}

#[test]
fn inproc_keeps_borrowed_and_owned_messages_in_order() {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    pull.set_rcvhwm(0).unwrap();
    pull.bind("inproc://borrowed-inproc").unwrap();
    let push = ferro(&ctx, T::Push);
    push.set_sndhwm(0).unwrap();
    push.connect("inproc://borrowed-inproc").unwrap();
    let recv = || {
        let m = pull.recv().unwrap();
        m.iter().map(|f| f.to_vec()).collect()
    };
    // All of them queued at once: the receiver takes them in several batches.
    send_all(&push);
    check_all("inproc, queued", recv);
    // A sender that blocks and resumes many times (the pipe holds 20 messages).
    pull.set_rcvhwm(10).unwrap();
    let push = ferro(&ctx, T::Push);
    push.set_sndhwm(10).unwrap();
    pull.bind("inproc://borrowed-inproc-2").unwrap();
    push.connect("inproc://borrowed-inproc-2").unwrap();
    std::thread::scope(|s| {
        s.spawn(|| send_all(&push));
        check_all("inproc, streamed", recv);
    });
}

#[test]
fn a_borrowed_message_fans_out_to_wire_and_inproc_subscribers() {
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let publisher = ferro(&ctx, T::Pub);
    let ep = ferro_bind(&publisher);
    publisher.bind("inproc://borrowed-fan-out").unwrap();
    let remote = libzmq(&zctx, zmq::SUB);
    remote.set_subscribe(b"").unwrap();
    remote.connect(&ep).unwrap();
    let local = ferro(&ctx, T::Sub);
    local.subscribe("").unwrap();
    local.connect("inproc://borrowed-fan-out").unwrap();
    // Until both subscriptions have arrived.
    until(std::time::Duration::from_secs(10), || {
        publisher.send("hello").unwrap();
        remote.poll(zmq::POLLIN, 50).unwrap() > 0 && local.recv().is_ok()
    });
    while remote.recv_bytes(zmq::DONTWAIT).is_ok() {}
    while local.try_recv().is_ok() {}
    let mut buf = [0u8; 64];
    for seq in 0..100u32 {
        body(&mut buf, seq);
        publisher.send(&buf).unwrap();
        body(&mut buf, u32::MAX);
    }
    let mut expected = [0u8; 64];
    for seq in 0..100u32 {
        body(&mut expected, seq);
        assert_eq!(remote.recv_bytes(0).unwrap(), expected, "libzmq, {seq}");
        assert_eq!(local.recv().unwrap()[0], expected[..], "inproc, {seq}");
    }
}
