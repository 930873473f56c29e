//! CURVE against libzmq 4.3.5 with libsodium (pyzmq's wheel), both ways: every pattern
//! pairing of the interop suite with either side the server and either side binding, the
//! client's key reaching each side's ZAP handler, and each refusal on both monitors.
//!
//! The `zmq` crate's libzmq has no CURVE, and a second libzmq may not share its process: the
//! libzmq peer runs in `libzmq_peer.py` under the Python that `FERROMQ_LIBZMQ_PYTHON` names
//! (`.ci/run` makes one with pyzmq 27.3.0). Without it, each test says so and passes.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::zap::{answer, ferro_zap, ZapRequest};
use common::*;
use ferromq::{Context, EventKind as K, Socket, SocketType as T};

/// The Python with a CURVE-capable pyzmq, or `None` (the test is skipped, saying why).
fn python() -> Option<String> {
    match std::env::var("FERROMQ_LIBZMQ_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!(
                "skipped: set FERROMQ_LIBZMQ_PYTHON to a Python with pyzmq's wheel \
                 (libzmq 4.3.5 with CURVE); .ci/run does"
            );
            None
        }
    }
}

/// A libzmq socket in its own process.
struct LibzmqPeer {
    io: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    child: Child,
    endpoint: String,
}

impl LibzmqPeer {
    fn start(python: &str, args: &[String]) -> LibzmqPeer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/libzmq_peer.py");
        // "--flag=value": a Z85 key may start with '-', which argparse would take for a flag.
        let mut joined = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--zap-any" => joined.push(a.clone()),
                flag if flag.starts_with("--") => {
                    joined.push(format!("{flag}={}", it.next().expect("a value")));
                }
                _ => joined.push(a.clone()),
            }
        }
        let mut child = Command::new(python)
            .arg(script)
            .args(&joined)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the libzmq peer");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let endpoint = line
            .strip_prefix("endpoint ")
            .unwrap_or_else(|| panic!("the libzmq peer said {line:?}"))
            .trim()
            .to_owned();
        LibzmqPeer {
            io: Mutex::new((stdin, stdout)),
            child,
            endpoint,
        }
    }

    /// Sends one command line, returns the answer's words after its first.
    fn ask(&self, line: &str) -> (String, Vec<String>) {
        let mut io = self.io.lock().unwrap();
        writeln!(io.0, "{line}").unwrap();
        io.0.flush().unwrap();
        let mut answer = String::new();
        io.1.read_line(&mut answer).unwrap();
        let mut words = answer.split_whitespace().map(str::to_owned);
        let head = words.next().expect("the libzmq peer went away");
        (head, words.collect())
    }

    /// Its monitor's events so far, as (event, value).
    fn events(&self) -> Vec<(u16, u32)> {
        self.ask("events")
            .1
            .iter()
            .map(|w| {
                let (e, v) = w.split_once(':').unwrap();
                (u16::from_str_radix(e, 16).unwrap(), v.parse().unwrap())
            })
            .collect()
    }

    /// Waits (boundedly) for its monitor to show `event`; returns its value.
    fn wait_event(&self, event: u16) -> u32 {
        let deadline = std::time::Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
        loop {
            if let Some(&(_, v)) = self.events().iter().find(|(e, _)| *e == event) {
                return v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no libzmq event {event:#x}"
            );
            // Its monitor is read when asked: ask again after a moment's traffic.
            let _ = self.ask("recv 20");
        }
    }

    /// The client keys its ZAP handler was asked about (Z85).
    fn zap_keys(&self) -> Vec<String> {
        self.ask("zap").1
    }
}

impl Drop for LibzmqPeer {
    fn drop(&mut self) {
        if let Ok(mut io) = self.io.lock() {
            let _ = writeln!(io.0, "quit");
            let _ = io.0.flush();
        }
        let _ = self.child.wait();
    }
}

