//! The outgoing side of one tcp or ipc peer (pipes layer): messages routed to it, encoded in
//! the sender's thread.
//!
//! A send encodes the message straight into the peer's batch (no allocation for small frames,
//! no queue node); the connection's writer takes the whole batch in one swap and writes it with
//! as few syscalls as it can. When the batch holds [`ENCODE_CAP`] bytes, further messages are
//! encoded behind it, in segments of about as many bytes that the writer takes in turn: a
//! sender faster than the wire copies each message once, as a slower one does. Those count
//! against the high-water mark, as in libzmq, where messages already taken by the engine's
//! encoder do not. A message that the batch holds by reference (a frame of [`ZERO_COPY_MIN`]
//! bytes or more) counts too: it keeps its own memory, as a waiting message does, so a sender
//! held at its HWM holds `sndhwm` large messages, as libzmq's does, and not the batch's worth
//! more.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferromq_zmtp::curve::Sealer;
use ferromq_zmtp::{encode, Command};
use tokio::sync::Notify;

use super::RawStream;
use crate::message::{Outgoing, ZERO_COPY_MIN};
use crate::Message;

/// Bytes a batch may hold before messages queue as messages.
pub(crate) const ENCODE_CAP: usize = 256 * 1024;

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
    state: Padded<Mutex<OutState>>,
    engine: Padded<Notify>,
}

struct OutState {
    /// The batch being encoded.
    batch: Batch,
    /// Bytes in `batch`.
    encoded: usize,
    /// Messages in `batch` that hold a frame by reference: they count against the HWM.
    held: usize,
    /// Messages encoded behind the batch, in segments of about [`ENCODE_CAP`] bytes: the HWM
    /// applies to these. Only on a pipe that neither conflates nor boxes its traffic.
    queue: VecDeque<Segment>,
    /// Messages in `queue`.
    queue_msgs: usize,
    /// An emptied buffer for the next segment, kept while the queue is in use (a sender
    /// ahead of the wire starts a segment for each one the writer takes).
    spare: Option<Batch>,
    /// Messages waiting unencoded for room in the batch, on a pipe that conflates or boxes its
    /// traffic (what is boxed is for one connection only): the HWM applies to these too.
    pending: VecDeque<Message>,
    hwm: usize,
    /// `conflate`: only the last message waits; nothing is encoded before the writer takes it.
    conflate: bool,
    /// The writer is parked waiting for data.
    writer_parked: bool,
    /// A sender found the pipe full (a message refused, or `has_room` false) since the writer
    /// last took a batch: it may be blocked, waiting for room.
    full_seen: bool,
    /// The peer is gone for good: the writer must stop.
    closed: bool,
    /// The writer stops once everything queued is written ([`OutPipe::finish`]).
    finishing: bool,
    /// The live connection's socket, for direct writes; `None` between connections.
    direct: Option<Arc<RawStream>>,
    /// The connections box their traffic (CURVE): what is queued waits, unencoded, for a
    /// connection's [`Sealer`], and what was boxed for a connection dies with it.
    keyed: bool,
    /// `keyed` and no live connection's sealer: encode nothing now.
    hold: bool,
    /// How the live connection frames what it sends: ZMTP, ZMTP boxed by its sealer
    /// (CURVE), which every frame and command goes through in wire order, or raw bytes.
    framing: Framing,
    /// Commands queued while `hold`: they go out first, once a connection is up.
    commands: Vec<Bytes>,
}

/// How a pipe puts messages on the wire.
enum Framing {
    /// ZMTP frames, in clear.
    Zmtp,
    /// ZMTP frames, each boxed by the connection's sealer (CURVE).
    Sealed(Sealer),
    /// Each frame's bytes as they are, no header (STREAM, whose peers speak plain TCP).
    Raw,
}

/// Encoded messages on their way to the wire. The writer takes the pipe's batch by swapping
/// in its own emptied one, so that batches cost no allocation once the connection is warm.
#[derive(Default)]
pub(crate) struct Batch {
    /// Small frames and commands, copied.
    enc: Vec<u8>,
    /// Frames written by reference, each with the length `enc` had when it came: it goes on
    /// the wire after `enc[..offset]`.
    large: VecDeque<(usize, Bytes)>,
}

impl Batch {
    /// Bytes in the batch.
    pub fn len(&self) -> usize {
        self.enc.len() + self.large.iter().map(|(_, f)| f.len()).sum::<usize>()
    }

