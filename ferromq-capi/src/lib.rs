//! libzmq's C API on ferromq (users of the public API): a `libzmq.so` (soname `libzmq.so.5`) and
//! `include/zmq.h` that C programs build against unchanged.
//!
//! This crate is a thin translation: libzmq's functions, numbers and errno onto
//! [`ferromq`]'s public API. It holds no socket logic. Every pointer and size it is given is
//! checked where a check can tell (null pointers, sizes against the option's type, a socket's
//! tag), and no panic crosses into C: every entry point catches one and reports `EFAULT`.
//!
//! This first slice covers errors and version, contexts, sockets, endpoints, `zmq_send` /
//! `zmq_recv` (frame at a time, `ZMQ_SNDMORE`, `ZMQ_DONTWAIT`) and `zmq_setsockopt` /
//! `zmq_getsockopt` over ferromq's options table with libzmq's rules for sizes and for which
//! options can be read. Messages, polling, the monitor and the proxy come next.
//!
//! `unsafe` lives here only; each block says why it holds.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use ferromq::options::{Access, OptionKind};
use ferromq::{Bytes, Context, Error, Message, OptionValue, Socket, SocketOption, SocketType};

/// libzmq's base for its own error numbers.
pub const ZMQ_HAUSNUMERO: c_int = 156_384_712;
/// The operation is not valid in the socket's current state.
pub const EFSM: c_int = ZMQ_HAUSNUMERO + 51;
/// The protocol is not compatible with the socket type.
pub const ENOCOMPATPROTO: c_int = ZMQ_HAUSNUMERO + 52;
/// The context was terminated.
pub const ETERM: c_int = ZMQ_HAUSNUMERO + 53;
/// No I/O thread is available.
pub const EMTHREAD: c_int = ZMQ_HAUSNUMERO + 54;

/// `zmq_send` flag: do not block.
pub const ZMQ_DONTWAIT: c_int = 1;
/// `zmq_send` flag: more frames of this message follow.
pub const ZMQ_SNDMORE: c_int = 2;

/// The version this library answers to: libzmq 4.3.5's API.
const VERSION: (c_int, c_int, c_int) = (4, 3, 5);

/// Marks a live context or socket, as libzmq's tags do, so that a pointer to something else
/// (or to a closed socket, while its memory is still ours) is refused with an error.
const CONTEXT_TAG: u32 = 0xabad_cafe;
const SOCKET_TAG: u32 = 0xbaad_f00d;
const DEAD_TAG: u32 = 0xdead_beef;

fn set_errno(e: c_int) {
    // SAFETY: `__errno_location` returns the calling thread's errno, valid for the thread's
    // life; writing an int to it is what C's `errno = e` does.
    unsafe { *libc::__errno_location() = e };
}

fn errno() -> c_int {
    // SAFETY: as in `set_errno`; a read of the thread's errno.
    unsafe { *libc::__errno_location() }
}

/// libzmq's errno for a ferromq error.
fn errno_of(e: &Error) -> c_int {
    match e {
        Error::WouldBlock | Error::TimedOut => libc::EAGAIN,
        Error::WrongState { .. } => EFSM,
        Error::NotSupported { .. } => libc::ENOTSUP,
        Error::InvalidOption { .. } | Error::InvalidMessage(_) => libc::EINVAL,
        Error::InvalidEndpoint { reason, .. } if reason.contains("unknown transport") => {
            libc::EPROTONOSUPPORT
        }
        Error::InvalidEndpoint { .. } => libc::EINVAL,
        Error::AddrInUse { .. } => libc::EADDRINUSE,
        Error::UnknownEndpoint { .. } => libc::ENOENT,
        Error::HostUnreachable { .. } => libc::EHOSTUNREACH,
        Error::Closed => ETERM,
        Error::Io { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
        _ => libc::EINVAL,
    }
}

/// Runs an entry point: a panic becomes `EFAULT` and `fail`, an error its errno and `fail`.
fn guard<T>(fail: T, f: impl FnOnce() -> Result<T, c_int>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_errno(e);
            fail
        }
        Err(_) => {
            set_errno(libc::EFAULT);
            fail
        }
    }
}

struct CContext {
    tag: u32,
    context: Context,
}

