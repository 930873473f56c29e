//! Sockets (users of the public API): `zmq_socket`, `zmq_close`, the endpoint calls,
//! `zmq_send`, `zmq_send_const`, `zmq_recv` and `zmq_setsockopt` / `zmq_getsockopt`.
//!
//! libzmq sends and receives a frame at a time, ferromq a message at a time: frames sent with
//! `ZMQ_SNDMORE` wait here for the message's last one, and a received message's frames wait
//! here to be read one by one (`ZMQ_RCVMORE` says whether more follow).

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferromq::options::{Access, OptionKind};
use ferromq::{Bytes, Events, Message, OptionValue, Properties, Socket, SocketOption, SocketType};

use crate::ctx::{context, Shared};
use crate::handle::Pool;
use crate::{bytes_in, c_size, errno_of, guard, lock, text, ZMQ_DONTWAIT, ZMQ_SNDMORE};

const SOCKET_TAG: u32 = 0xbaad_f00d;

/// Every socket's memory (see [`crate::handle`]).
static SOCKETS: Pool<CSocket> = Pool::new(SOCKET_TAG);

/// `ZMQ_IPV4ONLY`, the deprecated inverse of `ZMQ_IPV6`.
const ZMQ_IPV4ONLY: c_int = 31;

/// Options libzmq reads whose work ferromq does not do yet (`ZMQ_USE_FD`,
/// `ZMQ_INVERT_MATCHING`): read as libzmq's defaults; setting anything but the default is
/// refused with `EINVAL`, since going on without doing it would mislead.
const NOT_YET: &[(c_int, c_int)] = &[
    (74, 0),  // ZMQ_INVERT_MATCHING
    (89, -1), // ZMQ_USE_FD
];

/// `ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_SERVERKEY`.
const CURVE_KEYS: &[c_int] = &[48, 49, 50];

/// Byte options that libzmq reads back as C strings, with a NUL after them (pyzmq strips it):
/// `ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD`, `ZMQ_ZAP_DOMAIN`.
const READ_AS_STRING: &[c_int] = &[45, 46, 55];

pub(crate) struct CSocket {
    pub(crate) socket: Socket,
    pub(crate) shared: Arc<Shared>,
    /// Frames sent with `ZMQ_SNDMORE`, waiting for the message's last one.
    outgoing: Mutex<Vec<Bytes>>,
    /// Frames wait in `outgoing`: while not, a single-frame send never locks it.
    sending: AtomicBool,
    /// The frames left of the message being received.
    incoming: Mutex<Incoming>,
    /// Frames wait in `incoming`, which is `ZMQ_RCVMORE`: while not, a receive of
    /// single-frame messages never locks it.
    more: AtomicBool,
    /// `zmq_socket_monitor`'s publisher, while one runs.
    pub(crate) monitor: Mutex<Option<crate::monitor::Publisher>>,
}

/// The rest of a message being received a frame at a time.
#[derive(Default)]
struct Incoming {
    frames: VecDeque<Bytes>,
    /// The sending peer's, which each frame carries (`zmq_msg_gets`).
    properties: Option<Arc<Properties>>,
}

/// A frame received, whether more of its message follow, and its peer's properties.
pub(crate) type Frame = (Bytes, bool, Option<Arc<Properties>>);

/// The socket behind a C pointer, or `ENOTSOCK`.
///
/// # Safety
/// `s` is null or a pointer this library returned from `zmq_socket`.
pub(crate) unsafe fn socket<'a>(s: *mut c_void) -> Result<&'a CSocket, c_int> {
    // SAFETY: the caller passes null or a pointer from `zmq_socket`, whose memory stays
    // ours; the tag tells a closed or foreign one, as libzmq's does.
    unsafe { SOCKETS.get(s) }.ok_or(libc::ENOTSOCK)
}

/// libzmq's socket type numbers.
fn socket_type(n: c_int) -> Option<SocketType> {
    use SocketType::*;
    [
        Pair, Pub, Sub, Req, Rep, Dealer, Router, Pull, Push, Xpub, Xsub, Stream,
    ]
    .into_iter()
    .find(|t| t.number() == n)
}