    /// The batch's bytes in write order.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        let mut pos = 0;
        let runs = self.large.iter().flat_map(move |(offset, frame)| {
            let run = &self.enc[pos..*offset];
            pos = *offset;
            [run, &frame[..]]
        });
        let tail = &self.enc[self.large.back().map_or(0, |(offset, _)| *offset)..];
        runs.chain(std::iter::once(tail)).filter(|p| !p.is_empty())
    }

    /// The batch was written: empties it, keeping its buffer unless one huge message
    /// passed.
    pub fn written(&mut self) {
        self.enc.clear();
        self.large.clear();
        if self.enc.capacity() > 2 * ENCODE_CAP {
            self.enc = Vec::new();
        }
    }
}

impl Batch {
    /// Appends a message's frames; returns how many bytes they take on the wire. Always
    /// inlined, as the pipe's push and the load balancing around it are: the compiler's own
    /// choice moved with each reshuffle of modules (291 to 321 instructions for a 16 B send).
    #[inline(always)]
    fn encode(&mut self, msg: &Outgoing) -> usize {
        match msg {
            // A short single frame (the common small send): flags 0, a one-byte size.
            Outgoing::Frame(f) if f.len() <= 255 => {
                self.enc.reserve(2 + f.len());
                self.enc.extend_from_slice(&[0, f.len() as u8]);
                self.enc.extend_from_slice(f);
                2 + f.len()
            }
            _ => self.encode_any(msg),
        }
    }

    fn encode_any(&mut self, msg: &Outgoing) -> usize {
        let msg = match msg {
            Outgoing::Frame(f) => {
                let len = ferromq_zmtp::frame::header_len(f.len()) + f.len();
                self.enc.reserve(len);
                encode::header(&mut self.enc, f.len(), false, false);
                self.enc.extend_from_slice(f);
                return len;
            }
            Outgoing::Owned(m) => m,
            Outgoing::Borrowed(m) => *m,
        };
        let n = msg.len();
        let mut added = 0;
        for (i, frame) in msg.iter().enumerate() {
            encode::header(&mut self.enc, frame.len(), i + 1 < n, false);
            if frame.len() >= ZERO_COPY_MIN {
                self.large.push_back((self.enc.len(), frame.clone()));
            } else {
                self.enc.extend_from_slice(frame);
            }
            added += ferromq_zmtp::frame::header_len(frame.len()) + frame.len();
        }
        added
    }

    /// Appends a message's frames with no framing (STREAM); returns their bytes. Large
    /// frames are held by reference, as ZMTP's are.
    #[inline(never)]
    fn encode_raw(&mut self, msg: &Outgoing) -> usize {
        let frames: &[Bytes] = match msg {
            Outgoing::Frame(f) => {
                self.enc.extend_from_slice(f);
                return f.len();
            }
            Outgoing::Owned(m) => m.frames(),
            Outgoing::Borrowed(m) => m.frames(),
        };
        let mut added = 0;
        for frame in frames {
            if frame.len() >= ZERO_COPY_MIN {
                self.large.push_back((self.enc.len(), frame.clone()));
            } else {
                self.enc.extend_from_slice(frame);
            }
            added += frame.len();
        }
        added
    }

    /// Removes the first `n` bytes, in write order (after a partial write).
    fn consume(&mut self, mut n: usize) {
        let mut cut = 0; // bytes of `enc` written
        while n > 0 {
            let run_end = self.large.front().map_or(self.enc.len(), |(o, _)| *o);
            let run = (run_end - cut).min(n);
            cut += run;
            n -= run;
            if n == 0 {
                break;
            }
            let Some((_, frame)) = self.large.front_mut() else {
                break;
            };
            if n >= frame.len() {
                n -= frame.len();
                self.large.pop_front();
            } else {
                frame.advance(n);
                n = 0;
            }
        }
        self.enc.drain(..cut);
        for (offset, _) in &mut self.large {
            *offset -= cut;
        }
    }
}

/// Messages encoded behind the batch: what the writer takes after it.
#[derive(Default)]
struct Segment {
    batch: Batch,
    /// Bytes in `batch`.
    bytes: usize,
    /// Messages in `batch`.
    msgs: usize,
    /// Of those, the messages that hold a frame by reference.
    held: usize,
}

impl Segment {
    fn encode(&mut self, msg: &Outgoing) {
        if self.batch.enc.capacity() == 0 && !holds_by_reference(msg) {
            // Copied frames fill it: room for the cap and one more message at once, not by
            // doubling (each doubling copies what it holds). A segment of large messages held
            // by reference keeps only their headers.
            self.batch.enc.reserve(ENCODE_CAP + ZERO_COPY_MIN);
        }
        let large = self.batch.large.len();
        self.bytes += self.batch.encode(msg);
        self.held += usize::from(self.batch.large.len() > large);
        self.msgs += 1;
    }
}

