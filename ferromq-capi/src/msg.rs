//! Messages (users of the public API): `zmq_msg_t` and the `zmq_msg_*` functions, and the
//! deprecated `zmq_sendmsg`, `zmq_recvmsg`, `zmq_sendiov`, `zmq_recviov`.
//!
//! A `zmq_msg_t` is 64 bytes of the caller's memory, pointer-aligned, holding a [`Msg`]: a
//! tag, the `ZMQ_MORE` flag and the frame's bytes, writable (`zmq_msg_init_size`, so that C
//! fills it through `zmq_msg_data`) or shared (`bytes::Bytes`: received, copied, or the
//! caller's own buffer from `zmq_msg_init_data`, whose free function runs once, when the
//! last reference goes, on whichever thread drops it). Nothing in it points into itself, so
//! C code may move it with `memcpy`, as libzmq allows.

use std::ffi::{c_char, c_int, c_void};
use std::mem::{align_of, size_of};

use std::sync::Arc;

use bytes::Bytes;
use ferromq::Properties;

use crate::socket::socket;
use crate::{c_size, guard, DEAD_TAG};

/// `sizeof (zmq_msg_t)`, as libzmq's.
pub const MSG_T_SIZE: usize = 64;

/// `zmq_msg_get` / `zmq_msg_more`: more frames of the message follow.
pub const ZMQ_MORE: c_int = 1;
/// `zmq_msg_get`: the deprecated source descriptor (always -1 here).
pub const ZMQ_SRCFD: c_int = 2;
/// `zmq_msg_get`: the message's bytes are shared with another message or the caller.
pub const ZMQ_SHARED: c_int = 3;

const MSG_TAG: u32 = 0x0cab_1e00;
/// The largest message kept inside the `zmq_msg_t` (what is left of its 64 bytes).
const INLINE_MAX: usize = 40;
const MORE: u8 = 1;
const SHARED: u8 = 2;

/// C's `zmq_msg_t`: only its size and alignment matter.
#[repr(C, align(8))]
#[allow(non_camel_case_types)] // C's name
pub struct zmq_msg_t {
    _bytes: [u8; MSG_T_SIZE],
}

/// `zmq_free_fn`: frees a buffer given to `zmq_msg_init_data`.
#[allow(non_camel_case_types)] // C's name
pub type zmq_free_fn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// What a `zmq_msg_t` holds.
#[repr(C)]
pub(crate) struct Msg {
    tag: u32,
    flags: u8,
    /// A received message's peer properties (`zmq_msg_gets`).
    properties: Option<Arc<Properties>>,
    body: Body,
}

enum Body {
    /// A small message made by `zmq_msg_init_size`, held in the `zmq_msg_t` itself (libzmq's
    /// "very small message"): no allocation, and sent from here by a copy into the
    /// connection's batch, which small frames get anyway.
    Inline { len: u8, data: [u8; INLINE_MAX] },
    /// Made by `zmq_msg_init_size`: ours alone, written through `zmq_msg_data`.
    Owned(Vec<u8>),
    /// Received, copied, or the caller's buffer.
    Shared(Bytes),
}

const _: () = assert!(size_of::<Msg>() <= MSG_T_SIZE);
const _: () = assert!(align_of::<Msg>() <= align_of::<zmq_msg_t>());
const _: () = assert!(align_of::<zmq_msg_t>() == align_of::<*const u8>());

impl Msg {
    fn new(body: Body, flags: u8) -> Msg {
        Msg {
            tag: MSG_TAG,
            flags,
            properties: None,
            body,
        }
    }

