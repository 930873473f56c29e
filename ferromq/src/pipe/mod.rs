//! Pipes (the bottom layer, beside the protocol crate): the bounded per-peer queues that
//! routing hands messages to and connections take them from, with their high-water marks and
//! wake-ups. A pipe knows neither socket types nor transports' endpoints.
//!
//! - [`wire`]: the outgoing side of a tcp or ipc peer, encoded in the sender's thread into a
//!   batch that the engine writes (or that the sender writes itself, through a
//!   [`RawStream`]).
//! - [`inproc`]: one direction of an inproc connection, moving [`Message`]s.
//!
//! A pipe tells the sockets at its ends that it became readable or writable through
//! [`PipeEnd`], which the socket implements: the pipe never names the socket.

pub(crate) mod inproc;
mod stream;
pub(crate) mod wire;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use bytes::Bytes;

use crate::message::Outgoing;
use crate::Message;

pub(crate) use inproc::{Activations, InprocPipe, Pipes};
pub(crate) use stream::RawStream;
pub(crate) use wire::{Batch, OutPipe, Taken};

/// Identifies one peer of one socket for its whole life (across reconnects, for connected
/// endpoints).
pub(crate) type PeerId = u64;

/// Locks a mutex, taking it over from a thread that panicked while holding it: every state a
/// pipe's lock guards stays consistent between statements.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The socket at one end of a pipe, as the pipe sees it.
pub(crate) trait PipeEnd: Send + Sync {
    /// A pipe this socket reads became non-empty: wake its receivers.
    fn readable(&self);
    /// A pipe this socket writes got room or closed: wake its blocked senders.
    fn writable(&self);
    /// The inproc peer `id` of this socket closed its side: it leaves routing.
    fn peer_gone(&self, id: PeerId);
}

/// A map keyed by [`PeerId`]. Ids are unique counters, so a multiplicative mix is all the
/// hashing they need (SipHash showed up in profiles of the receive path).
pub(crate) type IdMap<V> = HashMap<PeerId, V, BuildHasherDefault<IdHasher>>;

#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Where messages routed to a peer go.
#[derive(Clone)]
pub(crate) enum Out {
    /// Encoded for a tcp or ipc connection.
    Wire(Arc<OutPipe>),
    /// Moved, as they are, to an inproc peer (small borrowed frames copied into its arena).
    Inproc(Arc<InprocPipe>),
}

impl Out {
    /// Whether a message would be accepted now.
    pub fn has_room(&self) -> bool {
        match self {
            Out::Wire(p) => p.has_room(),
            Out::Inproc(p) => p.has_room(),
        }
    }

    /// Queues a message, or hands it back at the high-water mark. A borrowed message is
    /// encoded from the borrow for a wire peer, and made owned only where it must be kept.
    #[inline(always)]
    pub fn push<'m>(&self, msg: Outgoing<'m>) -> std::result::Result<(), Outgoing<'m>> {
        match self {
            Out::Wire(p) => p.push(msg),
            Out::Inproc(p) => p.push(msg),
        }
    }

    /// Sends a subscription change (SUB, XSUB) to a peer speaking ZMTP 3.`minor`: a
    /// SUBSCRIBE or CANCEL command on the wire (a data frame to ZMTP 3.0 peers), a
    /// subscription message to an inproc peer.
    pub fn subscription(&self, subscribe: bool, topic: &Bytes, minor: u8) {
        match self {
            Out::Wire(p) => p.push_command(wire::subscription_bytes(subscribe, topic, minor)),
            Out::Inproc(p) => p.push_command(Message::subscription(subscribe, topic)),
        }
    }

    /// Drops the peer: what is queued for it is dropped and its connection ends.
    pub fn close(&self) {
        match self {
            Out::Wire(p) => p.close(),
            Out::Inproc(p) => {
                p.close(true);
            }
        }
    }

    /// Ends the peer's connection once what is queued for it is written (STREAM's
    /// zero-length send; its peers are never inproc, where it drops the peer at once).
    pub fn finish(&self) {
        match self {
            Out::Wire(p) => p.finish(),
            Out::Inproc(p) => {
                p.close(true);
            }
        }
    }

    /// Whether nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        match self {
            Out::Wire(p) => p.is_empty(),
            Out::Inproc(p) => p.is_empty(),
        }
    }
}
