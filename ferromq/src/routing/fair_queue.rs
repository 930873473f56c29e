//! Fair queuing (routing layer; libzmq's `fq_t`): messages from many peers taken one from
//! each peer with input in turn, so that a busy peer cannot starve a quiet one.
//!
//! Each peer has a queue: messages a tcp or ipc connection delivered in batches, or an
//! inproc peer's pipe read directly. A queue at its high-water mark makes its connection's
//! reader wait until a receive makes room.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::message::Properties;
use crate::pipe::{Activations, IdMap, InprocPipe, PeerId};
use crate::Message;

/// Messages received from peers, fair-queued (libzmq's `fq_t`): one message from each peer
/// with input in turn.
#[derive(Default)]
pub(crate) struct Inbox {
    queues: IdMap<InQueue>,
    /// Peers whose queue is not empty, in the order they will be served.
    active: VecDeque<PeerId>,
    /// Inproc peers whose pipes became non-empty, not yet in `active`.
    pub activations: Arc<Activations>,
    /// A publisher: inproc input is taken by [`Inbox::absorb_inproc`], never by `pop`.
    pub absorbs: bool,
    /// The queues keep only the newest message (`conflate`, fixed before connecting).
    conflate: bool,
}

struct InQueue {
    /// Messages from a tcp or ipc connection (and, on an XPUB, what the application reads).
    msgs: VecDeque<Message>,
    /// An inproc peer's pipe, read directly.
    inproc: Option<Arc<InprocPipe>>,
    /// The pipe held more than the last batch taken from it, or was signalled again since.
    inproc_more: bool,
    /// The peer is in the inbox's `active` list (at most once).
    in_active: bool,
    routing_id: Bytes,
    /// Given to each message from the peer's connection, when the socket keeps them.
    properties: Option<Arc<Properties>>,
    hwm: usize,
    /// The connection's reader waits for room.
    reader_waiting: bool,
    room: Arc<Notify>,
    /// The peer detached: drop the queue once it is drained.
    detached: bool,
    /// `conflate`: keep only the newest message.
    conflate: bool,
}

impl Inbox {
    /// Queues one message from peer `id` (whose queue must exist), keeping the fair-queue
    /// order. Messages for a peer without a queue are dropped.
    pub fn push(&mut self, id: PeerId, msg: Message) {
        if let Some(q) = self.queues.get_mut(&id) {
            q.enlist(id, &mut self.active);
            q.msgs.push_back(msg);
        }
    }

    /// Takes the next message in fair-queue order, with the peer it came from.
    pub fn pop(&mut self) -> Option<(PeerId, Bytes, Message)> {
        self.take_activations();
        loop {
            let id = self.active.pop_front()?;
            let Some(q) = self.queues.get_mut(&id) else {
                continue; // a peer that left
            };
            q.in_active = false;
            let (msg, more) = match (q.msgs.pop_front(), &q.inproc) {
                (Some(msg), _) => {
                    q.wake_reader();
                    // An inproc peer's queue is refilled from its pipe when it runs dry: if
                    // the pipe was not found empty, the peer is still active.
                    (Some(msg), !q.msgs.is_empty() || q.inproc_more)
                }
                (None, Some(pipe)) if !self.absorbs => {
                    // Take a batch from the pipe (one lock for many messages).
                    q.inproc_more = pipe.pop_many(&mut q.msgs, INPROC_BATCH);
                    let msg = q.msgs.pop_front();
                    (msg, !q.msgs.is_empty() || q.inproc_more)
                }
                _ => (None, false),
            };
            let routing_id = match msg {
                Some(_) => q.routing_id.clone(),
                None => Bytes::new(),
            };
            if more {
                q.enlist(id, &mut self.active);
            } else if q.detached && q.is_empty() {
                self.queues.remove(&id);
            }
            if let Some(msg) = msg {
                return Some((id, routing_id, msg));
            }
        }
    }
}

