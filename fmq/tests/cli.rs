//! `fmq` as a user runs it: the binary spawned, standard input piped, standard output read,
//! against libzmq peers (the `zmq` crate) for every socket type.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Every wait here is bounded by this.
const LIMIT: Duration = Duration::from_secs(20);

fn fmq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fmq"))
}

/// A fresh ipc endpoint.
fn ipc() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ipc://{}/fmq-test-{}-{}.sock",
        std::env::temp_dir().display(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn zsocket(ctx: &zmq::Context, t: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(t).unwrap();
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(LIMIT.as_millis() as i32).unwrap();
    s.set_sndtimeo(LIMIT.as_millis() as i32).unwrap();
    s
}

/// Starts fmq with piped standard streams.
fn start(args: &[&str]) -> Child {
    fmq()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads a pipe to its end in a thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// At most the first 300 characters of some output, for a failure message.
fn head(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(300).collect()
}

/// Waits for the child to exit (killing it after `LIMIT`) and collects its output, reading
/// it meanwhile so that a full pipe never stalls the child.
fn finish(mut child: Child) -> Output {
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (out.join().unwrap(), err.join().unwrap());
            panic!(
                "fmq did not exit within {LIMIT:?}: {}\n{}",
                head(&out),
                head(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs fmq with `input` on standard input (then closed).
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = start(args);
    child.stdin.take().unwrap().write_all(input).unwrap();
    finish(child)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        head(&out.stdout),
        head(&out.stderr)
    );
}

/// Reads one line of a child's standard output.
fn read_line(reader: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line.trim_end_matches('\n').to_owned()
}

/// A libzmq peer answering each request with `f(request)` in a thread, `n` times.
fn serve(
    sock: zmq::Socket,
    n: usize,
    f: impl Fn(Vec<Vec<u8>>) -> Vec<Vec<u8>> + Send + 'static,
) -> std::thread::JoinHandle<zmq::Socket> {
    std::thread::spawn(move || {
        for _ in 0..n {
            let msg = sock.recv_multipart(0).unwrap();
            sock.send_multipart(f(msg), 0).unwrap();
        }
        sock
    })
}

#[test]
fn req_sends_each_line_and_prints_each_reply() {
    let ctx = zmq::Context::new();
    let rep = zsocket(&ctx, zmq::REP);
    let ep = ipc();
    rep.bind(&ep).unwrap();
    let server = serve(rep, 2, |mut m| {
        m.push(b"ok".to_vec());
        m
    });
    let out = run(&["req", "--connect", &ep], b"hello\n\tpart1\tpart2\n");
    assert_ok(&out);
    assert_eq!(stdout(&out), "hello\tok\n\tpart1\tpart2\tok\n");
    server.join().unwrap();
}

#[test]
fn rep_answers_with_input_lines_or_echoes() {
    let ctx = zmq::Context::new();
    let ep = ipc();
    let child = start(&["rep", "--bind", &ep]);
    let mut child = child;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"answer 1\nanswer 2\n")
        .unwrap();
    let req = zsocket(&ctx, zmq::REQ);
    req.connect(&ep).unwrap();
    for (q, a) in [("q1", "answer 1"), ("q2", "answer 2")] {
        req.send(q, 0).unwrap();
        assert_eq!(req.recv_string(0).unwrap().unwrap(), a);
    }
    // A third request finds no answer left: fmq prints it and exits.
    req.send("q3", 0).unwrap();
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "q1\nq2\nq3\n");

    let ep = ipc();
    let child = start(&["rep", "--echo", "-n", "2", "--bind", &ep]);
    let req = zsocket(&ctx, zmq::REQ);
    req.connect(&ep).unwrap();
    for q in ["one", "two"] {
        req.send_multipart([q, "x"], 0).unwrap();
        assert_eq!(req.recv_multipart(0).unwrap(), [q.as_bytes(), b"x"]);
    }
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "one\tx\ntwo\tx\n");
}

