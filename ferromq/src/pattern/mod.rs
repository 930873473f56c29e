//! Socket patterns (below the socket API, above routing): one file per socket type, each a
//! small state machine composed of routing strategies ([`crate::routing`]).
//!
//! | type   | file | send                               | receive                              |
//! |--------|------|------------------------------------|--------------------------------------|
//! | REQ    | [`req`]    | load-balance, delimiter, then wait | only the asked peer's reply          |
//! | REP    | [`rep`]    | back along the saved envelope      | fair-queue, save envelope            |
//! | DEALER | [`dealer`] | load-balance                       | fair-queue                           |
//! | ROUTER | [`router`] | by routing id (identity map)       | fair-queue, routing id prepended     |
//! | PUSH   | [`push`]   | load-balance                       | -                                    |
//! | PULL   | [`pull`]   | -                                  | fair-queue                           |
//! | PAIR   | [`pair`]   | the one peer                       | the one peer                         |
//! | PUB    | [`r#pub`]  | fan-out to matching subscribers    | - (subscriptions update the filter)  |
//! | XPUB   | [`xpub`]   | fan-out to matching subscribers    | subscriptions (1/0 + topic), data    |
//! | SUB    | [`sub`]    | - (subscribe / unsubscribe)        | fair-queue, filtered                 |
//! | XSUB   | [`xsub`]   | subscriptions, or data to all      | fair-queue, filtered                 |
//! | STREAM | [`stream`] | raw bytes, by routing id           | fair-queue, routing id prepended     |
//!
//! [`pubsub`] holds what the four publish-subscribe types share. A pattern sees peers only as
//! routing does (their pipes, routing ids and ZMTP versions): never a transport, an engine or
//! wire bytes. Patterns may import routing, the pipes and the leaf modules.

pub(crate) mod dealer;
pub(crate) mod pair;
pub(crate) mod r#pub;
pub(crate) mod pubsub;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod rep;
pub(crate) mod req;
pub(crate) mod router;
pub(crate) mod stream;
pub(crate) mod sub;
pub(crate) mod xpub;
pub(crate) mod xsub;

use std::collections::VecDeque;

use bytes::Bytes;

use crate::message::Outgoing;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

use pubsub::{Publisher, Subscriber};

/// How a socket type sends.
pub(crate) enum Sends {
    /// It does not: a send is an error.
    Nothing,
    /// Each message to the next peer in turn with room ([`crate::routing::load_balance`]).
    LoadBalanced,
    /// Each message to every peer subscribed to a prefix of it ([`crate::routing::fan_out`]),
    /// through the type's [`Publisher`].
    FannedOut,
    /// Its own way: the type implements `send` and `can_send`.
    Own,
}

/// How a socket type receives.
pub(crate) enum Receives {
    /// It does not: a receive is an error.
    Nothing,
    /// Messages as the fair queue gives them ([`crate::routing::fair_queue`]).
    FairQueued,
    /// Messages as the fair queue gives them, those no subscription of the type's
    /// [`Subscriber`] matches dropped.
    Subscribed,
    /// Its own way: the type implements `recv`.
    Own,
}

/// What a socket type does. A type states how it sends and receives, and the defaults below
/// compose the routing strategies accordingly; a type with a way of its own overrides the
/// methods concerned.
pub(crate) trait Behaviour {
    /// The socket type, for errors.
    const TYPE: SocketType;
    /// How it sends.
    const SENDS: Sends;
    /// How it receives.
    const RECEIVES: Receives;

    /// The publisher state of a type that fans out.
    fn publisher(&self) -> Option<&Publisher> {
        None
    }

    /// The same, to change.
    fn publisher_mut(&mut self) -> Option<&mut Publisher> {
        None
    }

    /// The subscriptions of a type that receives what it subscribed to.
    fn subscriber_mut(&mut self) -> Option<&mut Subscriber> {
        None
    }

