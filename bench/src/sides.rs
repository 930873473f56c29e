//! One side of a measurement, for each implementation. Every side runs in a process of its
//! own (started by `ferromq-bench role ...`), so that the two ends of a two-process
//! measurement never share a heap, an allocator or an I/O thread.
//!
//! Every sender sends from one buffer of the message size, which each implementation copies
//! into a fresh message of its own: libzmq through `zmq_send` (its perf tools send a fresh
//! `zmq_msg_init_size` message, kept inside the message up to 33 bytes), ferromq through
//! `send(&[u8])`, the raw socket through its 64 KiB buffer. The `zeromq` crate takes only owned
//! messages, so it gets a fresh `Vec` each time.

use std::io::{BufReader, BufWriter, Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An implementation under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Imp {
    Ferromq,
    Libzmq,
    /// Plain sockets: length-prefixed messages through 64 KiB buffers (the ceiling).
    Raw,
    /// The `zeromq` crate (zmq.rs) on a current-thread tokio runtime.
    Zeromq,
}

impl Imp {
    pub fn name(self) -> &'static str {
        match self {
            Imp::Ferromq => "ferromq",
            Imp::Libzmq => "libzmq",
            Imp::Raw => "raw",
            Imp::Zeromq => "zeromq",
        }
    }

    pub fn parse(s: &str) -> Option<Imp> {
        [Imp::Ferromq, Imp::Libzmq, Imp::Raw, Imp::Zeromq]
            .into_iter()
            .find(|i| i.name() == s)
    }
}

/// Messages per second from the first to the last message (libzmq's `local_thr` method).
fn rate(count: u64, start: Instant) -> f64 {
    count.saturating_sub(1).max(1) as f64 / start.elapsed().as_secs_f64().max(1e-9)
}

/// The wall clock in nanoseconds: the one clock both processes of a pair read.
fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The first message a throughput sender sends: its clock at that send in the first 8 bytes,
/// so that the receiver can time the stream from the first send as well as from the first
/// message it receives.
fn stamped(payload: &[u8]) -> Vec<u8> {
    let mut first = payload.to_vec();
    if let Some(head) = first.get_mut(..8) {
        head.copy_from_slice(&wall_ns().to_le_bytes());
    }
    first
}

/// What a throughput receiver measured: messages per second from the first message received
/// to the last (libzmq's `local_thr` method), and from the sender's first send to the last
/// message received (NaN when the first message carries no stamp: a C sender, or a message
/// under 8 bytes).
pub struct Received {
    pub rate: f64,
    pub end_to_end: f64,
}

impl Received {
    fn new(count: u64, start: Instant, first: &[u8]) -> Received {
        let rate = rate(count, start);
        let sent = first
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .filter(|&t| t > 0);
        let end_to_end = sent.map_or(f64::NAN, |t| {
            count as f64 / (wall_ns().saturating_sub(t) as f64 / 1e9).max(1e-9)
        });
        Received { rate, end_to_end }
    }
}

// ----- ferromq -----

/// libzmq's own test keys (its `zmq_curve` man page), as `bench/c/perf.h` has them.
const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

/// With `FERROMQ_BENCH_CURVE` set (the CURVE table), the binding side is a CURVE server and
/// the connecting side its client.
fn curve(s: &ferromq::Socket, bind: bool) {
    if std::env::var_os("FERROMQ_BENCH_CURVE").is_none() {
        return;
    }
    let pair = |secret: &str| {
        let raw: [u8; 32] = ferromq::z85_decode(secret)
            .expect("a test key")
            .try_into()
            .expect("32 bytes");
        ferromq::CurveKeyPair::from_secret(raw.into())
    };
    if bind {
        s.set_curve_server(&pair(SERVER_SECRET))
            .expect("curve server");
    } else {
        s.set_curve_client(SERVER_PUBLIC, Some(&pair(CLIENT_SECRET)))
            .expect("curve client");
    }
}

fn ferro(ctx: &ferromq::Context, t: ferromq::SocketType, ep: &str, bind: bool) -> ferromq::Socket {
    let s = ctx.socket(t).expect("socket");
    curve(&s, bind);
    if bind {
        s.bind(ep).expect("bind");
    } else {
        s.connect(ep).expect("connect");
    }
    s
}

