//! One direction of an inproc connection (pipes layer): [`Message`]s moved from the sending
//! socket to the receiving one, never encoded.
//!
//! A send moves the message (its frames are reference-counted `Bytes`) into the pipe and a
//! receive moves it out. A small frame sent from borrowed bytes is copied into the pipe's
//! arena, a 64 KiB chunk that the receiver cuts its messages from (one allocation for many
//! messages). Each pipe has its own small lock, so a sender never takes the receiving socket's
//! lock: the lock order is "a socket's state, then a pipe, then the receiver's activation
//! list", never two sockets.
//!
//! A pipe that goes from empty to non-empty puts its peer id on the receiver's activation list
//! and wakes the receiver, once: until the receiver finds the pipe empty again, further sends
//! only queue. A receive that takes a pipe down from its high-water mark wakes blocked senders.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::{Bytes, BytesMut};

use super::{lock, PeerId, PipeEnd};
use crate::message::Outgoing;
use crate::Message;

/// Peers whose inproc pipes became non-empty, for their reader to pick up. A leaf lock.
#[derive(Default)]
pub(crate) struct Activations {
    any: AtomicBool,
    ids: Mutex<Vec<PeerId>>,
}

impl Activations {
    pub fn add(&self, id: PeerId) {
        lock(&self.ids).push(id);
        self.any.store(true, Ordering::Release);
    }

    /// Whether some id waits to be drained (a plain load: a hint, which `drain_into` settles).
    #[inline]
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    /// Moves the activated ids into `out`; cheap when there are none.
    pub fn drain_into(&self, out: &mut impl Extend<PeerId>) {
        // A plain load first: the common case (nothing) costs no atomic write.
        if self.any.load(Ordering::Relaxed) && self.any.swap(false, Ordering::Acquire) {
            out.extend(lock(&self.ids).drain(..));
        }
    }
}

/// The receiving end of a pipe, once known.
struct Reader {
    end: Weak<dyn PipeEnd>,
    id: PeerId,
    activations: Arc<Activations>,
}

/// One direction of an inproc connection.
pub(crate) struct InprocPipe {
    state: Mutex<PipeState>,
    /// The reader's side of a batch: what it took from `state` and turns into messages after
    /// letting go of the pipe's lock. Only the reader locks it.
    taken: Mutex<VecDeque<Queued>>,
}

struct PipeState {
    msgs: VecDeque<Queued>,
    /// The bytes of the [`Queued::Small`] messages, in order.
    arena: BytesMut,
    /// Messages the pipe holds before a send would block; 0: no limit.
    hwm: usize,
    conflate: bool,
    /// The reader was told the pipe is non-empty and has not yet found it empty.
    signalled: bool,
    /// No more messages may enter; those inside can still be read.
    closed: bool,
    reader: Option<Reader>,
    /// The sending socket, woken when the pipe gets room.
    writer: Option<Weak<dyn PipeEnd>>,
}

/// A message in a pipe.
enum Queued {
    Msg(Message),
    /// A small single-frame message sent from borrowed bytes, which were copied to the
    /// pipe's arena. The receiver cuts its frame from the arena, so that many messages share
    /// one allocation, and their reference counts are touched by the receiver's thread only
    /// (the sender's, once per chunk).
    Small(usize),
}

/// The message a queued entry stands for, cut from `arena` (the pipe's, or the bytes split
/// off it with the entry) when it was copied there.
fn cut_from(arena: &mut BytesMut, queued: Queued) -> Message {
    match queued {
        Queued::Msg(m) => m,
        Queued::Small(0) => Message::from(Bytes::new()), // pins no chunk
        Queued::Small(len) => Message::from(arena.split_to(len).freeze()),
    }
}

/// Borrowed frames up to this size are copied into the pipe's arena.
const ARENA_FRAME_MAX: usize = 256;

/// Each arena chunk's size: what one message kept by the application can hold allocated.
const ARENA_CHUNK: usize = 64 * 1024;