struct CSocket {
    tag: u32,
    socket: Socket,
    /// Frames sent with `ZMQ_SNDMORE`, waiting for the message's last one.
    outgoing: Mutex<Vec<Bytes>>,
    /// The frames left of the message being received, and whether the last frame returned
    /// has more after it (`ZMQ_RCVMORE`).
    incoming: Mutex<(VecDeque<Bytes>, bool)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The context behind a C pointer, or `EFAULT`.
///
/// # Safety
/// `ctx` is null or a pointer this library returned from `zmq_ctx_new`.
unsafe fn context<'a>(ctx: *mut c_void) -> Result<&'a CContext, c_int> {
    let ctx = ctx.cast::<CContext>();
    // SAFETY: the caller passes null or a pointer from `zmq_ctx_new`, a live `CContext`
    // until `zmq_ctx_term`; the tag tells a terminated or foreign one, as libzmq's does.
    match unsafe { ctx.as_ref() } {
        Some(c) if c.tag == CONTEXT_TAG => Ok(c),
        _ => Err(libc::EFAULT),
    }
}

/// The socket behind a C pointer, or `ENOTSOCK`.
///
/// # Safety
/// `s` is null or a pointer this library returned from `zmq_socket`.
unsafe fn socket<'a>(s: *mut c_void) -> Result<&'a CSocket, c_int> {
    let s = s.cast::<CSocket>();
    // SAFETY: the caller passes null or a pointer from `zmq_socket`, a live `CSocket` until
    // `zmq_close`; the tag tells a foreign pointer, as libzmq's does.
    match unsafe { s.as_ref() } {
        Some(c) if c.tag == SOCKET_TAG => Ok(c),
        _ => Err(libc::ENOTSOCK),
    }
}

/// A C string argument, or `EINVAL`.
///
/// # Safety
/// `s` is null or a NUL-terminated string that stays valid for the call.
unsafe fn text<'a>(s: *const c_char) -> Result<&'a str, c_int> {
    if s.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: not null, and the caller passes a NUL-terminated string.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| libc::EINVAL)
}

/// Writes libzmq's version (4.3.5) into the three pointers that are not null.
///
/// # Safety
/// Each pointer is null or points to a writable `int`.
#[no_mangle]
pub unsafe extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    for (p, v) in [(major, VERSION.0), (minor, VERSION.1), (patch, VERSION.2)] {
        if !p.is_null() {
            // SAFETY: not null, and the caller passes a writable int.
            unsafe { *p = v };
        }
    }
}

/// The calling thread's errno, as the last failing call left it.
#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

/// A static description of an error number, libzmq's words for its own.
#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    let own: Option<&'static CStr> = match errnum {
        EFSM => Some(c"Operation cannot be accomplished in current state"),
        ENOCOMPATPROTO => Some(c"The protocol is not compatible with the socket type"),
        ETERM => Some(c"Context was terminated"),
        EMTHREAD => Some(c"No thread available"),
        _ => None,
    };
    match own {
        Some(s) => s.as_ptr(),
        // SAFETY: `strerror` takes any int and returns a pointer to a NUL-terminated string,
        // as libzmq's `zmq_strerror` returns it.
        None => unsafe { libc::strerror(errnum) },
    }
}

/// A new context with one I/O thread; null (and errno) if its thread cannot start.
#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        let context = Context::with_io_threads(1).map_err(|e| errno_of(&e))?;
        let c = Box::new(CContext {
            tag: CONTEXT_TAG,
            context,
        });
        Ok(Box::into_raw(c).cast())
    })
}

/// Ends a context. Its sockets must be closed first, as in libzmq; the I/O thread stops once
/// they have lingered.
///
/// # Safety
/// `ctx` is null or a pointer from `zmq_ctx_new` not yet terminated.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_term(ctx: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        unsafe { context(ctx) }?;
        // SAFETY: `context` checked that `ctx` is a live `CContext` from `Box::into_raw`; the
        // tag is cleared first so that a second term is refused while the memory is ours.
        let mut c = unsafe { Box::from_raw(ctx.cast::<CContext>()) };
        c.tag = DEAD_TAG;
        drop(c);
        Ok(0)
    })
}

/// libzmq's socket type numbers.
fn socket_type(n: c_int) -> Option<SocketType> {
    use SocketType::*;
    [
        Pair, Pub, Sub, Req, Rep, Dealer, Router, Pull, Push, Xpub, Xsub,
    ]
    .into_iter()
    .find(|t| t.number() == n)
}

/// A new socket of libzmq's type number `type_`; null and `EINVAL` for a type ferromq lacks.
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket(ctx: *mut c_void, type_: c_int) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        // SAFETY: as this function's contract says.
        let c = unsafe { context(ctx) }?;
        let t = socket_type(type_).ok_or(libc::EINVAL)?;
        let socket = c.context.socket(t).map_err(|e| errno_of(&e))?;
        let s = Box::new(CSocket {
            tag: SOCKET_TAG,
            socket,
            outgoing: Mutex::new(Vec::new()),
            incoming: Mutex::new((VecDeque::new(), false)),
        });
        Ok(Box::into_raw(s).cast())
    })
}