impl CSocket {
    /// Sends one frame; the message leaves with its last one (no `ZMQ_SNDMORE`). On failure
    /// the frame is handed back, and the frames before it stay for it to be sent again.
    pub(crate) fn send_frame(&self, frame: Bytes, flags: c_int) -> Result<(), (c_int, Bytes)> {
        let mut outgoing = lock(&self.outgoing);
        // A STREAM message is [routing id, data]: `ZMQ_SNDMORE` on its data frame is
        // ignored, as in libzmq.
        let stream_data = self.socket.socket_type() == SocketType::Stream && outgoing.len() == 1;
        if flags & ZMQ_SNDMORE != 0 && !stream_data {
            // As in libzmq, a message is let in (or refused with EAGAIN) at its first frame,
            // and its later frames then go in: a caller that retries a refused message from
            // its first frame sends it once.
            if matches!(
                self.socket.socket_type(),
                SocketType::Sub | SocketType::Pull
            ) {
                return Err((libc::ENOTSUP, frame));
            }
            if outgoing.is_empty() && self.unroutable(&frame) {
                return Err((libc::EHOSTUNREACH, frame));
            }
            if outgoing.is_empty() {
                if let Err(e) = self.wait_for(Events::OUT, flags, self.socket.sndtimeo()) {
                    return Err((e, frame));
                }
            }
            outgoing.push(frame);
            self.sending.store(true, Release);
            return Ok(());
        }
        // The last frame of a message let in waits for room, DONTWAIT or not.
        let flags = if outgoing.is_empty() {
            flags
        } else {
            flags & !ZMQ_DONTWAIT
        };
        let msg = if outgoing.is_empty() {
            Message::from(frame)
        } else {
            let mut frames = std::mem::take(&mut *outgoing);
            self.sending.store(false, Release);
            frames.push(frame);
            Message::from(frames)
        };
        match self.send_message(msg, flags) {
            Ok(()) => Ok(()),
            Err((e, msg)) => {
                let mut frames = msg.into_frames();
                let last = frames.pop().unwrap_or_default();
                self.sending.store(!frames.is_empty(), Release);
                *outgoing = frames;
                Err((e, last))
            }
        }
    }

    /// Sends `data` as a single-frame message when no earlier frames wait for it
    /// (`ZMQ_SNDMORE` not set), waiting for room as `zmq_send` does (unless `ZMQ_DONTWAIT`,
    /// for at most `ZMQ_SNDTIMEO`, `EINTR` on a signal): the borrowed bytes are copied only
    /// as the connection's batch takes them, so a sender held at its high-water mark
    /// allocates nothing either. `None`: nothing was tried; use [`send_frame`](Self::send_frame).
    /// On failure nothing was sent and the caller's bytes are untouched.
    pub(crate) fn send_single(&self, data: &[u8], flags: c_int) -> Option<Result<(), c_int>> {
        if flags & ZMQ_SNDMORE != 0 || self.sending.load(Acquire) {
            return None;
        }
        let sent = if flags & ZMQ_DONTWAIT != 0 {
            self.socket.try_send(data)
        } else {
            self.socket.send_interruptible(data)
        };
        Some(sent.map_err(|e| errno_of(&e)))
    }

    /// Sends a whole message, waiting (unless `ZMQ_DONTWAIT`) for at most `ZMQ_SNDTIMEO`;
    /// a signal ends the wait with `EINTR`. The message comes back on failure.
    fn send_message(&self, msg: Message, flags: c_int) -> Result<(), (c_int, Message)> {
        let msg = match self.socket.try_send_or_return(msg) {
            Ok(None) => return Ok(()),
            Ok(Some(back)) => back,
            Err(e) => return Err((errno_of(&e), Message::new())),
        };
        if flags & ZMQ_DONTWAIT != 0 {
            return Err((libc::EAGAIN, msg));
        }
        // A clone shares the frames (no copy), and the caller keeps the message if the
        // wait fails, as libzmq leaves it with the caller.
        match self.socket.send_interruptible(msg.clone()) {
            Ok(()) => Ok(()),
            Err(e) => Err((errno_of(&e), msg)),
        }
    }

