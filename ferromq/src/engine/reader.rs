//! Reading one connection (engine layer): by the I/O thread, or by a receiver blocked on its
//! socket.
//!
//! A blocking receive whose socket has a single tcp or ipc peer and an empty inbox reads that
//! peer's socket itself: it decodes in its own thread and sleeps in `epoll` on the socket, so a
//! message costs no hand-over from the I/O thread (one thread hop fewer per message, and the
//! decoded frames never cross cores). The I/O thread keeps everything else: the handshake,
//! heartbeats, sockets with many peers, async and polling receivers, and any receiver that
//! stops reading.
//!
//! Who reads is decided by one atomic [`ReadSide::state`]: `IDLE`, `IO` (the I/O thread
//! reads), `APP` (a receiver reads or waits for bytes) or `APP_SKIPPED` (a receiver reads, and
//! the I/O thread found the socket readable meanwhile and left it alone). Both take the role
//! with a compare-and-swap, so the decoder is never used by two threads at once. A receiver
//! that gives the role back from `APP_SKIPPED` wakes the I/O thread ([`ReadSide::handback`]),
//! so no bytes wait unseen.
//!
//! While a receiver keeps reading, the I/O thread defers to it: when it finds that the
//! receiver read since it last looked, it waits [`GRACE`] before it reads itself. A receiver
//! that reads whenever its inbox runs dry thus has the socket to itself, and one that stops
//! (busy, or gone to `poll`) hands reading back to the I/O thread within `GRACE`, which then
//! fills the inbox up to the receive high-water mark and answers PINGs, as libzmq's I/O
//! thread does.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferromq_zmtp::{Connection, Event, Frame};
use tokio::sync::Notify;

use super::Owner;
use crate::monitor::Cause;
use crate::pipe::{OutPipe, PeerId, RawStream};
use crate::{Message, SocketType};

/// Reads are at least this large: many small messages arrive per syscall.
pub(crate) const READ_SIZE: usize = 256 * 1024;

/// Most we reserve at once for a large frame, so that memory follows the bytes that arrive
/// rather than the size a peer claims.
const MAX_RESERVE: usize = 4 * 1024 * 1024;

/// How long the I/O thread leaves a socket to a receiver that read it, before reading itself.
pub(crate) const GRACE: Duration = Duration::from_millis(1);

const IDLE: u8 = 0;
const IO: u8 = 1;
const APP: u8 = 2;
const APP_SKIPPED: u8 = 3;

/// The reading half of one established connection, shared by its engine and its socket.
pub(crate) struct ReadSide {
    pub peer: PeerId,
    pub stream: Arc<RawStream>,
    dec: Mutex<Decoder>,
    /// Who reads now: `IDLE`, `IO`, `APP` or `APP_SKIPPED`.
    state: AtomicU8,
    /// Counts a receiver's reads: while it moves, the I/O thread leaves the socket alone.
    app_reads: AtomicU64,
    /// Wakes the I/O thread when a receiver gives reading back and bytes may be waiting.
    pub handback: Notify,
    /// Where PONGs go.
    out: Arc<OutPipe>,
    /// The stream ended or broke the protocol: the I/O thread must end the connection.
    dead: AtomicBool,
    /// Why, once `dead`.
    cause: Mutex<Option<Cause>>,
}

/// The decoder and what it has decoded but not yet delivered.
pub(crate) struct Decoder {
    pub conn: Connection,
    batch: Vec<Message>,
    frames: Vec<Bytes>,
    takes_subscriptions: bool,
}

/// What one [`ReadSide::pump`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pumped {
    /// Bytes were read; `delivered` says whether whole messages reached the socket, `full`
    /// whether the peer's queue is now at its high-water mark.
    Read { delivered: bool, full: bool },
    /// Nothing to read now.
    WouldBlock,
    /// The stream ended, failed or broke the protocol.
    Ended,
}

impl ReadSide {
    pub fn new<H: Owner>(
        core: &H,
        peer: PeerId,
        conn: Connection,
        stream: Arc<RawStream>,
        out: Arc<OutPipe>,
    ) -> ReadSide {
        ReadSide {
            peer,
            stream,
            dec: Mutex::new(Decoder {
                conn,
                batch: Vec::new(),
                frames: Vec::new(),
                takes_subscriptions: matches!(
                    core.socket_type(),
                    SocketType::Pub | SocketType::Xpub
                ),
            }),
            state: AtomicU8::new(IDLE),
            app_reads: AtomicU64::new(0),
            handback: Notify::new(),
            out,
            dead: AtomicBool::new(false),
            cause: Mutex::new(None),
        }
    }

