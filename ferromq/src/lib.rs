//! ferromq: ZeroMQ in pure Rust.
//!
//! libzmq's sockets and semantics (REQ/REP, DEALER/ROUTER, PUSH/PULL, PAIR ...), ZMTP 3.1 on
//! the wire so that it talks to every libzmq-based program, and one socket that serves blocking
//! and async code alike.
//!
//! ```
//! use ferromq::{Context, SocketType};
//!
//! let ctx = Context::new();
//! let server = ctx.socket(SocketType::Rep)?;
//! server.bind("tcp://127.0.0.1:*")?;
//! let client = ctx.socket(SocketType::Req)?;
//! client.connect(&server.last_endpoint().unwrap())?;
//!
//! client.send("hello")?;
//! let request = server.recv()?;
//! server.send(["world", "!"])?;
//! let reply = client.recv()?;
//! assert_eq!(reply.frames(), ["world", "!"]);
//! # Ok::<(), ferromq::Error>(())
//! ```
//!
//! # Layers
//!
//! Each layer is a folder (or, for the socket API and the leaf modules, files at the top of
//! `src/`) and may use only the layers below it; `tests/architecture.rs` fails the build when
//! a `crate::` path points up or two layers use each other.
//!
//! ```text
//!  socket API   socket, context, poll, proxy, auth,    Socket, Context, Authenticator;
//!               core                                   core: one socket's
//!               (the public types and their state)     shared state (peers, inbox, pattern)
//!     │                                   │
//!     ▼                                   ▼
//!  pattern/     one file per socket     transport/   tcp, ipc: listen, dial, reconnect;
//!               type, composed of                    inproc: the name registry
//!     │         routing strategies                       │
//!     ▼                                                  ▼
//!  routing/     load_balance, fair_queue,            engine/   one connection: handshake,
//!               fan_out, identity                              read (reader.rs), write;
//!     │                                                  │     Owner: what it asks of its socket
//!     └──────────────────────┬───────────────────────────┘
//!                            ▼
//!  pipe/        wire (encoded batches), inproc (moved messages), the raw stream
//!     │
//!     ▼
//!  leaf         message, options, error, endpoint, monitor, keys, zap: data every layer may use
//!  ferromq-zmtp greeting, handshake, frames, commands, Z85, keys: the sans-IO wire protocol
//! ```
//!
//! | layer | may use |
//! |---|---|
//! | socket API | everything below |
//! | `pattern/` | `routing/`, `pipe/`, leaf |
//! | `routing/` | `pipe/`, leaf |
//! | `transport/` | `engine/`, `pipe/`, leaf |
//! | `engine/` | `pipe/`, leaf, `ferromq-zmtp` |
//! | `pipe/` | leaf, `ferromq-zmtp` (the wire pipe encodes frames) |
//! | leaf | other leaf modules |
//!
//! Below the pattern layer nothing branches on what a socket type does: the engine carries
//! the type as data for the handshake (Socket-Type, which peers may talk, whether SUBSCRIBE
//! commands become messages), and a pattern never sees a transport, an engine or wire bytes.
//!
//! # Waiting and waking
//!
//! Five primitives, each kept where it alone does the job:
//!
//! | primitive | who waits | why this one |
//! |---|---|---|
//! | `event_listener::Event` | users: blocking and async `send` / `recv`, `poll`, the monitor | one listener serves a blocking wait with a deadline and an `.await` under any executor; the socket's API must not tie users to tokio |
//! | `tokio::sync::Notify` | tasks on the I/O thread: a writer waiting for data, a reader for room, a hand-back from a receiver | they run on tokio's reactor; a permit stored before the wait is what makes "notify, then wait" race-free there |
//! | `tokio::sync::watch` | the I/O thread's tasks: stop (unbind, disconnect) and closing | a flag every connection of an endpoint sees, set once, read at any later time, usable in `select!` |
//! | `mio::Waker` | a blocking receiver asleep in `epoll` on its own connection | it must wake for bytes on the socket *and* for anything else (another peer, close) in one system call; only a waker registered in that epoll set can ring it |
//! | `std::sync::mpsc` (zero capacity) | `unbind` and `Drop`, for the listener to close | a blocking wait with a timeout on a sender that is dropped, not sent on: no other primitive here has both without a runtime |
//!
//! Folding `Notify` into `event_listener` (or the reverse) would change the wake-ups on the
//! hot path and has not been measured yet; until an A/B run says it is free, both stay.
//!
//! # How a message travels (the hot path)
//!
//! - **Send.** The pattern's routing runs in the caller's thread, which encodes the message
//!   into the chosen peer's outgoing batch. Borrowed bytes (`send(&buf[..])`) are copied
//!   straight from the caller's buffer, so a small message that PUSH, DEALER, PAIR, PUB or
//!   XPUB sends to a tcp or ipc peer allocates nothing (see [`Sendable`] for where a copy is
//!   kept); owned frames of 32 KiB and more go by reference (a large borrowed frame is copied
//!   once, before any lock is taken).
//!   - If the connection's writer is idle and nothing is queued, the caller writes the batch
//!     to the socket itself, through a duplicated non-blocking descriptor, and wakes nobody.
//!     At most one such direct write is made per thread per 20 µs, so a burst or a fan-out
//!     batches instead of paying a syscall per message.
//!   - Otherwise the I/O thread is woken, only when the batch goes from empty to non-empty.
//!     It swaps the batch for its own emptied buffer (so a warm connection allocates nothing)
//!     and writes it with one vectored write where the socket takes it.
//!   - While a sender streams, the I/O thread would drain each batch as soon as it starts,
//!     writing a few messages per syscall and taking the core the sender needs (on two cores
//!     there are three busy threads). After a small write in a stream it yields its core once
//!     (`sched_yield`, at most once per 50 µs per I/O thread), and the next batch is larger.
//!     A writer that had gone idle does not yield: a lone message is never delayed.
//!   - The HWM counts the messages waiting beyond the batch (256 KiB), as libzmq counts its
//!     pipe, and those the batch holds by reference (they keep their own memory, as waiting
//!     ones do). The next send encodes the waiting ones into the batch once the writer has
//!     taken it, so the I/O thread only writes.
//!   - A fan-out (PUB, XPUB) encodes each subscriber's copy from the one borrowed message.
//!     Each topic keeps its subscribers' outgoing sides, so a send looks nothing up per
//!     subscriber, and the empty topic (everything) matches without hashing.
//! - **Receive.** Reads are 64 KiB at a time. Frames are cut from the read buffer without
//!   copying: a run of whole frames is split off once and each frame sliced from it. Whole
//!   decoded batches go to the socket's inbox under one lock (trading buffers with the peer's
//!   queue when it is empty, as it is when the application keeps up). A receive
//!   takes up to 32 messages at once into the socket's receive cache, for the patterns whose
//!   receive keeps no state; while one peer alone has input, they move as one run. Who reads:
//!   - A **blocking receive** that finds the inbox empty, on a socket whose only peer is one tcp
//!     or ipc connection, reads that connection itself, and sleeps in `epoll` on it (and on a
//!     waker that anything else happening to the socket rings: another peer, close). The
//!     message is decoded in the thread that takes it: no thread hop, no frames crossing
//!     cores. This is what brings a REQ/REP round trip to a raw socket's.
//!   - The **I/O thread** reads in every other case: the handshake, sockets with many peers,
//!     async and polling receivers, and any receiver that stops reading. It also keeps the
//!     heartbeat timers; a receiver that decodes a PING queues the PONG itself.
//!   - The **hand-over**: one atomic per connection says who reads (nobody, the I/O thread, or a
//!     receiver), taken by compare-and-swap, so the decoder is never shared. When the I/O
//!     thread finds the socket readable while a receiver reads, it notes it, and the receiver
//!     wakes it when it gives the role back. When the I/O thread sees that a receiver read
//!     since it last looked, it drops its read registration and leaves the socket to it for
//!     1 ms before looking again: a receiver that keeps up has its connection to itself (its
//!     bytes wake nobody else), and one that stops has the inbox filled behind it up to the
//!     receive HWM, with PINGs answered, as libzmq does. The I/O thread's writing has a
//!     registration of its own, for writability only.
//! - **inproc** moves `Message`s through a pair of pipes, each with its own lock. A reader takes
//!   up to 256 messages from a pipe at a time. A small borrowed send (256 bytes at most) is
//!   copied into the pipe's arena, a 64 KiB chunk, and the reader cuts the message from it:
//!   one allocation per chunk rather than per message, and reference counts that only the
//!   reader's thread touches (the sender's, once per chunk). It takes such a batch whole
//!   under the pipe's lock and cuts it after releasing the lock, so that the sender does not
//!   wait on it meanwhile.
//! - **Still open.** A small message costs about 290 instructions to send and 280 to receive
//!   (libzmq: 1,165 and 1,088), spread thin over the socket's locks, the routing, a frame's
//!   reference count and the queues between decoder, inbox and receive cache; taking one lock
//!   out of either side changed nothing measurable. A small borrowed message that waits at
//!   the high-water mark is copied twice (into its own allocation, then into the batch).
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod context;
mod core;
mod endpoint;
mod engine;
mod error;
mod keys;
mod message;
mod monitor;
pub mod options;
mod pattern;
mod pipe;
mod poll;
mod proxy;
mod routing;
mod socket;
mod transport;
pub mod zap;

pub use auth::{Authenticator, CurveClients};
pub use bytes::Bytes;
pub use context::Context;
pub use error::{Error, Result};
pub use ferromq_zmtp::SocketType;
pub use keys::{
    curve_keypair, curve_public, read_certificate, read_certificates, write_certificate,
    z85_decode, z85_encode, Certificate, CurveKeyPair, KeyError, Z85Error,
};
pub use message::{Message, Properties, Sendable, ZERO_COPY_MIN};
pub use monitor::{Cause, EventKind, Monitor, MonitorEvent};
pub use options::{OptionValue, SocketOption};
pub use poll::{poll, Events, PollItem};
pub use proxy::{proxy, proxy_steerable, ProxyStats};
#[doc(hidden)]
pub use routing::Topics;
pub use socket::Socket;

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
