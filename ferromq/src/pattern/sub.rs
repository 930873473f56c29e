//! SUB (RFC 29): receives the messages whose first frame starts with one of its
//! subscriptions. Subscriptions are counted per topic, sent to every publisher, and sent again
//! to each one that (re)connects; the publisher filters, and the SUB filters again what
//! arrives. A SUB sends nothing but subscriptions (`subscribe`, `unsubscribe`).

use std::collections::VecDeque;

use super::pubsub::Subscriber;
use super::Behaviour;
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

#[derive(Default)]
pub(crate) struct Sub {
    pub subscriber: Subscriber,
}

impl Behaviour for Sub {
    const TYPE: SocketType = SocketType::Sub;

    fn send<'m>(&mut self, _: Outgoing<'m>, _: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        Err(Error::NotSupported {
            socket_type: Self::TYPE,
            operation: "send (use subscribe and unsubscribe)",
        })
    }

    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        Ok(self.subscriber.recv(inbox))
    }

    #[inline]
    fn recv_many(
        &mut self,
        inbox: &mut Inbox,
        out: &mut VecDeque<Message>,
        max: usize,
    ) -> Result<()> {
        self.subscriber.recv_many(inbox, out, max);
        Ok(())
    }

    fn attached(&mut self, id: PeerId, peers: &Peers) {
        self.subscriber.attached(id, peers);
    }
}