#[test]
fn a_4mib_message_through_req_rep() {
    let ctx = zmq::Context::new();
    let rep = zsocket(&ctx, zmq::REP);
    let ep = ipc();
    rep.bind(&ep).unwrap();
    let server = serve(rep, 1, |m| m);
    let big = "x".repeat(4 << 20);
    let out = run(&["req", "--connect", &ep], format!("{big}\n").as_bytes());
    assert_ok(&out);
    assert_eq!(out.stdout.len(), (4 << 20) + 1);
    assert!(out.stdout[..4 << 20] == *big.as_bytes());
    server.join().unwrap();

    // And binary: a REQ sends 4 MiB of bytes to fmq rep --echo, which prints them as hex.
    let ep = ipc();
    let child = start(&["rep", "--echo", "-n", "1", "--bind", &ep]);
    let req = zsocket(&ctx, zmq::REQ);
    req.connect(&ep).unwrap();
    let payload: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
    req.send(&payload, 0).unwrap();
    assert_eq!(req.recv_bytes(0).unwrap(), payload);
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(out.stdout.len(), 2 + 2 * (4 << 20) + 1);
}

#[test]
fn dealer_and_router_with_identities_typed_back() {
    let ctx = zmq::Context::new();
    // fmq dealer ↔ libzmq ROUTER.
    let router = zsocket(&ctx, zmq::ROUTER);
    let ep = ipc();
    router.bind(&ep).unwrap();
    let server = serve(router, 1, |m| vec![m[0].clone(), b"world".to_vec()]);
    let out = run(
        &["dealer", "--connect", &ep, "-n", "1", "--identity", "d1"],
        b"hello\n",
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), "world\n");
    server.join().unwrap();

    // libzmq REQ (identity alice) → fmq router; the printed line is typed back as the reply.
    let ep = ipc();
    let mut child = start(&["router", "--bind", &ep]);
    let req = zsocket(&ctx, zmq::REQ);
    req.set_identity(b"alice").unwrap();
    req.connect(&ep).unwrap();
    req.send("hello", 0).unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(read_line(&mut lines), "alice\t\thello");
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"alice\t\tworld\n").unwrap();
    drop(input); // end of input: fmq exits once the reply has left
    assert_eq!(req.recv_string(0).unwrap().unwrap(), "world");
    assert_ok(&finish(child));

    // A generated identity prints as 0x00 + 8 hex digits, and works when typed back.
    let ep = ipc();
    let mut child = start(&["router", "--bind", &ep]);
    let req = zsocket(&ctx, zmq::REQ);
    req.connect(&ep).unwrap();
    req.send("anonymous", 0).unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let line = read_line(&mut lines);
    let id = line.split('\t').next().unwrap().to_owned();
    assert!(id.starts_with("0x00") && id.len() == 12, "{line}");
    assert!(line.ends_with("\t\tanonymous"), "{line}");
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(format!("{id}\t\tback\n").as_bytes())
        .unwrap();
    drop(input);
    assert_eq!(req.recv_string(0).unwrap().unwrap(), "back");
    assert_ok(&finish(child));

    // ROUTER --echo sends every message back to its sender.
    let ep = ipc();
    let child = start(&["router", "--echo", "-n", "2", "--bind", &ep]);
    let dealer = zsocket(&ctx, zmq::DEALER);
    dealer.connect(&ep).unwrap();
    for m in ["a", "b"] {
        dealer.send_multipart(["", m], 0).unwrap();
        assert_eq!(dealer.recv_multipart(0).unwrap(), [&b""[..], m.as_bytes()]);
    }
    assert_ok(&finish(child));
}

#[test]
fn push_pull_and_pair() {
    let ctx = zmq::Context::new();
    let pull = zsocket(&ctx, zmq::PULL);
    let ep = ipc();
    pull.bind(&ep).unwrap();
    let out = run(&["push", "--connect", &ep], b"one\ntwo\tframes\n");
    assert_ok(&out);
    assert_eq!(pull.recv_multipart(0).unwrap(), [b"one".to_vec()]);
    assert_eq!(pull.recv_multipart(0).unwrap(), [&b"two"[..], b"frames"]);

    let ep = ipc();
    let child = start(&["pull", "--bind", &ep, "-n", "2"]);
    let push = zsocket(&ctx, zmq::PUSH);
    push.connect(&ep).unwrap();
    push.send("x", 0).unwrap();
    push.send(&b"\x00\xff"[..], 0).unwrap();
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "x\n0x00ff\n");

    let pair = zsocket(&ctx, zmq::PAIR);
    let ep = ipc();
    pair.bind(&ep).unwrap();
    let server = serve(pair, 1, |_| vec![b"pong".to_vec()]);
    let out = run(&["pair", "--connect", &ep, "-n", "1"], b"ping\n");
    assert_ok(&out);
    assert_eq!(stdout(&out), "pong\n");
    server.join().unwrap();
}

