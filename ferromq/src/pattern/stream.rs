//! STREAM (libzmq's `ZMQ_STREAM`): plain TCP peers, each known by a routing id. A message is
//! [routing id, bytes]: received, the bytes one read brought; sent, the bytes to write, and
//! a zero-length send closes that peer's connection once what was sent before it is out.

use bytes::Bytes;

use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::identity::{Claim, IdentityMap};
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

pub(crate) struct Stream {
    peers_by_id: IdentityMap,
}

impl Stream {
    pub fn new() -> Self {
        Stream {
            peers_by_id: IdentityMap::new(),
        }
    }

    /// Whether a peer has this routing id now.
    pub fn knows(&self, routing_id: &[u8]) -> bool {
        self.peers_by_id.get(routing_id).is_some()
    }
}

impl Behaviour for Stream {
    const TYPE: SocketType = SocketType::Stream;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Own;

    /// Writes the frames after the routing id, one after the other, to that peer; a single
    /// empty one closes its connection. An unknown id is an error, as in libzmq; a full
    /// pipe hands the message back (would block).
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        let mut msg = msg.into_owned();
        if msg.len() < 2 {
            return Err(Error::InvalidMessage(
                "a STREAM message needs a routing id frame and the bytes to send",
            ));
        }
        let routing_id = msg.pop_front().expect("checked above");
        let found = self.peers_by_id.get(&routing_id);
        let Some((id, peer)) = found.and_then(|id| Some((id, peers.get(id)?))) else {
            return Err(Error::HostUnreachable { routing_id });
        };
        if msg.len() == 1 && msg[0].is_empty() {
            // The peer leaves routing now; its connection closes after what it was sent.
            peer.out.finish();
            self.peers_by_id.detach(id, &routing_id);
            return Ok(None);
        }
        match peer.out.push(Outgoing::Owned(msg)) {
            Ok(()) => Ok(None),
            Err(back) => {
                let mut back = back.into_owned();
                back.push_front(routing_id);
                Ok(Some(Outgoing::Owned(back)))
            }
        }
    }

    /// A send names its peer: it never waits for the socket as a whole.
    fn can_send(&self, _: &Peers) -> bool {
        true
    }

    /// The next message, its peer's routing id first.
    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        Ok(super::addressed(inbox))
    }

    /// A new connection gets a routing id of its own (a TCP peer sends none).
    fn attach(&mut self, id: PeerId, identity: &Bytes, _: &Peers) -> Option<Bytes> {
        match self.peers_by_id.attach(id, identity, false) {
            Claim::Granted(routing_id) => Some(routing_id),
            Claim::Refused | Claim::TakenOver(..) => None,
        }
    }

    fn detach(&mut self, id: PeerId, peers: &Peers, _: &mut Inbox) {
        if let Some(p) = peers.get(id) {
            self.peers_by_id.detach(id, &p.routing_id);
        }
    }
}
