//! ROUTER (RFC 28): every message is addressed by its first frame, the peer's routing id.

use bytes::Bytes;

use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::identity::{Claim, IdentityMap};
use crate::routing::Peers;
use crate::{Error, Message, Result};

pub(crate) struct Router {
    peers_by_id: IdentityMap,
    /// `router_mandatory`: unroutable messages are errors, full pipes block.
    pub mandatory: bool,
    /// `router_handover`: a new peer with a taken routing id takes it over.
    pub handover: bool,
}

impl Router {
    pub fn new() -> Self {
        Router {
            peers_by_id: IdentityMap::new(),
            mandatory: false,
            handover: false,
        }
    }

    pub fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        match self.peers_by_id.attach(id, identity, self.handover) {
            Claim::Granted(routing_id) => Some(routing_id),
            Claim::Refused => None,
            Claim::TakenOver(routing_id, old) => {
                // The newcomer takes the id over; the old connection is closed.
                if let Some(p) = peers.get(old) {
                    p.out.close();
                }
                Some(routing_id)
            }
        }
    }

    pub fn detach(&mut self, id: PeerId, peers: &Peers) {
        if let Some(p) = peers.get(id) {
            self.peers_by_id.detach(id, &p.routing_id);
        }
    }

    pub fn send(&mut self, mut msg: Message, peers: &mut Peers) -> Result<Option<Message>> {
        if msg.len() < 2 {
            return Err(Error::InvalidMessage(
                "a ROUTER message needs a routing id frame and at least one more",
            ));
        }
        let routing_id = msg.pop_front().expect("checked above");
        let peer = self
            .peers_by_id
            .get(&routing_id)
            .and_then(|id| peers.get(id));
        let Some(peer) = peer else {
            if self.mandatory {
                return Err(Error::HostUnreachable { routing_id });
            }
            return Ok(None); // unroutable: dropped silently, as libzmq does
        };
        match peer.out.push(Outgoing::Owned(msg)) {
            Ok(()) => Ok(None),
            Err(back) if self.mandatory => {
                let mut back = back.into_owned();
                back.push_front(routing_id);
                Ok(Some(back))
            }
            Err(_) => Ok(None), // full: dropped, as libzmq does without router_mandatory
        }
    }
}
