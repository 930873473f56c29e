//! Waiting on many sockets at once (socket API layer), like `zmq_poll`.
//!
//! In async code no poller is needed: [`Socket::recv_async`] is cancel-safe, so
//! `futures::select!` (or `tokio::select!`) over several receives loses no message.

use std::future::Future;
use std::ops::{BitOr, BitOrAssign};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use event_listener::EventListener;

use crate::{Result, Socket};

/// What a [`PollItem`] waits for, and what it found ready: `IN` (a message can be received),
/// `OUT` (a send would go through), or both (`Events::IN | Events::OUT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Events(u8);

impl Events {
    /// Nothing.
    pub const NONE: Events = Events(0);
    /// A message can be received without blocking (`ZMQ_POLLIN`).
    pub const IN: Events = Events(1);
    /// A message can be sent without blocking (`ZMQ_POLLOUT`).
    pub const OUT: Events = Events(2);

    /// Whether every event of `other` is in `self`.
    pub fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// libzmq's bits: `ZMQ_POLLIN` (1), `ZMQ_POLLOUT` (2), as `ZMQ_EVENTS` reads them.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether there is no event.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn and(self, other: Events) -> Events {
        Events(self.0 & other.0)
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

/// One socket in a [`poll`] set: the events to wait for, and after the poll the ones found.
#[derive(Debug)]
pub struct PollItem<'a> {
    socket: &'a Socket,
    events: Events,
    revents: Events,
}

impl<'a> PollItem<'a> {
    /// Waits on `socket` for `events` (see also [`Socket::as_poll_item`]).
    pub fn new(socket: &'a Socket, events: Events) -> Self {
        PollItem {
            socket,
            events,
            revents: Events::NONE,
        }
    }

    /// The socket.
    pub fn socket(&self) -> &'a Socket {
        self.socket
    }

    /// What the last [`poll`] found ready (only events that were asked for).
    pub fn revents(&self) -> Events {
        self.revents
    }

    /// Whether the last poll found a message to receive.
    pub fn is_readable(&self) -> bool {
        self.revents.contains(Events::IN)
    }

    /// Whether the last poll found that a send would go through.
    pub fn is_writable(&self) -> bool {
        self.revents.contains(Events::OUT)
    }
}

/// Waits until at least one item is ready for one of its events, or `timeout_ms` passes (-1:
/// no limit; 0: just look), like `zmq_poll`. Returns how many items are ready; each item's
/// [`revents`](PollItem::revents) says for what.
///
/// ```
/// use ferromq::{Context, Events, SocketType};
///
/// let ctx = Context::new();
/// let a = ctx.socket(SocketType::Pull)?;
/// a.bind("inproc://poll-a")?;
/// let b = ctx.socket(SocketType::Pull)?;
/// b.bind("inproc://poll-b")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect("inproc://poll-b")?;
/// push.send("to b")?;
///
/// let mut items = [a.as_poll_item(Events::IN), b.as_poll_item(Events::IN)];
/// assert_eq!(ferromq::poll(&mut items, 1000)?, 1);
/// assert!(!items[0].is_readable() && items[1].is_readable());
/// assert_eq!(b.recv()?[0], "to b");
/// # Ok::<(), ferromq::Error>(())
/// ```
///
/// # Errors
/// [`Error::Closed`](crate::Error::Closed) when a socket is closed.
pub fn poll(items: &mut [PollItem<'_>], timeout_ms: i64) -> Result<usize> {
    let deadline = u64::try_from(timeout_ms)
        .ok()
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    loop {
        let ready = scan(items)?;
        if ready > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(ready);
        }
        // Listen first, then look again: an event between the two is not missed.
        let mut listeners = Vec::with_capacity(items.len() * 2);
        for item in items.iter() {
            if item.events.contains(Events::IN) {
                listeners.push(item.socket.readable_listener());
            }
            if item.events.contains(Events::OUT) {
                listeners.push(item.socket.writable_listener());
            }
        }
        let ready = scan(items)?;
        if ready > 0 {
            return Ok(ready);
        }
        if !wait_any(&mut listeners, deadline) {
            return scan(items);
        }
    }
}

fn scan(items: &mut [PollItem<'_>]) -> Result<usize> {
    let mut ready = 0;
    for item in items.iter_mut() {
        item.revents = if item.events.is_empty() {
            Events::NONE
        } else {
            item.socket.events()?.and(item.events)
        };
        ready += usize::from(!item.revents.is_empty());
    }
    Ok(ready)
}

/// Wakes the polling thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Blocks until one listener fires (`true`) or the deadline passes (`false`).
fn wait_any(listeners: &mut [EventListener], deadline: Option<Instant>) -> bool {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        for l in listeners.iter_mut() {
            if let Poll::Ready(()) = Pin::new(l).poll(&mut cx) {
                return true;
            }
        }
        match deadline {
            None => std::thread::park(),
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return false;
                }
                std::thread::park_timeout(d - now);
            }
        }
    }
}

/// `ZMQ_FD`'s descriptor: readable once the socket's events may have changed, until
/// [`Socket::events`] is read. A socketpair (no `unsafe`, no extra crate): `raise` writes a
/// byte unless one is already waiting, `clear` drains.
#[derive(Debug)]
pub(crate) struct Signal {
    tx: std::os::unix::net::UnixStream,
    rx: std::os::unix::net::UnixStream,
    /// A byte is (or is about to be) in the pair: raising again would add nothing.
    raised: std::sync::atomic::AtomicBool,
}

impl Signal {
    pub(crate) fn new() -> std::io::Result<Signal> {
        let (tx, rx) = std::os::unix::net::UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Signal {
            tx,
            rx,
            raised: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The descriptor that turns readable.
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.rx)
    }

    /// Something changed: make the descriptor readable.
    pub(crate) fn raise(&self) {
        use std::io::Write;
        if !self.raised.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // A full pair (it cannot be: one byte at most) or a closed one loses nothing.
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// The events are about to be read: the descriptor stops being readable. Drained first,
    /// then marked clear, so a raise in between is either drained (and its change seen by
    /// the read that follows) or writes a fresh byte.
    pub(crate) fn clear(&self) {
        use std::io::Read;
        let mut buf = [0u8; 16];
        while matches!((&self.rx).read(&mut buf), Ok(n) if n > 0) {}
        self.raised
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
