//! Contexts (users of the public API): `zmq_ctx_new`, `_term`, `_shutdown`, `_set`, `_get`
//! and the deprecated `zmq_init`, `zmq_term`, `zmq_ctx_destroy`.
//!
//! As in libzmq the I/O threads start with the first socket, so `ZMQ_IO_THREADS` can be set
//! before; `zmq_ctx_term` shuts the context down (blocked calls in other threads return
//! `ETERM`) and waits until every socket is closed.

use std::ffi::{c_int, c_void};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};

use ferromq::Context;

use crate::handle::Pool;
use crate::{guard, lock};

const CONTEXT_TAG: u32 = 0xabad_cafe;

/// Every context's memory (see [`crate::handle`]).
static CONTEXTS: Pool<CContext> = Pool::new(CONTEXT_TAG);

/// `zmq_ctx_set` / `zmq_ctx_get` option numbers.
pub const ZMQ_IO_THREADS: c_int = 1;
/// The most sockets a context may have at once.
pub const ZMQ_MAX_SOCKETS: c_int = 2;
/// The largest `ZMQ_MAX_SOCKETS` allowed.
pub const ZMQ_SOCKET_LIMIT: c_int = 3;
/// I/O threads' scheduling priority (kept, not acted on).
pub const ZMQ_THREAD_PRIORITY: c_int = 3;
/// I/O threads' scheduling policy (kept, not acted on).
pub const ZMQ_THREAD_SCHED_POLICY: c_int = 4;
/// The largest message size (kept, not acted on).
pub const ZMQ_MAX_MSGSZ: c_int = 5;
/// `sizeof (zmq_msg_t)`.
pub const ZMQ_MSG_T_SIZE: c_int = 6;
/// Whether term blocks for lingering messages; when 0, new sockets get linger 0.
pub const ZMQ_BLOCKY: c_int = 70;
/// Whether new sockets take IPv6 (`ZMQ_IPV6`).
pub const ZMQ_IPV6: c_int = 42;

/// libzmq's `ZMQ_MAX_SOCKETS` default.
const MAX_SOCKETS_DFLT: c_int = 1023;
/// libzmq's `ZMQ_SOCKET_LIMIT` (with poll(2) as the poller it is 65535).
const SOCKET_LIMIT: c_int = 65_535;

/// What `zmq_ctx_set` keeps.
#[derive(Clone, Copy, Debug)]
struct Settings {
    io_threads: c_int,
    max_sockets: c_int,
    thread_priority: c_int,
    thread_sched_policy: c_int,
    max_msgsz: c_int,
    blocky: bool,
    ipv6: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            io_threads: 1,
            max_sockets: MAX_SOCKETS_DFLT,
            thread_priority: -1,
            thread_sched_policy: -1,
            max_msgsz: c_int::MAX,
            blocky: true,
            ipv6: false,
        }
    }
}

/// The part of a context its sockets share: they outlive `zmq_ctx_term`'s wait by a hair.
pub(crate) struct Shared {
    /// Live sockets, and whether the context is shut down.
    live: Mutex<(usize, bool)>,
    /// An eventfd, raised when the last live socket closes: `zmq_ctx_term` polls it, so
    /// that a signal ends its wait with `EINTR`, as libzmq's.
    all_closed: OwnedFd,
    settings: Mutex<Settings>,
    context: OnceLock<Context>,
}

impl Shared {
    /// The context, once its first socket has started it.
    pub(crate) fn context(&self) -> Option<Context> {
        self.context.get().cloned()
    }

    /// A socket closed.
    pub(crate) fn socket_closed(&self) {
        let mut live = lock(&self.live);
        live.0 -= 1;
        if live.0 == 0 {
            raise(&self.all_closed);
        }
    }
}

pub(crate) struct CContext {
    pub(crate) shared: Arc<Shared>,
}

/// What a new socket takes from its context.
pub(crate) struct ForSocket {
    pub context: Context,
    pub ipv6: bool,
    pub linger0: bool,
}

