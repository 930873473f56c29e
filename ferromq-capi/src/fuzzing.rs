//! The C ABI's fuzz entry point (test support; hidden, not part of the API): libzmq's option
//! and message functions called as a C program would, with sizes and values from the input.
//! `ferromq-fuzz` wraps it as the `capi` target and replays its corpus on stable.

use std::ffi::{c_int, c_void, CString};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Once;

use crate::ctx::zmq_ctx_new;
use crate::msg::{
    zmq_msg_close, zmq_msg_copy, zmq_msg_data, zmq_msg_gets, zmq_msg_init, zmq_msg_init_size,
    zmq_msg_move, zmq_msg_size, zmq_msg_t,
};
use crate::socket::{zmq_close, zmq_getsockopt, zmq_send, zmq_setsockopt, zmq_socket};
use crate::{zmq_errno, ZMQ_DONTWAIT};

static PANICKED: AtomicBool = AtomicBool::new(false);
static CONTEXT: AtomicUsize = AtomicUsize::new(0);

/// Runs the input as calls: its first byte picks the socket type (12 and up: an invalid
/// one, refused with `EINVAL`), then each operation is a byte (`op % 6`: set an option, get
/// one, make a message of a size, copy and move it, ask it for a property, send bytes)
/// followed by its arguments. Panics if any call panics inside the library (each entry
/// point catches a panic and reports `EFAULT`; the fuzzer wants to see it), if a call
/// returns other than 0 or -1, or if an option comes back larger than its buffer.
#[doc(hidden)]
pub fn options_and_messages(data: &[u8]) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Relaxed);
            previous(info);
        }));
    });
    // Each input on its own: a panic that an earlier one reported is not this one's.
    PANICKED.store(false, Relaxed);
    let ctx = match CONTEXT.load(Relaxed) {
        0 => {
            let ctx = zmq_ctx_new();
            CONTEXT.store(ctx as usize, Relaxed);
            ctx
        }
        ctx => ctx as *mut c_void,
    };
    let [kind, args @ ..] = data else {
        return;
    };
    let mut rest: &[u8] = args;
    // SAFETY: a live context; any type number is checked.
    let s = unsafe { zmq_socket(ctx, c_int::from(*kind % 14)) };
    if s.is_null() {
        assert!(*kind % 14 > 10 && zmq_errno() == libc::EINVAL);
        return;
    }
    let mut msg = MaybeUninit::<zmq_msg_t>::uninit();
    let msg = msg.as_mut_ptr();
    // SAFETY: `msg` points to a `zmq_msg_t` of ours, initialised here and closed below.
    assert_eq!(unsafe { zmq_msg_init(msg) }, 0);
    while let [op, args @ ..] = rest {
        let op = *op;
        rest = args;
        let rc = match op % 6 {
            0 => {
                let (option, value) = take_value(&mut rest);
                // SAFETY: a live socket, and `value.len()` readable bytes.
                unsafe { zmq_setsockopt(s, option, value.as_ptr().cast(), value.len()) }
            }
            1 => {
                let (option, size) = take_size(&mut rest);
                let mut buf = [0u8; 256];
                let mut len = size;
                // SAFETY: a live socket, a buffer of at least `len` bytes, and its length.
                let rc = unsafe { zmq_getsockopt(s, option, buf.as_mut_ptr().cast(), &mut len) };
                assert!(
                    rc != 0 || len <= size,
                    "option {option}: {len} bytes in {size}"
                );
                rc
            }
            2 => {
                let (_, size) = take_size(&mut rest);
                let size = size * 257; // up to 64 KiB
                                       // SAFETY: `msg` is initialised; closed, then initialised again.
                unsafe {
                    zmq_msg_close(msg);
                    let rc = zmq_msg_init_size(msg, size);
                    assert_eq!(zmq_msg_size(msg), size);
                    if size > 0 {
                        zmq_msg_data(msg).cast::<u8>().write_bytes(0x5a, size);
                    }
                    rc
                }
            }
            3 => {
                let mut other = MaybeUninit::<zmq_msg_t>::uninit();
                let other = other.as_mut_ptr();
                // SAFETY: both messages are initialised before use; `other` is closed.
                unsafe {
                    zmq_msg_init(other);
                    let rc = zmq_msg_copy(other, msg);
                    assert_eq!(zmq_msg_size(other), zmq_msg_size(msg));
                    zmq_msg_move(msg, other);
                    zmq_msg_close(other);
                    rc
                }
            }
            4 => {
                let name = take_bytes(&mut rest);
                let name =
                    CString::new(name.split(|&b| b == 0).next().unwrap_or(&[])).unwrap_or_default();
                // SAFETY: an initialised message and a NUL-terminated name.
                let value = unsafe { zmq_msg_gets(msg, name.as_ptr()) };
                if value.is_null() {
                    -1
                } else {
                    0
                }
            }
            _ => {
                let data = take_bytes(&mut rest);
                // SAFETY: a live socket and `data.len()` readable bytes.
                let rc = unsafe { zmq_send(s, data.as_ptr().cast(), data.len(), ZMQ_DONTWAIT) };
                rc.min(0)
            }
        };
        assert!(rc == 0 || rc == -1, "operation {op}: {rc}");
        assert!(
            !PANICKED.load(Relaxed),
            "the library panicked (operation {op})"
        );
    }
    // SAFETY: the message and socket are ours, closed once.
    unsafe {
        zmq_msg_close(msg);
        zmq_close(s);
    }
    assert!(!PANICKED.load(Relaxed), "the library panicked closing");
}

/// An option number (one byte) and a value of up to 63 bytes (a length byte, then them).
fn take_value<'a>(rest: &mut &'a [u8]) -> (c_int, &'a [u8]) {
    let option = take_byte(rest);
    (c_int::from(option), take_bytes(rest))
}

/// An option number and a buffer size, a byte each.
fn take_size(rest: &mut &[u8]) -> (c_int, usize) {
    let option = take_byte(rest);
    (c_int::from(option), usize::from(take_byte(rest)))
}

fn take_bytes<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let len = usize::from(take_byte(rest) % 64).min(rest.len());
    let (bytes, after) = rest.split_at(len);
    *rest = after;
    bytes
}

fn take_byte(rest: &mut &[u8]) -> u8 {
    match rest {
        [b, after @ ..] => {
            *rest = after;
            *b
        }
        [] => 0,
    }
}
