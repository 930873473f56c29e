//! The outgoing side of one peer: messages routed to it, encoded in the sender's thread.
//!
//! A send encodes the message straight into the peer's batch (no allocation for small frames,
//! no queue node); the connection's writer takes the whole batch in one swap and writes it with
//! as few syscalls as it can. When the batch holds [`ENCODE_CAP`] bytes, further messages wait
//! as whole [`Message`]s; those count against the high-water mark, as in libzmq, where messages
//! already taken by the engine's encoder do not.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::encode;
use tokio::sync::Notify;

use crate::reader::RawStream;
use crate::Message;

/// Bytes a batch may hold before messages queue as messages.
pub(crate) const ENCODE_CAP: usize = 256 * 1024;

/// Frames at least this large are written by reference instead of copied into the batch.
pub(crate) const ZERO_COPY_MIN: usize = 32 * 1024;

/// A thread writes a message to a socket itself only if its previous direct write (to any
/// connection) is at least this old: a lone message (a request, a reply) skips the hand-over
/// to the I/O thread, while a burst, or one message fanned out to many subscribers, is batched
/// there instead of costing a syscall per message.
const DIRECT_WRITE_GAP: Duration = Duration::from_micros(20);

thread_local! {
    /// When this thread last wrote to a socket directly.
    static LAST_DIRECT: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

pub(crate) struct OutPipe {
    state: Mutex<OutState>,
    engine: Notify,
}

struct OutState {
    /// Frozen chunks in write order, before `enc`.
    segs: VecDeque<Bytes>,
    /// Small frames being encoded.
    enc: BytesMut,
    /// Bytes in `segs` and `enc`.
    encoded: usize,
    /// Messages waiting for room in the batch: the HWM applies to these.
    pending: VecDeque<Message>,
    hwm: usize,
    /// `conflate`: only the last message waits; nothing is encoded before the writer takes it.
    conflate: bool,
    /// The writer is parked waiting for data.
    writer_parked: bool,
    /// The peer is gone for good: the writer must stop.
    closed: bool,
    /// The live connection's socket, for direct writes; `None` between connections.
    direct: Option<Arc<RawStream>>,
}

/// What [`OutPipe::take`] found.
pub(crate) enum Taken {
    /// Nothing to write; the writer may park.
    Nothing,
    /// Chunks to write; `freed` is true when the pipe went from full to not full, so blocked
    /// senders must be woken.
    Data { freed: bool },
    /// The pipe was closed.
    Closed,
}

impl OutPipe {
    /// A pipe with the socket's sending options.
    pub(crate) fn for_options(opts: &crate::options::Options) -> Self {
        let pipe = OutPipe::new(crate::options::Options::hwm(opts.sndhwm));
        pipe.lock().conflate = opts.conflate;
        pipe
    }

    pub(crate) fn new(hwm: usize) -> Self {
        OutPipe {
            state: Mutex::new(OutState {
                segs: VecDeque::new(),
                enc: BytesMut::new(),
                encoded: 0,
                pending: VecDeque::new(),
                hwm,
                conflate: false,
                writer_parked: false,
                closed: false,
                direct: None,
            }),
            engine: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a message would be accepted now.
    pub(crate) fn has_room(&self) -> bool {
        let s = self.lock();
        !s.closed && (s.conflate || s.encoded < ENCODE_CAP || s.pending.len() < s.hwm)
    }

    /// Queues a whole message, or hands it back when the pipe is at its high-water mark.
    pub(crate) fn try_push(&self, msg: Message) -> Result<(), Message> {
        let mut s = self.lock();
        if s.closed {
            return Err(msg);
        }
        if s.conflate {
            // Only the newest message waits; an older one not yet taken is replaced.
            s.pending.clear();
            s.pending.push_back(msg);
        } else if s.pending.is_empty() && s.encoded < ENCODE_CAP {
            let direct = s.writer_parked && s.encoded == 0 && s.direct.is_some();
            s.encode(&msg);
            if direct && s.write_direct() {
                return Ok(()); // on the wire; the writer stays parked
            }
        } else if s.pending.len() < s.hwm {
            s.pending.push_back(msg);
        } else {
            return Err(msg);
        }
        self.wake_writer(s);
        Ok(())
    }

    /// Queues raw protocol bytes (a PONG, a SUBSCRIBE ...) after the messages already queued.
    /// Never refused: commands are few and small.
    pub(crate) fn push_command(&self, bytes: Bytes) {
        let mut s = self.lock();
        if s.closed {
            return;
        }
        if s.pending.is_empty() {
            s.freeze_enc();
            s.encoded += bytes.len();
            s.segs.push_back(bytes);
        } else {
            // Keep the command behind the pending messages: encode them first.
            let pending = std::mem::take(&mut s.pending);
            for m in &pending {
                s.encode(m);
            }
            s.freeze_enc();
            s.encoded += bytes.len();
            s.segs.push_back(bytes);
        }
        self.wake_writer(s);
    }

    fn wake_writer(&self, mut s: std::sync::MutexGuard<'_, OutState>) {
        if s.writer_parked {
            s.writer_parked = false;
            drop(s);
            self.engine.notify_one();
        }
    }

    /// Writer side: moves everything encoded into `out` and refills the batch from pending
    /// messages.
    pub(crate) fn take(&self, out: &mut Vec<Bytes>) -> Taken {
        let mut s = self.lock();
        if s.closed {
            return Taken::Closed;
        }
        if s.encoded == 0 && s.pending.is_empty() {
            s.writer_parked = true;
            return Taken::Nothing;
        }
        let was_full = s.pending.len() >= s.hwm;
        // Pending messages come first when there is room (only with conflate, which never
        // encodes at send time; otherwise messages wait only while the batch is full).
        while s.encoded < ENCODE_CAP {
            let Some(m) = s.pending.pop_front() else {
                break;
            };
            s.encode(&m);
        }
        s.freeze_enc();
        out.extend(s.segs.drain(..));
        s.encoded = 0;
        while s.encoded < ENCODE_CAP {
            let Some(m) = s.pending.pop_front() else {
                break;
            };
            s.encode(&m);
        }
        Taken::Data {
            freed: was_full && s.pending.len() < s.hwm,
        }
    }

    /// Gives the pipe the live connection's socket for direct writes, or takes it back (before
    /// the connection closes, so that no duplicate keeps it open).
    pub(crate) fn set_direct(&self, direct: Option<Arc<RawStream>>) {
        self.lock().direct = direct;
    }

    /// Writer side: waits until `take` may find something (or the pipe is closed).
    pub(crate) async fn parked(&self) {
        self.engine.notified().await;
    }

    /// Wakes the writer without data, e.g. to let it notice that the socket is closing.
    pub(crate) fn nudge(&self) {
        self.engine.notify_one();
    }

    /// Whether nothing is left to write.
    pub(crate) fn is_empty(&self) -> bool {
        let s = self.lock();
        s.encoded == 0 && s.pending.is_empty()
    }

    /// Closes the pipe for good: queued messages are dropped and the writer stops.
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.segs.clear();
        s.enc.clear();
        s.pending.clear();
        s.encoded = 0;
        s.direct = None;
        drop(s);
        self.engine.notify_one();
    }
}

impl OutState {
    /// With the writer parked (everything it took is on the wire) and only the message just
    /// encoded in the batch, writes the batch to the socket from the sending thread. Returns
    /// `true` when all of it went out; otherwise what is left stays in the batch for the
    /// writer, which the caller wakes.
    fn write_direct(&mut self) -> bool {
        let now = Instant::now();
        if LAST_DIRECT
            .get()
            .is_some_and(|t| now.duration_since(t) < DIRECT_WRITE_GAP)
        {
            return false; // a burst or a fan-out: leave it to the writer
        }
        LAST_DIRECT.set(Some(now));
        self.freeze_enc();
        let Some(direct) = &self.direct else {
            return false;
        };
        // No allocation: a lone message is a few chunks (more than 8 only with many large
        // frames, whose rest the writer sends).
        let mut slices = [IoSlice::new(&[]); 8];
        let n = self.segs.len().min(slices.len());
        for (slot, seg) in slices.iter_mut().zip(&self.segs) {
            *slot = IoSlice::new(seg);
        }
        let mut written = match direct.write_vectored(&slices[..n]) {
            Ok(n) => n,
            Err(_) => return false, // WouldBlock, or an error the writer will meet too
        };
        self.encoded -= written;
        while written > 0 {
            let Some(front) = self.segs.front_mut() else {
                break;
            };
            if written >= front.len() {
                written -= front.len();
                self.segs.pop_front();
            } else {
                let _ = front.split_to(written);
                written = 0;
            }
        }
        self.encoded == 0
    }

    fn encode(&mut self, msg: &Message) {
        let n = msg.len();
        for (i, frame) in msg.iter().enumerate() {
            let more = i + 1 < n;
            if frame.len() >= ZERO_COPY_MIN {
                encode::header(&mut self.enc, frame.len(), more, false);
                self.freeze_enc();
                self.segs.push_back(frame.clone());
                self.encoded += ferromq_zmtp::frame::header_len(frame.len()) + frame.len();
            } else {
                let before = self.enc.len();
                encode::frame(&mut self.enc, frame, more);
                self.encoded += self.enc.len() - before;
            }
        }
    }

    fn freeze_enc(&mut self) {
        if !self.enc.is_empty() {
            let chunk = self.enc.split().freeze();
            self.segs.push_back(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(pipe: &OutPipe) -> Vec<u8> {
        let mut chunks = Vec::new();
        let _ = pipe.take(&mut chunks);
        chunks.concat()
    }

    #[test]
    fn hwm_counts_messages_waiting_beyond_the_batch() {
        let pipe = OutPipe::new(2);
        let big = Bytes::from(vec![1u8; ENCODE_CAP]);
        // The first message fills the batch; two more wait; the fourth is refused.
        pipe.try_push(Message::from(big.clone())).unwrap();
        pipe.try_push(Message::from("a")).unwrap();
        pipe.try_push(Message::from("b")).unwrap();
        assert!(!pipe.has_room());
        assert!(pipe.try_push(Message::from("c")).is_err());
        let mut chunks = Vec::new();
        assert!(matches!(
            pipe.take(&mut chunks),
            Taken::Data { freed: true }
        ));
        // Large frames go by reference.
        assert!(chunks.iter().any(|c| c.as_ptr() == big.as_ptr()));
        assert_eq!(drain(&pipe), b"\x00\x01a\x00\x01b");
        assert!(pipe.is_empty());
    }

    #[test]
    fn conflate_keeps_only_the_newest_message() {
        let pipe = OutPipe::new(1);
        pipe.lock().conflate = true;
        for m in ["a", "b", "c"] {
            pipe.try_push(Message::from(m)).unwrap(); // never refused
        }
        assert!(pipe.has_room());
        assert_eq!(drain(&pipe), b"\x00\x01c");
        assert!(pipe.is_empty());
    }

    #[test]
    fn commands_keep_their_place() {
        let pipe = OutPipe::new(10);
        pipe.try_push(Message::from(["x", "y"])).unwrap();
        pipe.push_command(Bytes::from_static(b"CMD"));
        pipe.try_push(Message::from("z")).unwrap();
        assert_eq!(drain(&pipe), b"\x01\x01x\x00\x01yCMD\x00\x01z");
        let mut chunks = Vec::new();
        assert!(matches!(pipe.take(&mut chunks), Taken::Nothing));
        pipe.close();
        assert!(matches!(pipe.take(&mut chunks), Taken::Closed));
        assert!(pipe.try_push(Message::from("late")).is_err());
    }
}
