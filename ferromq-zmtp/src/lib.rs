//! ZMTP 3.1, the ZeroMQ wire protocol, as a pure state machine.
//!
//! This crate knows nothing of sockets, threads, clocks or runtimes: bytes go in, events come
//! out; messages go in, bytes come out. Whoever owns the connection (a tcp or ipc stream, a test
//! harness, a fuzzer) moves the bytes. Time, where it matters, is passed in as an argument.
//!
//! ```text
//!   peer bytes ──► Connection::read_buf / feed ──► poll_event() ──► Event::{Ready, Frame, Subscribe, ...}
//!   Connection::poll_transmit() ──► greeting, READY, PONG, ERROR ... ──► peer
//!   encode::message(frames) ──► data frames (encoded in the sender's thread) ──► peer
//! ```
//!
//! A connection goes through three states, each accepting only what is valid there:
//! `ExpectGreeting` (64 bytes, accepted in any split), `ExpectReady` (the NULL mechanism's
//! READY, whose metadata must name a compatible socket type) and `Traffic` (messages and the
//! commands SUBSCRIBE, CANCEL, PING, PONG and ERROR). The peer's metadata is parsed once into
//! [`PeerInfo`]; a peer takes part in routing only after [`Event::Ready`].
//!
//! # Deliberate deviations from libzmq
//!
//! * ZMTP 1.0 and 2.0 peers are refused with [`Error::UnsupportedVersion`] or
//!   [`Error::BadSignature`]. libzmq still downgrades to them, which means it interprets random
//!   bytes from a misdirected client (an HTTP request, say) as messages.
//! * Reserved frame flag bits are rejected ([`Error::ReservedFlags`]); libzmq ignores them.
//!
//! # Example: two connections talking through memory
//!
//! ```
//! use bytes::BytesMut;
//! use ferromq_zmtp::{encode, Config, Connection, Event, SocketType};
//!
//! let mut req = Connection::new(Config::new(SocketType::Req));
//! let mut rep = Connection::new(Config::new(SocketType::Rep));
//! let mut wire = BytesMut::new();
//! // Each side's greeting and READY go to the other.
//! for _ in 0..2 {
//!     req.poll_transmit(&mut wire);
//!     rep.feed(&wire.split());
//!     rep.poll_transmit(&mut wire);
//!     req.feed(&wire.split());
//!     while let Some(event) = req.poll_event().unwrap() {
//!         assert!(matches!(event, Event::Ready(_)));
//!     }
//! }
//! // Data frames are encoded apart from the connection (in the sender's thread).
//! encode::message(&mut wire, [&b""[..], b"hello"]);
//! rep.feed(&wire.split());
//! let mut frames = Vec::new();
//! while let Some(event) = rep.poll_event().unwrap() {
//!     match event {
//!         Event::Ready(peer) => assert_eq!(peer.socket_type, SocketType::Req),
//!         Event::Frame(frame) => frames.push(frame.data),
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(frames, [&b""[..], b"hello"]);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
mod connection;
pub mod curve;
pub mod encode;
mod error;
pub mod frame;
pub mod greeting;
pub mod key;
pub mod mechanism;
pub mod metadata;
mod socket_type;
pub mod z85;

pub use command::Command;
pub use connection::{Config, Connection, Event, Heartbeat, PeerInfo};
pub use error::{zmtp_code, Error};
pub use frame::Frame;
pub use mechanism::{AuthReply, AuthRequest, Mechanism};
pub use metadata::Metadata;
pub use socket_type::SocketType;
