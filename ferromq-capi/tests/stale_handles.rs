//! Pointers used after `zmq_close` and `zmq_ctx_term`: refused with libzmq's errno, never
//! a read of freed memory. Alone in its binary, since a closed socket's memory is reused by
//! the next `zmq_socket` in the process, which another test running alongside could make.

use std::ffi::c_int;

use zmq::ctx::*;
use zmq::socket::*;
use zmq::*;

fn errno() -> c_int {
    zmq_errno()
}

#[test]
fn a_closed_socket_and_a_terminated_context_are_refused_by_their_pointers() {
    let ctx = zmq_ctx_new();
    // SAFETY: live pointers, closed and terminated once here.
    let s = unsafe { zmq_socket(ctx, 7) };
    assert!(!s.is_null());
    // SAFETY: as above.
    unsafe {
        assert_eq!(zmq_close(s), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
    // SAFETY: stale pointers from `zmq_socket` and `zmq_ctx_new`, whose memory the library
    // keeps (so that these calls are defined, and refused).
    unsafe {
        assert_eq!(zmq_close(s), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_send(s, c"x".as_ptr().cast(), 1, ZMQ_DONTWAIT), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_bind(s, c"inproc://stale".as_ptr()), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_ctx_term(ctx), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert!(zmq_socket(ctx, 7).is_null());
        assert_eq!(errno(), libc::EFAULT);
    }
}
