//! The identity map (routing layer; libzmq's `router_t` out-pipes): each peer known by its
//! routing id, the one it announced or one generated for it, so that a message can name the
//! peer it goes to.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};

use crate::pipe::PeerId;

/// Routing ids and the peers that hold them.
pub(crate) struct IdentityMap {
    by_routing_id: HashMap<Bytes, PeerId>,
    /// Next generated routing id; starts at a random value, as in libzmq.
    next_generated: u32,
}

/// What [`IdentityMap::attach`] decided for a newcomer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The peer holds this routing id from now on.
    Granted(Bytes),
    /// The id is taken and not handed over: the newcomer is refused (libzmq keeps the first).
    Refused,
    /// The id was taken by `old`, which loses it to the newcomer (`router_handover`).
    TakenOver(Bytes, PeerId),
}

impl IdentityMap {
    pub fn new() -> Self {
        Self::starting_at(random_u32())
    }

    /// A map whose generated ids count from `first` (tests pass a fixed start).
    pub fn starting_at(first: u32) -> Self {
        IdentityMap {
            by_routing_id: HashMap::new(),
            next_generated: first,
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

    /// Peer `id` announced `identity` (empty: none). With `handover`, a taken id passes to the
    /// newcomer.
    pub fn attach(&mut self, id: PeerId, identity: &Bytes, handover: bool) -> Claim {
        let claim = if identity.is_empty() {
            Claim::Granted(self.generate())
        } else if let Some(&old) = self.by_routing_id.get(identity) {
            if !handover {
                return Claim::Refused;
            }
            Claim::TakenOver(identity.clone(), old)
        } else {
            Claim::Granted(identity.clone())
        };
        let (Claim::Granted(routing_id) | Claim::TakenOver(routing_id, _)) = &claim else {
            unreachable!("refusals returned above")
        };
        self.by_routing_id.insert(routing_id.clone(), id);
        claim
    }

    /// Peer `id`, which held `routing_id`, left (a peer that lost its id to a newcomer
    /// releases nothing).
    pub fn detach(&mut self, id: PeerId, routing_id: &Bytes) {
        if self.by_routing_id.get(routing_id) == Some(&id) {
            self.by_routing_id.remove(routing_id);
        }
    }

    /// The peer holding `routing_id`.
    #[inline]
    pub fn get(&self, routing_id: &[u8]) -> Option<PeerId> {
        self.by_routing_id.get(routing_id).copied()
    }
}

/// A random starting point for generated ids, from the standard library's per-process hash keys.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_start_with_a_zero_byte_and_never_repeat() {
        let mut map = IdentityMap::starting_at(u32::MAX);
        let a = map.attach(1, &Bytes::new(), false);
        let b = map.attach(2, &Bytes::new(), false);
        assert_eq!(
            a,
            Claim::Granted(Bytes::from_static(&[0, 0xff, 0xff, 0xff, 0xff]))
        );
        assert_eq!(
            b,
            Claim::Granted(Bytes::from_static(&[0, 0, 0, 0, 0])),
            "wraps"
        );
        // A counter that comes round to an id in use skips it.
        let mut map = IdentityMap::starting_at(7);
        map.attach(1, &Bytes::from_static(&[0, 0, 0, 0, 7]), false);
        let c = map.attach(2, &Bytes::new(), false);
        assert_eq!(c, Claim::Granted(Bytes::from_static(&[0, 0, 0, 0, 8])));
        assert_eq!(map.get(&[0, 0, 0, 0, 8]), Some(2));
    }

    #[test]
    fn a_taken_id_is_refused_or_handed_over() {
        let mut map = IdentityMap::starting_at(0);
        let alice = Bytes::from_static(b"alice");
        assert_eq!(map.attach(1, &alice, false), Claim::Granted(alice.clone()));
        assert_eq!(map.attach(2, &alice, false), Claim::Refused);
        assert_eq!(map.get(b"alice"), Some(1));
        assert_eq!(
            map.attach(3, &alice, true),
            Claim::TakenOver(alice.clone(), 1)
        );
        assert_eq!(map.get(b"alice"), Some(3));
        // The old holder leaving releases nothing; the new one leaving frees the id.
        map.detach(1, &alice);
        assert_eq!(map.get(b"alice"), Some(3));
        map.detach(3, &alice);
        assert_eq!(map.get(b"alice"), None);
    }
}