#[test]
fn pub_sub_xpub_xsub() {
    let ctx = zmq::Context::new();
    // fmq sub filters by -s; it exits after -n messages.
    let publisher = zsocket(&ctx, zmq::PUB);
    let ep = ipc();
    publisher.bind(&ep).unwrap();
    let child = start(&["sub", "--connect", &ep, "-s", "a", "-n", "3"]);
    let deadline = Instant::now() + LIMIT;
    let mut child = child;
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        publisher.send("a: wanted", 0).unwrap();
        publisher.send("b: not wanted", 0).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "a: wanted\n".repeat(3));

    // fmq pub: lines go to a libzmq subscriber once it has subscribed (until then they are
    // dropped, as PUB does), so lines are written until one arrives.
    let ep = ipc();
    let mut child = start(&["pub", "--bind", &ep]);
    let sub = zsocket(&ctx, zmq::SUB);
    sub.set_subscribe(b"news").unwrap();
    sub.set_rcvtimeo(20).unwrap();
    sub.connect(&ep).unwrap();
    let mut input = child.stdin.take().unwrap();
    let deadline = Instant::now() + LIMIT;
    let got = loop {
        input.write_all(b"sport\nnews today\n").unwrap();
        input.flush().unwrap();
        if let Ok(m) = sub.recv_string(0) {
            break m.unwrap();
        }
        assert!(Instant::now() < deadline, "nothing published");
    };
    assert_eq!(got, "news today");
    drop(input);
    assert_ok(&finish(child));

    // fmq xpub prints subscriptions; fmq xsub subscribes with a typed subscription message.
    let ep = ipc();
    let child = start(&["xpub", "--bind", &ep, "-n", "1"]);
    let sub = zsocket(&ctx, zmq::SUB);
    sub.set_subscribe(b"topic").unwrap();
    sub.connect(&ep).unwrap();
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "\x01topic\n");

    let publisher = zsocket(&ctx, zmq::XPUB);
    let ep = ipc();
    publisher.bind(&ep).unwrap();
    let mut child = start(&["xsub", "--connect", &ep, "-n", "1"]);
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"0x0177\n").unwrap(); // subscribe to "w"
    input.flush().unwrap();
    assert_eq!(publisher.recv_bytes(0).unwrap(), b"\x01w");
    publisher.send("wanted", 0).unwrap();
    let out = finish(child);
    drop(input);
    assert_ok(&out);
    assert_eq!(stdout(&out), "wanted\n");
}