/// Binds a `t` socket at `ep` and sends back each of `count` messages as it came.
fn ferro_echo(t: ferromq::SocketType, ep: &str, count: u64) {
    let ctx = ferromq::Context::new();
    let s = ferro(&ctx, t, ep, true);
    for _ in 0..count {
        let m = s.recv().expect("recv");
        s.send(m).expect("send");
    }
}

// ----- libzmq -----

fn zmq_socket(ctx: &zmq::Context, t: zmq::SocketType, ep: &str, bind: bool) -> zmq::Socket {
    let s = ctx.socket(t).expect("socket");
    if bind {
        s.bind(ep).expect("bind");
    } else {
        s.connect(ep).expect("connect");
    }
    s
}

// ----- raw sockets -----

/// A byte stream, tcp or unix.
enum RawStream {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl RawStream {
    fn split(self) -> (Box<dyn Read + Send>, Box<dyn Write + Send>) {
        match self {
            RawStream::Tcp(s) => {
                let _ = s.set_nodelay(true);
                (Box::new(s.try_clone().expect("clone")), Box::new(s))
            }
            RawStream::Unix(s) => (Box::new(s.try_clone().expect("clone")), Box::new(s)),
        }
    }
}

fn raw_accept(ep: &str) -> RawStream {
    if let Some(addr) = ep.strip_prefix("tcp://") {
        let l = std::net::TcpListener::bind(addr).expect("bind");
        RawStream::Tcp(l.accept().expect("accept").0)
    } else {
        let path = ep.trim_start_matches("ipc://");
        let _ = std::fs::remove_file(path);
        let l = std::os::unix::net::UnixListener::bind(path).expect("bind");
        RawStream::Unix(l.accept().expect("accept").0)
    }
}

/// Connects, retrying while the other side is not listening yet (up to 10 s).
fn raw_connect(ep: &str) -> RawStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempt = if let Some(addr) = ep.strip_prefix("tcp://") {
            std::net::TcpStream::connect(addr).map(RawStream::Tcp)
        } else {
            std::os::unix::net::UnixStream::connect(ep.trim_start_matches("ipc://"))
                .map(RawStream::Unix)
        };
        match attempt {
            Ok(s) => return s,
            Err(e) if Instant::now() > deadline => panic!("connect {ep}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn raw_read(r: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    buf.resize(u32::from_be_bytes(len) as usize, 0);
    r.read_exact(buf)
}

fn raw_write(w: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    w.write_all(&(payload.len() as u32).to_be_bytes())?;
    w.write_all(payload)
}

// ----- throughput -----

/// Receives `count` messages.
pub fn thr_recv(imp: Imp, ep: &str, count: u64) -> Received {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Pull, ep, true);
            let first = s.recv().expect("recv");
            let start = Instant::now();
            for _ in 1..count {
                s.recv().expect("recv");
            }
            Received::new(count, start, first.first().map_or(&[][..], |f| &f[..]))
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::PULL, ep, true);
            let mut first = zmq::Message::new();
            s.recv(&mut first, 0).expect("recv");
            let mut m = zmq::Message::new();
            let start = Instant::now();
            for _ in 1..count {
                s.recv(&mut m, 0).expect("recv");
            }
            Received::new(count, start, &first)
        }
        Imp::Zeromq => zeromq_rt().block_on(async {
            use zeromq::{Socket, SocketRecv};
            let mut s = zeromq::PullSocket::new();
            zeromq_unlink(ep);
            s.bind(ep).await.expect("bind");
            let first = s.recv().await.expect("recv");
            let start = Instant::now();
            for _ in 1..count {
                s.recv().await.expect("recv");
            }
            Received::new(count, start, first.get(0).map_or(&[][..], |f| &f[..]))
        }),
        Imp::Raw => {
            let (r, _w) = raw_accept(ep).split();
            let mut r = BufReader::with_capacity(64 * 1024, r);
            let mut first = Vec::new();
            raw_read(&mut r, &mut first).expect("read");
            let mut buf = Vec::new();
            let start = Instant::now();
            for _ in 1..count {
                raw_read(&mut r, &mut buf).expect("read");
            }
            Received::new(count, start, &first)
        }
    }
}

