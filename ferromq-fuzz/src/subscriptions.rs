//! The subscription harness (test support): ferromq's topic matcher against a naive model.

use std::collections::BTreeSet;

use ferromq::Topics;

/// Reads the input as operations on a set of topics, applies each to ferromq's matcher (the
/// one PUB, XPUB and the proxy route with) and to a sorted set searched the slow way, and
/// checks that they agree: at each match, whether the message matches and how many topics
/// it matches; at the end, which topics there are. An operation is one byte (low two bits:
/// subscribe, cancel, match; the rest: a length, up to 63) then that many bytes of topic or
/// message.
pub fn subscriptions(data: &[u8]) {
    let mut topics = Topics::default();
    let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut rest = data;
    while let [op, after @ ..] = rest {
        let len = usize::from(op >> 2).min(after.len());
        let (bytes, after) = after.split_at(len);
        rest = after;
        match op & 3 {
            0 => {
                topics.subscribe(bytes);
                model.insert(bytes.to_vec());
            }
            1 => {
                topics.unsubscribe(bytes);
                model.remove(bytes);
            }
            _ => {
                let expected = model.iter().filter(|t| bytes.starts_with(t)).count();
                assert_eq!(topics.matches(bytes), expected > 0, "match of {bytes:?}");
                assert_eq!(
                    topics.matching(bytes),
                    expected,
                    "topics matching {bytes:?}"
                );
            }
        }
    }
    let listed: Vec<Vec<u8>> = topics.topics().iter().map(|t| t.to_vec()).collect();
    assert!(
        listed.iter().eq(model.iter()),
        "topics {listed:?} vs {model:?}"
    );
}