impl CContext {
    /// Counts a new socket in: `EMFILE` past `ZMQ_MAX_SOCKETS`, `ETERM` once shut down; the
    /// I/O threads start with the first.
    pub(crate) fn open_socket(&self) -> Result<ForSocket, c_int> {
        let settings = *lock(&self.shared.settings);
        let mut live = lock(&self.shared.live);
        if live.1 {
            return Err(crate::ETERM);
        }
        if live.0 >= settings.max_sockets as usize {
            return Err(libc::EMFILE);
        }
        let context = match self.shared.context.get() {
            Some(c) => c.clone(),
            None => {
                let threads = settings.io_threads.max(1) as usize;
                let c = crate::with_signals_blocked(|| Context::with_io_threads(threads))
                    .map_err(|e| crate::errno_of(&e))?;
                self.shared.context.get_or_init(|| c).clone()
            }
        };
        live.0 += 1;
        Ok(ForSocket {
            context,
            ipv6: settings.ipv6,
            linger0: !settings.blocky,
        })
    }

    fn shutdown(&self) {
        lock(&self.shared.live).1 = true;
        if let Some(c) = self.shared.context.get() {
            c.shutdown();
        }
    }
}

/// Raises an eventfd.
fn raise(fd: &OwnedFd) {
    let one: u64 = 1;
    // SAFETY: writes the 8 bytes of `one` to a descriptor we own. An eventfd write fails
    // only when the counter would overflow, which leaves it raised all the same.
    unsafe { libc::write(fd.as_raw_fd(), std::ptr::from_ref(&one).cast(), 8) };
}

/// Lowers an eventfd (non-blocking: lowered already is fine).
fn clear(fd: &OwnedFd) {
    let mut count: u64 = 0;
    // SAFETY: reads at most 8 bytes into `count`, from a descriptor we own.
    unsafe { libc::read(fd.as_raw_fd(), std::ptr::from_mut(&mut count).cast(), 8) };
}

/// Waits until `fd` is readable; `EINTR` when a signal handler ran meanwhile.
fn wait_readable(fd: &OwnedFd) -> Result<(), c_int> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the call's length.
    if unsafe { libc::poll(&mut p, 1, -1) } < 0 {
        return Err(crate::errno());
    }
    Ok(())
}

/// The context behind a C pointer, or `EFAULT`.
///
/// # Safety
/// `ctx` is null or a pointer this library returned from `zmq_ctx_new`.
pub(crate) unsafe fn context<'a>(ctx: *mut c_void) -> Result<&'a CContext, c_int> {
    // SAFETY: the caller passes null or a pointer from `zmq_ctx_new`, whose memory stays
    // ours; the tag tells a terminated or foreign one, as libzmq's does.
    unsafe { CONTEXTS.get(ctx) }.ok_or(libc::EFAULT)
}

/// A new context; its I/O threads start with its first socket.
#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        // SAFETY: eventfd(2) takes no pointers; a descriptor it returns is ours alone.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(crate::errno());
        }
        // SAFETY: `fd` was just returned by eventfd, open, and owned by nothing else.
        let all_closed = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(CONTEXTS.insert(CContext {
            shared: Arc::new(Shared {
                live: Mutex::new((0, false)),
                all_closed,
                settings: Mutex::new(Settings::default()),
                context: OnceLock::new(),
            }),
        }))
    })
}

/// Shuts a context down: blocking calls on its sockets, in any thread, return `ETERM`, as
/// will every later call but `zmq_close`.
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_shutdown(ctx: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        unsafe { context(ctx) }?.shutdown();
        Ok(0)
    })
}