/// Closes a socket; its unsent messages linger per `ZMQ_LINGER`.
///
/// # Safety
/// `s` is null or a live pointer from `zmq_socket`.
#[no_mangle]
pub unsafe extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        unsafe { socket(s) }?;
        // SAFETY: `socket` checked that `s` is a live `CSocket` from `Box::into_raw`.
        let mut c = unsafe { Box::from_raw(s.cast::<CSocket>()) };
        c.tag = DEAD_TAG;
        drop(c);
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

/// A buffer argument as bytes: `EFAULT` for a null pointer with a size.
///
/// # Safety
/// `buf` is null or points to `len` readable bytes.
unsafe fn bytes_in<'a>(buf: *const c_void, len: usize) -> Result<&'a [u8], c_int> {
    if len == 0 {
        return Ok(&[]);
    }
    if buf.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: not null, and the caller passes `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) })
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
        let mut outgoing = lock(&c.outgoing);
        if flags & ZMQ_SNDMORE != 0 {
            outgoing.push(Bytes::copy_from_slice(data));
            return Ok(len.min(c_int::MAX as usize) as c_int);
        }
        if outgoing.is_empty() {
            // A single-frame message goes from the caller's buffer, with no copy of its own.
            send_with(&c.socket, flags, data).map_err(|e| errno_of(&e))?;
        } else {
            let mut frames = std::mem::take(&mut *outgoing);
            frames.push(Bytes::copy_from_slice(data));
            let msg = Message::from(frames);
            if let Err(e) = send_with(&c.socket, flags, &msg) {
                // The frames sent with SNDMORE stay, for the last one to be sent again.
                let mut frames = msg.into_frames();
                frames.pop();
                *outgoing = frames;
                return Err(errno_of(&e));
            }
        }
        Ok(len.min(c_int::MAX as usize) as c_int)
    })
}

/// One send, blocking unless `ZMQ_DONTWAIT`; a borrowed message is copied only if it must
/// wait.
fn send_with<'a>(
    socket: &Socket,
    flags: c_int,
    msg: impl ferromq::Sendable<'a>,
) -> ferromq::Result<()> {
    if flags & ZMQ_DONTWAIT != 0 {
        socket.try_send(msg)
    } else {
        socket.send(msg)
    }
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
        let mut incoming = lock(&c.incoming);
        if incoming.0.is_empty() {
            let msg = if flags & ZMQ_DONTWAIT != 0 {
                c.socket.try_recv()
            } else {
                c.socket.recv()
            }
            .map_err(|e| errno_of(&e))?;
            incoming.0.extend(msg.into_frames());
        }
        let frame = incoming.0.pop_front().unwrap_or_default();
        incoming.1 = !incoming.0.is_empty();
        let n = frame.len().min(len);
        if n > 0 {
            // SAFETY: `buf` is not null (checked above, `len` > 0) and holds `len` >= `n`
            // writable bytes; `frame` is ours, so the two do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(frame.as_ptr(), buf.cast::<u8>(), n) };
        }
        Ok(frame.len().min(c_int::MAX as usize) as c_int)
    })
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
        let option = SocketOption::from_number(option).ok_or(libc::EINVAL)?;
        let spec = option.spec();
        let value = match spec.kind {
            OptionKind::Int | OptionKind::Bool => {
                let v: [u8; 4] = raw.try_into().map_err(|_| libc::EINVAL)?;
                OptionValue::Int(i32::from_ne_bytes(v))
            }
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

/// Reads an option by libzmq's number into `optval`, `*optvallen` its size: exactly an
/// `int` (or 8 bytes) for the integer options, room for the bytes (and, for a string, its
/// NUL) otherwise; `*optvallen` is set to the size written. `EINVAL` for an unknown number, an
/// option libzmq only sets, or a buffer of the wrong size.
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
        let option = SocketOption::from_number(option).ok_or(libc::EINVAL)?;
        if option.spec().access == Access::WriteOnly {
            return Err(libc::EINVAL); // as libzmq: it cannot read these
        }
        let value = match option {
            SocketOption::Rcvmore => OptionValue::Int(lock(&c.incoming).1.into()),
            _ => c.socket.get_option(option).map_err(|e| errno_of(&e))?,
        };
        let fixed = matches!(
            value,
            OptionValue::Int(_)
                | OptionValue::Bool(_)
                | OptionValue::Int64(_)
                | OptionValue::UInt64(_)
        );
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
        if (fixed && room != out.len()) || room < out.len() {
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