/// The wire form of a subscription for a peer speaking ZMTP 3.`minor`: a SUBSCRIBE or
/// CANCEL command, or for ZMTP 3.0 a data frame starting with 1 or 0.
pub(crate) fn subscription_bytes(subscribe: bool, topic: &Bytes, minor: u8) -> Bytes {
    let mut out = BytesMut::new();
    if minor >= 1 {
        let cmd = if subscribe {
            Command::Subscribe(topic.clone())
        } else {
            Command::Cancel(topic.clone())
        };
        cmd.encode(&mut out);
    } else {
        encode::header(&mut out, topic.len() + 1, false, false);
        out.put_u8(u8::from(subscribe));
        out.put_slice(topic);
    }
    out.freeze()
}

/// Boxes a message's frames (CURVE) into `enc`; returns the bytes appended. Large frames are
/// copied too: a box is new bytes anyway.
#[inline(never)]
fn seal_message(sealer: &mut Sealer, enc: &mut Vec<u8>, msg: &Outgoing) -> usize {
    let msg = match msg {
        Outgoing::Frame(f) => return sealer.seal(f, false, false, enc),
        Outgoing::Owned(m) => m,
        Outgoing::Borrowed(m) => *m,
    };
    let n = msg.len();
    msg.iter()
        .enumerate()
        .map(|(i, frame)| sealer.seal(frame, i + 1 < n, false, enc))
        .sum()
}

/// Whether the batch would hold one of the message's frames by reference.
fn holds_by_reference(msg: &Outgoing) -> bool {
    msg.message()
        .is_some_and(|m| m.iter().any(|f| f.len() >= ZERO_COPY_MIN))
}

/// Keeps what the sender locks and what the writer parks on in separate cache lines (two
/// lines, for the adjacent-line prefetcher), so that neither invalidates the other's.
#[repr(align(128))]
struct Padded<T>(T);

/// What [`OutPipe::take`] found.
pub(crate) enum Taken {
    /// Nothing to write; the writer may park.
    Nothing,
    /// A batch to write; `freed` is true when the pipe was full, so blocked senders must be
    /// woken.
    Data { freed: bool },
    /// The pipe was closed.
    Closed,
}

impl OutPipe {
    /// A pipe with the socket's sending options; `raw`: no framing (STREAM).
    pub(crate) fn for_options(opts: &crate::options::Options, raw: bool) -> Self {
        let pipe = OutPipe::new(crate::options::Options::hwm(opts.sndhwm));
        {
            let mut s = pipe.lock();
            if raw {
                s.framing = Framing::Raw;
            }
            // A raw connection has no mechanism: nothing is boxed.
            s.keyed = !raw && opts.security.boxes_traffic();
            s.conflate = opts.conflate;
            s.hold = s.keyed;
        }
        pipe
    }

