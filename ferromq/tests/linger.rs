//! What `linger` does to messages still queued when a socket closes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Error, SocketType as T};

/// An endpoint nothing listens on yet.
fn free_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", l.local_addr().unwrap())
}

/// Drops a context on another thread; returns how long that took, failing after 10 s.
fn time_to_drop(ctx: Context) -> Duration {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        drop(ctx);
        let _ = tx.send(start.elapsed());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("dropping the context hung")
}

/// A PUSH in its own context, connected to `ep` where nobody listens, with 10 queued messages.
fn pusher_with_queue(ep: &str, linger: i32) -> Context {
    let ctx = Context::new();
    let push = ctx.socket(T::Push).unwrap();
    push.set_linger(linger).unwrap();
    push.connect(ep).unwrap();
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    ctx
}

#[test]
fn the_linger_in_force_at_close_applies() {
    // Set after the connect, as libzmq allows: the close must not wait for a peer forever.
    let ep = free_endpoint();
    let ctx = Context::new();
    let push = ctx.socket(T::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    push.set_linger(0).unwrap();
    drop(push);
    let took = time_to_drop(ctx);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    nothing_arrives(&ep);

    // The same with a peer that accepts the connection and never says a word: the handshake
    // in progress is abandoned at close (it would otherwise run for handshake_ivl, 30 s).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", silent.local_addr().unwrap());
    let ctx = Context::new();
    let push = ctx.socket(T::Push).unwrap();
    let monitor = push.monitor();
    push.connect(&ep).unwrap();
    let _accepted = silent.accept().unwrap();
    loop {
        let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
        if e.kind == ferromq::EventKind::Connected {
            break;
        }
    }
    push.send("queued").unwrap();
    push.set_linger(0).unwrap();
    drop(push);
    let took = time_to_drop(ctx);
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

fn nothing_arrives(ep: &str) {
    let ctx = Context::new();
    let pull = ferro(&ctx, T::Pull);
    pull.bind(ep).unwrap();
    pull.set_rcvtimeo(300).unwrap();
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
}

#[test]
fn linger_zero_drops_at_once() {
    let ep = free_endpoint();
    let ctx = pusher_with_queue(&ep, 0);
    let took = time_to_drop(ctx);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    nothing_arrives(&ep);
}

#[test]
fn linger_bounds_the_wait() {
    let ep = free_endpoint();
    let ctx = pusher_with_queue(&ep, 300);
    let took = time_to_drop(ctx);
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "took {took:?}"
    );
    nothing_arrives(&ep);
}

#[test]
fn default_linger_delivers_to_a_peer_that_appears_after_close() {
    let ep = free_endpoint();
    let ctx = pusher_with_queue(&ep, -1);
    // The socket is closed (dropped inside pusher_with_queue); its queue waits for a peer.
    let pull_ctx = Context::new();
    let pull = ferro(&pull_ctx, T::Pull);
    pull.bind(&ep).unwrap();
    for i in 0..10 {
        assert_eq!(pull.recv().unwrap()[0], format!("{i}").as_bytes());
    }
    // Everything delivered: the context now ends without waiting.
    assert!(time_to_drop(ctx) < Duration::from_secs(2));
}
