//! `Context::shutdown` (libzmq's `zmq_ctx_shutdown`) and `Socket::fd` (`ZMQ_FD`).

use std::os::fd::RawFd;
use std::time::Duration;

use ferromq::{Context, Error, Events, SocketType};
use mio::unix::SourceFd;
use mio::{Events as Ready, Interest, Poll, Token};

/// Whether `fd` is readable within `ms` milliseconds. A fresh registration reports the
/// descriptor's state as it is, so each call tells "readable now", not "became readable".
fn readable_within(fd: RawFd, ms: u64) -> bool {
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
        .unwrap();
    let mut ready = Ready::with_capacity(1);
    poll.poll(&mut ready, Some(Duration::from_millis(ms)))
        .unwrap();
    ready.iter().any(|e| e.is_readable())
}

/// Waits as an event loop does: on the descriptor, then reads the events, until they hold
/// `want` (within 5 s). The descriptor may fire for other changes (a peer came) first.
fn wait_on_fd(socket: &ferromq::Socket, fd: RawFd, want: Events) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if socket.events().unwrap().contains(want) {
            return true;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || !readable_within(fd, left.as_millis() as u64) {
            return false;
        }
    }
}

#[test]
fn the_fd_fires_when_a_message_arrives_and_rests_once_events_are_read() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let fd = pull.fd().unwrap();
    assert_eq!(pull.fd().unwrap(), fd, "one descriptor per socket");
    // New: readable, so that a loop that starts waiting now reads the events first.
    assert!(readable_within(fd, 0));
    assert_eq!(pull.events().unwrap(), Events::NONE);
    assert!(!readable_within(fd, 50), "reading the events clears it");

    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    push.send("one").unwrap();
    assert!(wait_on_fd(&pull, fd, Events::IN), "a message arrived");
    assert!(!readable_within(fd, 0));
    assert_eq!(pull.recv().unwrap()[0], "one");
    assert!(!pull.events().unwrap().contains(Events::IN));

    // The next message makes it readable again: the edge is not lost.
    push.send("two").unwrap();
    assert!(wait_on_fd(&pull, fd, Events::IN));
    assert_eq!(pull.recv().unwrap()[0], "two");
}

#[test]
fn the_fd_fires_when_a_send_can_go() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    let fd = push.fd().unwrap();
    assert_eq!(
        push.events().unwrap(),
        Events::NONE,
        "no peer: nowhere to send"
    );
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://fd-out").unwrap();
    push.connect("inproc://fd-out").unwrap();
    assert!(wait_on_fd(&push, fd, Events::OUT), "a peer came");
}

#[test]
fn shutdown_ends_blocked_and_later_calls_with_closed() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    let (started_tx, started) = std::sync::mpsc::channel();
    let receiver = std::thread::spawn(move || {
        started_tx.send(()).unwrap();
        let r = pull.recv().map(|_| ());
        (r, pull)
    });
    let sender = std::thread::spawn(move || {
        // No peer: the send waits for one.
        let r = push.send("nowhere");
        (r, push)
    });
    started.recv().unwrap();
    ctx.shutdown();
    let (r, pull) = receiver.join().unwrap();
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    let (r, push) = sender.join().unwrap();
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert!(matches!(pull.bind("inproc://late"), Err(Error::Closed)));
    assert!(matches!(push.connect("inproc://late"), Err(Error::Closed)));
    assert!(matches!(push.try_send("late"), Err(Error::Closed)));
    assert!(matches!(ctx.socket(SocketType::Pair), Err(Error::Closed)));
    drop((pull, push));
}
