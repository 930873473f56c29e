//! `zmq_proxy`, `zmq_proxy_steerable` and the deprecated `zmq_device` (users of the public
//! API), on [`ferromq::proxy`] and [`ferromq::proxy_steerable`].

use std::ffi::{c_int, c_void};

use crate::socket::{socket, CSocket};
use crate::{errno_of, guard};

/// `zmq_device` kinds; all three run the same proxy.
pub const ZMQ_STREAMER: c_int = 1;
/// See [`ZMQ_STREAMER`].
pub const ZMQ_FORWARDER: c_int = 2;
/// See [`ZMQ_STREAMER`].
pub const ZMQ_QUEUE: c_int = 3;

/// An optional socket argument.
///
/// # Safety
/// `s` is null or a live socket.
unsafe fn optional<'a>(s: *mut c_void) -> Result<Option<&'a CSocket>, c_int> {
    if s.is_null() {
        return Ok(None);
    }
    // SAFETY: as this function's contract says.
    unsafe { socket(s) }.map(Some)
}

/// Passes messages between `frontend` and `backend` (and a copy of each to `capture`, if not
/// null) until the context ends: then -1 with `ETERM`, as libzmq.
///
/// # Safety
/// `frontend` and `backend` are null or live sockets; `capture` null or a live socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
) -> c_int {
    // SAFETY: the same contract; no control socket.
    unsafe { zmq_proxy_steerable(frontend, backend, capture, std::ptr::null_mut()) }
}

/// `zmq_proxy` steered by single-frame commands on `control` (if not null): `PAUSE`,
/// `RESUME`, `TERMINATE` (returns 0) and `STATISTICS`.
///
/// # Safety
/// As for `zmq_proxy`; `control` null or a live socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let (f, b) = unsafe { (socket(frontend)?, socket(backend)?) };
        // SAFETY: as this function's contract says.
        let (capture, control) = unsafe { (optional(capture)?, optional(control)?) };
        if [Some(f), Some(b), capture, control]
            .into_iter()
            .flatten()
            .any(CSocket::mid_message)
        {
            return Err(crate::EFSM); // a frame-at-a-time message is half sent or read
        }
        ferromq::proxy_steerable(
            &f.socket,
            &b.socket,
            capture.map(|c| &c.socket),
            control.map(|c| &c.socket),
        )
        .map_err(|e| errno_of(&e))?;
        Ok(0)
    })
}

/// The deprecated `zmq_proxy` without capture; `type_` is not looked at.
///
/// # Safety
/// As for `zmq_proxy`.
#[no_mangle]
pub unsafe extern "C" fn zmq_device(
    _type: c_int,
    frontend: *mut c_void,
    backend: *mut c_void,
) -> c_int {
    // SAFETY: the same contract.
    unsafe { zmq_proxy(frontend, backend, std::ptr::null_mut()) }
}
