//! The exported functions called as C calls them: raw pointers, sizes and errno. Each case is
//! a misuse a C caller can make, and the answer libzmq gives it.

use std::ffi::{c_int, c_void, CStr};
use std::ptr::{null, null_mut};

use zmq::ctx::*;
use zmq::monitor::zmq_socket_monitor;
use zmq::msg::*;
use zmq::poll::*;
use zmq::socket::*;
use zmq::*;

fn errno() -> c_int {
    zmq_errno()
}

/// A context and a socket of `kind`, closed and terminated by the caller.
fn socket(kind: c_int) -> (*mut c_void, *mut c_void) {
    let ctx = zmq_ctx_new();
    assert!(!ctx.is_null());
    // SAFETY: a live context.
    let s = unsafe { zmq_socket(ctx, kind) };
    assert!(!s.is_null(), "errno {}", errno());
    (ctx, s)
}

fn done(ctx: *mut c_void, s: *mut c_void) {
    // SAFETY: live pointers from `socket`.
    unsafe {
        assert_eq!(zmq_close(s), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}

#[test]
fn null_and_foreign_pointers_get_libzmqs_errno() {
    // SAFETY: every pointer below is null or points to memory of ours; the library must
    // refuse them by their tags, not use them.
    unsafe {
        assert!(zmq_socket(null_mut(), 0).is_null());
        assert_eq!(errno(), libc::EFAULT);
        let mut junk = [0u64; 16];
        let junk = junk.as_mut_ptr().cast::<c_void>();
        assert!(zmq_socket(junk, 0).is_null());
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_close(junk), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_send(null_mut(), null(), 0, 0), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_bind(junk, c"tcp://127.0.0.1:*".as_ptr()), -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(zmq_ctx_term(junk), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_msg_close(junk.cast()), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert!(zmq_msg_data(null_mut()).is_null());
        assert_eq!(errno(), libc::EFAULT);
    }
}

#[test]
fn bad_arguments_are_refused_and_named_by_errno() {
    let (ctx, s) = socket(4); // REP
                              // SAFETY: live pointers, buffers of the sizes given.
    unsafe {
        assert!(zmq_socket(ctx, 99).is_null());
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_bind(s, c"foo://bar".as_ptr()), -1);
        assert_eq!(errno(), libc::EPROTONOSUPPORT);
        assert_eq!(zmq_bind(s, c"tcp://nowhere".as_ptr()), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_bind(s, null()), -1);
        assert_eq!(errno(), libc::EINVAL);
        let long = format!("ipc:///tmp/{}\0", "x".repeat(120));
        assert_eq!(zmq_bind(s, long.as_ptr().cast()), -1);
        assert_eq!(errno(), libc::ENAMETOOLONG);
        assert_eq!(zmq_bind(s, c"ipc:///nonexistent-ferromq/x".as_ptr()), -1);
        assert_eq!(errno(), libc::ENOENT);
        // REP must receive first.
        assert_eq!(zmq_send(s, c"x".as_ptr().cast(), 1, ZMQ_DONTWAIT), -1);
        assert_eq!(errno(), EFSM);
        assert_eq!(zmq_recv(s, null_mut(), 0, ZMQ_DONTWAIT), -1);
        assert_eq!(errno(), libc::EAGAIN);
        assert_eq!(zmq_recv(s, null_mut(), 5, 0), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 0), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_ctx_get(ctx, 999), -1);
        assert_eq!(errno(), libc::EINVAL);
    }
    done(ctx, s);
}

#[test]
fn options_follow_libzmqs_sizes_and_readability() {
    let (ctx, s) = socket(2); // SUB
                              // SAFETY: live pointers; every buffer is as large as the size passed with it.
    unsafe {
        let mut v: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        let p = (&mut v as *mut c_int).cast::<c_void>();
        assert_eq!(zmq_getsockopt(s, 24, p, &mut len), 0); // ZMQ_RCVHWM
        assert_eq!((v, len), (1000, 4));
        // Too small a buffer for an int.
        let mut small = 2usize;
        assert_eq!(zmq_getsockopt(s, 24, p, &mut small), -1);
        assert_eq!(errno(), libc::EINVAL);
        // An int option set with 8 bytes.
        let wide: i64 = 5;
        assert_eq!(zmq_setsockopt(s, 24, (&wide as *const i64).cast(), 8), -1);
        assert_eq!(errno(), libc::EINVAL);
        // Unknown numbers, and options libzmq can set but not read.
        assert_eq!(zmq_setsockopt(s, 9999, p, 4), -1);
        assert_eq!(errno(), libc::EINVAL);
        len = 4;
        assert_eq!(zmq_getsockopt(s, 9999, p, &mut len), -1);
        assert_eq!(errno(), libc::EINVAL);
        let mut buf = [0u8; 64];
        len = buf.len();
        assert_eq!(zmq_getsockopt(s, 6, buf.as_mut_ptr().cast(), &mut len), -1); // SUBSCRIBE
        assert_eq!(errno(), libc::EINVAL);
        // Options ferromq does not act on read as libzmq's defaults.
        for (option, default) in [(79, 0), (81, 0), (89, -1), (31, 1), (96, 1), (4, 0)] {
            let mut buf = [0u8; 8];
            let mut len = if option == 4 { 8 } else { 4 };
            assert_eq!(
                zmq_getsockopt(s, option, buf.as_mut_ptr().cast(), &mut len),
                0,
                "{option}"
            );
            let got = if option == 4 {
                i64::from_ne_bytes(buf)
            } else {
                i64::from(i32::from_ne_bytes(buf[..4].try_into().unwrap()))
            };
            assert_eq!(got, default, "option {option}");
        }
        // ZMQ_IPV4ONLY is ZMQ_IPV6 the other way round.
        let zero: c_int = 0;
        assert_eq!(zmq_setsockopt(s, 31, (&zero as *const c_int).cast(), 4), 0);
        len = 4;
        assert_eq!(zmq_getsockopt(s, 42, p, &mut len), 0);
        assert_eq!(v, 1);
        // PLAIN: the server switch sets ZMQ_MECHANISM; a user name reads back with its NUL
        // and makes a client; CURVE_SERVER cannot be switched on before ferromq has CURVE.
        let one: c_int = 1;
        assert_eq!(zmq_setsockopt(s, 44, (&one as *const c_int).cast(), 4), 0);
        len = 4;
        assert_eq!(zmq_getsockopt(s, 43, p, &mut len), 0);
        assert_eq!(v, 1, "ZMQ_PLAIN");
        assert_eq!(zmq_setsockopt(s, 45, c"admin".as_ptr().cast(), 5), 0);
        len = buf.len();
        assert_eq!(zmq_getsockopt(s, 45, buf.as_mut_ptr().cast(), &mut len), 0);
        assert_eq!(&buf[..len], b"admin\0");
        len = 4;
        assert_eq!(zmq_getsockopt(s, 44, p, &mut len), 0);
        assert_eq!(v, 0, "a client now");
        assert_eq!(zmq_setsockopt(s, 45, std::ptr::null(), 0), 0);
        len = 4;
        assert_eq!(zmq_getsockopt(s, 43, p, &mut len), 0);
        assert_eq!(v, 0, "back to ZMQ_NULL");
        // CURVE: a key is set as 32 bytes or 40 Z85 characters, and read into 32 bytes (raw)
        // or 41 (Z85 and a NUL), nothing else; the server switch sets ZMQ_CURVE (2).
        let z85 = c"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
        assert_eq!(zmq_setsockopt(s, 50, z85.as_ptr().cast(), 40), 0);
        let mut key = [0u8; 41];
        len = 41;
        assert_eq!(zmq_getsockopt(s, 50, key.as_mut_ptr().cast(), &mut len), 0);
        assert_eq!(&key[..], z85.to_bytes_with_nul());
        len = 32;
        assert_eq!(zmq_getsockopt(s, 50, key.as_mut_ptr().cast(), &mut len), 0);
        let raw = key[..32].to_vec();
        assert_eq!(
            ferromq::z85_encode(&raw).unwrap().as_bytes(),
            z85.to_bytes()
        );
        len = 40;
        assert_eq!(zmq_getsockopt(s, 50, key.as_mut_ptr().cast(), &mut len), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_setsockopt(s, 50, z85.as_ptr().cast(), 39), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_setsockopt(s, 47, (&one as *const c_int).cast(), 4), 0);
        len = 4;
        assert_eq!(zmq_getsockopt(s, 43, p, &mut len), 0);
        assert_eq!(v, 2, "ZMQ_CURVE");
        // A string reads with its NUL.
        assert_eq!(zmq_bind(s, c"inproc://abi-options".as_ptr()), 0);
        len = buf.len();
        assert_eq!(zmq_getsockopt(s, 32, buf.as_mut_ptr().cast(), &mut len), 0);
        assert_eq!(&buf[..len], b"inproc://abi-options\0");
    }
    done(ctx, s);
}

#[test]
fn messages_are_64_bytes_movable_and_closed_once() {
    assert_eq!(std::mem::size_of::<zmq_msg_t>(), 64);
    let mut a = std::mem::MaybeUninit::<zmq_msg_t>::uninit();
    let mut b = std::mem::MaybeUninit::<zmq_msg_t>::uninit();
    // SAFETY: `a` and `b` are 64 writable, aligned bytes each; `zmq_msg_init*` writes them
    // before any read, and the copies by `ptr::copy` are what C's memcpy does.
    unsafe {
        let a = a.as_mut_ptr();
        let b = b.as_mut_ptr();
        assert_eq!(zmq_msg_init_size(a, 5), 0);
        std::ptr::copy_nonoverlapping(b"hello".as_ptr(), zmq_msg_data(a).cast::<u8>(), 5);
        // Moved by memcpy, then used from its new place.
        std::ptr::copy_nonoverlapping(a, b, 1);
        assert_eq!(zmq_msg_size(b), 5);
        assert_eq!(
            std::slice::from_raw_parts(zmq_msg_data(b).cast::<u8>(), 5),
            b"hello"
        );
        assert_eq!(zmq_msg_init(a), 0);
        assert_eq!(zmq_msg_copy(a, b), 0);
        assert_eq!(zmq_msg_data(a), zmq_msg_data(b), "a copy shares the bytes");
        assert_eq!(zmq_msg_get(a, ZMQ_SHARED), 1);
        assert_eq!(zmq_msg_more(a), 0);
        assert_eq!(zmq_msg_get(a, 99), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_msg_set(a, ZMQ_MORE, 1), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert!(zmq_msg_gets(a, c"Socket-Type".as_ptr()).is_null());
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_msg_close(a), 0);
        assert_eq!(zmq_msg_close(a), -1, "a second close is refused");
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_msg_close(b), 0);
    }
}