    /// Receives one frame, and whether more of its message follow. Inlined into its callers
    /// for the common case, a single-frame message; the rest is out of line.
    #[inline(always)]
    pub(crate) fn recv_frame(&self, flags: c_int) -> Result<Frame, c_int> {
        if self.more.load(Acquire) {
            if let Some(frame) = self.next_frame() {
                return Ok(frame);
            }
        }
        let mut msg = self.recv_message(flags)?;
        let properties = msg.take_properties();
        match msg.into_single() {
            Ok(frame) => Ok((frame, false, properties)),
            Err(msg) => Ok(self.first_frame(msg, properties)),
        }
    }

    /// The next frame of a message whose first frame was received.
    #[inline(never)]
    fn next_frame(&self) -> Option<Frame> {
        let mut incoming = lock(&self.incoming);
        let frame = incoming.frames.pop_front()?;
        let more = !incoming.frames.is_empty();
        self.more.store(more, Release);
        let properties = if more {
            incoming.properties.clone()
        } else {
            incoming.properties.take()
        };
        Some((frame, more, properties))
    }

    /// The first frame of a message of several (or none); the others wait for `next_frame`.
    #[inline(never)]
    fn first_frame(&self, msg: Message, properties: Option<Arc<Properties>>) -> Frame {
        let mut frames = VecDeque::from(msg.into_frames());
        let first = frames.pop_front().unwrap_or_default();
        if frames.is_empty() {
            return (first, false, properties);
        }
        let mut incoming = lock(&self.incoming);
        incoming.frames.append(&mut frames);
        incoming.properties.clone_from(&properties);
        drop(incoming);
        self.more.store(true, Release);
        (first, true, properties)
    }

    /// Receives a whole message, waiting (unless `ZMQ_DONTWAIT`) for at most `ZMQ_RCVTIMEO`;
    /// a signal ends the wait with `EINTR`, as in libzmq, so that a C program's or Python's
    /// handlers run (Ctrl-C stops a blocked receive).
    #[inline(always)]
    fn recv_message(&self, flags: c_int) -> Result<Message, c_int> {
        let got = if flags & ZMQ_DONTWAIT != 0 {
            self.socket.try_recv()
        } else {
            self.socket.recv_interruptible()
        };
        got.map_err(|e| errno_of(&e))
    }

    /// A ROUTER with `ZMQ_ROUTER_MANDATORY`, and a STREAM always, refuses a message at its
    /// first frame, the routing id, when no peer has it, as libzmq does.
    fn unroutable(&self, routing_id: &[u8]) -> bool {
        self.socket.has_peer(routing_id) == Some(false)
            && (self.socket.socket_type() == SocketType::Stream || self.socket.router_mandatory())
    }

    /// Waits (unless `ZMQ_DONTWAIT`: `EAGAIN`) for `ZMQ_EVENTS` to hold `want`, for at most
    /// `timeout_ms` (-1: no limit).
    fn wait_for(&self, want: Events, flags: c_int, timeout_ms: i32) -> Result<(), c_int> {
        let deadline = deadline(timeout_ms);
        loop {
            if self.events().map_err(|e| errno_of(&e))?.contains(want) {
                return Ok(());
            }
            if flags & ZMQ_DONTWAIT != 0 {
                return Err(libc::EAGAIN);
            }
            self.wait(deadline)?;
        }
    }

