//! PULL (RFC 30): the receiving end of a pipeline. Messages are fair-queued from every
//! upstream peer; a PULL never sends.

use std::collections::VecDeque;

use super::Behaviour;
use crate::routing::Inbox;
use crate::{Message, Result, SocketType};

pub(crate) struct Pull;

impl Behaviour for Pull {
    const TYPE: SocketType = SocketType::Pull;

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