/// Ends a context: shuts it down, waits until every socket is closed (each closed socket's
/// unsent messages linger per its `ZMQ_LINGER`, and the wait includes them), and frees it.
/// A signal handled while it waits returns -1 with `EINTR`, the context shut down but not
/// freed, so that a program's handlers run; calling it again goes on waiting (libzmq's, and
/// pyzmq's retry).
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_term(ctx: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { context(ctx) }?;
        c.shutdown();
        // Cleared before each look at the count, so that a close after the look raises it
        // again for the poll.
        loop {
            clear(&c.shared.all_closed);
            if lock(&c.shared.live).0 == 0 {
                break;
            }
            // A signal handled meanwhile: EINTR, the context still live and shut down; a
            // later `zmq_ctx_term` goes on waiting, as in libzmq.
            wait_readable(&c.shared.all_closed)?;
        }
        // SAFETY: `context` checked that `ctx` is a live handle; `c` is not used after. A
        // term racing this one has taken it already: EFAULT, as for a terminated context.
        let c = unsafe { CONTEXTS.remove(ctx) }.ok_or(libc::EFAULT)?;
        // The last socket has gone: dropping the context waits for lingering messages and
        // stops the I/O threads.
        drop(c);
        Ok(0)
    })
}

/// The deprecated name of `zmq_ctx_term`.
///
/// # Safety
/// As for `zmq_ctx_term`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_destroy(ctx: *mut c_void) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_ctx_term(ctx) }
}

/// The deprecated way to make a context with `io_threads` I/O threads.
#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    if io_threads < 0 {
        crate::set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    let ctx = zmq_ctx_new();
    // SAFETY: `ctx` is null or was just made by `zmq_ctx_new`.
    if !ctx.is_null() && unsafe { zmq_ctx_set(ctx, ZMQ_IO_THREADS, io_threads) } != 0 {
        // SAFETY: as above; no socket was made.
        unsafe { zmq_ctx_term(ctx) };
        return std::ptr::null_mut();
    }
    ctx
}

/// The deprecated name of `zmq_ctx_term`.
///
/// # Safety
/// As for `zmq_ctx_term`.
#[no_mangle]
pub unsafe extern "C" fn zmq_term(ctx: *mut c_void) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_ctx_term(ctx) }
}

/// Sets a context option: `ZMQ_IO_THREADS` (before the first socket), `ZMQ_MAX_SOCKETS`
/// (1 to `ZMQ_SOCKET_LIMIT`), `ZMQ_IPV6`, `ZMQ_BLOCKY`, and the thread and size options
/// libzmq has, which are kept. `EINVAL` for an unknown option or a value out of range.
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set(ctx: *mut c_void, option: c_int, optval: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { context(ctx) }?;
        let mut s = lock(&c.shared.settings);
        match option {
            ZMQ_IO_THREADS if optval >= 0 => s.io_threads = optval,
            ZMQ_MAX_SOCKETS if (1..=SOCKET_LIMIT).contains(&optval) => s.max_sockets = optval,
            ZMQ_THREAD_PRIORITY if optval >= 0 => s.thread_priority = optval,
            ZMQ_THREAD_SCHED_POLICY if optval >= 0 => s.thread_sched_policy = optval,
            ZMQ_MAX_MSGSZ if optval >= 0 => s.max_msgsz = optval,
            ZMQ_IPV6 if optval >= 0 => s.ipv6 = optval != 0,
            ZMQ_BLOCKY if optval >= 0 => s.blocky = optval != 0,
            _ => return Err(libc::EINVAL),
        }
        Ok(0)
    })
}

/// Reads a context option (see `zmq_ctx_set`), `ZMQ_SOCKET_LIMIT` and `ZMQ_MSG_T_SIZE`.
///
/// # Safety
/// `ctx` is null or a live pointer from `zmq_ctx_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get(ctx: *mut c_void, option: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { context(ctx) }?;
        let s = lock(&c.shared.settings);
        Ok(match option {
            ZMQ_IO_THREADS => s.io_threads,
            ZMQ_MAX_SOCKETS => s.max_sockets,
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT,
            ZMQ_THREAD_SCHED_POLICY => s.thread_sched_policy,
            ZMQ_MAX_MSGSZ => s.max_msgsz,
            ZMQ_MSG_T_SIZE => crate::msg::MSG_T_SIZE as c_int,
            ZMQ_IPV6 => s.ipv6.into(),
            ZMQ_BLOCKY => s.blocky.into(),
            _ => return Err(libc::EINVAL),
        })
    })
}