impl Inbox {
    /// Moves up to `max` messages to `out` in fair-queue order, without their routing ids.
    /// While one peer alone has input, its messages move in one run rather than one by one.
    pub fn pop_into(&mut self, out: &mut VecDeque<Message>, max: usize) {
        self.take_activations();
        let mut left = max;
        while left > 0 {
            if self.active.len() == 1 {
                if let Some(q) = self.queues.get_mut(&self.active[0]) {
                    // The last message is left to `pop`, which settles the peer's place.
                    let run = q.msgs.len().saturating_sub(1).min(left);
                    if run > 0 {
                        out.extend(q.msgs.drain(..run));
                        q.wake_reader();
                        left -= run;
                        continue;
                    }
                }
            }
            match self.pop() {
                Some((_, _, msg)) => out.push_back(msg),
                None => break,
            }
            left -= 1;
        }
    }

    /// Puts the inproc peers whose pipes were signalled in the active list, each at most once:
    /// a peer already there keeps its one turn, and learns that its pipe holds more.
    fn take_activations(&mut self) {
        if self.absorbs {
            return; // a publisher's inproc input is taken by `absorb`
        }
        struct Activate<'a> {
            active: &'a mut VecDeque<PeerId>,
            queues: &'a mut IdMap<InQueue>,
        }
        impl Extend<PeerId> for Activate<'_> {
            fn extend<I: IntoIterator<Item = PeerId>>(&mut self, ids: I) {
                for id in ids {
                    let Some(q) = self.queues.get_mut(&id) else {
                        continue; // an inproc peer that left before its activation was seen
                    };
                    if !q.enlist(id, self.active) {
                        q.inproc_more = true;
                    }
                }
            }
        }
        self.activations.drain_into(&mut Activate {
            active: &mut self.active,
            queues: &mut self.queues,
        });
    }
}

impl InQueue {
    /// Puts peer `id` (this queue's) in the active list, unless it is there already: each
    /// peer has at most one turn waiting. Returns whether it was added.
    fn enlist(&mut self, id: PeerId, active: &mut VecDeque<PeerId>) -> bool {
        if self.in_active {
            return false;
        }
        self.in_active = true;
        active.push_back(id);
        true
    }

    /// Wakes the connection's reader if it waits for room and there is some.
    fn wake_reader(&mut self) {
        if self.reader_waiting && self.msgs.len() < self.hwm {
            self.reader_waiting = false;
            self.room.notify_one();
        }
    }

    fn is_empty(&self) -> bool {
        self.msgs.is_empty() && !self.inproc.as_ref().is_some_and(|p| !p.is_empty())
    }
}

impl Inbox {
    /// An inbox; a publisher's (`absorbs`) takes its inproc peers' input through
    /// [`absorb_inproc`](Self::absorb_inproc) instead of [`pop`](Self::pop).
    pub fn new(absorbs: bool) -> Inbox {
        Inbox {
            absorbs,
            ..Inbox::default()
        }
    }

    /// Adds peer `id`'s queue, holding `hwm` messages before its reader must wait (on the
    /// returned notifier), or reading `inproc`'s pipe directly.
    pub fn add(
        &mut self,
        id: PeerId,
        routing_id: Bytes,
        hwm: usize,
        conflate: bool,
        inproc: Option<Arc<InprocPipe>>,
    ) -> Arc<Notify> {
        let q = InQueue {
            msgs: VecDeque::new(),
            inproc,
            inproc_more: false,
            in_active: false,
            routing_id,
            properties: None,
            hwm,
            reader_waiting: false,
            room: Arc::new(Notify::new()),
            detached: false,
            conflate,
        };
        let room = q.room.clone();
        self.conflate = conflate;
        self.queues.insert(id, q);
        room
    }

    /// What each message from peer `id`'s connection carries from now on.
    pub fn set_properties(&mut self, id: PeerId, properties: Option<Arc<Properties>>) {
        if let Some(q) = self.queues.get_mut(&id) {
            q.properties = properties;
        }
    }