#[test]
fn a_send_that_cannot_go_leaves_the_message_whole() {
    let (ctx, s) = socket(8); // PUSH, no peer
    let mut m = std::mem::MaybeUninit::<zmq_msg_t>::uninit();
    // SAFETY: live socket; `m` initialised by `zmq_msg_init_size` before use.
    unsafe {
        let m = m.as_mut_ptr();
        assert_eq!(zmq_msg_init_size(m, 3), 0);
        std::ptr::copy_nonoverlapping(b"job".as_ptr(), zmq_msg_data(m).cast::<u8>(), 3);
        assert_eq!(zmq_msg_send(m, s, ZMQ_DONTWAIT), -1);
        assert_eq!(errno(), libc::EAGAIN);
        assert_eq!(zmq_msg_size(m), 3);
        assert_eq!(
            std::slice::from_raw_parts(zmq_msg_data(m).cast::<u8>(), 3),
            b"job"
        );
        // The first frame of a multipart message is refused too: nothing half sent stays.
        assert_eq!(
            zmq_send(s, c"a".as_ptr().cast(), 1, ZMQ_DONTWAIT | ZMQ_SNDMORE),
            -1
        );
        assert_eq!(errno(), libc::EAGAIN);
        assert_eq!(zmq_msg_close(m), 0);
    }
    done(ctx, s);
}