    pub(crate) fn new(hwm: usize) -> Self {
        OutPipe {
            state: Padded(Mutex::new(OutState {
                batch: Batch::default(),
                encoded: 0,
                held: 0,
                queue: VecDeque::new(),
                queue_msgs: 0,
                spare: None,
                pending: VecDeque::new(),
                hwm,
                conflate: false,
                writer_parked: false,
                full_seen: false,
                closed: false,
                finishing: false,
                direct: None,
                keyed: false,
                hold: false,
                framing: Framing::Zmtp,
                commands: Vec::new(),
            })),
            engine: Padded(Notify::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutState> {
        self.state.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a message would be accepted now. A `false` is remembered, so that the writer
    /// wakes whoever waits for room (a poller, a proxy) when it takes the batch.
    pub(crate) fn has_room(&self) -> bool {
        let mut s = self.lock();
        // As `push` decides, for any message: a large one needs `queued() < hwm` even while
        // the batch has room (for a small one this is conservative).
        let room = !s.closed
            && (s.conflate || (s.encoded < ENCODE_CAP && s.held < s.hwm) || s.queued() < s.hwm);
        if !room {
            s.full_seen = true;
        }
        room
    }

    /// Queues a message, or hands it back when the pipe is at its high-water mark. A borrowed
    /// message is encoded straight from the borrow, and copied (or cloned) only if it must
    /// wait.
    #[inline(always)]
    pub(crate) fn push<'m>(&self, msg: Outgoing<'m>) -> Result<(), Outgoing<'m>> {
        let mut s = self.lock();
        // A stream's common case: the writer is busy (no direct write, nobody to wake) and
        // the batch has room.
        debug_assert!(s.queue.is_empty() || s.encoded >= ENCODE_CAP);
        if !s.writer_parked
            && s.pending.is_empty()
            && s.encoded < ENCODE_CAP
            && !s.closed
            && !s.conflate
            && !s.hold
            && s.held < s.hwm
        {
            s.encode(&msg);
            drop(s);
            msg.release();
            return Ok(());
        }
        self.push_any(s, msg)
    }

    fn push_any<'m>(
        &self,
        mut s: std::sync::MutexGuard<'_, OutState>,
        msg: Outgoing<'m>,
    ) -> Result<(), Outgoing<'m>> {
        if s.closed {
            return Err(msg);
        }
        if s.hold && !s.conflate {
            // No connection's keys to box it with yet: it waits as a message.
            if s.queued() >= s.hwm {
                s.full_seen = true;
                return Err(msg);
            }
            s.pending.push_back(msg.into_owned());
            return Ok(());
        }
        if !s.conflate {
            // Messages that waited for room go into the batch first, in order: the sending
            // thread encodes them, leaving the writer only the writing.
            s.encode_pending();
        }
        if s.conflate {
            // Only the newest message waits; an older one not yet taken is replaced.
            s.pending.clear();
            s.pending.push_back(msg.into_owned());
        } else if s.pending.is_empty()
            && s.queue.is_empty()
            && s.encoded < ENCODE_CAP
            && (s.held < s.hwm || !holds_by_reference(&msg))
        {
            let direct = s.may_write_direct();
            s.encode(&msg);
            if direct && s.write_direct() {
                return Ok(()); // on the wire; the writer stays parked
            }
        } else if s.queued() < s.hwm {
            // Segments hold ZMTP frames in clear: boxed and raw traffic waits as messages.
            if s.keyed || matches!(s.framing, Framing::Raw) {
                s.pending.push_back(msg.into_owned());
            } else {
                s.enqueue(&msg);
            }
        } else {
            s.full_seen = true;
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
        if s.hold {
            s.commands.push(bytes);
            return;
        }
        // Keep the command behind the waiting messages: encode them first.
        let pending = std::mem::take(&mut s.pending);
        for m in &pending {
            s.encode(&Outgoing::Borrowed(m));
        }
        // Alone, it goes on the wire from this thread, as a lone message does: a SUBSCRIBE
        // then reaches the publisher without waiting for a writer to be scheduled.
        let direct = s.may_write_direct();
        s.encode_command(&bytes);
        if direct && s.write_direct() {
            return;
        }
        self.wake_writer(s);
    }

    fn wake_writer(&self, mut s: std::sync::MutexGuard<'_, OutState>) {
        if s.writer_parked {
            s.writer_parked = false;
            drop(s);
            self.engine.0.notify_one();
        }
    }

    /// Writer side: swaps the batch encoded so far with `batch` (which must be empty; its
    /// buffer is reused for the next batch).
    pub(crate) fn take(&self, batch: &mut Batch) -> Taken {
        let mut s = self.lock();
        if s.closed {
            return Taken::Closed;
        }
        if s.finishing && s.encoded == 0 && s.pending.is_empty() && s.queue.is_empty() {
            return Taken::Closed;
        }
        if (s.encoded == 0 && s.pending.is_empty()) || s.hold {
            s.writer_parked = true;
            return Taken::Nothing;
        }
        // Whoever found the pipe full may send now (even if a command moved the waiting
        // messages into the batch meanwhile). Not only once the queue is down to half the
        // HWM, as libzmq wakes: measured, a sender woken that late refills half its queue at
        // once, and the memory that this frees and takes again costs twice the page faults
        // at 64 KiB (1.9 against 0.9 a message) for the context switches it saves.
        let freed = std::mem::take(&mut s.full_seen);
        if s.encoded == 0 {
            // Only waiting messages (a burst's tail, or conflate, which never encodes at send
            // time): nobody else may come to encode them.
            s.encode_pending();
        }
        std::mem::swap(&mut s.batch, batch);
        s.encoded = 0;
        s.held = 0;
        // The first segment behind it is the next batch.
        s.promote();
        Taken::Data { freed }
    }

    /// A connection is up: what it sends goes through `sealer` (CURVE) or, without one, as
    /// it is. Commands and messages that waited for it are encoded now, commands first.
    pub(crate) fn start_session(&self, sealer: Option<Sealer>) {
        let mut s = self.lock();
        if !s.keyed && sealer.is_none() {
            return;
        }
        if !s.keyed && sealer.is_some() {
            // CURVE was switched on after the connect that made this pipe: what was encoded
            // in clear meanwhile cannot go on a boxed connection.
            s.drop_encoded();
        }
        s.keyed = s.keyed || sealer.is_some();
        s.framing = match sealer {
            Some(sealer) => Framing::Sealed(sealer),
            None => Framing::Zmtp,
        };
        s.hold = false;
        for command in std::mem::take(&mut s.commands) {
            s.encode_command(&command);
        }
        if !s.conflate {
            s.encode_pending();
        }
        self.wake_writer(s);
    }

    /// The connection ended. What was boxed for it cannot go to another: it is dropped (as
    /// libzmq drops what its engine held), and what is queued from now on waits for the next
    /// connection's keys.
    pub(crate) fn end_session(&self) {
        let mut s = self.lock();
        if matches!(s.framing, Framing::Sealed(_)) {
            s.framing = Framing::Zmtp;
            s.drop_encoded();
        }
        s.hold = s.keyed;
    }

    /// Gives the pipe the live connection's socket for direct writes, or takes it back (before
    /// the connection closes, so that no duplicate keeps it open).
    pub(crate) fn set_direct(&self, direct: Option<Arc<RawStream>>) {
        self.lock().direct = direct;
    }

    /// Writer side: waits until `take` may find something (or the pipe is closed).
    pub(crate) async fn parked(&self) {
        self.engine.0.notified().await;
    }

    /// Wakes the writer without data, e.g. to let it notice that the socket is closing.
    pub(crate) fn nudge(&self) {
        self.engine.0.notify_one();
    }

    /// Whether nothing is left to write.
    pub(crate) fn is_empty(&self) -> bool {
        let s = self.lock();
        s.encoded == 0 && s.pending.is_empty() && s.queue.is_empty()
    }

    /// Ends the pipe once what is queued is written: the writer then stops, as after
    /// [`close`](Self::close) (STREAM's zero-length send: the connection closes after the
    /// data sent before it). Nothing may be pushed after it.
    pub(crate) fn finish(&self) {
        self.lock().finishing = true;
        self.engine.0.notify_one();
    }

    /// Closes the pipe for good: queued messages are dropped and the writer stops.
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.drop_encoded();
        s.batch = Batch::default(); // and its memory
        s.spare = None;
        s.pending.clear();
        s.direct = None;
        drop(s);
        self.engine.0.notify_one();
    }
}