/// Sends `count` messages of `size` bytes, each a fresh message copied from one buffer (the
/// first [`stamped`]).
pub fn thr_send(imp: Imp, ep: &str, size: usize, count: u64) {
    let payload = vec![0u8; size];
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Push, ep, false);
            s.send(&stamped(&payload)[..]).expect("send");
            for _ in 1..count {
                s.send(&payload[..]).expect("send");
            }
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::PUSH, ep, false);
            s.send(&stamped(&payload)[..], 0).expect("send");
            for _ in 1..count {
                s.send(&payload[..], 0).expect("send");
            }
        }
        Imp::Zeromq => zeromq_rt().block_on(async {
            use zeromq::{Socket, SocketSend};
            let mut s = zeromq::PushSocket::new();
            s.connect(ep).await.expect("connect");
            s.send(zeromq::ZmqMessage::from(stamped(&payload)))
                .await
                .expect("send");
            for _ in 1..count {
                s.send(zeromq::ZmqMessage::from(vec![0u8; size]))
                    .await
                    .expect("send");
            }
            // zmq.rs has no linger: the runtime must keep running until the queued
            // messages have left; the suite stops this side once the receiver has them all.
            std::future::pending::<()>().await
        }),
        Imp::Raw => {
            let (_r, w) = raw_connect(ep).split();
            let mut w = BufWriter::with_capacity(64 * 1024, w);
            raw_write(&mut w, &stamped(&payload)).expect("write");
            for _ in 1..count {
                raw_write(&mut w, &payload).expect("write");
            }
            w.flush().expect("flush");
        }
    }
}

/// Both ends in one process over inproc; returns messages per second.
pub fn thr_inproc(imp: Imp, size: usize, count: u64) -> f64 {
    let payload = vec![0u8; size];
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let rx = ferro(&ctx, ferromq::SocketType::Pull, "inproc://thr", true);
            let tx = ferro(&ctx, ferromq::SocketType::Push, "inproc://thr", false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for _ in 0..count {
                        tx.send(&payload[..]).expect("send");
                    }
                });
                rx.recv().expect("recv");
                let start = Instant::now();
                for _ in 1..count {
                    rx.recv().expect("recv");
                }
                rate(count, start)
            })
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let rx = zmq_socket(&ctx, zmq::PULL, "inproc://thr", true);
            let tx = zmq_socket(&ctx, zmq::PUSH, "inproc://thr", false);
            let sender = std::thread::spawn(move || {
                for _ in 0..count {
                    tx.send(&payload[..], 0).expect("send");
                }
            });
            let mut m = zmq::Message::new();
            rx.recv(&mut m, 0).expect("recv");
            let start = Instant::now();
            for _ in 1..count {
                rx.recv(&mut m, 0).expect("recv");
            }
            let r = rate(count, start);
            sender.join().expect("sender");
            r
        }
        Imp::Raw | Imp::Zeromq => f64::NAN,
    }
}

/// zmq.rs does not replace a socket file left by an earlier run, as libzmq does.
fn zeromq_unlink(ep: &str) {
    if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

/// The runtime the zeromq crate runs on: current-thread, its faster setting.
fn zeromq_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ----- latency -----

/// Echoes `count` messages.
pub fn lat_echo(imp: Imp, ep: &str, count: u64) {
    match imp {
        Imp::Ferromq => ferro_echo(ferromq::SocketType::Rep, ep, count),
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::REP, ep, true);
            let mut m = zmq::Message::new();
            for _ in 0..count {
                s.recv(&mut m, 0).expect("recv");
                s.send(std::mem::replace(&mut m, zmq::Message::new()), 0)
                    .expect("send");
            }
        }
        Imp::Raw => {
            let (mut r, mut w) = raw_accept(ep).split();
            let mut buf = Vec::new();
            for _ in 0..count {
                raw_read(&mut r, &mut buf).expect("read");
                raw_write(&mut w, &buf).expect("write");
            }
        }
        Imp::Zeromq => zeromq_rt().block_on(async {
            use zeromq::{Socket, SocketRecv, SocketSend};
            let mut s = zeromq::RepSocket::new();
            zeromq_unlink(ep);
            s.bind(ep).await.expect("bind");
            for _ in 0..count {
                let m = s.recv().await.expect("recv");
                s.send(m).await.expect("send");
            }
        }),
    }
}

