//! Socket patterns: each a small state machine over the routing helpers of [`crate::core`].
//!
//! | type   | send                               | receive                              |
//! |--------|------------------------------------|--------------------------------------|
//! | REQ    | load-balance, delimiter, then wait | only the asked peer's reply          |
//! | REP    | back along the saved envelope      | fair-queue, save envelope            |
//! | DEALER | load-balance                       | fair-queue                           |
//! | ROUTER | by routing id (first frame)        | fair-queue, routing id prepended     |
//! | PUSH   | load-balance                       | -                                    |
//! | PULL   | -                                  | fair-queue                           |
//! | PAIR   | the one peer                       | the one peer                         |
//! | PUB    | fan-out to matching subscribers    | - (subscriptions update the filter)  |
//! | XPUB   | fan-out to matching subscribers    | subscriptions (1/0 + topic), data    |
//! | SUB    | - (subscribe / unsubscribe)        | fair-queue, filtered                 |
//! | XSUB   | subscriptions, or data to all      | fair-queue, filtered                 |

mod pubsub;
mod rep;
mod req;
mod router;

use std::collections::VecDeque;

use bytes::Bytes;

use crate::message::Outgoing;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

pub(crate) use pubsub::{Publisher, Subscriber};
pub(crate) use rep::Rep;
pub(crate) use req::Req;
pub(crate) use router::Router;

pub(crate) enum Pattern {
    Req(Req),
    Rep(Rep),
    Dealer,
    Router(Router),
    Push,
    Pull,
    Pair,
    /// PUB and XPUB.
    Publisher(Publisher),
    /// SUB and XSUB.
    Subscriber(Subscriber),
}

impl Pattern {
    pub fn new(socket_type: SocketType) -> Result<Pattern> {
        Ok(match socket_type {
            SocketType::Req => Pattern::Req(Req::default()),
            SocketType::Rep => Pattern::Rep(Rep::default()),
            SocketType::Dealer => Pattern::Dealer,
            SocketType::Router => Pattern::Router(Router::new()),
            SocketType::Push => Pattern::Push,
            SocketType::Pull => Pattern::Pull,
            SocketType::Pair => Pattern::Pair,
            SocketType::Pub => Pattern::Publisher(Publisher::new(false)),
            SocketType::Xpub => Pattern::Publisher(Publisher::new(true)),
            SocketType::Sub => Pattern::Subscriber(Subscriber::new(false)),
            SocketType::Xsub => Pattern::Subscriber(Subscriber::new(true)),
            other => {
                return Err(Error::NotSupported {
                    socket_type: other,
                    operation: "be created",
                })
            }
        })
    }

    /// Applies an option the pattern acts on, checked against the options table already.
    pub fn configure(&mut self, option: SocketOption, value: &OptionValue) {
        let OptionValue::Bool(on) = *value else {
            return;
        };
        match (self, option) {
            (Pattern::Router(r), SocketOption::RouterMandatory) => r.mandatory = on,
            (Pattern::Router(r), SocketOption::RouterHandover) => r.handover = on,
            (Pattern::Req(r), SocketOption::ReqRelaxed) => r.relaxed = on,
            (Pattern::Req(r), SocketOption::ReqCorrelate) => r.correlate = on,
            (Pattern::Publisher(p), SocketOption::XpubVerbose) => p.verbose = on,
            (Pattern::Publisher(p), SocketOption::XpubNodrop) => p.nodrop = on,
            _ => {}
        }
    }

    /// The publisher state of a PUB or XPUB.
    pub fn publisher(&mut self) -> Option<&mut Publisher> {
        match self {
            Pattern::Publisher(p) => Some(p),
            _ => None,
        }
    }

