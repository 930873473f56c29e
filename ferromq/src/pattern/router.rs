//! ROUTER (RFC 28): every message is addressed by its first frame, the peer's routing id.

use bytes::Bytes;

use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::options::SocketOption;
use crate::pipe::PeerId;
use crate::routing::identity::{Claim, IdentityMap};
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

pub(crate) struct Router {
    peers_by_id: IdentityMap,
    /// `router_mandatory`: unroutable messages are errors, full pipes block.
    mandatory: bool,
    /// `router_handover`: a new peer with a taken routing id takes it over.
    handover: bool,
}

impl Router {
    pub fn new() -> Self {
        Router {
            peers_by_id: IdentityMap::new(),
            mandatory: false,
            handover: false,
        }
    }
}

impl Behaviour for Router {
    const TYPE: SocketType = SocketType::Router;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Own;

    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        let back = self.route(msg.into_owned(), peers)?;
        Ok(back.map(Outgoing::Owned))
    }

    /// A ROUTER drops (or, when mandatory, reports) per message: a send never waits for
    /// the socket as a whole.
    fn can_send(&self, _: &Peers) -> bool {
        true
    }

    /// The next message, its sender's routing id first.
    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        Ok(super::addressed(inbox))
    }

    fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
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

    fn detach(&mut self, id: PeerId, peers: &Peers, _: &mut Inbox) {
        if let Some(p) = peers.get(id) {
            self.peers_by_id.detach(id, &p.routing_id);
        }
    }

    fn configure(&mut self, option: SocketOption, on: bool) {
        match option {
            SocketOption::RouterMandatory => self.mandatory = on,
            SocketOption::RouterHandover => self.handover = on,
            _ => {}
        }
    }
}

impl Router {
    /// Whether a peer has this routing id now.
    pub fn knows(&self, routing_id: &[u8]) -> bool {
        self.peers_by_id.get(routing_id).is_some()
    }

    /// Sends to the peer the first frame names; an unknown name is dropped, or with
    /// `router_mandatory` an error, and a full peer drops it, or with `router_mandatory`
    /// hands it back (would block).
    fn route(&mut self, mut msg: Message, peers: &mut Peers) -> Result<Option<Message>> {
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
