//! PUB (RFC 29): distributes each message to every subscriber with a subscription that
//! prefixes it, filtering at the publisher. A subscriber at its high-water mark misses
//! messages (or, with `xpub_nodrop`, holds the send back); a PUB never receives.

use super::pubsub::Publisher;
use super::Behaviour;
use crate::message::Outgoing;
use crate::options::SocketOption;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Result, SocketType};

pub(crate) struct Pub {
    pub publisher: Publisher,
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

    #[inline]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        self.publisher.send(msg, peers)
    }

    fn can_send(&self, peers: &Peers) -> bool {
        self.publisher.can_send(peers)
    }

    fn detach(&mut self, id: PeerId, _: &Peers, inbox: &mut Inbox) {
        self.publisher.detach(id, inbox);
    }

    fn configure(&mut self, option: SocketOption, on: bool) {
        if option == SocketOption::XpubNodrop {
            self.publisher.nodrop = on;
        }
    }
}