/// `count` round trips of `size` bytes; returns every round trip time.
pub fn lat_client(imp: Imp, ep: &str, size: usize, count: u64) -> Vec<Duration> {
    let payload = vec![0u8; size];
    let mut rtts = Vec::with_capacity(count as usize);
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Req, ep, false);
            for _ in 0..count {
                let t = Instant::now();
                s.send(&payload[..]).expect("send");
                s.recv().expect("recv");
                rtts.push(t.elapsed());
            }
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::REQ, ep, false);
            let mut m = zmq::Message::new();
            for _ in 0..count {
                let t = Instant::now();
                s.send(&payload[..], 0).expect("send");
                s.recv(&mut m, 0).expect("recv");
                rtts.push(t.elapsed());
            }
        }
        Imp::Zeromq => zeromq_rt().block_on(async {
            use zeromq::{Socket, SocketRecv, SocketSend};
            let mut s = zeromq::ReqSocket::new();
            s.connect(ep).await.expect("connect");
            for _ in 0..count {
                let t = Instant::now();
                s.send(zeromq::ZmqMessage::from(vec![0u8; size]))
                    .await
                    .expect("send");
                s.recv().await.expect("recv");
                rtts.push(t.elapsed());
            }
        }),
        Imp::Raw => {
            let (mut r, mut w) = raw_connect(ep).split();
            let mut buf = Vec::new();
            for _ in 0..count {
                let t = Instant::now();
                raw_write(&mut w, &payload).expect("write");
                raw_read(&mut r, &mut buf).expect("read");
                rtts.push(t.elapsed());
            }
        }
    }
    rtts
}

/// Latency with both ends in one process over inproc.
pub fn lat_inproc(imp: Imp, size: usize, count: u64) -> Vec<Duration> {
    let payload = vec![0u8; size];
    let ep = "inproc://lat";
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let rep = ferro(&ctx, ferromq::SocketType::Rep, ep, true);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for _ in 0..count {
                        let m = rep.recv().expect("recv");
                        rep.send(m).expect("send");
                    }
                });
                let req = ferro(&ctx, ferromq::SocketType::Req, ep, false);
                let mut rtts = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let t = Instant::now();
                    req.send(&payload[..]).expect("send");
                    req.recv().expect("recv");
                    rtts.push(t.elapsed());
                }
                rtts
            })
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let rep = zmq_socket(&ctx, zmq::REP, ep, true);
            let echo = std::thread::spawn(move || {
                let mut m = zmq::Message::new();
                for _ in 0..count {
                    rep.recv(&mut m, 0).expect("recv");
                    rep.send(std::mem::replace(&mut m, zmq::Message::new()), 0)
                        .expect("send");
                }
            });
            let req = zmq_socket(&ctx, zmq::REQ, ep, false);
            let mut m = zmq::Message::new();
            let mut rtts = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let t = Instant::now();
                req.send(&payload[..], 0).expect("send");
                req.recv(&mut m, 0).expect("recv");
                rtts.push(t.elapsed());
            }
            echo.join().expect("echo");
            rtts
        }
        Imp::Raw | Imp::Zeromq => Vec::new(),
    }
}

// ----- PUB fan-out -----