    /// The notifier peer `id`'s reader waits on for room.
    pub fn room(&self, id: PeerId) -> Option<Arc<Notify>> {
        self.queues.get(&id).map(|q| q.room.clone())
    }

    /// Peer `id` left: its queue goes once the application has read what it holds.
    pub fn detach(&mut self, id: PeerId) {
        let Some(q) = self.queues.get_mut(&id) else {
            return;
        };
        q.detached = true;
        if let Some(pipe) = &q.inproc {
            pipe.close(false);
            if self.absorbs {
                // A publisher takes its peers' subscriptions straight from their pipes,
                // never through this queue: what is left there is moot now.
                q.inproc = None;
            }
        }
        // A queue that still holds messages (on an XPUB, the cancels for topics the peer
        // took with it) goes once they are read.
        if q.is_empty() {
            self.queues.remove(&id);
        }
    }

    /// Whether some peer has input waiting.
    pub fn has_input(&self) -> bool {
        !self.active.is_empty()
    }

    /// Whether there is exactly one peer and nothing waits from it: what it sends next is
    /// next in fair-queue order whoever reads it. Never for a publisher.
    pub fn is_solo(&self) -> bool {
        !self.absorbs && self.queues.len() == 1 && self.active.is_empty()
    }

    /// Whether the queues keep only the newest message.
    pub fn conflates(&self) -> bool {
        self.conflate
    }

    /// A publisher's input from its inproc peers (their subscriptions), taken from the
    /// pipes that signalled.
    pub fn absorb_inproc(&mut self) -> Vec<(PeerId, Message)> {
        let mut ids = Vec::new();
        self.activations.drain_into(&mut ids);
        let mut input = Vec::new();
        let mut msgs = VecDeque::new();
        for id in ids {
            let Some(pipe) = self.queues.get(&id).and_then(|q| q.inproc.clone()) else {
                continue;
            };
            pipe.pop_many(&mut msgs, usize::MAX);
            input.extend(msgs.drain(..).map(|m| (id, m)));
        }
        input
    }

    /// Queues a batch decoded from peer `id`'s connection, leaving `batch` empty. Returns
    /// whether the queue is now at its high-water mark (the reader must then wait for room),
    /// or `None` when the peer has no queue (it left; the batch is dropped).
    pub fn deliver(&mut self, id: PeerId, batch: &mut Vec<Message>) -> Option<bool> {
        let Some(q) = self.queues.get_mut(&id) else {
            batch.clear();
            return None;
        };
        if let Some(p) = &q.properties {
            for m in batch.iter_mut() {
                m.set_properties(p.clone());
            }
        }
        if q.conflate {
            if let Some(newest) = batch.pop() {
                q.msgs.clear();
                q.msgs.push_back(newest);
            }
            batch.clear();
        } else if q.msgs.is_empty() {
            // The usual case (the application keeps up): trade buffers instead of moving
            // each message. The emptied queue's buffer serves the next batch.
            let queued = std::mem::replace(&mut q.msgs, VecDeque::from(std::mem::take(batch)));
            *batch = Vec::from(queued);
        } else {
            q.msgs.extend(batch.drain(..));
        }
        if !q.msgs.is_empty() {
            q.enlist(id, &mut self.active);
        }
        let full = !q.conflate && q.msgs.len() >= q.hwm;
        q.reader_waiting = full;
        Some(full)
    }

    /// Whether peer `id`'s queue is still at its high-water mark (re-arming the wake-up
    /// when it is).
    pub fn still_full(&mut self, id: PeerId) -> bool {
        match self.queues.get_mut(&id) {
            Some(q) if q.msgs.len() >= q.hwm => {
                q.reader_waiting = true;
                true
            }
            _ => false,
        }
    }
}

/// Most messages moved from an inproc pipe to its reader's queue under one lock.
const INPROC_BATCH: usize = 256;