#[test]
fn poll_and_the_context_answer_as_libzmq() {
    let (ctx, s) = socket(7); // PULL
                              // SAFETY: live pointers; `items` holds the count given.
    unsafe {
        assert_eq!(zmq_poll(null_mut(), -1, 0), -1);
        assert_eq!(errno(), libc::EFAULT);
        let mut items = [zmq_pollitem_t {
            socket: s,
            fd: 0,
            events: ZMQ_POLLIN,
            revents: 0,
        }];
        assert_eq!(zmq_poll(items.as_mut_ptr(), 1, 10), 0);
        assert_eq!(items[0].revents, 0);
        assert_eq!(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
        assert_eq!(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 1023);
        assert_eq!(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), 64);
        assert_eq!(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 1), 0);
        assert!(zmq_socket(ctx, 8).is_null(), "one socket is the limit");
        assert_eq!(errno(), libc::EMFILE);
        assert_eq!(
            zmq_socket_monitor(s, c"tcp://127.0.0.1:9".as_ptr(), 0xffff),
            -1
        );
        assert_eq!(errno(), libc::EPROTONOSUPPORT);
        assert_eq!(zmq_ctx_shutdown(ctx), 0);
        assert_eq!(zmq_recv(s, null_mut(), 0, 0), -1);
        assert_eq!(errno(), ETERM);
        assert_eq!(zmq_poll(items.as_mut_ptr(), 1, 0), -1);
        assert_eq!(errno(), ETERM);
        assert_eq!(zmq_connect(s, c"inproc://late".as_ptr()), -1);
        assert_eq!(errno(), ETERM);
    }
    done(ctx, s);
}

#[test]
fn strerror_knows_libzmqs_own_numbers() {
    for (n, words) in [
        (ETERM, "Context was terminated"),
        (EFSM, "Operation cannot be accomplished in current state"),
    ] {
        // SAFETY: `zmq_strerror` returns a static NUL-terminated string.
        let s = unsafe { CStr::from_ptr(zmq_strerror(n)) };
        assert_eq!(s.to_str().unwrap(), words);
    }
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: three writable ints.
    unsafe { zmq_version(&mut major, &mut minor, &mut patch) };
    assert_eq!((major, minor, patch), (4, 3, 5));
}

