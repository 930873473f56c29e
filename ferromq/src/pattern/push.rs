//! PUSH (RFC 30): the sending end of a pipeline. Each message goes to the next worker in turn
//! that has room (load balancing); a PUSH never receives.

use super::{any_room, Behaviour};
use crate::message::Outgoing;
use crate::routing::Peers;
use crate::{Result, SocketType};

pub(crate) struct Push;

impl Behaviour for Push {
    const TYPE: SocketType = SocketType::Push;

    #[inline]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        Ok(peers.load_balance(msg).err())
    }

    fn can_send(&self, peers: &Peers) -> bool {
        any_room(peers)
    }
}
