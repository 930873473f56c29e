use std::fmt;

/// The eleven ZeroMQ socket types that ZMTP 3.1 carries, as named in READY's `Socket-Type`,
/// and STREAM, which speaks no ZMTP: it talks to plain TCP peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester (RFC 28).
    Dealer,
    /// Asynchronous replier with explicit routing (RFC 28).
    Router,
    /// Pipeline receiver (RFC 30).
    Pull,
    /// Pipeline sender (RFC 30).
    Push,
    /// Publisher that sees subscriptions (RFC 29).
    Xpub,
    /// Subscriber that sends raw subscriptions (RFC 29).
    Xsub,
    /// Raw TCP (libzmq's `ZMQ_STREAM`): each message is a peer's routing id and bytes as
    /// they came or are to go, with no ZMTP on the wire. Not in [`ALL`](Self::ALL), the types
    /// a ZMTP peer may be.
    Stream,
}

impl SocketType {
    /// Every socket type ZMTP carries, in libzmq's numbering order (`ZMQ_PAIR` = 0 ...
    /// `ZMQ_XSUB` = 10).
    pub const ALL: [SocketType; 11] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::Xpub,
        SocketType::Xsub,
    ];

    /// The name sent in READY's `Socket-Type` property, e.g. `"ROUTER"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::Xpub => "XPUB",
            SocketType::Xsub => "XSUB",
            SocketType::Stream => "STREAM",
        }
    }

    /// Parses a `Socket-Type` value. The match is exact, as RFC 37 spells the names in
    /// upper case.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// libzmq's number for this type (`ZMQ_REQ` = 3 ... `ZMQ_STREAM` = 11).
    pub const fn number(self) -> i32 {
        self as i32
    }

    /// Whether connections carry the bytes as they are, without ZMTP (STREAM).
    pub const fn is_raw(self) -> bool {
        matches!(self, SocketType::Stream)
    }

    /// Whether a socket of this type may talk to a peer of type `peer` (RFC 28-31, as libzmq
    /// enforces it).
    pub const fn is_compatible(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Pub | Xpub, Sub | Xsub)
                | (Sub | Xsub, Pub | Xpub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
        )
    }

    /// Whether this type sends an `Identity` property in READY (REQ, DEALER and ROUTER do).
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_name(t.as_str().as_bytes()), Some(t));
        }
        assert_eq!(SocketType::from_name(b"req"), None);
        assert_eq!(SocketType::from_name(b""), None);
    }

    #[test]
    fn compatibility_is_symmetric_and_matches_rfc() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.is_compatible(b), b.is_compatible(a), "{a} vs {b}");
            }
        }
        assert!(SocketType::Req.is_compatible(SocketType::Router));
        assert!(!SocketType::Req.is_compatible(SocketType::Req));
        assert!(!SocketType::Push.is_compatible(SocketType::Push));
        assert!(!SocketType::Pair.is_compatible(SocketType::Dealer));
        let count = SocketType::ALL
            .iter()
            .flat_map(|a| SocketType::ALL.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.is_compatible(**b))
            .count();
        // REQ 2, REP 2, DEALER 3, ROUTER 3, PUB 2, XPUB 2, SUB 2, XSUB 2, PUSH 1, PULL 1, PAIR 1
        assert_eq!(count, 21);
    }

    #[test]
    fn numbers_match_libzmq() {
        assert_eq!(SocketType::Pair.number(), 0);
        assert_eq!(SocketType::Req.number(), 3);
        assert_eq!(SocketType::Router.number(), 6);
        assert_eq!(SocketType::Xsub.number(), 10);
    }
}