extern "C" fn ignore_signal(_: c_int) {}

/// Signals the thread until its blocking call returns; what the call returned, with its errno.
fn interrupt(call: impl FnOnce() -> (c_int, c_int) + Send + 'static) -> (c_int, c_int) {
    // SAFETY: a handler that does nothing, installed without SA_RESTART so that blocking
    // calls see EINTR, as a C program's Ctrl-C handler would be.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore_signal as extern "C" fn(c_int) as libc::sighandler_t;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, null_mut()), 0);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // SAFETY: the calling thread's own id.
        started_tx.send(unsafe { libc::pthread_self() }).unwrap();
        tx.send(call()).unwrap();
    });
    let thread = started_rx.recv().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // A signal that comes before the call waits only runs the handler: send until it ends.
    loop {
        // SAFETY: the thread is alive until it has sent its result, which is not received yet.
        assert_eq!(unsafe { libc::pthread_kill(thread, libc::SIGUSR1) }, 0);
        match rx.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok(result) => return result,
            Err(_) => assert!(std::time::Instant::now() < deadline, "the call did not end"),
        }
    }
}

#[test]
fn a_signal_ends_a_blocking_receive_or_send_with_eintr() {
    let received = interrupt(|| {
        let (ctx, s) = socket(7); // PULL, nothing to receive
        let mut buf = [0u8; 8];
        // SAFETY: a live socket and a buffer of the size given.
        let n = unsafe { zmq_recv(s, buf.as_mut_ptr().cast(), buf.len(), 0) };
        let e = errno();
        done(ctx, s);
        (n, e)
    });
    assert_eq!(received, (-1, libc::EINTR));
    let sent = interrupt(|| {
        let (ctx, s) = socket(8); // PUSH, no peer to send to
                                  // SAFETY: a live socket and a buffer of the size given.
        let n = unsafe { zmq_send(s, c"job".as_ptr().cast(), 3, 0) };
        let e = errno();
        done(ctx, s);
        (n, e)
    });
    assert_eq!(sent, (-1, libc::EINTR));
}

#[test]
fn a_signal_ends_zmq_ctx_term_with_eintr_and_a_later_term_finishes() {
    let (ctx, s) = socket(7); // a socket left open: term waits for it
    let ctx_addr = ctx as usize;
    let interrupted = interrupt(move || {
        // SAFETY: a live context (its socket is closed only after this call returns).
        let rc = unsafe { zmq_ctx_term(ctx_addr as *mut c_void) };
        (rc, errno())
    });
    assert_eq!(interrupted, (-1, libc::EINTR));
    // SAFETY: the context is still ours (shut down, not freed): its socket answers ETERM,
    // closes, and a second term returns.
    unsafe {
        let mut buf = [0u8; 4];
        assert_eq!(zmq_recv(s, buf.as_mut_ptr().cast(), buf.len(), 0), -1);
        assert_eq!(errno(), ETERM);
    }
    done(ctx, s);
}

#[test]
fn a_sent_messages_buffer_reused_by_the_next_is_zeroed_and_never_shared() {
    let ctx = zmq_ctx_new();
    // SAFETY: live pointers; each `zmq_msg_t` is initialised before use and closed once.
    unsafe {
        let pull = zmq_socket(ctx, 7);
        let push = zmq_socket(ctx, 8);
        assert_eq!(zmq_bind(pull, c"inproc://spare".as_ptr()), 0);
        assert_eq!(zmq_connect(push, c"inproc://spare".as_ptr()), 0);
        let mut m = std::mem::MaybeUninit::<zmq_msg_t>::uninit();
        let m = m.as_mut_ptr();
        assert_eq!(zmq_msg_init_size(m, 100), 0);
        std::ptr::write_bytes(zmq_msg_data(m).cast::<u8>(), b'x', 100);
        assert_eq!(zmq_msg_send(m, push, 0), 100);
        // The next message of this thread may take the sent one's buffer: zeroed, and
        // writing to it does not change what was sent.
        assert_eq!(zmq_msg_init_size(m, 64), 0);
        let fresh = std::slice::from_raw_parts_mut(zmq_msg_data(m).cast::<u8>(), 64);
        assert!(fresh.iter().all(|&b| b == 0));
        fresh.fill(b'y');
        let mut buf = [0u8; 128];
        assert_eq!(zmq_recv(pull, buf.as_mut_ptr().cast(), buf.len(), 0), 100);
        assert!(buf[..100].iter().all(|&b| b == b'x'));
        assert_eq!(zmq_msg_close(m), 0);
        assert_eq!(zmq_close(push), 0);
        assert_eq!(zmq_close(pull), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}