impl PipeState {
    /// Queues a small borrowed frame: into the arena while its chunk has room, or, if the
    /// chunk is full of unread messages, as a message of its own (a chunk never grows).
    fn push_small(&mut self, f: &[u8]) -> Queued {
        if self.arena.capacity() - self.arena.len() < f.len() {
            if !self.arena.is_empty() {
                return Queued::Msg(Message::from(f));
            }
            // Everything cut from the old chunk is the receiver's; it frees the chunk.
            self.arena = BytesMut::with_capacity(ARENA_CHUNK);
        }
        self.arena.extend_from_slice(f);
        Queued::Small(f.len())
    }
}

impl InprocPipe {
    /// A pipe written by `writer` (none yet, for a connect before its bind), holding `hwm`
    /// messages (0: no limit).
    pub fn new(writer: Option<Weak<dyn PipeEnd>>, hwm: usize, conflate: bool) -> Arc<InprocPipe> {
        Arc::new(InprocPipe {
            taken: Mutex::new(VecDeque::new()),
            state: Mutex::new(PipeState {
                msgs: VecDeque::new(),
                arena: BytesMut::new(),
                hwm,
                conflate,
                signalled: false,
                closed: false,
                reader: None,
                writer,
            }),
        })
    }

    fn full(s: &PipeState) -> bool {
        !s.conflate && s.hwm != 0 && s.msgs.len() >= s.hwm
    }

    /// Whether a message would be accepted now.
    pub fn has_room(&self) -> bool {
        let s = lock(&self.state);
        !s.closed && !Self::full(&s)
    }