impl OutState {
    /// Whether what is encoded next may be written from the calling thread: the writer is
    /// parked, nothing waits before it, and the live connection's socket is here.
    #[inline]
    fn may_write_direct(&self) -> bool {
        self.writer_parked && self.encoded == 0 && self.direct.is_some()
    }

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
        let Some(direct) = &self.direct else {
            return false;
        };
        // No allocation: a lone message is a few slices (more than 8 only with many large
        // frames, whose rest the writer sends).
        let mut slices = [IoSlice::new(&[]); 8];
        let mut n = 0;
        for (slice, part) in slices.iter_mut().zip(self.batch.parts()) {
            *slice = IoSlice::new(part);
            n += 1;
        }
        let written = match direct.write_vectored(&slices[..n]) {
            Ok(n) => n,
            Err(_) => return false, // WouldBlock, or an error the writer will meet too
        };
        self.consume(written);
        self.encoded == 0
    }

    /// Drops everything encoded and not yet taken by the writer.
    fn drop_encoded(&mut self) {
        self.batch.enc.clear();
        self.batch.large.clear();
        self.encoded = 0;
        self.held = 0;
        self.queue.clear();
        self.queue_msgs = 0;
    }

    /// Encodes a message behind the batch, which is full.
    fn enqueue(&mut self, msg: &Outgoing) {
        if !self
            .queue
            .back()
            .is_some_and(|tail| tail.bytes < ENCODE_CAP)
        {
            let batch = self.spare.take().unwrap_or_default();
            self.queue.push_back(Segment {
                batch,
                ..Segment::default()
            });
        }
        if let Some(tail) = self.queue.back_mut() {
            tail.encode(msg);
            self.queue_msgs += 1;
        }
    }

    /// The batch was taken: the first segment behind it, if any, becomes the batch, and its
    /// messages no longer count against the HWM (but those it holds by reference).
    fn promote(&mut self) {
        let Some(next) = self.queue.pop_front() else {
            return;
        };
        let emptied = std::mem::replace(&mut self.batch, next.batch);
        // Once the queue is empty, a burst is over: its memory goes.
        self.spare = (!self.queue.is_empty()).then_some(emptied);
        self.encoded = next.bytes;
        self.held = next.held;
        self.queue_msgs -= next.msgs;
    }

    /// Removes the first `n` bytes, in write order, from the batch.
    fn consume(&mut self, n: usize) {
        self.encoded -= n;
        if self.encoded == 0 {
            self.held = 0;
            self.batch.enc.clear();
            self.batch.large.clear();
        } else {
            self.batch.consume(n);
        }
    }

    #[inline(always)]
    fn encode(&mut self, msg: &Outgoing) {
        if !matches!(self.framing, Framing::Zmtp) {
            return self.encode_framed(msg);
        }
        let large = self.batch.large.len();
        self.encoded += self.batch.encode(msg);
        if self.batch.large.len() > large {
            self.held += 1;
        }
    }

    /// [`encode`](Self::encode) for boxed (CURVE) and raw (STREAM) traffic, out of the
    /// common path.
    #[inline(never)]
    fn encode_framed(&mut self, msg: &Outgoing) {
        let large = self.batch.large.len();
        match &mut self.framing {
            Framing::Sealed(sealer) => {
                self.encoded += seal_message(sealer, &mut self.batch.enc, msg);
                return;
            }
            Framing::Raw => self.encoded += self.batch.encode_raw(msg),
            Framing::Zmtp => self.encoded += self.batch.encode(msg),
        }
        if self.batch.large.len() > large {
            self.held += 1;
        }
    }

    /// Appends encoded command frames (`bytes`, as `Command::encode` or
    /// `subscription_bytes` made them), boxed when the connection boxes its traffic.
    fn encode_command(&mut self, bytes: &[u8]) {
        if let Some(tail) = self.queue.back_mut() {
            // Behind the messages encoded behind the batch (never boxed: see `queue`).
            tail.batch.enc.extend_from_slice(bytes);
            tail.bytes += bytes.len();
            return;
        }
        let Framing::Sealed(sealer) = &mut self.framing else {
            self.batch.enc.extend_from_slice(bytes);
            self.encoded += bytes.len();
            return;
        };
        let mut at = 0;
        while let Ok(Some(header)) = ferromq_zmtp::frame::Header::decode(&bytes[at..]) {
            let body = at + header.len;
            let Some(end) = usize::try_from(header.size)
                .ok()
                .and_then(|size| body.checked_add(size))
                .filter(|&end| end <= bytes.len())
            else {
                break; // never: the bytes were encoded here
            };
            self.encoded += sealer.seal(
                &bytes[body..end],
                header.more(),
                header.is_command(),
                &mut self.batch.enc,
            );
            at = end;
        }
    }

    /// Messages that count against the high-water mark: those waiting, and those the batch
    /// holds by reference.
    fn queued(&self) -> usize {
        self.pending.len() + self.queue_msgs + self.held
    }

    /// Encodes waiting messages into the batch while it has room.
    #[inline]
    fn encode_pending(&mut self) {
        if !self.pending.is_empty() {
            self.encode_pending_slow();
        }
    }

    fn encode_pending_slow(&mut self) {
        while self.encoded < ENCODE_CAP {
            let Some(m) = self.pending.pop_front() else {
                break;
            };
            self.encode(&Outgoing::Owned(m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(pipe: &OutPipe) -> Vec<u8> {
        let mut batch = Batch::default();
        let _ = pipe.take(&mut batch);
        batch.parts().collect::<Vec<_>>().concat()
    }

    /// Copies enough bytes into the pipe's batch to fill it (frames small enough to be copied).
    fn fill_batch(pipe: &OutPipe) {
        let frame = vec![1u8; ZERO_COPY_MIN - 1];
        while pipe.lock().encoded < ENCODE_CAP {
            pipe.push(Outgoing::Frame(&frame)).unwrap();
        }
    }

    #[test]
    fn a_lone_command_goes_on_the_wire_from_the_calling_thread() {
        use std::io::Read;
        let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let pipe = OutPipe::new(10);
        pipe.set_direct(Some(Arc::new(RawStream::Unix(ours))));
        // The writer found nothing and parked.
        assert!(matches!(pipe.take(&mut Batch::default()), Taken::Nothing));
        let sub = subscription_bytes(true, &Bytes::from_static(b"weather"), 1);
        pipe.push_command(sub.clone());
        // Written already: nothing is left for the writer, which stays parked.
        assert!(pipe.is_empty());
        assert!(pipe.lock().writer_parked);
        let mut got = vec![0u8; sub.len()];
        theirs.read_exact(&mut got).unwrap();
        assert_eq!(got, sub);
    }

    #[test]
    fn hwm_counts_messages_waiting_beyond_the_batch() {
        let pipe = OutPipe::new(2);
        // Copied messages fill the batch without counting; two more wait; the next is
        // refused.
        fill_batch(&pipe);
        pipe.push(Outgoing::Owned(Message::from("a"))).unwrap();
        pipe.push(Outgoing::Owned(Message::from("b"))).unwrap();
        assert!(!pipe.has_room());
        assert!(pipe.push(Outgoing::Owned(Message::from("c"))).is_err());
        let mut batch = Batch::default();
        assert!(matches!(pipe.take(&mut batch), Taken::Data { freed: true }));
        assert_eq!(drain(&pipe), b"\x00\x01a\x00\x01b");
        assert!(pipe.is_empty());
    }

    #[test]
    fn messages_held_by_reference_count_against_the_hwm() {
        let pipe = OutPipe::new(3);
        let big = Bytes::from(vec![1u8; ZERO_COPY_MIN]);
        let large = || Outgoing::Owned(Message::from(big.clone()));
        // Three large messages would fit the batch by size, but each keeps its own memory.
        for _ in 0..3 {
            pipe.push(large()).unwrap();
        }
        // Refused, and said so beforehand (a poller, an XPUB with nodrop, must not be told
        // otherwise).
        assert!(!pipe.has_room());
        assert!(pipe.push(large()).is_err());
        // A small message is copied into the batch: it still goes.
        pipe.push(Outgoing::Frame(b"small")).unwrap();
        let mut batch = Batch::default();
        assert!(matches!(pipe.take(&mut batch), Taken::Data { freed: true }));
        // Large frames go by reference.
        assert_eq!(
            batch.parts().filter(|c| c.as_ptr() == big.as_ptr()).count(),
            3
        );
        // Taken by the writer, they no longer count.
        for _ in 0..3 {
            pipe.push(large()).unwrap();
        }
        assert!(pipe.push(large()).is_err());
        // A batch over its size waits whole: they count there too, then wait.
        let pipe = OutPipe::new(2);
        fill_batch(&pipe);
        pipe.push(large()).unwrap();
        pipe.push(large()).unwrap();
        assert!(pipe.push(large()).is_err());
    }

    #[test]
    fn a_borrowed_frame_is_encoded_at_once_even_behind_a_full_batch() {
        let pipe = OutPipe::new(10);
        let mut buf = *b"abc";
        pipe.push(Outgoing::Frame(&buf)).unwrap();
        pipe.push(Outgoing::Owned(Message::from(vec![0u8; ENCODE_CAP])))
            .unwrap();
        pipe.push(Outgoing::Frame(&buf)).unwrap(); // the batch is full: this one waits
        assert_eq!(pipe.lock().queue_msgs, 1);
        buf.copy_from_slice(b"xyz");
        pipe.push(Outgoing::Frame(&buf)).unwrap();
        let first = drain(&pipe);
        assert_eq!(&first[..5], b"\x00\x03abc");
        assert_eq!(drain(&pipe), b"\x00\x03abc\x00\x03xyz");
    }

    #[test]
    fn messages_and_commands_behind_a_full_batch_keep_their_order() {
        let pipe = OutPipe::new(10);
        fill_batch(&pipe);
        pipe.push(Outgoing::Frame(b"a")).unwrap();
        pipe.push_command(Bytes::from_static(b"CMD"));
        pipe.push(Outgoing::Owned(Message::from(["b", "c"])))
            .unwrap();
        let first = drain(&pipe);
        assert!(first.len() >= ENCODE_CAP && first.iter().all(|&b| b != b'a'));
        assert_eq!(drain(&pipe), b"\x00\x01aCMD\x01\x01b\x00\x01c");
        assert!(pipe.is_empty());
    }

    #[test]
    fn a_partial_write_leaves_the_rest_in_write_order() {
        let big = Bytes::from(vec![7u8; ZERO_COPY_MIN]);
        let msg = || Message::from(vec![Bytes::from("ab"), big.clone(), Bytes::from("cde")]);
        let full = {
            let pipe = OutPipe::new(10);
            pipe.push(Outgoing::Owned(msg())).unwrap();
            pipe.push(Outgoing::Owned(msg())).unwrap();
            drain(&pipe)
        };
        let n = ZERO_COPY_MIN;
        for cut in [
            0,
            1,
            3,
            4,
            12,
            n,
            n + 11,
            n + 12,
            n + 13,
            full.len() - 1,
            full.len(),
        ] {
            let pipe = OutPipe::new(10);
            pipe.push(Outgoing::Owned(msg())).unwrap();
            pipe.push(Outgoing::Owned(msg())).unwrap();
            pipe.lock().consume(cut);
            assert_eq!(drain(&pipe), &full[cut..], "after {cut} bytes written");
            assert!(pipe.is_empty());
        }
    }

    #[test]
    fn a_refused_sender_is_woken_even_after_a_command_drained_the_queue() {
        let pipe = OutPipe::new(1);
        fill_batch(&pipe);
        pipe.push(Outgoing::Owned(Message::from("waits"))).unwrap();
        assert!(pipe
            .push(Outgoing::Owned(Message::from("refused")))
            .is_err());
        // A PONG moves the waiting message into the batch: the queue is no longer full ...
        pipe.push_command(Bytes::from_static(b"PONG"));
        let mut batch = Batch::default();
        // ... but the refused sender must still be woken by the next take.
        assert!(matches!(pipe.take(&mut batch), Taken::Data { freed: true }));
    }

    #[test]
    fn conflate_keeps_only_the_newest_message() {
        let pipe = OutPipe::new(1);
        pipe.lock().conflate = true;
        for m in ["a", "b", "c"] {
            pipe.push(Outgoing::Owned(Message::from(m))).unwrap(); // never refused
        }
        assert!(pipe.has_room());
        assert_eq!(drain(&pipe), b"\x00\x01c");
        assert!(pipe.is_empty());
    }

    /// A CURVE client and server connection after their handshake, in memory: the client's
    /// sealer, and the server connection that opens what it seals.
    fn curve_pair() -> (Sealer, ferromq_zmtp::Connection) {
        use ferromq_zmtp::{key::KeyPair, AuthReply, Config, Connection, Event, Mechanism};
        let sk = KeyPair::generate().unwrap();
        let mut cc = Config::new(ferromq_zmtp::SocketType::Push);
        cc.mechanism = Mechanism::CurveClient {
            secret: None,
            server_key: *sk.public(),
        };
        let mut sc = Config::new(ferromq_zmtp::SocketType::Pull);
        sc.mechanism = Mechanism::CurveServer {
            secret: sk.secret(),
        };
        let (mut c, mut s) = (Connection::new(cc), Connection::new(sc));
        for _ in 0..4 {
            let mut wire = BytesMut::new();
            c.poll_transmit(&mut wire);
            s.feed(&wire);
            while let Some(e) = s.poll_event().unwrap() {
                if matches!(e, Event::Authenticate(_)) {
                    s.authenticated(AuthReply {
                        status: 200,
                        user_id: Bytes::new(),
                    })
                    .unwrap();
                }
            }
            let mut wire = BytesMut::new();
            s.poll_transmit(&mut wire);
            c.feed(&wire);
            while c.poll_event().unwrap().is_some() {}
        }
        assert!(c.is_established() && s.is_established());
        (c.take_sealer().unwrap(), s)
    }

    #[test]
    fn a_boxed_pipe_holds_messages_for_a_connections_keys_and_boxes_them_in_order() {
        let mut opts = crate::options::Options::default();
        opts.security.store(
            crate::SocketOption::CurveServerkey,
            crate::OptionValue::Bytes(Bytes::from_static(&[1; 32])),
        );
        let pipe = OutPipe::for_options(&opts, false);
        pipe.push(Outgoing::Owned(Message::from(["a", "b"])))
            .unwrap();
        pipe.push_command(subscription_bytes(true, &Bytes::from_static(b"t"), 1));
        pipe.push(Outgoing::Frame(b"c")).unwrap();
        // Nothing goes out before a connection's keys exist.
        assert!(matches!(pipe.take(&mut Batch::default()), Taken::Nothing));
        let (sealer, mut server) = curve_pair();
        pipe.start_session(Some(sealer));
        let mut wire = drain(&pipe);
        wire.extend(drain(&pipe));
        assert!(
            !wire.windows(3).any(|w| w == b"\x00\x01c"),
            "nothing in clear"
        );
        server.feed(&wire);
        let mut seen = Vec::new();
        while let Some(e) = server.poll_event().unwrap() {
            seen.push(format!("{e:?}"));
        }
        // The command first, then the messages in order.
        assert!(seen[0].contains("Subscribe"), "{seen:?}");
        assert_eq!(seen.len(), 4, "{seen:?}");
        // What was boxed for a connection that ended is dropped; what follows waits again.
        pipe.push(Outgoing::Frame(b"lost")).unwrap();
        pipe.end_session();
        pipe.push(Outgoing::Frame(b"kept")).unwrap();
        assert!(matches!(pipe.take(&mut Batch::default()), Taken::Nothing));
        assert_eq!(pipe.lock().pending.len(), 1);
    }

    #[test]
    fn commands_keep_their_place() {
        let pipe = OutPipe::new(10);
        pipe.push(Outgoing::Owned(Message::from(["x", "y"])))
            .unwrap();
        pipe.push_command(Bytes::from_static(b"CMD"));
        pipe.push(Outgoing::Owned(Message::from("z"))).unwrap();
        assert_eq!(drain(&pipe), b"\x01\x01x\x00\x01yCMD\x00\x01z");
        let mut batch = Batch::default();
        assert!(matches!(pipe.take(&mut batch), Taken::Nothing));
        pipe.close();
        assert!(matches!(pipe.take(&mut batch), Taken::Closed));
        assert!(pipe.push(Outgoing::Owned(Message::from("late"))).is_err());
    }

    #[test]
    fn subscriptions_on_the_wire() {
        let t = Bytes::from_static(b"ab");
        assert_eq!(
            &subscription_bytes(true, &t, 1)[..],
            b"\x04\x0c\x09SUBSCRIBEab"
        );
        assert_eq!(
            &subscription_bytes(false, &t, 1)[..],
            b"\x04\x09\x06CANCELab"
        );
        assert_eq!(&subscription_bytes(true, &t, 0)[..], b"\x00\x03\x01ab");
        assert_eq!(&subscription_bytes(false, &t, 0)[..], b"\x00\x03\x00ab");
    }
}
