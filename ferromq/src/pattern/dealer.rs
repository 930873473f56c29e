//! DEALER (RFC 28): asynchronous requests and replies. Sends load-balance over the peers;
//! receives fair-queue from them; no envelope is added or taken.

use std::collections::VecDeque;

use super::{any_room, Behaviour};
use crate::message::Outgoing;
use crate::routing::{Inbox, Peers};
use crate::{Message, Result, SocketType};

pub(crate) struct Dealer;

impl Behaviour for Dealer {
    const TYPE: SocketType = SocketType::Dealer;

    #[inline]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        Ok(peers.load_balance(msg).err())
    }

    fn can_send(&self, peers: &Peers) -> bool {
        any_room(peers)
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
}