/// Most messages one receive takes from the queues at once (the rest wait in the socket's
/// receive cache): one lock per batch instead of one per message.
pub(crate) const RECV_BATCH: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    fn queue(hwm: usize) -> InQueue {
        InQueue {
            msgs: VecDeque::new(),
            inproc: None,
            inproc_more: false,
            in_active: false,
            routing_id: Bytes::new(),
            properties: None,
            hwm,
            reader_waiting: false,
            room: Arc::new(Notify::new()),
            detached: false,
            conflate: false,
        }
    }

    /// An inbox whose peer 1 (queue `first`) holds `a` messages "a0", "a1" ... and whose peer 2
    /// holds `b` messages "b0", "b1" ...
    fn two_peers(first: InQueue, a: usize, b: usize) -> Inbox {
        let mut inbox = Inbox::default();
        inbox.queues.insert(1, first);
        inbox.queues.insert(2, queue(10));
        for i in 0..a {
            inbox.push(1, Message::from(format!("a{i}")));
        }
        for i in 0..b {
            inbox.push(2, Message::from(format!("b{i}")));
        }
        inbox
    }

    #[test]
    fn inbox_fair_queues_one_message_per_peer_in_turn() {
        let mut inbox = two_peers(queue(10), 3, 2);
        let order: Vec<(PeerId, Bytes)> = std::iter::from_fn(|| inbox.pop())
            .map(|(id, _, m)| (id, m[0].clone()))
            .collect();
        let expected = [(1, "a0"), (2, "b0"), (1, "a1"), (2, "b1"), (1, "a2")];
        assert_eq!(order.len(), expected.len());
        for ((id, m), (eid, em)) in order.iter().zip(expected) {
            assert_eq!((*id, &m[..]), (eid, em.as_bytes()));
        }
    }

    #[test]
    fn inbox_takes_runs_only_from_a_lone_peer() {
        let mut q = queue(5);
        q.reader_waiting = true;
        let room = q.room.clone();
        let mut inbox = two_peers(q, 5, 2);
        let mut out = VecDeque::new();
        let mut take = |inbox: &mut Inbox, max| {
            out.clear();
            inbox.pop_into(&mut out, max);
            out.iter().map(|m| m[0].clone()).collect::<Vec<_>>()
        };
        // Two peers with input: one message each in turn, at most `max`.
        assert_eq!(take(&mut inbox, 4), ["a0", "b0", "a1", "b1"]);
        // Peer 2 is done: peer 1's rest comes in one run, and its reader may read again.
        assert_eq!(take(&mut inbox, 10), ["a2", "a3", "a4"]);
        assert!(!inbox.queues[&1].reader_waiting);
        let woken = std::pin::pin!(room.notified());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(woken.poll(&mut cx).is_ready());
        assert_eq!(take(&mut inbox, 10), Vec::<Bytes>::new());
        assert!(inbox.active.is_empty());
    }

    #[test]
    fn inbox_runs_keep_turns_when_the_active_ring_wraps() {
        // Serving a0, b0, a1 wraps the four-slot ring of active peers: [2 | 1].
        let mut inbox = two_peers(queue(10), 5, 3);
        let mut out = VecDeque::new();
        inbox.pop_into(&mut out, 10);
        let got: Vec<_> = out.iter().map(|m| m[0].clone()).collect();
        assert_eq!(got, ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "a4"]);
    }

    #[test]
    fn inbox_wakes_a_reader_waiting_for_room() {
        let mut inbox = Inbox::default();
        let mut q = queue(2);
        q.reader_waiting = true;
        let room = q.room.clone();
        inbox.queues.insert(7, q);
        inbox.push(7, Message::from("x"));
        inbox.push(7, Message::from("y"));
        inbox.pop().unwrap();
        // The pop made room: the waiting reader holds a permit now.
        let woken = std::pin::pin!(room.notified());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(woken.poll(&mut cx).is_ready());
        assert!(!inbox.queues[&7].reader_waiting);
    }
}
