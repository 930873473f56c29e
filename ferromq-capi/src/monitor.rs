//! `zmq_socket_monitor` (users of the public API): a socket's events published on an inproc
//! PAIR, in libzmq 4.3's first format.
//!
//! Each event is a message of two frames: six bytes in host byte order (the 16-bit event
//! number, `ZMQ_EVENT_*`, then a 32-bit value: the descriptor for `CONNECTED`, `ACCEPTED`,
//! `DISCONNECTED` ..., the error or status code for the failures), and the endpoint. A thread
//! of its own reads ferromq's [`Monitor`](ferromq::Monitor) and sends them, waiting for the
//! reader as long as it takes, so that no event is lost before the reader connects.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ferromq::{Error, EventKind, Message, Socket, SocketType};

use crate::socket::socket;
use crate::{errno_of, guard, lock, text};

/// How often a waiting publisher looks whether it was stopped.
const LOOK: Duration = Duration::from_millis(50);

/// A running publisher; dropping it stops it (after the events already queued, if the
/// reader takes them at once).
pub(crate) struct Publisher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An event as libzmq's two frames.
fn encode(number: u16, value: u64, endpoint: &str) -> Message {
    let mut head = Vec::with_capacity(6);
    head.extend_from_slice(&number.to_ne_bytes());
    head.extend_from_slice(&(value as u32).to_ne_bytes());
    Message::from(vec![head, endpoint.as_bytes().to_vec()])
}

/// Sends until it goes, the publisher is stopped (one last try) or the context ends.
fn publish(pair: &Socket, msg: Message, stop: &AtomicBool) -> ferromq::Result<()> {
    loop {
        match pair.send(msg.clone()) {
            Err(Error::TimedOut | Error::WouldBlock) if !stop.load(Ordering::SeqCst) => {}
            Err(Error::TimedOut | Error::WouldBlock) => return pair.try_send(msg),
            other => return other,
        }
    }
}

fn run(monitored: ferromq::Monitor, pair: Socket, mask: c_int, stop: Arc<AtomicBool>) {
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let event = if stopping {
            monitored.try_recv()
        } else {
            monitored.recv_timeout(LOOK)
        };
        let event = match event {
            Ok(e) => e,
            Err(Error::TimedOut) => continue,
            Err(Error::WouldBlock) => {
                // Stopped by `zmq_socket_monitor(s, NULL, 0)` or a new monitor: the reader
                // hears it, as from libzmq.
                let stopped = EventKind::MonitorStopped.number();
                if c_int::from(stopped) & mask != 0 {
                    let _ = pair.try_send(encode(stopped, 0, ""));
                }
                return;
            }
            Err(_) => return, // the socket is gone
        };
        let last = event.kind == EventKind::MonitorStopped;
        if c_int::from(event.kind.number()) & mask != 0
            && publish(
                &pair,
                encode(event.kind.number(), event.value, &event.endpoint),
                &stop,
            )
            .is_err()
        {
            return; // the context ended
        }
        if last {
            return;
        }
    }
}

/// Publishes the socket's events whose bits are in `events` (`ZMQ_EVENT_ALL` for all) on
/// a PAIR bound to `addr`, which must be `inproc://` (`EPROTONOSUPPORT` otherwise); a null
/// `addr` stops the publisher. One publisher per socket: a new one replaces the old.
///
/// # Safety
/// `s` is null or a live socket; `addr` null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: as this function's contract says.
        let c = unsafe { socket(s) }?;
        let old = lock(&c.monitor).take();
        drop(old);
        if addr.is_null() {
            return Ok(0);
        }
        // SAFETY: as this function's contract says.
        let addr = unsafe { text(addr) }?;
        if !addr.starts_with("inproc://") {
            return Err(libc::EPROTONOSUPPORT);
        }
        let context = c.shared.context().ok_or(crate::ETERM)?;
        let pair = context
            .socket(SocketType::Pair)
            .and_then(|p| {
                p.set_sndtimeo(LOOK.as_millis() as i32)?;
                p.bind(addr)?;
                Ok(p)
            })
            .map_err(|e| errno_of(&e))?;
        let monitored = c.socket.monitor();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = crate::with_signals_blocked(|| {
            std::thread::Builder::new()
                .name("ferromq-monitor".into())
                .spawn({
                    let stop = stop.clone();
                    move || run(monitored, pair, events, stop)
                })
        })
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EMFILE))?;
        *lock(&c.monitor) = Some(Publisher {
            stop,
            thread: Some(thread),
        });
        Ok(0)
    })
}