    /// Where the connection's outgoing commands go.
    pub fn out(&self) -> &OutPipe {
        &self.out
    }

    /// Whether the stream ended (the I/O thread then ends the connection).
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Why the connection ended, once it has.
    pub fn cause(&self) -> Option<Cause> {
        self.cause.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn die(&self, cause: Cause) -> Pumped {
        self.cause
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(cause);
        self.dead.store(true, Ordering::Release);
        Pumped::Ended
    }

    pub fn decoder(&self) -> MutexGuard<'_, Decoder> {
        self.dec.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The I/O thread takes the reading role; when a receiver has it, notes that the I/O
    /// thread found the socket readable, so that the receiver wakes it when it is done.
    pub fn begin_io(&self) -> bool {
        let mut cur = IDLE;
        loop {
            let next = if cur == IDLE { IO } else { APP_SKIPPED };
            match self
                .state
                .compare_exchange(cur, next, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => return next == IO,
                Err(APP_SKIPPED) => return false,
                Err(seen) => cur = seen,
            }
        }
    }

    pub fn end_io(&self) {
        self.state.store(IDLE, Ordering::Release);
    }

    /// A receiver takes the reading role, if nobody has it and the connection is alive.
    pub fn begin_app(&self) -> bool {
        self.state
            .compare_exchange(IDLE, APP, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// A receiver gives the role back; `ended` when its last read found the stream over.
    pub fn end_app(&self, ended: bool) {
        if self.state.swap(IDLE, Ordering::AcqRel) == APP_SKIPPED || ended {
            self.handback.notify_one();
        }
    }

    /// How many times a receiver has read so far.
    pub fn app_reads(&self) -> u64 {
        self.app_reads.load(Ordering::Relaxed)
    }

    /// Reads once, decodes, and hands whole messages to the socket. The caller holds the
    /// reading role; `app` is true for a receiver.
    pub fn pump<H: Owner>(&self, core: &H, app: bool) -> Pumped {
        let mut d = self.decoder();
        if self.is_dead() {
            return Pumped::Ended;
        }
        if app {
            // Only the role's holder writes it: no read-modify-write needed.
            self.app_reads
                .store(self.app_reads() + 1, Ordering::Relaxed);
        }
        let hint = d.conn.read_hint();
        let want = hint.clamp(READ_SIZE, MAX_RESERVE);
        let buf = d.conn.read_buf();
        let spare = buf.capacity() - buf.len();
        // A large frame that will not fit moves to a bigger buffer now, while little of it has
        // arrived: the move copies what is there.
        if spare < READ_SIZE / 4 || (spare < hint && hint <= MAX_RESERVE) {
            buf.reserve(want);
        }
        let read = loop {
            match self.stream.recv_into(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => self.die(Cause::PeerClosed),
            Ok(_) => self.process(&mut d, core),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Pumped::WouldBlock,
            Err(e) => self.die(Cause::Io(e.kind())),
        }
    }

    /// Decodes and delivers what the handshake's last read brought beyond the handshake, and
    /// starts the heartbeats. Called once, before anyone else can read.
    pub fn settle<H: Owner>(&self, core: &H) -> Pumped {
        let mut d = self.decoder();
        self.process(&mut d, core)
    }

    fn process<H: Owner>(&self, d: &mut Decoder, core: &H) -> Pumped {
        let decoded = d.decode();
        // After decoding, so that a PING among these bytes arms its TTL.
        d.conn.received(Instant::now());
        d.flush_commands(&self.out);
        let delivered = !d.batch.is_empty();
        let full = delivered && core.deliver(self.peer, &mut d.batch);
        if let Err(e) = decoded {
            // Messages decoded before the fault still reach the application, as in libzmq;
            // the connection ends after them.
            return self.die(Cause::Protocol(e));
        }
        Pumped::Read { delivered, full }
    }
}

impl Decoder {
    /// Decodes every whole frame in the input buffer into `batch`; an error when the peer
    /// broke the protocol.
    fn decode(&mut self) -> Result<(), ferromq_zmtp::Error> {
        loop {
            // Whole message frames first, past the general event machinery.
            let Decoder {
                conn,
                batch,
                frames,
                ..
            } = self;
            conn.poll_frames(|f| Self::add_frame(batch, frames, f));
            match self.conn.poll_event() {
                Ok(Some(Event::Frame(f))) => self.frame(f),
                // A publisher takes SUBSCRIBE and CANCEL as the subscription messages that
                // ZMTP 3.0 peers send as data; other sockets ignore them. PINGs are answered
                // by the protocol layer.
                Ok(Some(Event::Subscribe(topic))) if self.takes_subscriptions => {
                    self.batch.push(Message::subscription(true, &topic));
                }
                Ok(Some(Event::Cancel(topic))) if self.takes_subscriptions => {
                    self.batch.push(Message::subscription(false, &topic));
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Adds a data frame to the message it belongs to; a whole message goes to `batch`.
    fn frame(&mut self, f: Frame) {
        Self::add_frame(&mut self.batch, &mut self.frames, f);
    }

    /// Always inlined into the frame loop: left to the compiler, it stopped being inlined when
    /// unrelated code joined the crate, and a 16 B message cost the receiver 28 instructions
    /// more (callgrind, 301 to 329).
    #[inline(always)]
    fn add_frame(batch: &mut Vec<Message>, frames: &mut Vec<Bytes>, f: Frame) {
        if !f.more && frames.is_empty() {
            batch.push(Message::from(f.data)); // single frame: no allocation
            return;
        }
        frames.push(f.data);
        if !f.more {
            batch.push(Message::from(std::mem::take(frames)));
        }
    }

    /// Queues what the protocol layer has for the peer (PONGs, PINGs) behind the messages.
    pub fn flush_commands(&mut self, out: &OutPipe) {
        if self.conn.has_transmit() {
            let mut cmd = BytesMut::new();
            self.conn.poll_transmit(&mut cmd);
            out.push_command(cmd.freeze());
        }
    }
}

/// What a receiver blocks on while it reads its socket itself: an `epoll` set holding the
/// connection and a waker that the socket's other events (another peer's message, a new peer,
/// close) ring.
pub(crate) struct AppPoll {
    poll: mio::Poll,
    events: mio::Events,
    /// The descriptor registered, and the connection it belongs to.
    registered: Option<(RawFd, std::sync::Weak<ReadSide>)>,
}

const SOCKET: mio::Token = mio::Token(0);
const WAKE: mio::Token = mio::Token(1);

/// Why [`AppPoll::wait`] returned.
pub(crate) enum Woken {
    Readable,
    /// The socket's waker rang: look at the socket again.
    Rung,
    TimedOut,
}

impl AppPoll {
    /// A poll set with its waker, which the socket keeps to ring.
    pub fn new() -> io::Result<(AppPoll, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        Ok((
            AppPoll {
                poll,
                events: mio::Events::with_capacity(4),
                registered: None,
            },
            waker,
        ))
    }

    /// Makes `side`'s connection the one the set watches.
    fn register(&mut self, side: &Arc<ReadSide>) -> io::Result<()> {
        let fd = side.stream.as_raw_fd();
        let same = self
            .registered
            .as_ref()
            .is_some_and(|(f, s)| *f == fd && std::ptr::eq(s.as_ptr(), Arc::as_ptr(side)));
        if !same {
            let registry = self.poll.registry();
            if let Some((old, _)) = self.registered.take() {
                // Gone already if its connection closed; then there is nothing to remove.
                let _ = registry.deregister(&mut mio::unix::SourceFd(&old));
            }
            registry.register(
                &mut mio::unix::SourceFd(&fd),
                SOCKET,
                mio::Interest::READABLE,
            )?;
            self.registered = Some((fd, Arc::downgrade(side)));
        }
        Ok(())
    }

    /// Waits until `side`'s socket is readable, the waker rings, or `timeout` passes. With
    /// no `side`, only the waker (or the connection registered before, which at worst wakes
    /// it early). `interruptible`: a signal handled in this thread ends the wait with
    /// [`io::ErrorKind::Interrupted`] instead of resuming it.
    pub fn wait(
        &mut self,
        side: Option<&Arc<ReadSide>>,
        timeout: Option<Duration>,
        interruptible: bool,
    ) -> io::Result<Woken> {
        if let Some(side) = side {
            self.register(side)?;
        }
        loop {
            match self.poll.poll(&mut self.events, timeout) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && !interruptible => continue,
                Err(e) => return Err(e),
                Ok(()) => break,
            }
        }
        if self.events.iter().any(|e| e.token() == WAKE) {
            Ok(Woken::Rung)
        } else if self.events.is_empty() {
            Ok(Woken::TimedOut)
        } else {
            Ok(Woken::Readable)
        }
    }
}