    fn received((frame, more, properties): crate::socket::Frame) -> Msg {
        Msg {
            tag: MSG_TAG,
            flags: if more { MORE } else { 0 },
            properties,
            body: Body::Shared(frame),
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.body {
            Body::Inline { len, data } => inline(data, *len),
            Body::Owned(b) => b,
            Body::Shared(b) => b,
        }
    }

    /// The frame, for sending or sharing; an owned body becomes shared (no copy).
    fn freeze(&mut self) -> Bytes {
        match &mut self.body {
            Body::Owned(b) => self.body = Body::Shared(Bytes::from(std::mem::take(b))),
            Body::Inline { len, data } => {
                self.body = Body::Shared(Bytes::copy_from_slice(inline(data, *len)))
            }
            Body::Shared(_) => {}
        }
        match &self.body {
            Body::Shared(b) => b.clone(),
            _ => Bytes::new(),
        }
    }

    /// The bytes, when a send would copy them rather than share them.
    fn copied_on_send(&self) -> Option<&[u8]> {
        let data = self.bytes();
        (data.len() < ferromq::ZERO_COPY_MIN).then_some(data)
    }

    /// The frame, moved out; the message is left empty.
    fn take(&mut self) -> Bytes {
        let body = std::mem::replace(&mut self.body, EMPTY);
        self.flags = 0;
        match body {
            Body::Inline { len, data } => Bytes::copy_from_slice(inline(&data, len)),
            Body::Owned(b) => Bytes::from(b),
            Body::Shared(b) => b,
        }
    }
}

/// An inline body's bytes (its length is never above `INLINE_MAX`; no panic path if it were).
#[inline(always)]
fn inline(data: &[u8; INLINE_MAX], len: u8) -> &[u8] {
    data.get(..usize::from(len)).unwrap_or_default()
}

/// An empty message's body: nothing to drop, nothing allocated.
const EMPTY: Body = Body::Inline {
    len: 0,
    data: [0; INLINE_MAX],
};

/// The largest buffer a thread keeps for its next `zmq_msg_init_size`.
const SPARE_MAX: usize = 8 * 1024;

thread_local! {
    /// The buffer of the last message this thread made with `zmq_msg_init_size` and sent
    /// by copy: the next one reuses it, so that a sender loop (`init_size`, fill, `send`)
    /// allocates once rather than per message.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// `size` zeroed bytes, in this thread's spare buffer when it is large enough (zeroed, so
/// that no byte of an earlier message reaches a later one that is not filled whole).
fn spare_or_new(size: usize) -> Vec<u8> {
    if size <= SPARE_MAX {
        let mut b = SPARE.take();
        if b.capacity() >= size {
            b.clear();
            b.resize(size, 0);
            return b;
        }
    }
    vec![0; size]
}

/// Keeps a sent message's buffer (ours alone: the send copied it) for the next message.
fn keep_spare(buffer: Vec<u8>) {
    if buffer.capacity() <= SPARE_MAX {
        SPARE.set(buffer);
    }
}

/// The caller's buffer behind a `zmq_msg_init_data` message; freed when the last `Bytes`
/// that shares it is dropped.
struct Foreign {
    data: *mut c_void,
    len: usize,
    free: Option<zmq_free_fn>,
    hint: *mut c_void,
}

// SAFETY: `zmq_msg_init_data`'s contract gives the buffer to the library until its free
// function is called, and libzmq calls that function from whatever thread drops the last
// reference (its I/O threads): C callers already allow both.
unsafe impl Send for Foreign {}
// SAFETY: the buffer is only read while shared, as `AsRef<[u8]>` gives it.
unsafe impl Sync for Foreign {}

impl AsRef<[u8]> for Foreign {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `zmq_msg_init_data` checked that `data` is not null, and its caller gives
        // `len` readable bytes that stay valid until the free function runs, in `drop`.
        unsafe { std::slice::from_raw_parts(self.data.cast::<u8>(), self.len) }
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the free function and hint the caller gave, called once: this owner is
            // dropped once, when the last `Bytes` sharing it goes.
            unsafe { free(self.data, self.hint) };
        }
    }
}

/// The initialised message behind a C pointer, or `EFAULT`.
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t` (initialised or not) owned by the caller.
unsafe fn msg<'a>(msg: *mut zmq_msg_t) -> Result<&'a mut Msg, c_int> {
    if msg.is_null() || !msg.cast::<Msg>().is_aligned() {
        return Err(libc::EFAULT);
    }
    let m = msg.cast::<Msg>();
    // SAFETY: not null, aligned, and 64 bytes of the caller's memory: the tag is read as
    // bytes C has written (an uninitialised `zmq_msg_t` holds whatever C left there).
    let tag = unsafe { std::ptr::addr_of!((*m).tag).read() };
    if tag != MSG_TAG {
        return Err(libc::EFAULT);
    }
    // SAFETY: the tag says `zmq_msg_init*` wrote a `Msg` here and no close followed.
    Ok(unsafe { &mut *m })
}

/// Writes a new message over `msg` without reading it (it may be uninitialised).
///
/// # Safety
/// `msg` is null or points to a writable `zmq_msg_t`.
#[inline(always)]
unsafe fn init(msg: *mut zmq_msg_t, body: impl FnOnce() -> Body, flags: u8) -> Result<(), c_int> {
    if msg.is_null() || !msg.cast::<Msg>().is_aligned() {
        return Err(libc::EFAULT);
    }
    // Built after the check, in place: no copy through the stack.
    // SAFETY: not null, aligned and 64 writable bytes, which a `Msg` fits (asserted above).
    unsafe { msg.cast::<Msg>().write(Msg::new(body(), flags)) };
    Ok(())
}

/// Makes `msg` an empty message.
///
/// # Safety
/// `msg` is null or points to a writable `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        unsafe { init(msg, || EMPTY, 0) }.map(|()| 0)
    })
}

