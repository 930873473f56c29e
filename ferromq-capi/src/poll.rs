//! `zmq_poll` (users of the public API): sockets and plain file descriptors in one wait.
//!
//! A socket is ready when its `ZMQ_EVENTS` say so; to wait, its `ZMQ_FD` (readable when the
//! events may have changed) goes into one `poll(2)` with the plain descriptors, and the
//! events are read again after each wake.

use std::ffi::{c_int, c_long, c_short, c_void};
use std::time::{Duration, Instant};

use ferromq::Events;

use crate::socket::socket;
use crate::{errno_of, guard};

/// `zmq_pollitem_t.events`: a message can be received, or the descriptor read.
pub const ZMQ_POLLIN: c_short = 1;
/// A message can be sent, or the descriptor written.
pub const ZMQ_POLLOUT: c_short = 2;
/// The descriptor has an error (plain descriptors only).
pub const ZMQ_POLLERR: c_short = 4;
/// The descriptor has urgent data (plain descriptors only).
pub const ZMQ_POLLPRI: c_short = 8;

/// C's `zmq_pollitem_t`.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)] // C's name
pub struct zmq_pollitem_t {
    /// A socket, or null to poll `fd`.
    pub socket: *mut c_void,
    /// A plain file descriptor, when `socket` is null.
    pub fd: c_int,
    /// What to wait for (`ZMQ_POLLIN` | `ZMQ_POLLOUT` ...).
    pub events: c_short,
    /// What was found.
    pub revents: c_short,
}

/// `poll(2)`'s bits for libzmq's.
fn to_poll(events: c_short) -> c_short {
    let mut bits = 0;
    if events & ZMQ_POLLIN != 0 {
        bits |= libc::POLLIN;
    }
    if events & ZMQ_POLLOUT != 0 {
        bits |= libc::POLLOUT;
    }
    if events & ZMQ_POLLPRI != 0 {
        bits |= libc::POLLPRI;
    }
    bits
}

fn from_poll(bits: c_short, asked: c_short) -> c_short {
    let mut events = 0;
    if bits & libc::POLLIN != 0 && asked & ZMQ_POLLIN != 0 {
        events |= ZMQ_POLLIN;
    }
    if bits & libc::POLLOUT != 0 && asked & ZMQ_POLLOUT != 0 {
        events |= ZMQ_POLLOUT;
    }
    if bits & libc::POLLPRI != 0 && asked & ZMQ_POLLPRI != 0 {
        events |= ZMQ_POLLPRI;
    }
    // As libzmq: anything else (POLLERR, POLLHUP, POLLNVAL) is an error.
    if bits & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        events |= ZMQ_POLLERR;
    }
    events
}

/// Waits until one item is ready or `timeout` ms pass (-1: no limit, 0: just look), as
/// libzmq's `zmq_poll`. Returns how many items are ready, each item's `revents` saying for
/// what; -1 with `ETERM` (a socket's context ended), `ENOTSOCK`, `EFAULT` or `EINTR`.
///
/// # Safety
/// `items` is null or points to `nitems` readable and writable `zmq_pollitem_t`s whose
/// sockets are null or live.
#[no_mangle]
pub unsafe extern "C" fn zmq_poll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
) -> c_int {
    guard(-1, || {
        if nitems < 0 || (nitems > 0 && items.is_null()) {
            return Err(libc::EFAULT);
        }
        let deadline = u64::try_from(timeout)
            .ok()
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        if nitems == 0 {
            // libzmq sleeps for the timeout.
            match deadline {
                Some(d) => std::thread::sleep(d.saturating_duration_since(Instant::now())),
                None => return Err(libc::EFAULT),
            }
            return Ok(0);
        }
        // SAFETY: not null, and the caller passes `nitems` items.
        let items = unsafe { std::slice::from_raw_parts_mut(items, nitems as usize) };
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(items.len());
        for item in items.iter() {
            let (fd, events) = if item.socket.is_null() {
                (item.fd, to_poll(item.events))
            } else {
                // SAFETY: the item's socket is live, by the contract.
                let s = unsafe { socket(item.socket) }?;
                (s.socket.fd().map_err(|e| errno_of(&e))?, libc::POLLIN)
            };
            fds.push(libc::pollfd {
                fd,
                events,
                revents: 0,
            });
        }
        let mut wait_ms: c_int = 0; // look first
        loop {
            // SAFETY: `fds` is a live array of `fds.len()` pollfds.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if rc < 0 {
                return Err(crate::errno());
            }
            let mut ready = 0;
            for (item, fd) in items.iter_mut().zip(&fds) {
                item.revents = if item.socket.is_null() {
                    from_poll(fd.revents, item.events)
                } else {
                    // SAFETY: as above.
                    let s = unsafe { socket(item.socket) }?;
                    let events = s.events().map_err(|e| errno_of(&e))?;
                    let mut revents = 0;
                    if events.contains(Events::IN) {
                        revents |= ZMQ_POLLIN;
                    }
                    if events.contains(Events::OUT) {
                        revents |= ZMQ_POLLOUT;
                    }
                    revents & item.events
                };
                if item.revents != 0 {
                    ready += 1;
                }
            }
            if ready > 0 {
                return Ok(ready);
            }
            wait_ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(0);
                    }
                    // Rounded up, so that a wait never ends just short of the deadline.
                    left.as_micros().div_ceil(1000).min(c_int::MAX as u128) as c_int
                }
            };
        }
    })
}
