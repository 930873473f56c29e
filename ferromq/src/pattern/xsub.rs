//! XSUB (RFC 29): a SUB whose application writes its subscriptions as messages (1 or 0, then
//! the topic); any other message it sends goes upstream to every publisher, as libzmq's
//! does. What arrives is filtered by the subscriptions, as on a SUB.

use std::collections::VecDeque;

use super::pubsub::Subscriber;
use super::Behaviour;
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Message, Result, SocketType};

#[derive(Default)]
pub(crate) struct Xsub {
    pub subscriber: Subscriber,
}

impl Behaviour for Xsub {
    const TYPE: SocketType = SocketType::Xsub;

    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        let msg = msg.into_owned();
        match msg.as_subscription() {
            Some((subscribe, topic)) => self.subscriber.change(subscribe, topic, peers),
            None => {
                for peer in peers.iter() {
                    let _ = peer.out.push(Outgoing::Borrowed(&msg));
                }
            }
        }
        Ok(None)
    }

    /// An XSUB always sends: subscriptions take no room, data to a full peer is dropped.
    fn can_send(&self, _: &Peers) -> bool {
        true
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