/// Makes `msg` a message of `size` bytes (zeroed), to be filled through `zmq_msg_data`.
///
/// # Safety
/// `msg` is null or points to a writable `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    guard(-1, || {
        if size > isize::MAX as usize {
            return Err(libc::ENOMEM);
        }
        match u8::try_from(size) {
            // SAFETY: the same contract.
            Ok(len) if size <= INLINE_MAX => unsafe {
                init(
                    msg,
                    || Body::Inline {
                        len,
                        data: [0; INLINE_MAX],
                    },
                    0,
                )
            },
            // SAFETY: the same contract.
            _ => unsafe { init_owned(msg, size) },
        }?;
        Ok(0)
    })
}

/// `zmq_msg_init_size` of a message too large to be held inline, out of line.
///
/// # Safety
/// `msg` is null or points to a writable `zmq_msg_t`.
#[inline(never)]
unsafe fn init_owned(msg: *mut zmq_msg_t, size: usize) -> Result<(), c_int> {
    // SAFETY: the same contract.
    unsafe { init(msg, || Body::Owned(spare_or_new(size)), 0) }
}

/// Makes `msg` a message of the caller's `size` bytes at `data`, without a copy. `ffn`, if
/// not null, is called with `data` and `hint` once, when the last reference to the bytes
/// goes (a send can keep them after `zmq_msg_send` returns), from whatever thread that is.
///
/// # Safety
/// `msg` is null or points to a writable `zmq_msg_t`; `data` holds `size` readable bytes
/// that stay valid and unchanged until `ffn` is called (forever if `ffn` is null).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<zmq_free_fn>,
    hint: *mut c_void,
) -> c_int {
    guard(-1, || {
        if data.is_null() && size > 0 {
            return Err(libc::EFAULT);
        }
        let owner = Foreign {
            data,
            len: size,
            free: ffn,
            hint,
        };
        // SAFETY: the same contract.
        unsafe { init(msg, || Body::Shared(Bytes::from_owner(owner)), SHARED) }?;
        Ok(0)
    })
}

/// Ends a message: its bytes are released (a shared buffer's free function runs once no
/// other message holds it).
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let m = unsafe { self::msg(msg) }?;
        m.tag = DEAD_TAG;
        // SAFETY: the tag was live, so every field is a valid value; they are dropped once
        // (the dead tag, plain data, is left in place and refuses every later use).
        unsafe { std::ptr::drop_in_place(std::ptr::from_mut(m)) };
        Ok(0)
    })
}

/// Moves `src`'s content to `dest` (whose own content is released); `src` becomes empty.
///
/// # Safety
/// Both are null or point to initialised `zmq_msg_t`s.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let s = unsafe { msg(src) }?;
        if dest == src {
            return Ok(0);
        }
        // SAFETY: the same contract.
        let d = unsafe { msg(dest) }?;
        let flags = std::mem::take(&mut s.flags);
        let body = std::mem::replace(&mut s.body, EMPTY);
        let properties = s.properties.take();
        *d = Msg {
            properties,
            ..Msg::new(body, flags)
        };
        Ok(0)
    })
}

/// Makes `dest` share `src`'s bytes (no copy; both must be closed).
///
/// # Safety
/// Both are null or point to initialised `zmq_msg_t`s.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let s = unsafe { msg(src) }?;
        if dest == src {
            return Ok(0);
        }
        let bytes = s.freeze();
        s.flags |= SHARED;
        let flags = s.flags;
        let properties = s.properties.clone();
        // SAFETY: the same contract.
        let d = unsafe { msg(dest) }?;
        *d = Msg {
            properties,
            ..Msg::new(Body::Shared(bytes), flags)
        };
        Ok(0)
    })
}

/// The message's bytes (null and `EFAULT` for an uninitialised message). Writing through
/// it is for messages made by `zmq_msg_init_size` and not yet sent or copied.
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the same contract.
        let m = unsafe { self::msg(msg) }?;
        Ok(match &mut m.body {
            Body::Inline { data, .. } => data.as_mut_ptr().cast(),
            Body::Owned(b) => b.as_mut_ptr().cast(),
            Body::Shared(b) => b.as_ptr().cast_mut().cast(),
        })
    })
}