    /// Routes one message. `Ok(Some(msg))`: no peer can take it now (would block). Load
    /// balancing and fan-out encode a borrowed message from the borrow; the patterns that
    /// add or remove envelope frames take it owned.
    #[inline]
    pub fn send<'m>(
        &mut self,
        socket_type: SocketType,
        msg: Outgoing<'m>,
        peers: &mut Peers,
    ) -> Result<Option<Outgoing<'m>>> {
        if msg.is_empty() {
            return Err(Error::InvalidMessage("a message needs at least one frame"));
        }
        let owned = |r: Result<Option<Message>>| r.map(|back| back.map(Outgoing::Owned));
        match self {
            Pattern::Req(req) => owned(req.send(msg.into_owned(), peers)),
            Pattern::Rep(rep) => owned(rep.send(msg.into_owned(), peers)),
            Pattern::Router(router) => owned(router.send(msg.into_owned(), peers)),
            Pattern::Dealer | Pattern::Push | Pattern::Pair => Ok(peers.load_balance(msg).err()),
            Pattern::Publisher(publisher) => publisher.send(msg, peers),
            Pattern::Subscriber(subscriber) => subscriber.send(msg, peers),
            Pattern::Pull => Err(Error::NotSupported {
                socket_type,
                operation: "send",
            }),
        }
    }

    /// Whether a send would go through now (libzmq's `ZMQ_POLLOUT`).
    pub fn can_send(&self, peers: &Peers) -> bool {
        let any_room = || peers.iter().any(|p| p.out.has_room());
        match self {
            Pattern::Req(req) => req.may_send() && any_room(),
            Pattern::Rep(rep) => rep.may_send(),
            Pattern::Dealer | Pattern::Push | Pattern::Pair => any_room(),
            Pattern::Publisher(publisher) => {
                !publisher.nodrop || peers.iter().all(|p| p.out.has_room())
            }
            // ROUTER drops (or, when mandatory, reports) per message; an XSUB always sends.
            Pattern::Router(_) => true,
            Pattern::Subscriber(subscriber) => subscriber.is_xsub(),
            Pattern::Pull => false,
        }
    }

    /// Whether receiving keeps no state, so that several messages may be taken at once.
    pub fn stateless_recv(&self) -> bool {
        !matches!(self, Pattern::Req(_) | Pattern::Rep(_))
    }

    /// Takes the next message for the application, if any.
    pub fn recv(&mut self, socket_type: SocketType, inbox: &mut Inbox) -> Result<Option<Message>> {
        match self {
            Pattern::Req(req) => req.recv(inbox),
            Pattern::Rep(rep) => rep.recv(inbox),
            Pattern::Router(_) => Ok(inbox.pop().map(|(_, routing_id, mut msg)| {
                msg.push_front(routing_id);
                msg
            })),
            Pattern::Subscriber(subscriber) => Ok(subscriber.recv(inbox)),
            Pattern::Dealer | Pattern::Pull | Pattern::Pair => {
                Ok(inbox.pop().map(|(_, _, msg)| msg))
            }
            Pattern::Publisher(_) if socket_type == SocketType::Xpub => {
                Ok(inbox.pop().map(|(_, _, msg)| msg))
            }
            Pattern::Push | Pattern::Publisher(_) => Err(Error::NotSupported {
                socket_type,
                operation: "receive",
            }),
        }
    }

    /// Takes up to `max` messages for the application (a pattern whose receive keeps no
    /// state), in fair-queue order.
    pub fn recv_many(
        &mut self,
        socket_type: SocketType,
        inbox: &mut Inbox,
        out: &mut VecDeque<Message>,
        max: usize,
    ) -> Result<()> {
        match self {
            Pattern::Dealer | Pattern::Pull | Pattern::Pair => inbox.pop_into(out, max),
            Pattern::Publisher(_) if socket_type == SocketType::Xpub => inbox.pop_into(out, max),
            Pattern::Subscriber(subscriber) => subscriber.recv_many(inbox, out, max),
            _ => {
                for _ in 0..max {
                    match self.recv(socket_type, inbox)? {
                        Some(msg) => out.push_back(msg),
                        None => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// A peer finished its handshake. Returns the routing id it gets, or `None` to refuse it.
    pub fn attach(&mut self, id: PeerId, identity: &Bytes, peers: &Peers) -> Option<Bytes> {
        match self {
            Pattern::Router(router) => router.attach(id, identity, peers),
            // PAIR talks to exactly one peer; libzmq refuses any further connection.
            Pattern::Pair if peers.len() > usize::from(peers.get(id).is_some()) => None,
            _ => Some(identity.clone()),
        }
    }

    /// A peer joined routing (after `attach` accepted it); a subscriber sends it every
    /// subscription.
    pub fn attached(&mut self, id: PeerId, peers: &Peers) {
        if let Pattern::Subscriber(subscriber) = self {
            subscriber.attached(id, peers);
        }
    }

    /// A peer left routing for good.
    pub fn detach(&mut self, id: PeerId, peers: &Peers, inbox: &mut Inbox) {
        match self {
            Pattern::Router(router) => router.detach(id, peers),
            Pattern::Publisher(publisher) => publisher.detach(id, inbox),
            _ => {}
        }
    }
}
