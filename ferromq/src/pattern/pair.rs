//! PAIR (RFC 31): an exclusive connection between two sockets. It sends to and receives from
//! its one peer (load balancing and fair queuing over a single peer); like libzmq, it refuses
//! any further connection while it has one.

use bytes::Bytes;

use super::{Behaviour, Receives, Sends};
use crate::pipe::PeerId;
use crate::routing::Peers;
use crate::SocketType;

pub(crate) struct Pair;

impl Behaviour for Pair {
    const TYPE: SocketType = SocketType::Pair;
    const SENDS: Sends = Sends::LoadBalanced;
    const RECEIVES: Receives = Receives::FairQueued;

    fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        // A connect-side peer that reconnects is already counted.
        let others = peers.len() - usize::from(peers.get(id).is_some());
        (others == 0).then(|| identity.clone())
    }
}