    /// Routes one message (it has at least one frame). `Ok(Some(msg))`: no peer can take it
    /// now (would block).
    #[inline(always)]
    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        match Self::SENDS {
            Sends::LoadBalanced => Ok(peers.load_balance(msg).err()),
            Sends::FannedOut => match self.publisher_mut() {
                Some(publisher) => publisher.send(msg, peers),
                None => Ok(None),
            },
            Sends::Nothing | Sends::Own => Err(Error::NotSupported {
                socket_type: Self::TYPE,
                operation: "send",
            }),
        }
    }

    /// Whether a send would go through now (libzmq's `ZMQ_POLLOUT`).
    fn can_send(&self, peers: &Peers) -> bool {
        match Self::SENDS {
            Sends::LoadBalanced => peers.iter().any(|p| p.out.has_room()),
            Sends::FannedOut => self.publisher().is_some_and(|p| p.can_send(peers)),
            Sends::Nothing | Sends::Own => false,
        }
    }

    /// Takes the next message for the application, if any.
    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        match Self::RECEIVES {
            Receives::FairQueued => Ok(inbox.pop().map(|(_, _, msg)| msg)),
            Receives::Subscribed => Ok(self.subscriber_mut().and_then(|s| s.recv(inbox))),
            Receives::Nothing | Receives::Own => Err(Error::NotSupported {
                socket_type: Self::TYPE,
                operation: "receive",
            }),
        }
    }

    /// Whether receiving keeps no state, so that several messages may be taken at once.
    fn stateless_recv(&self) -> bool {
        true
    }

    /// Takes up to `max` messages for the application in fair-queue order (for the types
    /// whose receive keeps no state).
    #[inline]
    fn recv_many(
        &mut self,
        inbox: &mut Inbox,
        out: &mut VecDeque<Message>,
        max: usize,
    ) -> Result<()> {
        match Self::RECEIVES {
            Receives::FairQueued => inbox.pop_into(out, max),
            Receives::Subscribed => {
                if let Some(subscriber) = self.subscriber_mut() {
                    subscriber.recv_many(inbox, out, max);
                }
            }
            Receives::Nothing | Receives::Own => {
                for _ in 0..max {
                    match self.recv(inbox)? {
                        Some(msg) => out.push_back(msg),
                        None => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// A peer finished its handshake. Returns the routing id it gets, or `None` to refuse it.
    fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        let _ = (id, peers);
        Some(identity.clone())
    }

    /// A peer joined routing (after `attach` accepted it): a subscriber sends it every
    /// subscription.
    fn attached(&mut self, id: PeerId, peers: &Peers) {
        if let Some(subscriber) = self.subscriber_mut() {
            subscriber.attached(id, peers);
        }
    }

    /// A peer left routing for good: a publisher forgets its subscriptions.
    fn detach(&mut self, id: PeerId, peers: &Peers, inbox: &mut Inbox) {
        let _ = peers;
        if let Some(publisher) = self.publisher_mut() {
            publisher.detach(id, inbox);
        }
    }

    /// Applies an option the type acts on, checked against the options table already
    /// (which lets only the types that take an option set it).
    fn configure(&mut self, option: SocketOption, on: bool) {
        if let Some(publisher) = self.publisher_mut() {
            match option {
                SocketOption::XpubNodrop => publisher.nodrop = on,
                SocketOption::XpubVerbose => publisher.verbose = on,
                _ => {}
            }
        }
    }
}

/// The next message of the inbox, its sender's routing id first (ROUTER, STREAM).
fn addressed(inbox: &mut Inbox) -> Option<Message> {
    inbox.pop().map(|(_, routing_id, mut msg)| {
        msg.push_front(routing_id);
        msg
    })
}

/// Any socket type's pattern.
pub(crate) enum Pattern {
    Req(req::Req),
    Rep(rep::Rep),
    Dealer(dealer::Dealer),
    Router(router::Router),
    Push(push::Push),
    Pull(pull::Pull),
    Pair(pair::Pair),
    Pub(r#pub::Pub),
    Xpub(xpub::Xpub),
    Sub(sub::Sub),
    Xsub(xsub::Xsub),
    Stream(stream::Stream),
}

/// Calls `$call` on whichever type `$pattern` holds, as `$p`.
macro_rules! dispatch {
    ($pattern:expr, $p:ident => $call:expr) => {
        match $pattern {
            Pattern::Req($p) => $call,
            Pattern::Rep($p) => $call,
            Pattern::Dealer($p) => $call,
            Pattern::Router($p) => $call,
            Pattern::Push($p) => $call,
            Pattern::Pull($p) => $call,
            Pattern::Pair($p) => $call,
            Pattern::Pub($p) => $call,
            Pattern::Xpub($p) => $call,
            Pattern::Sub($p) => $call,
            Pattern::Xsub($p) => $call,
            Pattern::Stream($p) => $call,
        }
    };
}

impl Pattern {
    pub fn new(socket_type: SocketType) -> Result<Pattern> {
        Ok(match socket_type {
            SocketType::Req => Pattern::Req(req::Req::default()),
            SocketType::Rep => Pattern::Rep(rep::Rep::default()),
            SocketType::Dealer => Pattern::Dealer(dealer::Dealer),
            SocketType::Router => Pattern::Router(router::Router::new()),
            SocketType::Push => Pattern::Push(push::Push),
            SocketType::Pull => Pattern::Pull(pull::Pull),
            SocketType::Pair => Pattern::Pair(pair::Pair),
            SocketType::Pub => Pattern::Pub(r#pub::Pub::default()),
            SocketType::Xpub => Pattern::Xpub(xpub::Xpub::default()),
            SocketType::Sub => Pattern::Sub(sub::Sub::default()),
            SocketType::Xsub => Pattern::Xsub(xsub::Xsub::default()),
            SocketType::Stream => Pattern::Stream(stream::Stream::new()),
            other => {
                return Err(Error::NotSupported {
                    socket_type: other,
                    operation: "be created",
                })
            }
        })
    }

    /// The publisher state of a PUB or XPUB, which takes its peers' subscriptions.
    pub fn publisher(&mut self) -> Option<&mut Publisher> {
        dispatch!(self, p => p.publisher_mut())
    }

    /// The subscriber state of a SUB or XSUB, which `subscribe` changes.
    pub fn subscriber(&mut self) -> Option<&mut Subscriber> {
        dispatch!(self, p => p.subscriber_mut())
    }

    /// Whether connect-side peers exist before their connection does, so that messages
    /// queue for them: all but ROUTER, which only knows a peer by the routing id its
    /// handshake brings, and STREAM, whose peers get theirs when they connect.
    pub fn queues_before_connect(&self) -> bool {
        !matches!(self, Pattern::Router(_) | Pattern::Stream(_))
    }

    /// Applies an option the pattern acts on, checked against the options table already.
    pub fn configure(&mut self, option: SocketOption, value: &OptionValue) {
        if let OptionValue::Bool(on) = *value {
            dispatch!(self, p => p.configure(option, on));
        }
    }

    /// Routes one message. `Ok(Some(msg))`: no peer can take it now (would block). Load
    /// balancing and fan-out encode a borrowed message from the borrow; the patterns that
    /// add or remove envelope frames take it owned.
    #[inline]
    pub fn send<'m>(
        &mut self,
        msg: Outgoing<'m>,
        peers: &mut Peers,
    ) -> Result<Option<Outgoing<'m>>> {
        if msg.is_empty() {
            return Err(Error::InvalidMessage("a message needs at least one frame"));
        }
        dispatch!(self, p => p.send(msg, peers))
    }

    /// Whether a send would go through now (libzmq's `ZMQ_POLLOUT`).
    pub fn can_send(&self, peers: &Peers) -> bool {
        dispatch!(self, p => p.can_send(peers))
    }

    /// A ROUTER's or STREAM's answer to whether `routing_id` names a connected peer; `None`
    /// for the other types.
    pub fn knows(&self, routing_id: &[u8]) -> Option<bool> {
        match self {
            Pattern::Router(r) => Some(r.knows(routing_id)),
            Pattern::Stream(s) => Some(s.knows(routing_id)),
            _ => None,
        }
    }

    /// Whether receiving keeps no state, so that several messages may be taken at once.
    pub fn stateless_recv(&self) -> bool {
        dispatch!(self, p => p.stateless_recv())
    }

    /// Takes the next message for the application, if any.
    pub fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        dispatch!(self, p => p.recv(inbox))
    }

    /// Takes up to `max` messages for the application (a pattern whose receive keeps no
    /// state), in fair-queue order.
    #[inline]
    pub fn recv_many(
        &mut self,
        inbox: &mut Inbox,
        out: &mut VecDeque<Message>,
        max: usize,
    ) -> Result<()> {
        dispatch!(self, p => p.recv_many(inbox, out, max))
    }

    /// A peer finished its handshake. Returns the routing id it gets, or `None` to refuse it.
    pub fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        dispatch!(self, p => p.attach(id, identity, peers))
    }

    /// A peer joined routing (after `attach` accepted it); a subscriber sends it every
    /// subscription.
    pub fn attached(&mut self, id: PeerId, peers: &Peers) {
        dispatch!(self, p => p.attached(id, peers))
    }

    /// A peer left routing for good.
    pub fn detach(&mut self, id: PeerId, peers: &Peers, inbox: &mut Inbox) {
        dispatch!(self, p => p.detach(id, peers, inbox))
    }
}
