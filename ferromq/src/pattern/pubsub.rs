//! What PUB, XPUB, SUB and XSUB share (RFC 29): a publisher's subscribers (fan-out filtered
//! by prefix at the publisher) and a subscriber's subscriptions, sent upstream as SUBSCRIBE /
//! CANCEL commands (or, to ZMTP 3.0 peers, as data frames starting with 1 / 0).

use std::collections::VecDeque;

use bytes::Bytes;

use crate::message::Outgoing;
use crate::pipe::PeerId;
use crate::routing::fan_out::{FanOut, PrefixSet};
use crate::routing::{Inbox, Peers};
use crate::{Message, Result};

/// PUB and XPUB: fan-out to the peers subscribed to a prefix of the message.
pub(crate) struct Publisher {
    subscribers: FanOut,
    /// XPUB: subscriptions are handed to the application.
    xpub: bool,
    /// `xpub_verbose`: pass every subscribe, not only the first for a topic.
    pub verbose: bool,
    /// `xpub_nodrop`: when a matching subscriber is at its high-water mark, the send would
    /// block instead of dropping the message for that subscriber.
    pub nodrop: bool,
}

impl Publisher {
    pub fn new(xpub: bool) -> Self {
        Publisher {
            subscribers: FanOut::default(),
            xpub,
            verbose: false,
            nodrop: false,
        }
    }

    /// Sends to every matching peer. A peer at its high-water mark misses the message and the
    /// others are not slowed, unless `nodrop` is set: then the send waits until every matching
    /// peer has room.
    #[inline]
    pub fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &Peers) -> Result<Option<Outgoing<'m>>> {
        Ok(self.subscribers.send(self.nodrop, msg, peers))
    }

    /// Whether a send would go through now: always, unless `nodrop` holds it back for a
    /// full subscriber.
    pub fn can_send(&self, peers: &Peers) -> bool {
        !self.nodrop || peers.iter().all(|p| p.out.has_room())
    }

    /// Handles a message from a peer: subscriptions update the filter (and, on an XPUB, reach
    /// the application when they change it); other messages reach an XPUB application as they
    /// are and are dropped by a PUB.
    pub fn input(&mut self, id: PeerId, msg: Message, inbox: &mut Inbox, peers: &Peers) {
        let Some((subscribe, topic)) = msg.as_subscription() else {
            if self.xpub {
                inbox.push(id, msg);
            }
            return;
        };
        let tell = if subscribe {
            let Some(peer) = peers.get(id) else {
                return; // the peer left: its subscription means nothing now
            };
            let (first, added) = self.subscribers.subscribe(id, &topic, &peer.out);
            (first && added) || self.verbose
        } else {
            self.subscribers.unsubscribe(id, &topic)
        };
        if self.xpub && tell {
            inbox.push(id, Message::subscription(subscribe, &topic));
        }
    }

    /// A peer left: its subscriptions go; an XPUB learns of topics nobody wants any more.
    pub fn detach(&mut self, id: PeerId, inbox: &mut Inbox) {
        for topic in self.subscribers.remove_peer(id) {
            if self.xpub {
                inbox.push(id, Message::subscription(false, &topic));
            }
        }
    }
}

/// SUB and XSUB: subscriptions kept (with a count per topic, as libzmq does), sent to every
/// peer and again to each peer that (re)connects, and used to filter what arrives.
#[derive(Default)]
pub(crate) struct Subscriber {
    topics: PrefixSet<usize>,
}

impl Subscriber {
    /// Adds or removes one reference to `topic`; tells the peers when that changes the set.
    pub fn change(&mut self, subscribe: bool, topic: Bytes, peers: &Peers) {
        let changed = if subscribe {
            let count = self.topics.entry(&topic);
            *count += 1;
            *count == 1
        } else {
            match self.topics.get_mut(&topic) {
                Some(count) => {
                    *count -= 1;
                    if *count == 0 {
                        self.topics.remove(&topic);
                        true
                    } else {
                        false
                    }
                }
                None => false,
            }
        };
        if changed {
            for peer in peers.iter() {
                if let Some(minor) = peer.zmtp_minor {
                    peer.out.subscription(subscribe, &topic, minor);
                }
            }
        }
    }

    /// A peer (re)connected: it gets every subscription.
    pub fn attached(&self, id: PeerId, peers: &Peers) {
        let Some(peer) = peers.get(id) else { return };
        let Some(minor) = peer.zmtp_minor else { return };
        // In lexicographic order, as libzmq walks its trie: deterministic for the peer.
        for topic in self.topics.topics() {
            peer.out.subscription(true, &topic, minor);
        }
    }

    /// Takes up to `max` messages, dropping those no subscription matches; at least one
    /// when one is queued.
    pub fn recv_many(&mut self, inbox: &mut Inbox, out: &mut VecDeque<Message>, max: usize) {
        let start = out.len();
        let everything = self.topics.matches(&[]);
        loop {
            let before = out.len();
            inbox.pop_into(out, max - (before - start));
            if out.len() == before || everything {
                return; // the inbox is empty, or nothing is filtered out
            }
            let mut keep = before;
            for i in before..out.len() {
                if self.wants(&out[i]) {
                    out.swap(keep, i);
                    keep += 1;
                }
            }
            out.truncate(keep);
            if out.len() > start {
                return;
            }
        }
    }

    /// The next message matching a subscription; others are dropped.
    pub fn recv(&mut self, inbox: &mut Inbox) -> Option<Message> {
        while let Some((_, _, msg)) = inbox.pop() {
            if self.wants(&msg) {
                return Some(msg);
            }
        }
        None
    }

    /// Whether a subscription matches the message's first frame.
    fn wants(&self, msg: &Message) -> bool {
        let topic = msg.first().map(|f| &f[..]).unwrap_or(&[]);
        self.topics.matches(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::RECV_BATCH;

    #[test]
    fn a_subscriber_finds_a_match_behind_a_batch_it_drops() {
        let mut inbox = Inbox::default();
        inbox.add(1, Bytes::new(), 1000, false, None);
        for _ in 0..3 * RECV_BATCH {
            inbox.push(1, Message::from("a"));
        }
        inbox.push(1, Message::from("b"));
        let mut sub = Subscriber::default();
        sub.change(true, Bytes::from("b"), &Peers::default());
        let mut out = VecDeque::new();
        sub.recv_many(&mut inbox, &mut out, RECV_BATCH);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][0], "b");
    }
}
