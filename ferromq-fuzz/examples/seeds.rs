//! Writes the seed corpus of the `zmtp` fuzz target (test support): real sessions of libzmq
//! 4.3.4 (the `zmq` crate), recorded as the bytes it sends to a ferromq-zmtp connection
//! over tcp, for each pairing and mechanism, each prefixed with the harness's setup bytes.
//!
//! `cargo run -p ferromq-fuzz --example seeds` (rewrites `fuzz/corpus/zmtp/libzmq-*`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferromq_fuzz::Setup;
use ferromq_zmtp::{AuthReply, Command, Connection, Event, SocketType};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/zmtp");
    std::fs::create_dir_all(&dir).expect("corpus directory");
    use SocketType::*;
    let pairs = [
        (Rep, zmq::REQ),
        (Req, zmq::REP),
        (Router, zmq::DEALER),
        (Dealer, zmq::ROUTER),
        (Router, zmq::REQ),
        (Pull, zmq::PUSH),
        (Push, zmq::PULL),
        (Sub, zmq::PUB),
        (Pub, zmq::SUB),
        (Xpub, zmq::XSUB),
        (Xsub, zmq::XPUB),
        (Pair, zmq::PAIR),
    ];
    let mut written = 0;
    for (ours, theirs) in pairs {
        for mechanism in [0, 2, 3, 4, 5] {
            if mechanism >= 4 && !zmq::has("curve").unwrap_or(false) {
                continue;
            }
            let setup = Setup {
                socket_type: ours,
                mechanism,
                limited: false,
                pieces: 0,
            };
            let session = record(setup, theirs);
            for pieces in [0, 1] {
                let mut seed = Setup { pieces, ..setup }.header().to_vec();
                seed.extend_from_slice(&session);
                let name = format!(
                    "libzmq-{}-{}-m{mechanism}-p{pieces}",
                    ours.as_str().to_lowercase(),
                    name(theirs)
                );
                std::fs::write(dir.join(name), &seed).expect("seed written");
                written += 1;
            }
        }
    }
    println!("{written} seeds in {}", dir.display());
}

/// What a libzmq socket of type `theirs` sends to our connection set up as `setup`, from its
/// greeting to a few messages (or until it has nothing more to say for 300 ms).
fn record(setup: Setup, theirs: zmq::SocketType) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let endpoint = format!("tcp://{}", listener.local_addr().expect("address"));
    let done = Arc::new(AtomicBool::new(false));
    let peer = {
        let done = done.clone();
        std::thread::spawn(move || libzmq_peer(theirs, setup.mechanism, &endpoint, done))
    };
    let (mut stream, _) = listener.accept().expect("libzmq connects");
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut conn = Connection::new(setup.config());
    let (mut out, mut got, mut buf) = (BytesMut::new(), Vec::new(), [0u8; 4096]);
    let (mut frames, mut ready) = (0, false);
    let deadline = Instant::now() + Duration::from_secs(5);
    while frames < 6 && Instant::now() < deadline {
        out.clear();
        conn.poll_transmit(&mut out);
        if stream.write_all(&out).is_err() {
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        got.extend_from_slice(&buf[..n]);
        conn.feed(&buf[..n]);
        loop {
            frames += conn.poll_frames(|_| {});
            match conn.poll_event() {
                Ok(Some(Event::Authenticate(_))) => {
                    let verdict = AuthReply {
                        status: 200,
                        user_id: Bytes::from_static(b"fuzzed"),
                    };
                    conn.authenticated(verdict).expect("verdict taken");
                }
                Ok(Some(Event::Ready(_))) => {
                    ready = true;
                    if matches!(setup.socket_type, SocketType::Sub | SocketType::Xsub) {
                        conn.send_command(&Command::Subscribe(Bytes::new()));
                    }
                }
                Ok(Some(Event::Frame(_) | Event::Subscribe(_))) => frames += 1,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("libzmq's {setup:?} session failed: {e}"),
            }
        }
    }
    assert!(ready, "no handshake with libzmq for {setup:?}");
    done.store(true, Relaxed);
    drop(stream);
    peer.join().expect("libzmq side");
    got
}

/// A libzmq socket that connects and sends what its type may, until `done`.
fn libzmq_peer(kind: zmq::SocketType, mechanism: u8, endpoint: &str, done: Arc<AtomicBool>) {
    let ctx = zmq::Context::new();
    let s = ctx.socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.set_identity(b"libzmq").expect("identity");
    let mut zap = None;
    let server = ferromq_fuzz::key_pair(&ferromq_fuzz::SERVER_SECRET);
    let client = ferromq_fuzz::key_pair(&ferromq_fuzz::CLIENT_SECRET);
    match mechanism {
        // Our PLAIN server: libzmq is the client.
        2 => {
            s.set_plain_username(Some("admin")).expect("user");
            s.set_plain_password(Some("secret")).expect("password");
        }
        // libzmq's PLAIN server asks a ZAP handler, which must be there.
        3 => {
            zap = Some(zap_handler(&ctx, done.clone()));
            s.set_plain_server(true).expect("plain server");
        }
        // Our CURVE server: libzmq is its client.
        4 => {
            s.set_curve_serverkey(server.public()).expect("server key");
            s.set_curve_publickey(client.public()).expect("public key");
            s.set_curve_secretkey(&*client.secret())
                .expect("secret key");
        }
        5 => {
            s.set_curve_server(true).expect("curve server");
            s.set_curve_secretkey(&*server.secret())
                .expect("secret key");
        }
        _ => {}
    }
    if kind == zmq::SUB {
        s.set_subscribe(b"top").expect("subscribe");
    }
    s.connect(endpoint).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(5);
    let big = vec![0x42u8; 300];
    while !done.load(Relaxed) && Instant::now() < deadline {
        let frames: Vec<&[u8]> = match kind {
            zmq::ROUTER => vec![b"fuzz", b"", b"hello"],
            zmq::XSUB => vec![b"\x01top"],
            zmq::PUSH | zmq::PUB | zmq::XPUB | zmq::PAIR => vec![b"top", b"hello", &big],
            zmq::REQ | zmq::DEALER => vec![b"hello", &big],
            _ => vec![],
        };
        if !frames.is_empty() {
            let _ = s.send_multipart(frames, zmq::DONTWAIT);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Some(zap) = zap {
        zap.join().expect("ZAP handler");
    }
}

/// A ZAP handler (RFC 27) admitting everyone, until `done`.
fn zap_handler(ctx: &zmq::Context, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let rep = ctx.socket(zmq::REP).expect("ZAP socket");
    rep.bind("inproc://zeromq.zap.01").expect("ZAP endpoint");
    rep.set_rcvtimeo(50).expect("timeout");
    std::thread::spawn(move || {
        while !done.load(Relaxed) {
            if let Ok(request) = rep.recv_multipart(0) {
                let id = request.get(1).cloned().unwrap_or_default();
                let reply: Vec<&[u8]> = vec![b"1.0", &id, b"200", b"OK", b"admin", b""];
                rep.send_multipart(reply, 0).expect("ZAP reply");
            }
        }
    })
}

/// libzmq's socket type, as a file name has it.
fn name(kind: zmq::SocketType) -> &'static str {
    match kind {
        zmq::REQ => "req",
        zmq::REP => "rep",
        zmq::DEALER => "dealer",
        zmq::ROUTER => "router",
        zmq::PUSH => "push",
        zmq::PULL => "pull",
        zmq::PUB => "pub",
        zmq::SUB => "sub",
        zmq::XPUB => "xpub",
        zmq::XSUB => "xsub",
        _ => "pair",
    }
}
