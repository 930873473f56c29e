//! PUB (RFC 29): distributes each message to every subscriber with a subscription that
//! prefixes it, filtering at the publisher (fan-out). A subscriber at its high-water mark
//! misses messages (or, with `xpub_nodrop`, holds the send back); a PUB never receives, and
//! takes its subscribers' subscriptions without showing them.

use super::pubsub::Publisher;
use super::{Behaviour, Receives, Sends};
use crate::SocketType;

pub(crate) struct Pub {
    publisher: Publisher,
}

impl Default for Pub {
    fn default() -> Self {
        Pub {
            publisher: Publisher::new(false),
        }
    }
}

impl Behaviour for Pub {
    const TYPE: SocketType = SocketType::Pub;
    const SENDS: Sends = Sends::FannedOut;
    const RECEIVES: Receives = Receives::Nothing;

    fn publisher(&self) -> Option<&Publisher> {
        Some(&self.publisher)
    }

    fn publisher_mut(&mut self) -> Option<&mut Publisher> {
        Some(&mut self.publisher)
    }
}
