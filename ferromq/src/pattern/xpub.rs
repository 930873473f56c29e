//! XPUB (RFC 29): a PUB whose application also reads the subscriptions, fair-queued with
//! anything else its subscribers send: each topic's first subscribe (every one, with
//! `xpub_verbose`) and its last cancel, as a message of 1 or 0 and the topic.

use super::pubsub::Publisher;
use super::{Behaviour, Receives, Sends};
use crate::SocketType;

pub(crate) struct Xpub {
    publisher: Publisher,
}

impl Default for Xpub {
    fn default() -> Self {
        Xpub {
            // Subscriptions go to the application.
            publisher: Publisher::new(true),
        }
    }
}

impl Behaviour for Xpub {
    const TYPE: SocketType = SocketType::Xpub;
    const SENDS: Sends = Sends::FannedOut;
    const RECEIVES: Receives = Receives::FairQueued;

    fn publisher(&self) -> Option<&Publisher> {
        Some(&self.publisher)
    }

    fn publisher_mut(&mut self) -> Option<&mut Publisher> {
        Some(&mut self.publisher)
    }
}
