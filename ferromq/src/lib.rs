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
//! ```text
//!  Socket (send/recv, blocking and async, options)         <- public API
//!  pattern: req rep dealer router push pull pair           <- routing in the caller's thread
//!           pub xpub sub xsub (prefix filter at the publisher)
//!  core: peers (load balance), inbox (fair queue), pipes   <- per-peer queues, HWM in messages
//!  engine: one task per connection on the context's I/O thread
//!  transport: tcp, ipc (listen, accept, connect, reconnect); inproc (message pipes)
//!  ferromq-zmtp: greeting, handshake, frames, commands     <- sans-IO wire protocol
//! ```
//!
//! # How a message travels (the hot path)
//!
//! - **Send.** The pattern's routing runs in the caller's thread, which encodes the message
//!   into the chosen peer's outgoing batch (frames of 32 KiB and more go by reference).
//!   - If the connection's writer is idle and nothing is queued, the caller writes the batch
//!     to the socket itself, through a duplicated non-blocking descriptor, and wakes nobody.
//!     At most one such direct write is made per thread per 20 µs, so a burst or a fan-out
//!     batches instead of paying a syscall per message.
//!   - Otherwise the I/O thread is woken, only when the batch goes from empty to non-empty.
//!     It writes everything queued with as few syscalls as it can.
//!   - The HWM counts the messages waiting beyond the batch, as libzmq counts its pipe.
//! - **Receive.** The I/O thread reads 64 KiB at a time, cuts frames without copying and
//!   hands whole decoded batches to the socket's inbox under one lock. A blocked receiver is
//!   woken only when its inbox goes from empty to non-empty. A receive takes up to 32 messages
//!   at once into the socket's receive cache, for the patterns whose receive keeps no state.
//! - **inproc** moves `Message`s through a pair of pipes, each with its own lock. A reader takes
//!   up to 256 messages from a pipe at a time.
//! - **Still open.** The hand-over of reading between the I/O thread and a waiting receiver:
//!   reading in the receiver's own thread, as PERF.md's prototype did, would save the last
//!   thread hop of a round trip.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod context;
mod core;
mod endpoint;
mod engine;
mod error;
mod message;
mod monitor;
mod options;
mod pattern;
mod pipe;
mod poll;
mod proxy;
mod socket;
mod transport;

pub use bytes::Bytes;
pub use context::Context;
pub use error::{Error, Result};
pub use ferromq_zmtp::SocketType;
pub use message::Message;
pub use monitor::{EventKind, Monitor, MonitorEvent};
pub use poll::{poll, Events, PollItem};
pub use proxy::{proxy, proxy_steerable, ProxyStats};
pub use socket::Socket;

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
