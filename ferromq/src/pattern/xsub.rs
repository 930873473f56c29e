//! XSUB (RFC 29): a SUB whose application writes its subscriptions as messages (1 or 0, then
//! the topic); any other message it sends goes upstream to every publisher, as libzmq's
//! does. What arrives is filtered by the subscriptions, as on a SUB.

use super::pubsub::Subscriber;
use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::routing::Peers;
use crate::{Result, SocketType};

#[derive(Default)]
pub(crate) struct Xsub {
    subscriber: Subscriber,
}

impl Behaviour for Xsub {
    const TYPE: SocketType = SocketType::Xsub;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Subscribed;

    fn subscriber_mut(&mut self) -> Option<&mut Subscriber> {
        Some(&mut self.subscriber)
    }

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
}