#[test]
fn a_proxy_joins_two_publishers_to_a_subscriber() {
    let ctx = zmq::Context::new();
    let (up, down) = (ipc(), ipc());
    let mut proxy = fmq()
        .args(["proxy", &format!("xsub:@{up}"), &format!("xpub:@{down}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let publishers: Vec<zmq::Socket> = (0..2)
        .map(|_| {
            let p = zsocket(&ctx, zmq::PUB);
            p.connect(&up).unwrap();
            p
        })
        .collect();
    let sub = zsocket(&ctx, zmq::SUB);
    sub.set_subscribe(b"").unwrap();
    sub.set_rcvtimeo(20).unwrap();
    sub.connect(&down).unwrap();
    let mut heard = std::collections::HashSet::new();
    let deadline = Instant::now() + LIMIT;
    while heard.len() < 2 {
        assert!(Instant::now() < deadline, "heard only {heard:?}");
        for (i, p) in publishers.iter().enumerate() {
            p.send(format!("from {i}").as_str(), 0).unwrap();
        }
        while let Ok(m) = sub.recv_string(0) {
            heard.insert(m.unwrap());
        }
    }
    let _ = proxy.kill();
    let _ = proxy.wait();
    let mut err = String::new();
    proxy
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty(), "{err}");
}

#[test]
fn errors_are_one_line_with_a_status() {
    // A wrong TYPE lists the valid ones (clap's usage error, status 2).
    let out = run(&["reqq", "--connect", "tcp://127.0.0.1:1"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("reqq") && err.contains("req, rep, dealer, router"),
        "{err}"
    );

    // An invalid endpoint names it and its fault.
    let out = run(&["pull", "--bind", "tcpp://127.0.0.1:5555"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("tcpp://127.0.0.1:5555") && err.contains("unknown transport"),
        "{err}"
    );

    // A bind to an address in use says so, port included.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = run(&["pull", "--bind", &format!("tcp://127.0.0.1:{port}")], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("address in use") && err.contains(&format!(":{port}")),
        "{err}"
    );

    // A bad proxy spec is a usage error.
    let out = run(&["proxy", "xsub:tcp://*:1", "xpub:@tcp://*:2"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must start with @ (bind) or > (connect)"));
}

#[test]
fn timeout_exits_3_and_wildcards_are_printed() {
    let out = run(
        &["pull", "--bind", "tcp://127.0.0.1:*", "--timeout", "100"],
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("timed out"), "{err}");
    let bound = err
        .lines()
        .find_map(|l| l.strip_prefix("fmq: bound "))
        .expect("the bound endpoint is printed");
    assert!(
        bound.starts_with("tcp://127.0.0.1:") && !bound.ends_with('*'),
        "{err}"
    );

    // The timeout restarts with each message.
    let ctx = zmq::Context::new();
    let ep = ipc();
    let child = start(&["pull", "--bind", &ep, "--timeout", "300"]);
    let push = zsocket(&ctx, zmq::PUSH);
    push.connect(&ep).unwrap();
    let start_at = Instant::now();
    for i in 0..4 {
        push.send(format!("{i}").as_str(), 0).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    let out = finish(child);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout(&out), "0\n1\n2\n3\n");
    assert!(start_at.elapsed() >= Duration::from_millis(600));
}

#[test]
fn bench_runs_both_sides_and_each_side_against_libzmq() {
    for transport in ["tcp", "ipc", "inproc"] {
        let out = run(
            &[
                "bench",
                "thr",
                "--count",
                "20000",
                "--size",
                "64",
                "--transport",
                transport,
            ],
            b"",
        );
        assert_ok(&out);
        let line = stdout(&out);
        assert!(
            line.starts_with("thr: 20000 messages of 64 B in "),
            "{line}"
        );
        assert!(line.contains(" msg/s, "), "{line}");
        let out = run(
            &["bench", "lat", "--count", "500", "--transport", transport],
            b"",
        );
        assert_ok(&out);
        assert!(stdout(&out).starts_with("lat: 500 round trips of 64 B: one-way latency mean "));
    }

    // The receiving side alone, fed by libzmq (as libzmq's remote_thr would).
    let ctx = zmq::Context::new();
    let ep = ipc();
    let child = start(&[
        "bench", "thr", "--role", "recv", "--bind", &ep, "--count", "1000", "--size", "32",
    ]);
    let push = zsocket(&ctx, zmq::PUSH);
    push.connect(&ep).unwrap();
    for _ in 0..1000 {
        push.send(&[7u8; 32][..], 0).unwrap();
    }
    let out = finish(child);
    assert_ok(&out);
    assert!(stdout(&out).starts_with("thr: 1000 messages of 32 B"));

    // The echoing side alone, measured by a libzmq REQ (as remote_lat would).
    let ep = ipc();
    let child = start(&[
        "bench", "lat", "--role", "recv", "--bind", &ep, "--count", "100",
    ]);
    let req = zsocket(&ctx, zmq::REQ);
    req.connect(&ep).unwrap();
    for _ in 0..100 {
        req.send(&[1u8; 64][..], 0).unwrap();
        assert_eq!(req.recv_bytes(0).unwrap().len(), 64);
    }
    assert_ok(&finish(child));
}

#[test]
fn garbage_from_one_peer_does_not_stop_the_others() {
    let ctx = zmq::Context::new();
    let ep = ipc();
    let child = start(&["pull", "--bind", &ep, "-n", "1"]);
    let path = ep.trim_start_matches("ipc://").to_owned();
    // A raw peer sends a bogus greeting; then a real one sends a message.
    let deadline = Instant::now() + LIMIT;
    let mut garbage = loop {
        match std::os::unix::net::UnixStream::connect(&path) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("fmq never listened: {e}"),
        }
    };
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let push = zsocket(&ctx, zmq::PUSH);
    push.connect(&ep).unwrap();
    push.send("still served", 0).unwrap();
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "still served\n");
}

/// The bytes a raw ZMTP 3.1 DEALER sends before its first message: a NULL greeting and a
/// READY command with its socket type.
fn raw_dealer_handshake() -> Vec<u8> {
    let mut bytes = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1];
    let mut mechanism = [0u8; 20];
    mechanism[..4].copy_from_slice(b"NULL");
    bytes.extend_from_slice(&mechanism);
    bytes.extend_from_slice(&[0u8; 32]); // as-server 0, then the filler
    let mut ready = vec![5];
    ready.extend_from_slice(b"READY");
    ready.push(11);
    ready.extend_from_slice(b"Socket-Type");
    ready.extend_from_slice(&6u32.to_be_bytes());
    ready.extend_from_slice(b"DEALER");
    bytes.extend_from_slice(&[0x04, ready.len() as u8]);
    bytes.extend_from_slice(&ready);
    bytes
}

/// Reads the child's standard error up to the line that names the port it bound.
fn bound_endpoint(reader: &mut BufReader<std::process::ChildStderr>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line.trim_end()
        .strip_prefix("fmq: bound ")
        .unwrap_or_else(|| panic!("expected the bound endpoint, got {line:?}"))
        .to_owned()
}

#[test]
fn router_echo_survives_a_peer_that_vanishes_before_its_reply() {
    let mut child = start(&["router", "--echo", "--bind", "tcp://127.0.0.1:*"]);
    let mut errors = BufReader::new(child.stderr.take().unwrap());
    let ep = bound_endpoint(&mut errors);
    let errors = drain(Some(errors));

    // A hostile DEALER: a valid message and, in the same write, a frame with reserved flag
    // bits set. fmq closes that connection after the message is delivered, so its echo
    // finds the peer gone.
    let mut hostile = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let mut bytes = raw_dealer_handshake();
    bytes.extend_from_slice(&[0x00, 0x05]);
    bytes.extend_from_slice(b"hello");
    bytes.extend_from_slice(&[0xf8, 0x00]);
    hostile.write_all(&bytes).unwrap();
    hostile
        .set_read_timeout(Some(LIMIT))
        .expect("a read timeout");
    let mut rest = Vec::new();
    let _ = hostile.read_to_end(&mut rest); // fmq closes the connection
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let line = read_line(&mut lines);
    assert!(line.ends_with("\thello"), "{line}");

    // A well-behaved client is still echoed, twice.
    let ctx = zmq::Context::new();
    let dealer = zsocket(&ctx, zmq::DEALER);
    dealer.connect(&ep).unwrap();
    for m in ["one", "two"] {
        dealer.send(m, 0).unwrap();
        assert_eq!(dealer.recv_string(0).unwrap().unwrap(), m);
        assert!(read_line(&mut lines).ends_with(&format!("\t{m}")));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "fmq exited: {}",
        head(&errors.join().unwrap())
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // A lost reply, when there was one, is reported once, not as a failure.
    let errors = String::from_utf8_lossy(&errors.join().unwrap()).into_owned();
    assert!(errors.lines().count() <= 1, "{errors}");
    assert!(!errors.contains("no peer with"), "{errors}");
}

#[test]
fn stream_echo_serves_a_plain_tcp_client_and_prints_its_comings_and_goings() {
    let mut child = start(&["stream", "--echo", "--bind", "tcp://127.0.0.1:*"]);
    let mut errors = BufReader::new(child.stderr.take().unwrap());
    let ep = bound_endpoint(&mut errors);
    let mut client = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    // The connection's notice: its routing id and an empty frame.
    let came = read_line(&mut lines);
    let (id, rest) = came.split_once('\t').expect("routing id, tab, bytes");
    assert!(id.starts_with("0x00"), "{came}");
    assert_eq!(rest, "");
    client.write_all(b"ping").unwrap();
    let mut echoed = [0; 4];
    client.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"ping");
    assert_eq!(read_line(&mut lines), format!("{id}\tping"));
    drop(client);
    assert_eq!(
        read_line(&mut lines),
        format!("{id}\t"),
        "the peer's leaving"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn keygen_prints_a_public_and_a_secret_key_libzmq_reads() {
    let first = run(&["keygen"], b"");
    assert_ok(&first);
    let text = stdout(&first);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    let (public, secret) = (lines[0], lines[1]);
    for key in [public, secret] {
        assert_eq!(key.len(), 40, "{key:?}");
        // libzmq's own decoder reads the text as a 32-byte key.
        assert_eq!(zmq::z85_decode(key).unwrap().len(), 32, "{key:?}");
    }
    assert_eq!(ferromq::curve_public(secret).unwrap(), public);
    let second = run(&["keygen"], b"");
    assert_ok(&second);
    assert_ne!(stdout(&second), text, "two runs gave the same pair");
}

/// The first event of `kind` on a ferromq monitor, skipping others.
fn wait_event(monitor: &ferromq::Monitor, kind: ferromq::EventKind) -> ferromq::MonitorEvent {
    loop {
        let e = monitor
            .recv_timeout(LIMIT)
            .expect("no monitor event in time");
        if e.kind == kind {
            return e;
        }
    }
}

#[test]
fn a_curve_server_admits_only_allowed_clients_and_keeps_serving() {
    let (server, friend) = (
        ferromq::curve_keypair().unwrap(),
        ferromq::curve_keypair().unwrap(),
    );
    let ep = ipc();
    let secret = format!("--curve-server={}", server.secret_z85().as_str());
    let allow = format!("--curve-allow={}", friend.public_z85());
    let child = start(&["rep", "--echo", "-n", "1", "--bind", &ep, &secret, &allow]);
    let ctx = ferromq::Context::new();
    // A client fmq does not know: refused with 400, as its own monitor hears.
    let stranger = ctx.socket(ferromq::SocketType::Req).unwrap();
    stranger.set_linger(0).unwrap();
    let events = stranger.monitor();
    stranger.set_curve_client(server.public(), None).unwrap();
    stranger.connect(&ep).unwrap();
    assert_eq!(
        wait_event(&events, ferromq::EventKind::HandshakeFailedAuth).value,
        400
    );
    // The allowed one is echoed.
    let req = ctx.socket(ferromq::SocketType::Req).unwrap();
    req.set_rcvtimeo(LIMIT.as_millis() as i32).unwrap();
    req.set_curve_client(server.public(), Some(&friend))
        .unwrap();
    req.connect(&ep).unwrap();
    req.send("over curve").unwrap();
    assert_eq!(req.recv().unwrap().frames(), ["over curve"]);
    assert_ok(&finish(child));
}

#[test]
fn a_curve_client_from_a_certificate_talks_to_libzmq_shaped_servers() {
    // fmq keygen --cert writes the pair as ZPL files; --curve-cert reads the secret one.
    let dir = std::env::temp_dir().join(format!("fmq-certs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("client.key");
    let out = run(&["keygen", "--cert", cert.to_str().unwrap()], b"");
    assert_ok(&out);
    let text = stdout(&out);
    let public = text.lines().next().unwrap();
    let read = ferromq::read_certificate(&cert).unwrap();
    assert_eq!(ferromq::z85_encode(&read.public).unwrap(), public);
    assert!(
        read.key_pair().is_none(),
        "the public certificate holds no secret"
    );
    let secret_cert = dir.join("client.key_secret");
    // The server admits the keys of the certificates in a folder, as pyzmq's would.
    let server_keys = ferromq::curve_keypair().unwrap();
    let ctx = ferromq::Context::new();
    let auth = ferromq::Authenticator::start(&ctx).unwrap();
    assert_eq!(auth.configure_curve_folder("*", &dir).unwrap(), 1);
    let pull = ctx.socket(ferromq::SocketType::Pull).unwrap();
    pull.set_rcvtimeo(LIMIT.as_millis() as i32).unwrap();
    pull.set_curve_server(&server_keys).unwrap();
    let ep = ipc();
    pull.bind(&ep).unwrap();
    let serverkey = format!("--curve-serverkey={}", server_keys.public_z85());
    let out = run(
        &[
            "push",
            "--connect",
            &ep,
            &serverkey,
            "--curve-cert",
            secret_cert.to_str().unwrap(),
        ],
        b"hello from a certificate\n",
    );
    assert_ok(&out);
    let m = pull.recv().unwrap();
    assert_eq!(m.frames(), ["hello from a certificate"]);
    assert_eq!(m.property("User-Id"), Some(public.as_bytes()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_server_and_client_flags_against_libzmq() {
    let ep = ipc();
    let child = start(&[
        "pull",
        "-n",
        "1",
        "--bind",
        &ep,
        "--plain-server",
        "admin:secret",
        "--plain-server",
        "guest:guest",
    ]);
    let ctx = zmq::Context::new();
    let wrong = zsocket(&ctx, zmq::PUSH);
    wrong.set_plain_username(Some("admin")).unwrap();
    wrong.set_plain_password(Some("guess")).unwrap();
    wrong.connect(&ep).unwrap();
    wrong.send("refused", 0).unwrap();
    let right = zsocket(&ctx, zmq::PUSH);
    right.set_plain_username(Some("guest")).unwrap();
    right.set_plain_password(Some("guest")).unwrap();
    right.connect(&ep).unwrap();
    right.send("admitted", 0).unwrap();
    let out = finish(child);
    assert_ok(&out);
    assert_eq!(stdout(&out), "admitted\n");

    // fmq the PLAIN client of a libzmq server.
    let server = zsocket(&ctx, zmq::PULL);
    let zap = zsocket(&ctx, zmq::REP);
    zap.bind("inproc://zeromq.zap.01").unwrap();
    server.set_plain_server(true).unwrap();
    let ep = ipc();
    server.bind(&ep).unwrap();
    let handler = serve(zap, 1, |req| {
        let ok = req[6] == b"admin" && req[7] == b"secret";
        let status: &[u8] = if ok { b"200" } else { b"400" };
        vec![
            req[0].clone(),
            req[1].clone(),
            status.to_vec(),
            vec![],
            vec![],
            vec![],
        ]
    });
    let out = run(
        &[
            "push",
            "--connect",
            &ep,
            "--plain-user",
            "admin",
            "--plain-password",
            "secret",
        ],
        b"logged in\n",
    );
    assert_ok(&out);
    assert_eq!(server.recv_bytes(0).unwrap(), b"logged in");
    handler.join().unwrap();
}

#[test]
fn security_flags_that_cannot_work_are_usage_errors_naming_the_flag() {
    let key = ferromq::curve_keypair().unwrap().public_z85();
    let cases: [(&[&str], &str); 7] = [
        (&["--curve-server", "tooshort"], "--curve-server"),
        (&["--curve-serverkey", &key[..39]], "--curve-serverkey"),
        (&["--curve-allow", &key], "--curve-allow"),
        (&["--curve-secret", &key], "--curve-secret"),
        (&["--plain-user", "a"], "--plain-password"),
        (&["--plain-server", "nocolon"], "--plain-server"),
        (
            &[
                "--plain-user",
                "a",
                "--plain-password",
                "b",
                "--curve-serverkey",
                &key,
            ],
            "contradict",
        ),
    ];
    for (flags, named) in cases {
        let mut args = vec!["push", "--connect", "tcp://127.0.0.1:1"];
        args.extend_from_slice(flags);
        let out = run(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{flags:?}: {}", stderr(&out));
    }
    // A proxy side's flags are checked as the side is read.
    let out = run(
        &[
            "proxy",
            "router:@tcp://127.0.0.1:*;curve-server=bad",
            "dealer:@tcp://127.0.0.1:*",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--curve-server"), "{}", stderr(&out));
}

#[test]
fn bench_measures_curve_both_sides_and_takes_the_flags_per_side() {
    for kind in ["thr", "lat"] {
        let out = run(&["bench", kind, "--curve", "--count", "2000"], b"");
        assert_ok(&out);
        assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    }
    // --role with a libzmq CURVE-less peer is not possible here: check the flags are taken
    // and checked.
    let out = run(&["bench", "thr", "--curve-server", "short"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--curve-server"), "{}", stderr(&out));
}
