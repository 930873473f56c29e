//! One side of a measurement, for each implementation. Every side runs in a process of its
//! own (started by `ferromq-bench role ...`), so that the two ends of a two-process
//! measurement never share a heap, an allocator or an I/O thread.

use std::io::{BufReader, BufWriter, Read, Write};
use std::time::{Duration, Instant};

/// An implementation under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Imp {
    Ferromq,
    Libzmq,
    /// Plain sockets: length-prefixed messages through 64 KiB buffers (the ceiling).
    Raw,
}

impl Imp {
    pub fn name(self) -> &'static str {
        match self {
            Imp::Ferromq => "ferromq",
            Imp::Libzmq => "libzmq",
            Imp::Raw => "raw",
        }
    }

    pub fn parse(s: &str) -> Option<Imp> {
        [Imp::Ferromq, Imp::Libzmq, Imp::Raw]
            .into_iter()
            .find(|i| i.name() == s)
    }
}

/// Messages per second from the first to the last message (libzmq's `local_thr` method).
fn rate(count: u64, start: Instant) -> f64 {
    count.saturating_sub(1).max(1) as f64 / start.elapsed().as_secs_f64().max(1e-9)
}

// ----- ferromq -----

fn ferro(ctx: &ferromq::Context, t: ferromq::SocketType, ep: &str, bind: bool) -> ferromq::Socket {
    let s = ctx.socket(t).expect("socket");
    if bind {
        s.bind(ep).expect("bind");
    } else {
        s.connect(ep).expect("connect");
    }
    s
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

/// Receives `count` messages; returns messages per second.
pub fn thr_recv(imp: Imp, ep: &str, count: u64) -> f64 {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Pull, ep, true);
            s.recv().expect("recv");
            let start = Instant::now();
            for _ in 1..count {
                s.recv().expect("recv");
            }
            rate(count, start)
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::PULL, ep, true);
            let mut m = zmq::Message::new();
            s.recv(&mut m, 0).expect("recv");
            let start = Instant::now();
            for _ in 1..count {
                s.recv(&mut m, 0).expect("recv");
            }
            rate(count, start)
        }
        Imp::Raw => {
            let (r, _w) = raw_accept(ep).split();
            let mut r = BufReader::with_capacity(64 * 1024, r);
            let mut buf = Vec::new();
            raw_read(&mut r, &mut buf).expect("read");
            let start = Instant::now();
            for _ in 1..count {
                raw_read(&mut r, &mut buf).expect("read");
            }
            rate(count, start)
        }
    }
}

/// Sends `count` messages of `size` bytes, a fresh one each time.
pub fn thr_send(imp: Imp, ep: &str, size: usize, count: u64) {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Push, ep, false);
            for _ in 0..count {
                s.send(vec![0u8; size]).expect("send");
            }
        }
        Imp::Libzmq => {
            let ctx = zmq::Context::new();
            let s = zmq_socket(&ctx, zmq::PUSH, ep, false);
            for _ in 0..count {
                s.send(vec![0u8; size], 0).expect("send");
            }
        }
        Imp::Raw => {
            let (_r, w) = raw_connect(ep).split();
            let mut w = BufWriter::with_capacity(64 * 1024, w);
            for _ in 0..count {
                raw_write(&mut w, &vec![0u8; size]).expect("write");
            }
            w.flush().expect("flush");
        }
    }
}

/// Both ends in one process over inproc; returns messages per second.
pub fn thr_inproc(imp: Imp, size: usize, count: u64) -> f64 {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let rx = ferro(&ctx, ferromq::SocketType::Pull, "inproc://thr", true);
            let tx = ferro(&ctx, ferromq::SocketType::Push, "inproc://thr", false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for _ in 0..count {
                        tx.send(vec![0u8; size]).expect("send");
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
                    tx.send(vec![0u8; size], 0).expect("send");
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
        Imp::Raw => f64::NAN,
    }
}

// ----- latency -----

/// Echoes `count` messages.
pub fn lat_echo(imp: Imp, ep: &str, count: u64) {
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Rep, ep, true);
            for _ in 0..count {
                let m = s.recv().expect("recv");
                s.send(m).expect("send");
            }
        }
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
    }
}

/// `count` round trips of `size` bytes; returns every round trip time.
pub fn lat_client(imp: Imp, ep: &str, size: usize, count: u64) -> Vec<Duration> {
    let mut rtts = Vec::with_capacity(count as usize);
    match imp {
        Imp::Ferromq => {
            let ctx = ferromq::Context::new();
            let s = ferro(&ctx, ferromq::SocketType::Req, ep, false);
            for _ in 0..count {
                let t = Instant::now();
                s.send(vec![0u8; size]).expect("send");
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
                s.send(vec![0u8; size], 0).expect("send");
                s.recv(&mut m, 0).expect("recv");
                rtts.push(t.elapsed());
            }
        }
        Imp::Raw => {
            let (mut r, mut w) = raw_connect(ep).split();
            let mut buf = Vec::new();
            for _ in 0..count {
                let t = Instant::now();
                raw_write(&mut w, &vec![0u8; size]).expect("write");
                raw_read(&mut r, &mut buf).expect("read");
                rtts.push(t.elapsed());
            }
        }
    }
    rtts
}

/// Latency with both ends in one process over inproc.
pub fn lat_inproc(imp: Imp, size: usize, count: u64) -> Vec<Duration> {
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
                    req.send(vec![0u8; size]).expect("send");
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
                req.send(vec![0u8; size], 0).expect("send");
                req.recv(&mut m, 0).expect("recv");
                rtts.push(t.elapsed());
            }
            echo.join().expect("echo");
            rtts
        }
        Imp::Raw => Vec::new(),
    }
}
