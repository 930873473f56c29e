//! PUB, XPUB, SUB and XSUB (RFC 29): topic filtering by prefix at the publisher, subscriptions
//! sent upstream as SUBSCRIBE / CANCEL commands (or, to ZMTP 3.0 peers, as data frames starting
//! with 1 / 0).

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

use crate::core::{Inbox, Peers};
use crate::message::Outgoing;
use crate::pipe::{IdMap, Out, PeerId};
use crate::{Error, Message, Result};

/// Topics and a value per topic, matched by prefix. A message matches every topic it starts
/// with; only the topic lengths in use are looked up, so a match costs a few hash lookups and
/// nothing recurses on peer input, however long a topic is. The empty topic (everything, the
/// most common subscription) is kept aside: matching it hashes nothing.
pub(crate) struct PrefixSet<V> {
    /// The empty topic's value.
    everything: Option<V>,
    /// Every other topic.
    topics: HashMap<Bytes, V>,
    /// How many of `topics` there are of each length.
    lengths: BTreeMap<usize, usize>,
}

impl<V: Default> PrefixSet<V> {
    fn new() -> Self {
        PrefixSet {
            everything: None,
            topics: HashMap::new(),
            lengths: BTreeMap::new(),
        }
    }

    /// The value for `topic`, created empty if new.
    fn entry(&mut self, topic: &Bytes) -> &mut V {
        if topic.is_empty() {
            return self.everything.get_or_insert_with(V::default);
        }
        if !self.topics.contains_key(topic) {
            *self.lengths.entry(topic.len()).or_default() += 1;
        }
        self.topics.entry(topic.clone()).or_default()
    }

    fn get_mut(&mut self, topic: &[u8]) -> Option<&mut V> {
        if topic.is_empty() {
            return self.everything.as_mut();
        }
        self.topics.get_mut(topic)
    }

    fn remove(&mut self, topic: &[u8]) {
        if topic.is_empty() {
            self.everything = None;
        } else if self.topics.remove(topic).is_some() {
            if let Some(n) = self.lengths.get_mut(&topic.len()) {
                *n -= 1;
                if *n == 0 {
                    self.lengths.remove(&topic.len());
                }
            }
        }
    }

    /// The non-empty topics that `data` is long enough to start with, as prefixes of it.
    fn prefixes<'s, 'd>(
        &'s self,
        data: &'d [u8],
    ) -> impl Iterator<Item = &'d [u8]> + use<'s, 'd, V> {
        self.lengths
            .range(..=data.len())
            .map(|(&len, _)| &data[..len])
    }

    /// Whether some topic is a prefix of `data`.
    fn matches(&self, data: &[u8]) -> bool {
        self.everything.is_some()
            || self
                .prefixes(data)
                .any(|prefix| self.topics.contains_key(prefix))
    }

    /// Every value whose topic is a prefix of `data`.
    fn matching<'s, 'd>(&'s self, data: &'d [u8]) -> impl Iterator<Item = &'s V> + use<'s, 'd, V> {
        self.everything.iter().chain(
            self.prefixes(data)
                .filter_map(|prefix| self.topics.get(prefix)),
        )
    }

    /// Every topic, in lexicographic order (the empty one first).
    fn topics(&self) -> Vec<Bytes> {
        let mut topics: Vec<Bytes> = self.topics.keys().cloned().collect();
        topics.sort_unstable();
        if self.everything.is_some() {
            topics.insert(0, Bytes::new());
        }
        topics
    }

    /// Every topic with its value.
    fn iter_mut(&mut self) -> impl Iterator<Item = (Bytes, &mut V)> {
        let everything = self.everything.iter_mut().map(|v| (Bytes::new(), v));
        everything.chain(self.topics.iter_mut().map(|(t, v)| (t.clone(), v)))
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.everything.is_none() && self.topics.is_empty()
    }
}

/// Hands the message to each of `outs` (a peer at its high-water mark misses it), or, with
/// `nodrop`, gives it back while one of them is full: nobody gets it yet.
fn fan_out<'o, 'm>(
    nodrop: bool,
    outs: impl Iterator<Item = &'o Out> + Clone,
    msg: Outgoing<'m>,
) -> Option<Outgoing<'m>> {
    if nodrop && outs.clone().any(|out| !out.has_room()) {
        return Some(msg);
    }
    for out in outs {
        let _ = out.push(msg.reborrow());
    }
    None
}

/// PUB and XPUB: fan-out to the peers subscribed to a prefix of the message.
pub(crate) struct Publisher {
    /// Per topic, the peers subscribed to it, each with where its messages go (a peer's
    /// outgoing side is fixed while it is attached): a send looks nothing up per peer.
    subscriptions: PrefixSet<IdMap<Out>>,
    /// XPUB: subscriptions are handed to the application.
    xpub: bool,
    /// `xpub_verbose`: pass every subscribe, not only the first for a topic.
    pub verbose: bool,
    /// `xpub_nodrop`: when a matching subscriber is at its high-water mark, the send would
    /// block instead of dropping the message for that subscriber.
    pub nodrop: bool,
    /// Scratch list of matching peers when several topics match, reused across sends.
    targets: Vec<PeerId>,
}

