//! XPUB (RFC 29): a PUB whose application also reads the subscriptions: each topic's first
//! subscribe (every one, with `xpub_verbose`) and its last cancel, as a message of 1 or 0 and
//! the topic. Other messages from subscribers reach the application as they are.

use std::collections::VecDeque;

use super::pubsub::Publisher;
use super::Behaviour;
use crate::message::Outgoing;
use crate::options::SocketOption;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Message, Result, SocketType};

pub(crate) struct Xpub {
    pub publisher: Publisher,
}

impl Default for Xpub {
    fn default() -> Self {
        Xpub {
            publisher: Publisher::new(true),
        }
    }
}

impl Behaviour for Xpub {
    const TYPE: SocketType = SocketType::Xpub;

    #[inline]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        self.publisher.send(msg, peers)
    }

    fn can_send(&self, peers: &Peers) -> bool {
        self.publisher.can_send(peers)
    }

    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        Ok(inbox.pop().map(|(_, _, msg)| msg))
    }

    #[inline]
    fn recv_many(
        &mut self,
        inbox: &mut Inbox,
        out: &mut VecDeque<Message>,
        max: usize,
    ) -> Result<()> {
        inbox.pop_into(out, max);
        Ok(())
    }

    fn detach(&mut self, id: PeerId, _: &Peers, inbox: &mut Inbox) {
        self.publisher.detach(id, inbox);
    }

    fn configure(&mut self, option: SocketOption, on: bool) {
        match option {
            SocketOption::XpubVerbose => self.publisher.verbose = on,
            SocketOption::XpubNodrop => self.publisher.nodrop = on,
            _ => {}
        }
    }
}
