//! REP (RFC 28): receives a request with its envelope, sends the reply back along it.

use bytes::Bytes;

use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

#[derive(Default)]
pub(crate) struct Rep {
    /// The peer and envelope (every frame up to and including the empty delimiter) of the
    /// request being answered.
    reply_to: Option<(PeerId, Vec<Bytes>)>,
}

impl Behaviour for Rep {
    const TYPE: SocketType = SocketType::Rep;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Own;

    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        self.reply(msg.into_owned(), peers)?;
        Ok(None)
    }

    /// Whether a request awaits its reply.
    fn can_send(&self, _: &Peers) -> bool {
        self.reply_to.is_some()
    }

    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        self.request(inbox)
    }

    fn stateless_recv(&self) -> bool {
        false
    }
}

impl Rep {
    /// Takes the next request, keeping its envelope for the reply.
    fn request(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        if self.reply_to.is_some() {
            return Err(Error::WrongState {
                socket_type: SocketType::Rep,
                operation: "receive",
                reason: "it must send the reply to the last request first",
            });
        }
        while let Some((peer, _, mut msg)) = inbox.pop() {
            let Some(delimiter) = msg.iter().position(|f| f.is_empty()) else {
                continue; // no envelope: not a request, dropped like libzmq does
            };
            let body = msg.split_off(delimiter + 1);
            if body.is_empty() {
                continue;
            }
            self.reply_to = Some((peer, msg.into_frames()));
            return Ok(Some(body));
        }
        Ok(None)
    }

    /// Sends the reply back along the request's envelope.
    fn reply(&mut self, mut msg: Message, peers: &mut Peers) -> Result<()> {
        let Some((peer, envelope)) = self.reply_to.take() else {
            return Err(Error::WrongState {
                socket_type: SocketType::Rep,
                operation: "send",
                reason: "it must receive a request first",
            });
        };
        msg.prepend(envelope);
        // Like libzmq, a reply to a peer that left or is at its high-water mark is dropped.
        if let Some(p) = peers.get(peer) {
            let _ = p.out.push(Outgoing::Owned(msg));
        }
        Ok(())
    }
}