/// The message's size in bytes (0 for an uninitialised message, with `EFAULT`).
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    guard(0, || {
        // SAFETY: the same contract; the message is only read.
        Ok(unsafe { self::msg(msg.cast_mut()) }?.bytes().len())
    })
}

/// 1 if more frames of the message follow this one (after `zmq_msg_recv`).
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_msg_get(msg, ZMQ_MORE) }.max(0)
}

/// A message property: `ZMQ_MORE`, `ZMQ_SHARED`, `ZMQ_SRCFD` (-1: deprecated, not kept).
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract; the message is only read.
        let m = unsafe { self::msg(msg.cast_mut()) }?;
        match property {
            ZMQ_MORE => Ok((m.flags & MORE != 0).into()),
            ZMQ_SHARED => Ok((m.flags & SHARED != 0).into()),
            ZMQ_SRCFD => Ok(-1),
            _ => Err(libc::EINVAL),
        }
    })
}

/// Sets a message property: libzmq has none that can be set, so `EINVAL`.
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set(msg: *mut zmq_msg_t, _property: c_int, _v: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        unsafe { self::msg(msg) }?;
        Err(libc::EINVAL)
    })
}

/// A metadata property of the connection a received message came on: what the peer sent in
/// its READY command ("Socket-Type", "Identity" ...) and, over tcp, "Peer-Address" (see
/// `ferromq::Properties`). The string lives as long as the message. Null and `EINVAL` for
/// a property the message does not have (every one, for a message not received from a tcp
/// or ipc peer).
///
/// # Safety
/// `msg` is null or points to a `zmq_msg_t`; `property` null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_gets(
    msg: *const zmq_msg_t,
    property: *const c_char,
) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: the same contract.
        let m = unsafe { self::msg(msg.cast_mut()) }?;
        // SAFETY: the same contract.
        let name = unsafe { crate::text(property) }?;
        // The value lives as long as the message's reference to the properties, as in
        // libzmq.
        let value = m.properties.as_ref().and_then(|p| p.get_c(name));
        value.map(|v| v.as_ptr()).ok_or(libc::EINVAL)
    })
}

/// Sends the message as one frame (`ZMQ_SNDMORE`: more follow); on success `msg` is left
/// empty and the frame's size is returned; on failure `msg` is unchanged.
///
/// # Safety
/// `msg` is null or points to an initialised `zmq_msg_t`; `s` null or a live socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let (c, m) = unsafe { (socket(s)?, self::msg(msg)?) };
        // The common case, a small message from `zmq_msg_init_size`: sent by copy from where
        // it is, then left empty by its length alone.
        // A larger one below `ferromq::ZERO_COPY_MIN` is copied too, and its buffer kept for
        // this thread's next `zmq_msg_init_size`.
        let sent = match &mut m.body {
            Body::Inline { len, data } => {
                let n = *len;
                let sent = c.send_single(inline(data, n), flags);
                if let Some(Ok(())) = sent {
                    *len = 0;
                }
                sent.map(|r| r.map(|()| usize::from(n)))
            }
            Body::Owned(buffer) if buffer.len() < ferromq::ZERO_COPY_MIN => {
                let n = buffer.len();
                let sent = c.send_single(buffer, flags);
                if let Some(Ok(())) = sent {
                    // Left an empty `Owned`: nothing to drop.
                    keep_spare(std::mem::take(buffer));
                }
                sent.map(|r| r.map(|()| n))
            }
            Body::Owned(_) | Body::Shared(_) => None,
        };
        match sent {
            Some(sent) => {
                let n = sent?; // on failure the message stays as it was, as libzmq leaves it
                m.flags = 0;
                m.properties = None;
                Ok(c_size(n))
            }
            None => send_other(c, m, flags),
        }
    })
}

