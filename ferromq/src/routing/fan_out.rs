//! Fan-out (routing layer; libzmq's `dist_t` with its subscription trie): a message goes
//! to every peer subscribed to a prefix of its first frame, each peer once.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::Peers;
use crate::message::Outgoing;
use crate::pipe::{IdMap, Out, PeerId};

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

impl<V: Default> Default for PrefixSet<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Default> PrefixSet<V> {
    pub fn new() -> Self {
        PrefixSet {
            everything: None,
            topics: HashMap::new(),
            lengths: BTreeMap::new(),
        }
    }

    /// The value for `topic`, created empty if new.
    pub fn entry(&mut self, topic: &Bytes) -> &mut V {
        if topic.is_empty() {
            return self.everything.get_or_insert_with(V::default);
        }
        if !self.topics.contains_key(topic) {
            *self.lengths.entry(topic.len()).or_default() += 1;
        }
        self.topics.entry(topic.clone()).or_default()
    }

    pub fn get_mut(&mut self, topic: &[u8]) -> Option<&mut V> {
        if topic.is_empty() {
            return self.everything.as_mut();
        }
        self.topics.get_mut(topic)
    }

    pub fn remove(&mut self, topic: &[u8]) {
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
    pub fn prefixes<'s, 'd>(
        &'s self,
        data: &'d [u8],
    ) -> impl Iterator<Item = &'d [u8]> + use<'s, 'd, V> {
        self.lengths
            .range(..=data.len())
            .map(|(&len, _)| &data[..len])
    }

    /// Whether some topic is a prefix of `data`.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.everything.is_some()
            || self
                .prefixes(data)
                .any(|prefix| self.topics.contains_key(prefix))
    }

    /// Every value whose topic is a prefix of `data`.
    pub fn matching<'s, 'd>(
        &'s self,
        data: &'d [u8],
    ) -> impl Iterator<Item = &'s V> + use<'s, 'd, V> {
        self.everything.iter().chain(
            self.prefixes(data)
                .filter_map(|prefix| self.topics.get(prefix)),
        )
    }

    /// Every topic, in lexicographic order (the empty one first).
    pub fn topics(&self) -> Vec<Bytes> {
        let mut topics: Vec<Bytes> = self.topics.keys().cloned().collect();
        topics.sort_unstable();
        if self.everything.is_some() {
            topics.insert(0, Bytes::new());
        }
        topics
    }

    /// Every topic with its value.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Bytes, &mut V)> {
        let everything = self.everything.iter_mut().map(|v| (Bytes::new(), v));
        everything.chain(self.topics.iter_mut().map(|(t, v)| (t.clone(), v)))
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.everything.is_none() && self.topics.is_empty()
    }
}

/// The subscription matcher on its own, for the fuzz harness (hidden: not part of the
/// public API, which may change it at any time): a PUB's topics without their peers.
#[doc(hidden)]
#[derive(Default)]
pub struct Topics(PrefixSet<()>);

impl Topics {
    /// Adds a topic (the empty one: everything).
    pub fn subscribe(&mut self, topic: &[u8]) {
        self.0.entry(&Bytes::copy_from_slice(topic));
    }

    /// Removes a topic, if there.
    pub fn unsubscribe(&mut self, topic: &[u8]) {
        self.0.remove(topic);
    }