    /// Waits on the socket's `ZMQ_FD` until it fires, the deadline passes (`EAGAIN`) or a
    /// signal comes (`EINTR`, as libzmq, so that a C program's or Python's signal handlers
    /// run: Ctrl-C stops a blocked receive).
    fn wait(&self, deadline: Option<Instant>) -> Result<(), c_int> {
        let fd = self.socket.fd().map_err(|e| errno_of(&e))?;
        let ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(libc::EAGAIN);
                }
                left.as_micros().div_ceil(1000).min(c_int::MAX as u128) as c_int
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        if unsafe { libc::poll(&mut pfd, 1, ms) } < 0 {
            return Err(crate::errno());
        }
        Ok(())
    }

    /// `ZMQ_EVENTS`: the socket's, and input while frames of a received message are unread.
    pub(crate) fn events(&self) -> ferromq::Result<Events> {
        let events = self.socket.events()?;
        if !self.more.load(Acquire) {
            Ok(events)
        } else {
            Ok(events | Events::IN)
        }
    }

    /// Whether frames of a message are waiting here (sent with `ZMQ_SNDMORE`, or received
    /// and not yet read): a proxy must not start on a socket midway through a message.
    pub(crate) fn mid_message(&self) -> bool {
        self.sending.load(Acquire) || self.more.load(Acquire)
    }
}

/// A new socket of libzmq's type number `type_`; null and `EINVAL` for a type ferromq lacks,
/// `EMFILE` past the context's `ZMQ_MAX_SOCKETS`, `ETERM` once it is shut down.
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket(ctx: *mut c_void, type_: c_int) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        // SAFETY: as this function's contract says.
        let c = unsafe { context(ctx) }?;
        let t = socket_type(type_).ok_or(libc::EINVAL)?;
        let given = c.open_socket()?;
        let made = given.context.socket(t).and_then(|socket| {
            if given.ipv6 {
                socket.set_ipv6(true)?;
            }
            if given.linger0 {
                socket.set_option(SocketOption::Linger, 0)?;
            }
            // libzmq gives every message its peer's properties (`zmq_msg_gets`).
            socket.set_message_properties(true);
            Ok(socket)
        });
        let socket = match made {
            Ok(socket) => socket,
            Err(e) => {
                c.shared.socket_closed();
                return Err(errno_of(&e));
            }
        };
        Ok(SOCKETS.insert(CSocket {
            socket,
            shared: c.shared.clone(),
            outgoing: Mutex::new(Vec::new()),
            sending: AtomicBool::new(false),
            incoming: Mutex::new(Incoming::default()),
            more: AtomicBool::new(false),
            monitor: Mutex::new(None),
        }))
    })
}

/// Closes a socket; its unsent messages linger per `ZMQ_LINGER`.
///
/// # Safety
/// `s` is null or a live pointer from `zmq_socket`.
#[no_mangle]
pub unsafe extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says; no reference to the socket is used
        // after (a second close finds it dead: ENOTSOCK).
        let c = unsafe { SOCKETS.remove(s) }.ok_or(libc::ENOTSOCK)?;
        let monitor = lock(&c.monitor).take();
        let shared = c.shared.clone();
        drop(c);
        drop(monitor); // after the socket: its last event, MONITOR_STOPPED, is published
        shared.socket_closed();
        Ok(0)
    })
}

/// Runs `f` on the socket and endpoint of a bind-like call.
///
/// # Safety
/// As for `zmq_bind`.
unsafe fn endpoint_call(
    s: *mut c_void,
    addr: *const c_char,
    f: impl FnOnce(&Socket, &str) -> ferromq::Result<()>,
) -> c_int {
    guard(-1, || {
        // SAFETY: as the callers' contracts say.
        let (c, addr) = unsafe { (socket(s)?, text(addr)?) };
        f(&c.socket, addr).map_err(|e| errno_of(&e))?;
        Ok(0)
    })
}

/// Binds to an endpoint.
///
/// # Safety
/// `s` is null or a live socket; `addr` null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_bind(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::bind) }
}

/// Connects to an endpoint.
///
/// # Safety
/// As for `zmq_bind`.
#[no_mangle]
pub unsafe extern "C" fn zmq_connect(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::connect) }
}

/// Stops listening on a bound endpoint.
///
/// # Safety
/// As for `zmq_bind`.
#[no_mangle]
pub unsafe extern "C" fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::unbind) }
}

/// Disconnects from a connected endpoint.
///
/// # Safety
/// As for `zmq_bind`.
#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> c_int {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::disconnect) }
}

