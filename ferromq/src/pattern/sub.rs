//! SUB (RFC 29): receives the messages whose first frame starts with one of its
//! subscriptions. Subscriptions are counted per topic, sent to every publisher, and sent again
//! to each one that (re)connects; the publisher filters, and the SUB filters again what
//! arrives. A SUB sends nothing but subscriptions (`subscribe`, `unsubscribe`).

use super::pubsub::Subscriber;
use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::routing::Peers;
use crate::{Error, Result, SocketType};

#[derive(Default)]
pub(crate) struct Sub {
    subscriber: Subscriber,
}

impl Behaviour for Sub {
    const TYPE: SocketType = SocketType::Sub;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Subscribed;

    fn subscriber_mut(&mut self) -> Option<&mut Subscriber> {
        Some(&mut self.subscriber)
    }

    fn send<'m>(&mut self, _: Outgoing<'m>, _: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        Err(Error::NotSupported {
            socket_type: Self::TYPE,
            operation: "send (use subscribe and unsubscribe)",
        })
    }
}
