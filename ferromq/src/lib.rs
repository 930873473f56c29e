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
//!  transport: tcp (listen, accept, connect, reconnect)
//!  ferromq-zmtp: greeting, handshake, frames, commands     <- sans-IO wire protocol
//! ```
//!
//! A send runs the pattern's routing in the caller's thread and encodes the message into the
//! chosen peer's outgoing batch; the I/O thread is woken only when that batch goes from empty
//! to non-empty, and writes everything queued with one syscall. Received bytes are read in
//! large chunks and cut into frames without copying; a blocked receiver is woken only when its
//! inbox goes from empty to non-empty.
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