/// Sends one frame; with `ZMQ_SNDMORE` it waits for the message's next frames, and the
/// message leaves whole with its last one. Returns the frame's size.
///
/// # Safety
/// `s` is null or a live socket; `buf` null or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_send(
    s: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let (c, data) = unsafe { (socket(s)?, bytes_in(buf, len)?) };
        // A single-frame message goes from the caller's buffer, with no copy of its own; the
        // last frame of a multipart one is copied and takes the long way.
        if let Some(sent) = c.send_single(data, flags) {
            return sent.map(|()| c_size(len));
        }
        c.send_frame(Bytes::copy_from_slice(data), flags)
            .map_err(|(e, _)| e)?;
        Ok(c_size(len))
    })
}

/// `zmq_send` of a buffer that stays unchanged and valid for as long as the library may
/// need it (a string constant): sent without a copy.
///
/// # Safety
/// As for `zmq_send`, and `buf` stays valid and unchanged while the library holds it (for a
/// constant, forever).
#[no_mangle]
pub unsafe extern "C" fn zmq_send_const(
    s: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let (c, data) = unsafe { (socket(s)?, bytes_in(buf, len)?) };
        // SAFETY: the caller promises the buffer outlives every use the library makes of it
        // and does not change, which is what `'static` data is.
        let data: &'static [u8] = unsafe { std::mem::transmute::<&[u8], &'static [u8]>(data) };
        c.send_frame(Bytes::from_static(data), flags)
            .map_err(|(e, _)| e)?;
        Ok(c_size(len))
    })
}

/// When a wait of `ms` milliseconds (-1: none) ends.
fn deadline(ms: i32) -> Option<Instant> {
    u64::try_from(ms)
        .ok()
        .map(|ms| Instant::now() + Duration::from_millis(ms))
}

/// Receives one frame into `buf` (at most `len` bytes; the rest of a longer frame is
/// dropped, as libzmq does). Returns the frame's whole size; `ZMQ_RCVMORE` then says whether
/// more frames of the message follow.
///
/// # Safety
/// `s` is null or a live socket; `buf` null or `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_recv(
    s: *mut c_void,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { socket(s) }?;
        if len > 0 && buf.is_null() {
            return Err(libc::EFAULT);
        }
        let (frame, _, _) = c.recv_frame(flags)?;
        let n = frame.len().min(len);
        if n > 0 {
            // SAFETY: `buf` is not null (checked above, `len` > 0) and holds `len` >= `n`
            // writable bytes; `frame` is ours, so the two do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(frame.as_ptr(), buf.cast::<u8>(), n) };
        }
        Ok(c_size(frame.len()))
    })
}

/// An `int` option's value from its raw bytes: exactly `sizeof (int)`, as libzmq asks.
fn int_arg(raw: &[u8]) -> Result<i32, c_int> {
    let v: [u8; 4] = raw.try_into().map_err(|_| libc::EINVAL)?;
    Ok(i32::from_ne_bytes(v))
}

/// Sets an option by libzmq's number, with libzmq's sizes: an `int` for int and boolean
/// options, an `int64_t` or `uint64_t`, or bytes. `EINVAL` for an unknown number, a wrong size
/// or a value out of range.
///
/// # Safety
/// `s` is null or a live socket; `optval` null or `optvallen` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let (c, raw) = unsafe { (socket(s)?, bytes_in(optval, optvallen)?) };
        if option == ZMQ_IPV4ONLY {
            let v = int_arg(raw)?;
            if !(0..=1).contains(&v) {
                return Err(libc::EINVAL);
            }
            c.socket.set_ipv6(v == 0).map_err(|e| errno_of(&e))?;
            return Ok(0);
        }
        if let Some(&(_, default)) = NOT_YET.iter().find(|(n, _)| *n == option) {
            return if int_arg(raw)? == default {
                Ok(0)
            } else {
                Err(libc::EINVAL)
            };
        }
        let option = SocketOption::from_number(option).ok_or(libc::EINVAL)?;
        let spec = option.spec();
        let value = match spec.kind {
            OptionKind::Int | OptionKind::Bool => OptionValue::Int(int_arg(raw)?),
            OptionKind::Int64 => {
                let v: [u8; 8] = raw.try_into().map_err(|_| libc::EINVAL)?;
                OptionValue::Int64(i64::from_ne_bytes(v))
            }
            OptionKind::UInt64 => {
                let v: [u8; 8] = raw.try_into().map_err(|_| libc::EINVAL)?;
                OptionValue::UInt64(u64::from_ne_bytes(v))
            }
            _ => OptionValue::Bytes(Bytes::copy_from_slice(raw)),
        };
        c.socket
            .set_option(option, value)
            .map_err(|e| errno_of(&e))?;
        Ok(0)
    })
}