/// `zmq_msg_send` of anything but a single frame made by `zmq_msg_init_size`, out of line.
#[inline(never)]
fn send_other(c: &crate::socket::CSocket, m: &mut Msg, flags: c_int) -> Result<c_int, c_int> {
    // A single frame is sent from where it is (waiting for room there) when the connection
    // would copy it anyway (see `ferromq::ZERO_COPY_MIN`): no `Bytes` of its own.
    if let Some(data) = m.copied_on_send() {
        let len = data.len();
        if let Some(sent) = c.send_single(data, flags) {
            sent?; // on failure the message stays as it was, as libzmq leaves it
            m.body = EMPTY;
            m.flags = 0;
            m.properties = None;
            return Ok(c_size(len));
        }
    }
    let flags_before = m.flags;
    let frame = m.take();
    let len = frame.len();
    if let Err((e, frame)) = c.send_frame(frame, flags) {
        // Unchanged, as libzmq leaves it.
        m.body = Body::Shared(frame);
        m.flags = flags_before;
        return Err(e);
    }
    // Empty, as after `zmq_msg_init`.
    m.properties = None;
    Ok(c_size(len))
}

/// Receives one frame into `msg` (its old content released); returns its size, and
/// `zmq_msg_more` says whether more frames follow.
///
/// # Safety
/// `msg` is null or points to an initialised `zmq_msg_t`; `s` null or a live socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let (c, m) = unsafe { (socket(s)?, self::msg(msg)?) };
        let received = c.recv_frame(flags)?;
        let len = received.0.len();
        *m = Msg::received(received);
        Ok(c_size(len))
    })
}

/// The deprecated `zmq_msg_send`, arguments the other way round.
///
/// # Safety
/// As for `zmq_msg_send`.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_msg_send(msg, s, flags) }
}

/// The deprecated `zmq_msg_recv`, arguments the other way round.
///
/// # Safety
/// As for `zmq_msg_recv`.
#[no_mangle]
pub unsafe extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_msg_recv(msg, s, flags) }
}

/// Sends `count` buffers as frames of one message (the last with `flags`' `ZMQ_SNDMORE`
/// if set). Returns the last frame's size, as libzmq does.
///
/// # Safety
/// `s` is null or a live socket; `iov` null or `count` readable `struct iovec`s, each
/// describing readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendiov(
    s: *mut c_void,
    iov: *mut libc::iovec,
    count: usize,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let c = unsafe { socket(s) }?;
        if count == 0 || iov.is_null() {
            return Err(libc::EINVAL);
        }
        // SAFETY: not null, and the caller passes `count` iovecs.
        let iov = unsafe { std::slice::from_raw_parts(iov, count) };
        let mut sent = 0;
        for (i, v) in iov.iter().enumerate() {
            // SAFETY: each iovec describes readable bytes, by the contract.
            let data = unsafe { crate::bytes_in(v.iov_base, v.iov_len) }?;
            let f = if i + 1 < count {
                flags | crate::ZMQ_SNDMORE
            } else {
                flags
            };
            c.send_frame(Bytes::copy_from_slice(data), f)
                .map_err(|(e, _)| e)?;
            sent = c_size(data.len());
        }
        Ok(sent)
    })
}

/// Receives up to `*count` frames of one message into buffers the library allocates with
/// `malloc` (the caller frees each `iov_base`); `*count` is set to the number received.
///
/// # Safety
/// `s` is null or a live socket; `count` null or a readable and writable `size_t`; `iov`
/// null or `*count` writable `struct iovec`s.
#[no_mangle]
pub unsafe extern "C" fn zmq_recviov(
    s: *mut c_void,
    iov: *mut libc::iovec,
    count: *mut usize,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        let c = unsafe { socket(s) }?;
        if count.is_null() || iov.is_null() {
            return Err(libc::EINVAL);
        }
        // SAFETY: not null, readable.
        let room = unsafe { *count };
        if room == 0 {
            return Err(libc::EINVAL);
        }
        // SAFETY: not null, and the caller passes `room` writable iovecs.
        let iov = unsafe { std::slice::from_raw_parts_mut(iov, room) };
        let mut got = 0;
        let mut total = 0usize;
        loop {
            let (frame, more, _) = c.recv_frame(flags)?;
            // SAFETY: `malloc` of at least one byte; checked for null below.
            let buf = unsafe { libc::malloc(frame.len().max(1)) };
            if buf.is_null() {
                return Err(libc::ENOMEM);
            }
            // SAFETY: `buf` has room for `frame.len()` bytes and is not `frame`'s memory.
            unsafe { std::ptr::copy_nonoverlapping(frame.as_ptr(), buf.cast::<u8>(), frame.len()) };
            iov[got] = libc::iovec {
                iov_base: buf,
                iov_len: frame.len(),
            };
            got += 1;
            total += frame.len();
            if !more || got == room {
                break;
            }
        }
        // SAFETY: `count` is writable, by the contract.
        unsafe { *count = got };
        Ok(c_size(total))
    })
}