    /// Queues a message, or hands it back when the pipe is full or closed. A small borrowed
    /// frame is copied into the pipe's arena rather than into an allocation of its own.
    pub fn push<'m>(&self, msg: Outgoing<'m>) -> std::result::Result<(), Outgoing<'m>> {
        let mut s = lock(&self.state);
        if s.closed || Self::full(&s) {
            return Err(msg);
        }
        if s.conflate {
            s.msgs.clear();
            s.arena.clear();
        }
        let queued = match msg {
            Outgoing::Frame(f) if f.len() <= ARENA_FRAME_MAX => s.push_small(f),
            other => Queued::Msg(other.into_owned()),
        };
        s.msgs.push_back(queued);
        self.signal(s);
        Ok(())
    }

    /// Queues a message that no high-water mark holds back (a subscription).
    pub fn push_command(&self, msg: Message) {
        let mut s = lock(&self.state);
        if !s.closed {
            s.msgs.push_back(Queued::Msg(msg));
            self.signal(s);
        }
    }

    /// Tells the reader, once, that the pipe holds messages.
    fn signal(&self, mut s: MutexGuard<'_, PipeState>) {
        if s.signalled {
            return;
        }
        let Some(reader) = &s.reader else { return };
        let (end, id, activations) = (reader.end.clone(), reader.id, reader.activations.clone());
        s.signalled = true;
        drop(s);
        activations.add(id);
        if let Some(end) = end.upgrade() {
            end.readable();
        }
    }

    /// Reader side: moves up to `max` messages into `out`, taking the pipe's lock once, so
    /// that a busy receiver does not contend with its sender for the pipe once per message.
    /// Returns whether the pipe still holds messages. When it is found empty, the next send
    /// tells the reader again.
    ///
    /// Cutting a message from the arena costs a reference count: a batch with arena messages
    /// is taken whole under the lock (the queue traded for an empty one, the arena's bytes
    /// split off at once) and cut after the lock is released, so that the sender is not held
    /// up meanwhile (16 B: 6.6 M to 11.6 M msg/s). Whole messages only move, and move under
    /// the lock as before: taken the same way, 64 KiB messages ran at half speed in half the
    /// runs (the sender refaulting a trimmed heap), which is not understood yet.
    pub fn pop_many(&self, out: &mut VecDeque<Message>, max: usize) -> bool {
        let mut s = lock(&self.state);
        let was_full = Self::full(&s);
        let n = s.msgs.len().min(max);
        let mut cut = None;
        if s.arena.is_empty() {
            let PipeState { msgs, arena, .. } = &mut *s;
            out.extend(msgs.drain(..n).map(|q| cut_from(arena, q)));
        } else {
            let mut taken = lock(&self.taken);
            let bytes = if n == s.msgs.len() {
                std::mem::swap(&mut *taken, &mut s.msgs);
                s.arena.split()
            } else {
                taken.extend(s.msgs.drain(..n));
                let small = taken.iter().map(|q| match q {
                    Queued::Small(len) => *len,
                    Queued::Msg(_) => 0,
                });
                let len = small.sum();
                s.arena.split_to(len)
            };
            cut = Some((taken, bytes));
        }
        let more = !s.msgs.is_empty();
        if !more {
            s.signalled = false;
        }
        let writer = if was_full && n > 0 {
            s.writer.as_ref().and_then(Weak::upgrade)
        } else {
            None
        };
        drop(s);
        if let Some((mut taken, mut bytes)) = cut {
            out.extend(taken.drain(..).map(|q| cut_from(&mut bytes, q)));
        }
        if let Some(w) = writer {
            w.writable();
        }
        more
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.state).msgs.is_empty()
    }

    /// Makes `end` the reader, as peer `id`. Returns whether messages already wait, in which
    /// case the caller must activate `id` itself (it holds the reader's state).
    pub fn set_reader(
        &self,
        end: Weak<dyn PipeEnd>,
        id: PeerId,
        activations: Arc<Activations>,
    ) -> bool {
        let mut s = lock(&self.state);
        s.reader = Some(Reader {
            end,
            id,
            activations,
        });
        s.signalled = !s.msgs.is_empty();
        s.signalled
    }

    /// Closes the pipe: nothing more enters; with `drop_queued`, what waits is dropped too.
    /// Returns the reader, to be told that its peer is gone.
    pub fn close(&self, drop_queued: bool) -> Option<(Weak<dyn PipeEnd>, PeerId)> {
        let mut s = lock(&self.state);
        s.closed = true;
        if drop_queued {
            s.msgs.clear();
            s.arena.clear();
        }
        let writer = s.writer.as_ref().and_then(Weak::upgrade);
        let reader = s.reader.as_ref().map(|r| (r.end.clone(), r.id));
        drop(s);
        // A sender blocked on this pipe must look again (and find the peer gone).
        if let Some(w) = writer {
            w.writable();
        }
        reader
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Sets the limits a connection has once both its sides are known (a connect made before
    /// its bind), and the socket that writes, when it was not known yet.
    pub fn join(&self, hwm: usize, conflate: bool, writer: Option<Weak<dyn PipeEnd>>) {
        let mut s = lock(&self.state);
        s.hwm = hwm;
        s.conflate = conflate;
        if writer.is_some() {
            s.writer = writer;
        }
    }
}

/// The two pipes of one connection, as seen from one side.
pub(crate) struct Pipes {
    pub out: Arc<InprocPipe>,
    pub inp: Arc<InprocPipe>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arena_never_grows_and_keeps_order_with_its_overflow() {
        let pipe = InprocPipe::new(None, 0, false);
        let frame = [7u8; 100];
        let n = 3 * ARENA_CHUNK / frame.len();
        for i in 0..n {
            let mut f = frame;
            f[..4].copy_from_slice(&(i as u32).to_be_bytes());
            assert!(pipe.push(Outgoing::Frame(&f)).is_ok());
        }
        {
            let s = lock(&pipe.state);
            assert!(s.arena.capacity() <= ARENA_CHUNK, "the chunk grew");
            let small = s
                .msgs
                .iter()
                .filter(|q| matches!(q, Queued::Small(_)))
                .count();
            assert_eq!(
                small,
                ARENA_CHUNK / frame.len(),
                "one chunk's worth in the arena"
            );
        }
        let mut out = VecDeque::new();
        while pipe.pop_many(&mut out, 7) {}
        assert_eq!(out.len(), n);
        for (i, m) in out.iter().enumerate() {
            assert_eq!(m[0][..4], (i as u32).to_be_bytes());
        }
        // The reader has everything: the next frame starts the arena again.
        assert!(pipe.push(Outgoing::Frame(b"again")).is_ok());
        assert!(matches!(lock(&pipe.state).msgs[0], Queued::Small(5)));
    }
}
