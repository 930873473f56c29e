//! ROUTER (RFC 28): every message is addressed by its first frame, the peer's routing id.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};

use crate::core::Peers;
use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::{Error, Message, Result};

pub(crate) struct Router {
    by_routing_id: HashMap<Bytes, PeerId>,
    /// Next generated routing id; starts at a random value, as in libzmq.
    next_generated: u32,
    /// `router_mandatory`: unroutable messages are errors, full pipes block.
    pub mandatory: bool,
    /// `router_handover`: a new peer with a taken routing id takes it over.
    pub handover: bool,
}

impl Router {
    pub fn new() -> Self {
        Router {
            by_routing_id: HashMap::new(),
            next_generated: random_u32(),
            mandatory: false,
            handover: false,
        }
    }

    /// libzmq's generated ids: a zero byte, then a 32-bit counter in network order.
    fn generate(&mut self) -> Bytes {
        loop {
            let mut id = BytesMut::with_capacity(5);
            id.put_u8(0);
            id.put_u32(self.next_generated);
            self.next_generated = self.next_generated.wrapping_add(1);
            let id = id.freeze();
            if !self.by_routing_id.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        let routing_id = if identity.is_empty() {
            self.generate()
        } else if let Some(&old) = self.by_routing_id.get(identity) {
            if !self.handover {
                return None; // libzmq keeps the first peer and refuses the newcomer
            }
            // The newcomer takes the id over; the old connection is closed.
            if let Some(p) = peers.get(old) {
                p.out.close();
            }
            identity.clone()
        } else {
            identity.clone()
        };
        self.by_routing_id.insert(routing_id.clone(), id);
        Some(routing_id)
    }

    pub fn detach(&mut self, id: PeerId, peers: &Peers) {
        if let Some(p) = peers.get(id) {
            if self.by_routing_id.get(&p.routing_id) == Some(&id) {
                self.by_routing_id.remove(&p.routing_id);
            }
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
            .by_routing_id
            .get(&routing_id)
            .and_then(|&id| peers.get(id));
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

/// A random starting point for generated ids, from the standard library's per-process hash keys.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish() as u32
}
