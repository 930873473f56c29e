//! REQ (RFC 28): strict request-reply alternation over load-balanced peers.

use bytes::Bytes;

use super::{Behaviour, Receives, Sends};
use crate::message::Outgoing;
use crate::options::SocketOption;
use crate::pipe::PeerId;
use crate::routing::{Inbox, Peers};
use crate::{Error, Message, Result, SocketType};

#[derive(Default)]
pub(crate) struct Req {
    /// `req_relaxed`: a new request may be sent before the reply came; the old reply is then
    /// discarded.
    relaxed: bool,
    /// `req_correlate`: each request carries an id frame that its reply must echo.
    correlate: bool,
    /// The peer whose reply we wait for.
    waiting: Option<PeerId>,
    request_id: u32,
}

impl Behaviour for Req {
    const TYPE: SocketType = SocketType::Req;
    const SENDS: Sends = Sends::Own;
    const RECEIVES: Receives = Receives::Own;

    fn send<'m>(&mut self, msg: Outgoing<'m>, peers: &mut Peers) -> Result<Option<Outgoing<'m>>> {
        let back = self.request(msg.into_owned(), peers)?;
        Ok(back.map(Outgoing::Owned))
    }

    fn can_send(&self, peers: &Peers) -> bool {
        self.may_send() && peers.iter().any(|p| p.out.has_room())
    }

    fn recv(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        self.reply(inbox)
    }

    fn stateless_recv(&self) -> bool {
        false
    }

    fn configure(&mut self, option: SocketOption, on: bool) {
        match option {
            SocketOption::ReqRelaxed => self.relaxed = on,
            SocketOption::ReqCorrelate => self.correlate = on,
            _ => {}
        }
    }
}

impl Req {
    /// Whether the state allows a request now.
    fn may_send(&self) -> bool {
        self.waiting.is_none() || self.relaxed
    }

    /// Sends a request: an empty delimiter (after the request id, with `req_correlate`) and
    /// the body, to the next peer in turn.
    fn request(&mut self, mut msg: Message, peers: &mut Peers) -> Result<Option<Message>> {
        if self.waiting.is_some() && !self.relaxed {
            return Err(Error::WrongState {
                socket_type: SocketType::Req,
                operation: "send",
                reason: "it must receive the reply to its last request first \
                         (or set req_relaxed)",
            });
        }
        let mut envelope = Vec::with_capacity(2);
        let id = self.request_id.wrapping_add(1);
        if self.correlate {
            // Host byte order, as libzmq writes it; only this socket reads it back.
            envelope.push(Bytes::copy_from_slice(&id.to_ne_bytes()));
        }
        envelope.push(Bytes::new());
        let prefix = envelope.len();
        msg.prepend(envelope);
        match peers.load_balance(Outgoing::Owned(msg)) {
            Ok(peer) => {
                self.waiting = Some(peer);
                self.request_id = id;
                Ok(None)
            }
            Err(back) => Ok(Some(back.into_owned().split_off(prefix))),
        }
    }

    /// Takes the reply to the request out, when it is there.
    fn reply(&mut self, inbox: &mut Inbox) -> Result<Option<Message>> {
        let Some(expected) = self.waiting else {
            return Err(Error::WrongState {
                socket_type: SocketType::Req,
                operation: "receive",
                reason: "it must send a request first",
            });
        };
        while let Some((peer, _, mut msg)) = inbox.pop() {
            // Replies from peers we did not ask, stale correlated replies and messages without
            // the delimiter are dropped, as libzmq does.
            if peer != expected {
                continue;
            }
            if self.correlate {
                match msg.pop_front() {
                    Some(id) if id[..] == self.request_id.to_ne_bytes() => {}
                    _ => continue,
                }
            }
            match msg.pop_front() {
                Some(delimiter) if delimiter.is_empty() && !msg.is_empty() => {
                    self.waiting = None;
                    return Ok(Some(msg));
                }
                _ => continue,
            }
        }
        Ok(None)
    }
}