/// Reads an option by libzmq's number into `optval`, `*optvallen` its size: room for an
/// `int` (or 8 bytes) for the integer options, for the bytes (and, for a string, its NUL)
/// otherwise; `*optvallen` is set to the size written. `EINVAL` for an unknown number, an
/// option libzmq only sets, or a buffer too small.
///
/// # Safety
/// `s` is null or a live socket; `optvallen` null or a readable and writable `size_t`;
/// `optval` null or `*optvallen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { socket(s) }?;
        if optvallen.is_null() || optval.is_null() {
            return Err(libc::EFAULT);
        }
        // SAFETY: not null, and the caller passes a readable `size_t`.
        let room = unsafe { *optvallen };
        let value = match read_option(c, option)? {
            OptionValue::Bytes(b) if READ_AS_STRING.contains(&option) => {
                let mut text = b.to_vec();
                text.push(0);
                OptionValue::Bytes(text.into())
            }
            // A CURVE key reads as its 32 bytes into 32, or as Z85 and a NUL into 41; libzmq
            // refuses any other size.
            OptionValue::Bytes(key) if CURVE_KEYS.contains(&option) => match room {
                32 => OptionValue::Bytes(key),
                41 => {
                    let mut text = ferromq::z85_encode(&key).map_err(|_| libc::EINVAL)?;
                    text.push('\0');
                    OptionValue::Bytes(text.into_bytes().into())
                }
                _ => return Err(libc::EINVAL),
            },
            value => value,
        };
        let out: Vec<u8> = match value {
            OptionValue::Int(v) => v.to_ne_bytes().to_vec(),
            OptionValue::Bool(v) => i32::from(v).to_ne_bytes().to_vec(),
            OptionValue::Int64(v) => v.to_ne_bytes().to_vec(),
            OptionValue::UInt64(v) => v.to_ne_bytes().to_vec(),
            OptionValue::Bytes(b) => b.to_vec(),
            OptionValue::String(s) => {
                let mut text = s.into_bytes();
                text.push(0); // read with its NUL, as libzmq gives strings
                text
            }
            _ => return Err(libc::EINVAL),
        };
        if room < out.len() {
            return Err(libc::EINVAL);
        }
        // SAFETY: `optval` is not null and holds `room` >= `out.len()` writable bytes;
        // `out` is ours, so the two do not overlap; `optvallen` is writable.
        unsafe {
            std::ptr::copy_nonoverlapping(out.as_ptr(), optval.cast::<u8>(), out.len());
            *optvallen = out.len();
        }
        Ok(0)
    })
}

/// An option's value as libzmq reads it.
fn read_option(c: &CSocket, option: c_int) -> Result<OptionValue, c_int> {
    if option == ZMQ_IPV4ONLY {
        return Ok(OptionValue::Int((!c.socket.ipv6()).into()));
    }
    if let Some(&(_, default)) = NOT_YET.iter().find(|(n, _)| *n == option) {
        return Ok(OptionValue::Int(default));
    }
    let option = SocketOption::from_number(option).ok_or(libc::EINVAL)?;
    if option.spec().access == Access::WriteOnly {
        return Err(libc::EINVAL); // as libzmq: it cannot read these
    }
    match option {
        SocketOption::Rcvmore => Ok(OptionValue::Int(c.more.load(Acquire).into())),
        SocketOption::Events => {
            let events = c.events().map_err(|e| errno_of(&e))?;
            Ok(OptionValue::Int(events.bits().into()))
        }
        _ => c.socket.get_option(option).map_err(|e| errno_of(&e)),
    }
}