impl Publisher {
    pub fn new(xpub: bool) -> Self {
        Publisher {
            subscriptions: PrefixSet::new(),
            xpub,
            verbose: false,
            nodrop: false,
            targets: Vec::new(),
        }
    }

    /// Sends to every matching peer. A peer at its high-water mark misses the message and the
    /// others are not slowed, unless `nodrop` is set: then the send waits until every matching
    /// peer has room.
    pub fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &Peers) -> Result<Option<Outgoing<'m>>> {
        let topic = msg.first().expect("messages have a frame");
        let (first, several) = {
            let mut sets = self.subscriptions.matching(topic);
            (sets.next(), sets.next().is_some())
        };
        let Some(first) = first else {
            return Ok(None); // nobody wants it
        };
        if !several {
            // One matching topic (the common case): its peers, each once.
            return Ok(fan_out(self.nodrop, first.values(), msg));
        }
        // A peer subscribed to several matching topics gets the message once.
        self.targets.clear();
        for subscribers in self.subscriptions.matching(topic) {
            self.targets.extend(subscribers.keys());
        }
        self.targets.sort_unstable();
        self.targets.dedup();
        let outs = self.targets.iter().filter_map(|&id| peers.get(id));
        Ok(fan_out(self.nodrop, outs.map(|p| &p.out), msg))
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
            let subscribers = self.subscriptions.entry(&topic);
            let first = subscribers.is_empty();
            let added = subscribers.insert(id, peer.out.clone()).is_none();
            (first && added) || self.verbose
        } else {
            let (removed, last) = match self.subscriptions.get_mut(&topic) {
                Some(peers) => (peers.remove(&id).is_some(), peers.is_empty()),
                None => (false, false),
            };
            if removed && last {
                self.subscriptions.remove(&topic);
            }
            removed && last
        };
        if self.xpub && tell {
            inbox.push(id, Message::subscription(subscribe, &topic));
        }
    }

    /// A peer left: its subscriptions go; an XPUB learns of topics nobody wants any more.
    pub fn detach(&mut self, id: PeerId, inbox: &mut Inbox) {
        let mut emptied = Vec::new();
        for (topic, peers) in self.subscriptions.iter_mut() {
            if peers.remove(&id).is_some() && peers.is_empty() {
                emptied.push(topic);
            }
        }
        for topic in emptied {
            self.subscriptions.remove(&topic);
            if self.xpub {
                inbox.push(id, Message::subscription(false, &topic));
            }
        }
    }
}

/// SUB and XSUB: subscriptions kept (with a count per topic, as libzmq does), sent to every
/// peer and again to each peer that (re)connects, and used to filter what arrives.
pub(crate) struct Subscriber {
    topics: PrefixSet<usize>,
    xsub: bool,
}

impl Subscriber {
    pub fn new(xsub: bool) -> Self {
        Subscriber {
            topics: PrefixSet::new(),
            xsub,
        }
    }

    pub fn is_xsub(&self) -> bool {
        self.xsub
    }

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

    /// XSUB: a subscription message changes the subscriptions; anything else goes upstream to
    /// every peer.
    pub fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &Peers) -> Result<Option<Outgoing<'m>>> {
        if !self.xsub {
            return Err(Error::NotSupported {
                socket_type: crate::SocketType::Sub,
                operation: "send (use subscribe and unsubscribe)",
            });
        }
        let msg = msg.into_owned();
        match msg.as_subscription() {
            Some((subscribe, topic)) => self.change(subscribe, topic, peers),
            None => {
                for peer in peers.iter() {
                    let _ = peer.out.push(Outgoing::Borrowed(&msg));
                }
            }
        }
        Ok(None)
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

    #[test]
    fn prefix_set_matches_every_prefix_and_only_those() {
        let mut s: PrefixSet<usize> = PrefixSet::new();
        for (i, t) in ["", "a", "ab", "abc", "b"].iter().enumerate() {
            *s.entry(&Bytes::copy_from_slice(t.as_bytes())) = i;
        }
        let mut got: Vec<usize> = s.matching(b"abx").copied().collect();
        got.sort();
        assert_eq!(got, [0, 1, 2]);
        s.remove(b"");
        s.remove(b"ab");
        let got: Vec<usize> = s.matching(b"abc").copied().collect();
        assert_eq!(got, [1, 3]);
        assert!(s.matching(b"c").next().is_none());
        assert!(s.matches(b"abc") && s.matches(b"b") && !s.matches(b"c") && !s.matches(b""));
        assert_eq!(s.lengths.get(&0), None);
        *s.entry(&Bytes::new()) = 9;
        assert!(s.matches(b"c") && s.matches(b""));
    }

    #[test]
    fn a_very_long_topic_is_handled_without_recursion() {
        let mut s: PrefixSet<usize> = PrefixSet::new();
        let topic = Bytes::from(vec![b'x'; 10 << 20]);
        *s.entry(&topic) = 1;
        assert_eq!(s.matching(&topic).count(), 1);
        s.remove(&topic);
        assert!(s.is_empty());
    }
}
