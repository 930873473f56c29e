//! Routing (below the patterns, above the pipes): the strategies that patterns are composed
//! of, each working on pipes whatever carries them (tcp, ipc or inproc).
//!
//! | strategy | file | libzmq | used by |
//! |---|---|---|---|
//! | load-balance: the next peer in turn with room | [`load_balance`] | `lb_t` | REQ, DEALER, PUSH, PAIR |
//! | fair-queue: one message from each peer with input in turn | [`fair_queue`] | `fq_t` | every receiving type |
//! | fan-out: every peer subscribed to a prefix of the message | [`fan_out`] | `dist_t`, `mtrie_t` | PUB, XPUB |
//! | identity map: the peer named by a routing id | [`identity`] | `router_t`'s `outpipes` | ROUTER |
//!
//! Routing may import the pipes and the leaf modules (`message`, `options`, `error`), nothing
//! above: it knows no socket, pattern, transport or engine.

pub(crate) mod fair_queue;
pub(crate) mod fan_out;
pub(crate) mod identity;
pub(crate) mod load_balance;

use bytes::Bytes;

use crate::message::Outgoing;
use crate::pipe::{IdMap, Out, PeerId};

pub(crate) use fair_queue::{Inbox, RECV_BATCH};
pub use fan_out::Topics;
pub(crate) use load_balance::LoadBalancer;

/// One peer as routing sees it.
pub(crate) struct Peer {
    pub out: Out,
    /// The peer's routing id: its `Identity`, or one generated for it (ROUTER).
    pub routing_id: Bytes,
    /// The ZMTP minor version of the live connection; `None` while a connected-to peer has no
    /// connection (its subscriptions are sent when one is made).
    pub zmtp_minor: Option<u8>,
}

/// The peers a socket routes to, with their turns for load balancing.
#[derive(Default)]
pub(crate) struct Peers {
    map: IdMap<Peer>,
    balancer: LoadBalancer,
}

impl Peers {
    pub fn get(&self, id: PeerId) -> Option<&Peer> {
        self.map.get(&id)
    }

    pub fn get_mut(&mut self, id: PeerId) -> Option<&mut Peer> {
        self.map.get_mut(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Peer> {
        self.map.values()
    }

    /// Every peer with its id.
    pub fn entries(&self) -> impl Iterator<Item = (PeerId, &Peer)> {
        self.map.iter().map(|(&id, p)| (id, p))
    }

    pub fn insert(&mut self, id: PeerId, peer: Peer) {
        self.balancer.add(id, peer.out.clone());
        self.map.insert(id, peer);
    }

    pub fn remove(&mut self, id: PeerId) -> Option<Peer> {
        let peer = self.map.remove(&id)?;
        self.balancer.remove(id);
        Some(peer)
    }

    /// Load balancing over every peer: see [`LoadBalancer::send`].
    #[inline(always)]
    pub fn load_balance<'m>(&mut self, msg: Outgoing<'m>) -> Result<PeerId, Outgoing<'m>> {
        self.balancer.send(msg)
    }
}