fn hex(frames: &[Vec<u8>]) -> String {
    frames
        .iter()
        .map(|f| {
            if f.is_empty() {
                "=".to_owned()
            } else {
                f.iter().map(|b| format!("{b:02x}")).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn unhex(words: &[String]) -> Vec<Vec<u8>> {
    words
        .iter()
        .map(|w| {
            if w == "=" {
                return Vec::new();
            }
            (0..w.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&w[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

impl Peer for LibzmqPeer {
    fn send(&self, frames: &[Vec<u8>]) {
        assert_eq!(self.ask(&format!("send {}", hex(frames))).0, "ok");
    }
    fn recv(&self) -> Vec<Vec<u8>> {
        self.recv_within(TIMEOUT_MS).expect("libzmq (CURVE) recv")
    }
    fn recv_within(&self, ms: i32) -> Option<Vec<Vec<u8>>> {
        match self.ask(&format!("recv {ms}")) {
            (head, words) if head == "frames" => Some(unhex(&words)),
            _ => None,
        }
    }
    fn name(&self) -> &'static str {
        "libzmq 4.3.5 (CURVE)"
    }
}

fn zmq_name(t: T) -> &'static str {
    t.as_str()
}

/// Which side is the CURVE server.
#[derive(Clone, Copy, Debug)]
enum Server {
    Ferro,
    Libzmq,
}

/// A ferromq socket of type `ours` and a libzmq peer of type `theirs`, joined over tcp with
/// CURVE, `server` the CURVE server and `binder` binding; `theirs_extra` are more arguments
/// for the peer.
fn curve_joined(
    python: &str,
    ctx: &Context,
    (ours, theirs): (T, T),
    server: Server,
    binder: Binder,
    theirs_extra: &[&str],
) -> (Socket, LibzmqPeer) {
    let sk = ferromq::curve_keypair().unwrap();
    let f = ferro(ctx, ours);
    let mut args: Vec<String> = vec!["--type".into(), zmq_name(theirs).into()];
    args.extend(theirs_extra.iter().map(|s| s.to_string()));
    match server {
        Server::Ferro => {
            f.set_curve_server(&sk).unwrap();
            args.extend(["--curve-serverkey".into(), sk.public_z85()]);
        }
        Server::Libzmq => {
            f.set_curve_client(sk.public(), None).unwrap();
            args.extend(["--curve-server".into(), sk.secret_z85().to_string()]);
        }
    }
    let peer = match binder {
        Binder::Ferro => {
            let ep = ferro_bind(&f);
            args.extend(["--connect".into(), ep]);
            LibzmqPeer::start(python, &args)
        }
        Binder::Libzmq => {
            args.extend(["--bind".into(), "tcp://127.0.0.1:*".into()]);
            let peer = LibzmqPeer::start(python, &args);
            f.connect(&peer.endpoint).unwrap();
            peer
        }
    };
    (f, peer)
}

const SERVERS: [Server; 2] = [Server::Ferro, Server::Libzmq];
const BOTH: [Binder; 2] = [Binder::Ferro, Binder::Libzmq];

#[test]
fn every_pattern_pairing_runs_over_curve_with_libzmq() {
    let Some(python) = python() else { return };
    type Scenario = fn(&Socket, &LibzmqPeer);
    let pairings: [((T, T), Scenario, &[&str]); 12] = [
        ((T::Req, T::Rep), |f, z| req_rep(f, z), &[]),
        ((T::Rep, T::Req), |f, z| req_rep(z, f), &[]),
        (
            (T::Dealer, T::Router),
            |f, z| dealer_router(f, z, None),
            &[],
        ),
        (
            (T::Router, T::Dealer),
            |f, z| dealer_router(z, f, None),
            &[],
        ),
        ((T::Req, T::Router), |f, z| req_router(f, z), &[]),
        ((T::Router, T::Req), |f, z| req_router(z, f), &[]),
        ((T::Dealer, T::Rep), |f, z| dealer_rep(f, z), &[]),
        ((T::Rep, T::Dealer), |f, z| dealer_rep(z, f), &[]),
        ((T::Push, T::Pull), |f, z| push_pull(f, z), &[]),
        ((T::Pull, T::Push), |f, z| push_pull(z, f), &[]),
        ((T::Pair, T::Pair), |f, z| pair_pair(f, z), &[]),
        (
            (T::Pub, T::Sub),
            |f, z| pub_sub(f, z),
            &["--subscribe", "a", "--subscribe", "b"],
        ),
    ];
    for (types, scenario, extra) in pairings {
        for server in SERVERS {
            for binder in BOTH {
                let ctx = Context::new();
                let (f, z) = curve_joined(&python, &ctx, types, server, binder, extra);
                scenario(&f, &z);
            }
        }
    }
    // And a ferromq SUB of a libzmq PUB.
    for server in SERVERS {
        let ctx = Context::new();
        let (sub, publisher) =
            curve_joined(&python, &ctx, (T::Sub, T::Pub), server, Binder::Ferro, &[]);
        sub.subscribe("a").unwrap();
        sub.subscribe("b").unwrap();
        pub_sub(&publisher, &sub);
    }
}

#[test]
fn each_sides_zap_handler_judges_the_others_client_key() {
    let Some(python) = python() else { return };
    let (sk, ck) = (
        ferromq::curve_keypair().unwrap(),
        ferromq::curve_keypair().unwrap(),
    );

    // libzmq the server, its handler allowing our key: admitted, and it saw our key.
    let ctx = Context::new();
    let server = libzmq_curve_pull(&python, &sk, &["--zap-allow".into(), ck.public_z85()]);
    let friend = ferro(&ctx, T::Push);
    friend.set_curve_client(sk.public(), Some(&ck)).unwrap();
    friend.connect(&server.endpoint).unwrap();
    friend.send("hello libzmq").unwrap();
    assert_eq!(server.recv(), [b"hello libzmq".to_vec()]);
    assert_eq!(server.zap_keys(), [ck.public_z85()]);
    // A stranger: refused with 400, which our monitor reads from libzmq's ERROR.
    let stranger = ferro(&ctx, T::Push);
    let events = stranger.monitor();
    stranger.set_curve_client(sk.public(), None).unwrap();
    stranger.connect(&server.endpoint).unwrap();
    assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, 400);
    assert_eq!(server.wait_event(0x4000), 400, "libzmq's AUTH event");

    // ferromq the server, its handler allowing one libzmq client key.
    let ctx = Context::new();
    let allowed = ck.public().to_vec();
    let zap = ferro_zap(
        &ctx,
        Arc::new(move |r: &ZapRequest| {
            if r.credentials == [allowed.clone()] {
                answer(r, "200", "libzmq-friend")
            } else {
                answer(r, "400", "")
            }
        }),
    );
    let pull = ferro(&ctx, T::Pull);
    let events = pull.monitor();
    pull.set_curve_server(&sk).unwrap();
    let ep = ferro_bind(&pull);
    let client_args = |secret: Option<String>| {
        let mut a: Vec<String> = vec![
            "--type".into(),
            "PUSH".into(),
            "--connect".into(),
            ep.clone(),
            "--curve-serverkey".into(),
            sk.public_z85(),
        ];
        if let Some(secret) = secret {
            a.extend(["--curve-secret".into(), secret]);
        }
        a
    };
    let friend = LibzmqPeer::start(&python, &client_args(Some(ck.secret_z85().to_string())));
    friend.send(&[b"hello ferromq".to_vec()]);
    let m = pull.recv().unwrap();
    assert_eq!(m.frames(), ["hello ferromq"]);
    assert_eq!(m.property("User-Id"), Some(&b"libzmq-friend"[..]));
    assert_eq!(zap.requests()[0].credentials, [ck.public().to_vec()]);
    let stranger = LibzmqPeer::start(&python, &client_args(None));
    assert_eq!(wait_for(&events, K::HandshakeFailedAuth).value, 400);
    assert_eq!(stranger.wait_event(0x4000), 400, "libzmq reads our ERROR");
}

#[test]
fn a_wrong_server_key_is_refused_by_either_side_as_libzmq_reports_it() {
    let Some(python) = python() else { return };
    let sk = ferromq::curve_keypair().unwrap();
    let wrong = ferromq::curve_keypair().unwrap();
    // libzmq server, ferromq client with the wrong key.
    let ctx = Context::new();
    let server = libzmq_curve_pull(&python, &sk, &[]);
    let client = ferro(&ctx, T::Push);
    client.set_curve_client(wrong.public(), None).unwrap();
    client.connect(&server.endpoint).unwrap();
    assert_eq!(server.wait_event(0x2000), 0x1100_0001, "CRYPTOGRAPHIC");
    // ferromq server, libzmq client with the wrong key.
    let pull = ferro(&ctx, T::Pull);
    let events = pull.monitor();
    pull.set_curve_server(&sk).unwrap();
    let ep = ferro_bind(&pull);
    let _client = LibzmqPeer::start(
        &python,
        &[
            "--type".into(),
            "PUSH".into(),
            "--connect".into(),
            ep,
            "--curve-serverkey".into(),
            wrong.public_z85(),
        ],
    );
    assert_eq!(
        wait_for(&events, K::HandshakeFailedProtocol).value,
        0x1100_0001
    );
}

/// A libzmq PULL bound on tcp as a CURVE server with `server`'s secret, and `extra` flags.
fn libzmq_curve_pull(python: &str, server: &ferromq::CurveKeyPair, extra: &[String]) -> LibzmqPeer {
    let mut args: Vec<String> = vec![
        "--type".into(),
        "PULL".into(),
        "--bind".into(),
        "tcp://127.0.0.1:*".into(),
        "--curve-server".into(),
        server.secret_z85().to_string(),
    ];
    args.extend_from_slice(extra);
    LibzmqPeer::start(python, &args)
}
