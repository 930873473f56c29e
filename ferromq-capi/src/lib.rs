//! libzmq's C API on ferromq (users of the public API): a `libzmq.so` (soname `libzmq.so.5`) and
//! `include/zmq.h` that C programs and bindings (pyzmq, cppzmq) build against unchanged.
//!
//! This crate is a thin translation: libzmq's functions, numbers and errno onto
//! [`ferromq`]'s public API. It holds no socket logic. Every pointer and size it is given is
//! checked where a check can tell (null pointers, sizes against the option's type, a
//! context's, socket's or message's tag), and no panic crosses into C: every entry point
//! catches one and reports `EFAULT`.
//!
//! | module      | libzmq's functions                                                   |
//! |-------------|----------------------------------------------------------------------|
//! | this one    | `zmq_errno`, `zmq_strerror`, `zmq_version`                           |
//! | [`ctx`]     | `zmq_ctx_*`, `zmq_init`, `zmq_term`                                  |
//! | [`socket`]  | `zmq_socket`, `zmq_close`, endpoints, `zmq_send/recv`, options        |
//! | [`msg`]     | `zmq_msg_*`, `zmq_sendmsg/recvmsg`, `zmq_sendiov/recviov`            |
//! | [`poll`]    | `zmq_poll`                                                           |
//! | [`monitor`] | `zmq_socket_monitor`                                                 |
//! | [`proxy`]   | `zmq_proxy`, `zmq_proxy_steerable`, `zmq_device`                     |
//! | [`util`]    | Z85, CURVE keys, atomic counters, timers, stopwatch, sleep, threads  |
//!
//! `unsafe` lives here only; each block says why it holds.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use ferromq::Error;

pub mod ctx;
#[doc(hidden)]
pub mod fuzzing;
mod handle;
pub mod monitor;
pub mod msg;
pub mod poll;
pub mod proxy;
pub mod socket;
pub mod util;

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

/// Tag of a dead context, socket or message: what is left in memory that is still ours
/// after close, so that a second close is refused.
const DEAD_TAG: u32 = 0xdead_beef;

pub(crate) fn set_errno(e: c_int) {
    // SAFETY: `__errno_location` returns the calling thread's errno, valid for the thread's
    // life; writing an int to it is what C's `errno = e` does.
    unsafe { *libc::__errno_location() = e };
}

pub(crate) fn errno() -> c_int {
    // SAFETY: as in `set_errno`; a read of the thread's errno.
    unsafe { *libc::__errno_location() }
}

/// libzmq's errno for a ferromq error.
pub(crate) fn errno_of(e: &Error) -> c_int {
    match e {
        Error::WouldBlock | Error::TimedOut => libc::EAGAIN,
        Error::WrongState { .. } => EFSM,
        Error::NotSupported { .. } => libc::ENOTSUP,
        Error::InvalidOption { .. } | Error::InvalidMessage(_) => libc::EINVAL,
        Error::InvalidEndpoint { reason, .. } if reason.contains("unknown transport") => {
            libc::EPROTONOSUPPORT
        }
        Error::InvalidEndpoint { reason, .. } if reason.contains("too long") => libc::ENAMETOOLONG,
        Error::InvalidEndpoint { .. } => libc::EINVAL,
        Error::AddrInUse { .. } => libc::EADDRINUSE,
        Error::UnknownEndpoint { .. } => libc::ENOENT,
        Error::HostUnreachable { .. } => libc::EHOSTUNREACH,
        Error::Closed => ETERM,
        Error::Interrupted => libc::EINTR,
        Error::Io { source, .. } => source.raw_os_error().unwrap_or(match source.kind() {
            std::io::ErrorKind::NotFound => libc::ENOENT,
            std::io::ErrorKind::PermissionDenied => libc::EACCES,
            std::io::ErrorKind::AddrNotAvailable => libc::EADDRNOTAVAIL,
            _ => libc::EIO,
        }),
        _ => libc::EINVAL,
    }
}

/// Runs an entry point: a panic becomes `EFAULT` and `fail`, an error its errno and `fail`.
#[inline(always)] // one frame per entry point, not two: it is on every message's path
pub(crate) fn guard<T>(fail: T, f: impl FnOnce() -> Result<T, c_int>) -> T {
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

/// Runs `f` (which starts threads) with every signal blocked in the calling thread, so that
/// the threads it starts inherit that mask, as libzmq's own threads block every signal: a
/// signal meant for the program (SIGINT, SIGALRM) then reaches one of its threads and
/// interrupts a blocking call there with `EINTR`, never a thread of the library's.
pub(crate) fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: `sigset_t` is plain data; `sigfillset` initialises it fully.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both point to live `sigset_t`s; `pthread_sigmask` changes only this thread's
    // mask, and the old one is put back below on every path (`f` cannot unwind past the
    // guard: the entry points catch panics around it, and the mask is restored first).
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
    }
    struct Restore(libc::sigset_t);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: the mask saved above, restored in the thread that saved it.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
        }
    }
    let _restore = Restore(old);
    f()
}

/// A size as C's `int` return value (libzmq's functions return sizes so).
pub(crate) fn c_size(n: usize) -> c_int {
    n.min(c_int::MAX as usize) as c_int
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A C string argument, or `EINVAL`.
///
/// # Safety
/// `s` is null or a NUL-terminated string that stays valid for the call.
pub(crate) unsafe fn text<'a>(s: *const c_char) -> Result<&'a str, c_int> {
    if s.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: not null, and the caller passes a NUL-terminated string.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| libc::EINVAL)
}

/// A buffer argument as bytes: `EFAULT` for a null pointer with a size.
///
/// # Safety
/// `buf` is null or points to `len` readable bytes.
pub(crate) unsafe fn bytes_in<'a>(buf: *const c_void, len: usize) -> Result<&'a [u8], c_int> {
    if len == 0 {
        return Ok(&[]);
    }
    if buf.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: not null, and the caller passes `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) })
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
