//! PAIR (RFC 31): an exclusive connection between two sockets. It talks to one peer; like
//! libzmq, it refuses any further connection while it has one.

use std::collections::VecDeque;

use bytes::Bytes;

use super::{any_room, Behaviour};
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Message, Result, SocketType};

pub(crate) struct Pair;

impl Behaviour for Pair {
    const TYPE: SocketType = SocketType::Pair;

    #[inline]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        Ok(peers.load_balance(msg).err()) // there is at most one peer to balance over
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

    fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        // A connect-side peer that reconnects is already counted.
        let others = peers.len() - usize::from(peers.get(id).is_some());
        (others == 0).then(|| identity.clone())
    }
}