    /// Whether a message starting with `data` matches a topic.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.0.matches(data)
    }

    /// How many topics `data` matches.
    pub fn matching(&self, data: &[u8]) -> usize {
        self.0.matching(data).count()
    }

    /// The topics, sorted (the empty one first).
    pub fn topics(&self) -> Vec<Bytes> {
        self.0.topics()
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

/// The peers subscribed to each topic, each with where its messages go (a peer's outgoing
/// side is fixed while it is attached): a send looks nothing up per peer.
#[derive(Default)]
pub(crate) struct FanOut {
    subscriptions: PrefixSet<IdMap<Out>>,
    /// Scratch list of matching peers when several topics match, reused across sends.
    targets: Vec<PeerId>,
}

impl FanOut {
    /// Peer `id` subscribes to `topic`. Returns whether the topic had no subscriber before,
    /// and whether the peer was not subscribed to it yet.
    pub fn subscribe(&mut self, id: PeerId, topic: &Bytes, out: &Out) -> (bool, bool) {
        let subscribers = self.subscriptions.entry(topic);
        let first = subscribers.is_empty();
        let added = subscribers.insert(id, out.clone()).is_none();
        (first, added)
    }

    /// Peer `id` cancels `topic`. Returns whether that left the topic without subscribers.
    pub fn unsubscribe(&mut self, id: PeerId, topic: &[u8]) -> bool {
        let (removed, last) = match self.subscriptions.get_mut(topic) {
            Some(peers) => (peers.remove(&id).is_some(), peers.is_empty()),
            None => (false, false),
        };
        if removed && last {
            self.subscriptions.remove(topic);
        }
        removed && last
    }

    /// Peer `id` left: its subscriptions go. Returns the topics nobody wants any more.
    pub fn remove_peer(&mut self, id: PeerId) -> Vec<Bytes> {
        let mut emptied = Vec::new();
        for (topic, peers) in self.subscriptions.iter_mut() {
            if peers.remove(&id).is_some() && peers.is_empty() {
                emptied.push(topic);
            }
        }
        for topic in &emptied {
            self.subscriptions.remove(topic);
        }
        emptied
    }

    /// Sends to every peer subscribed to a prefix of the message, each once. A peer at its
    /// high-water mark misses it, unless `nodrop`: then the message is given back while one of
    /// them is full, and nobody gets it yet.
    #[inline]
    pub fn send<'m>(
        &mut self,
        nodrop: bool,
        msg: Outgoing<'m>,
        peers: &Peers,
    ) -> Option<Outgoing<'m>> {
        let topic = msg.first().expect("messages have a frame");
        let (first, several) = {
            let mut sets = self.subscriptions.matching(topic);
            (sets.next(), sets.next().is_some())
        };
        let first = first?; // nobody wants it
        if !several {
            // One matching topic (the common case): its peers, each once.
            return fan_out(nodrop, first.values(), msg);
        }
        // A peer subscribed to several matching topics gets the message once.
        self.targets.clear();
        for subscribers in self.subscriptions.matching(topic) {
            self.targets.extend(subscribers.keys());
        }
        self.targets.sort_unstable();
        self.targets.dedup();
        let outs = self.targets.iter().filter_map(|&id| peers.get(id));
        fan_out(nodrop, outs.map(|p| &p.out), msg)
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

    /// Peers 1..=n on in-memory pipes of `hwm` messages, known to routing.
    fn subscribers(n: u64, hwm: usize) -> (Peers, Vec<std::sync::Arc<crate::pipe::InprocPipe>>) {
        let mut peers = Peers::default();
        let pipes: Vec<_> = (0..n)
            .map(|_| crate::pipe::InprocPipe::new(None, hwm, false))
            .collect();
        for (id, pipe) in (1..).zip(&pipes) {
            let peer = super::super::Peer {
                out: Out::Inproc(pipe.clone()),
                routing_id: Bytes::new(),
                zmtp_minor: Some(1),
            };
            peers.insert(id, peer);
        }
        (peers, pipes)
    }

    fn received(pipe: &crate::pipe::InprocPipe) -> Vec<String> {
        let mut out = std::collections::VecDeque::new();
        pipe.pop_many(&mut out, usize::MAX);
        out.iter()
            .map(|m| String::from_utf8(m[0].to_vec()).unwrap())
            .collect()
    }

    fn subscribe(fan: &mut FanOut, peers: &Peers, id: PeerId, topic: &'static str) -> (bool, bool) {
        fan.subscribe(
            id,
            &Bytes::from_static(topic.as_bytes()),
            &peers.get(id).unwrap().out,
        )
    }

    #[test]
    fn each_subscriber_gets_a_matching_message_once() {
        let (peers, pipes) = subscribers(3, 0);
        let mut fan = FanOut::default();
        assert_eq!(subscribe(&mut fan, &peers, 1, "news"), (true, true));
        assert_eq!(subscribe(&mut fan, &peers, 1, "n"), (true, true)); // two matching topics
        assert_eq!(subscribe(&mut fan, &peers, 2, ""), (true, true)); // everything
        assert_eq!(subscribe(&mut fan, &peers, 3, "sport"), (true, true));
        assert_eq!(subscribe(&mut fan, &peers, 3, "sport"), (false, false));
        for text in ["news today", "sport", "weather"] {
            let msg = crate::Message::from(text);
            assert!(fan.send(false, Outgoing::Owned(msg), &peers).is_none());
        }
        assert_eq!(received(&pipes[0]), ["news today"]);
        assert_eq!(received(&pipes[1]), ["news today", "sport", "weather"]);
        assert_eq!(received(&pipes[2]), ["sport"]);
    }

    #[test]
    fn a_full_subscriber_misses_messages_unless_nodrop_holds_them() {
        let (peers, pipes) = subscribers(2, 1);
        let mut fan = FanOut::default();
        subscribe(&mut fan, &peers, 1, "");
        subscribe(&mut fan, &peers, 2, "");
        let send = |fan: &mut FanOut, nodrop, text: &'static str| {
            fan.send(nodrop, Outgoing::Owned(crate::Message::from(text)), &peers)
                .is_none()
        };
        assert!(send(&mut fan, false, "a"));
        received(&pipes[1]); // peer 2 keeps up, peer 1 does not
        assert!(send(&mut fan, false, "b"), "dropped for peer 1, not held");
        assert!(
            !send(&mut fan, true, "c"),
            "nodrop: held while peer 1 is full"
        );
        assert_eq!(received(&pipes[0]), ["a"]);
        assert_eq!(received(&pipes[1]), ["b"]);
        assert!(send(&mut fan, true, "c"));
        assert_eq!(received(&pipes[0]), ["c"]);
    }

    #[test]
    fn leaving_and_cancelling_report_topics_left_without_subscribers() {
        let (peers, _pipes) = subscribers(2, 0);
        let mut fan = FanOut::default();
        subscribe(&mut fan, &peers, 1, "a");
        subscribe(&mut fan, &peers, 2, "a");
        subscribe(&mut fan, &peers, 1, "b");
        assert!(!fan.unsubscribe(2, b"a"), "peer 1 still wants a");
        assert!(
            !fan.unsubscribe(2, b"a"),
            "cancelling twice changes nothing"
        );
        let mut gone = fan.remove_peer(1);
        gone.sort();
        assert_eq!(gone, [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
        let msg = crate::Message::from("a");
        assert!(fan.send(false, Outgoing::Owned(msg), &peers).is_none());
    }
}