/// A publisher for `subs` subscribers: waits until each has subscribed (an XPUB sees every
/// subscription when verbose), sends `count` messages of `size` bytes, then end markers
/// (empty messages) until the process is stopped.
pub fn fan_pub(imp: Imp, ep: &str, subs: u64, size: usize, count: u64) {
    let payload = vec![0u8; size];
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ctx.socket(ferromq::SocketType::Xpub).expect("socket");
            s.set_xpub_verbose(true).expect("verbose");
            s.bind(ep).expect("bind");
            for _ in 0..subs {
                s.recv().expect("a subscription");
            }
            for _ in 0..count {
                s.send(&payload[..]).expect("send");
            }
            // End markers until the subscribers have left (the last one's leaving cancels
            // the topic), so that this side exits by itself, as callgrind needs.
            s.set_rcvtimeo(1).expect("rcvtimeo");
            loop {
                s.send(ferromq::Bytes::new()).expect("send");
                if s.recv().is_ok_and(|m| m[0].first() == Some(&0)) {
                    return;
                }
            }
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = ctx.socket(zmq::XPUB).expect("socket");
            s.set_xpub_verbose(true).expect("verbose");
            s.bind(ep).expect("bind");
            for _ in 0..subs {
                s.recv_bytes(0).expect("a subscription");
            }
            for _ in 0..count {
                s.send(&payload[..], 0).expect("send");
            }
            s.set_rcvtimeo(1).expect("rcvtimeo");
            loop {
                s.send(&b""[..], 0).expect("send");
                if s.recv_bytes(0).is_ok_and(|m| m.first() == Some(&0)) {
                    return;
                }
            }
        }
        Imp::Raw | Imp::Zeromq => {}
    }
}

/// `subs` subscribers, a thread each; returns the messages delivered per second in total,
/// from the first message any of them got to the last.
pub fn fan_subs(imp: Imp, ep: &str, subs: u64) -> f64 {
    let zctx = zmq::Context::new();
    let fctx = ferromq::Context::new();
    let spans: Vec<(Option<Instant>, Option<Instant>, u64)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..subs)
            .map(|_| {
                let (zctx, fctx) = (&zctx, &fctx);
                s.spawn(move || {
                    // The clock is read at the first message and at the first end marker
                    // (which follows the last message within a millisecond), not per
                    // message: a clock read would cost a subscriber more than a receive.
                    let (mut first, mut last, mut n) = (None, None, 0u64);
                    let mut got = |len: usize| {
                        if len == 0 {
                            last = Some(Instant::now());
                            return false;
                        }
                        if n == 0 {
                            first = Some(Instant::now());
                        }
                        n += 1;
                        true
                    };
                    match imp {
                        Imp::Ferromq => {
                            let sub = fctx.socket(ferromq::SocketType::Sub).expect("socket");
                            sub.subscribe("").expect("subscribe");
                            sub.connect(ep).expect("connect");
                            while got(sub.recv().expect("recv")[0].len()) {}
                        }
                        _ => {
                            let sub = zctx.socket(zmq::SUB).expect("socket");
                            sub.set_subscribe(b"").expect("subscribe");
                            sub.connect(ep).expect("connect");
                            let mut m = zmq::Message::new();
                            loop {
                                sub.recv(&mut m, 0).expect("recv");
                                if !got(m.len()) {
                                    break;
                                }
                            }
                        }
                    }
                    (first, last, n)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a subscriber"))
            .collect()
    });
    let first = spans.iter().filter_map(|s| s.0).min();
    let last = spans.iter().filter_map(|s| s.1).max();
    let total: u64 = spans.iter().map(|s| s.2).sum();
    match (first, last) {
        (Some(f), Some(l)) if l > f => total as f64 / (l - f).as_secs_f64(),
        _ => f64::NAN,
    }
}

// ----- ROUTER serving many DEALERs -----

/// A ROUTER echoing `total` requests.
pub fn router_server(imp: Imp, ep: &str, total: u64) {
    match imp {
        Imp::Ferromq => ferro_echo(ferromq::SocketType::Router, ep, total),
        _ => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::ROUTER, ep, true);
            for _ in 0..total {
                let m = s.recv_multipart(0).expect("recv");
                s.send_multipart(m, 0).expect("send");
            }
        }
    }
}

/// `dealers` DEALERs in one thread, each with one request out at a time, `each` requests in
/// all; returns requests answered per second.
pub fn router_clients(imp: Imp, ep: &str, dealers: u64, each: u64, size: usize) -> f64 {
    let payload = vec![0u8; size];
    let start;
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let socks: Vec<_> = (0..dealers)
                .map(|_| ferro(&ctx, ferromq::SocketType::Dealer, ep, false))
                .collect();
            start = Instant::now();
            for s in &socks {
                s.send(&payload[..]).expect("send");
            }
            let mut left: Vec<u64> = vec![each; socks.len()];
            let mut open = socks.len();
            while open > 0 {
                let mut items: Vec<_> = socks
                    .iter()
                    .map(|s| s.as_poll_item(ferromq::Events::IN))
                    .collect();
                ferromq::poll(&mut items, -1).expect("poll");
                let ready: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
                for (i, s) in socks.iter().enumerate() {
                    if ready[i] {
                        s.recv().expect("recv");
                        left[i] -= 1;
                        if left[i] == 0 {
                            open -= 1;
                        } else {
                            s.send(&payload[..]).expect("send");
                        }
                    }
                }
            }
        }
        _ => {
            let ctx = zmq::Context::new();
            let socks: Vec<_> = (0..dealers)
                .map(|_| zmq_socket(&ctx, zmq::DEALER, ep, false))
                .collect();
            start = Instant::now();
            for s in &socks {
                s.send(&payload[..], 0).expect("send");
            }
            let mut left: Vec<u64> = vec![each; socks.len()];
            let mut open = socks.len();
            let mut m = zmq::Message::new();
            while open > 0 {
                let mut items: Vec<_> = socks.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
                zmq::poll(&mut items, -1).expect("poll");
                let ready: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
                for (i, s) in socks.iter().enumerate() {
                    if ready[i] {
                        s.recv(&mut m, 0).expect("recv");
                        left[i] -= 1;
                        if left[i] == 0 {
                            open -= 1;
                        } else {
                            s.send(&payload[..], 0).expect("send");
                        }
                    }
                }
            }
        }
    }
    (dealers * each) as f64 / start.elapsed().as_secs_f64()
}

// ----- memory -----

/// The process's resident memory in KiB (Linux).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A ROUTER that waits for `conns` peers to say hello; returns the KiB of resident memory
/// they cost it.
pub fn mem_router(imp: Imp, ep: &str, conns: u64) -> u64 {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Router, ep, true);
            let base = rss_kib();
            for _ in 0..conns {
                s.recv().expect("recv");
            }
            rss_kib().saturating_sub(base)
        }
        _ => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::ROUTER, ep, true);
            let base = rss_kib();
            for _ in 0..conns {
                s.recv_multipart(0).expect("recv");
            }
            rss_kib().saturating_sub(base)
        }
    }
}

/// `conns` DEALERs that connect, say hello, and stay until the process is stopped.
pub fn mem_dealers(imp: Imp, ep: &str, conns: u64) {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let socks: Vec<_> = (0..conns)
                .map(|_| ferro(&ctx, ferromq::SocketType::Dealer, ep, false))
                .collect();
            for s in &socks {
                s.send("hello").expect("send");
            }
            std::thread::park();
        }
        _ => {
            // libzmq allows 1023 sockets per context: spread them.
            let ctxs: Vec<zmq::Context> = (0..conns.div_ceil(500))
                .map(|_| zmq::Context::new())
                .collect();
            let socks: Vec<_> = (0..conns)
                .map(|i| zmq_socket(&ctxs[(i / 500) as usize], zmq::DEALER, ep, false))
                .collect();
            for s in &socks {
                s.send("hello", 0).expect("send");
            }
            std::thread::park();
        }
    }
}

/// A PUSH with nobody to take its messages sends `size`-byte messages until its high-water
/// mark stops it; returns (messages queued, KiB of resident memory they cost).
pub fn mem_hwm(imp: Imp, ep: &str, size: usize) -> (u64, u64) {
    let payload = vec![0xabu8; size];
    let mut queued = 0u64;
    let base;
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Push, ep, false);
            s.set_sndtimeo(200).expect("sndtimeo");
            s.set_linger(0).expect("linger");
            base = rss_kib();
            // Non-zero bytes: zeroed allocations may not be resident until written.
            while s.send(&payload[..]).is_ok() {
                queued += 1;
            }
            (queued, rss_kib().saturating_sub(base))
        }
        _ => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::PUSH, ep, false);
            s.set_sndtimeo(200).expect("sndtimeo");
            s.set_linger(0).expect("linger");
            base = rss_kib();
            while s.send(&payload[..], 0).is_ok() {
                queued += 1;
            }
            (queued, rss_kib().saturating_sub(base))
        }
    }
}
