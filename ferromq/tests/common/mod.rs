//! Shared by the integration tests: one `Peer` trait over ferromq and libzmq sockets, so every
//! scenario runs against libzmq (both bind directions) and against ferromq itself.
#![allow(dead_code)]

pub mod zap;

use ferromq::{Context, EventKind, Monitor, MonitorEvent, Socket, SocketType};

/// Whether the process's resident memory is its own to measure: not under
/// AddressSanitizer, whose allocator keeps freed memory in quarantine (the sanitizer command
/// of `docs/fuzzing.md` sets `FERROMQ_SANITIZER`). Says so when it is not.
pub fn resident_memory_is_measurable() -> bool {
    let sanitized = std::env::var_os("FERROMQ_SANITIZER").is_some();
    if sanitized {
        eprintln!("not checking resident memory: a sanitizer's allocator holds freed memory");
    }
    !sanitized
}

/// Every wait in the tests is bounded by this.
pub const TIMEOUT_MS: i32 = 10_000;

pub trait Peer {
    fn send(&self, frames: &[Vec<u8>]);
    fn recv(&self) -> Vec<Vec<u8>>;
    /// Receives with a short timeout: `None` if nothing came.
    fn recv_within(&self, ms: i32) -> Option<Vec<Vec<u8>>>;
    fn name(&self) -> &'static str;
}

impl Peer for Socket {
    fn send(&self, frames: &[Vec<u8>]) {
        Socket::send(self, frames.to_vec()).expect("ferromq send");
    }
    fn recv(&self) -> Vec<Vec<u8>> {
        let msg = Socket::recv(self).expect("ferromq recv");
        msg.iter().map(|f| f.to_vec()).collect()
    }
    fn recv_within(&self, ms: i32) -> Option<Vec<Vec<u8>>> {
        self.set_rcvtimeo(ms).unwrap();
        let got = Socket::recv(self);
        self.set_rcvtimeo(TIMEOUT_MS).unwrap();
        match got {
            Ok(m) => Some(m.iter().map(|f| f.to_vec()).collect()),
            Err(ferromq::Error::TimedOut) => None,
            Err(e) => panic!("ferromq recv: {e}"),
        }
    }
    fn name(&self) -> &'static str {
        "ferromq"
    }
}

impl Peer for zmq::Socket {
    fn send(&self, frames: &[Vec<u8>]) {
        self.send_multipart(frames, 0).expect("libzmq send");
    }
    fn recv(&self) -> Vec<Vec<u8>> {
        self.recv_multipart(0).expect("libzmq recv")
    }
    fn recv_within(&self, ms: i32) -> Option<Vec<Vec<u8>>> {
        self.set_rcvtimeo(ms).unwrap();
        let got = self.recv_multipart(0);
        self.set_rcvtimeo(TIMEOUT_MS).unwrap();
        match got {
            Ok(m) => Some(m),
            Err(zmq::Error::EAGAIN) => None,
            Err(e) => panic!("libzmq recv: {e}"),
        }
    }
    fn name(&self) -> &'static str {
        "libzmq"
    }
}

/// A ferromq socket with bounded waits and no lingering.
pub fn ferro(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s
}

/// A libzmq socket with bounded waits and no lingering.
pub fn libzmq(ctx: &zmq::Context, t: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(t).unwrap();
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s
}

pub fn zmq_type(t: SocketType) -> zmq::SocketType {
    match t {
        SocketType::Pair => zmq::PAIR,
        SocketType::Pub => zmq::PUB,
        SocketType::Sub => zmq::SUB,
        SocketType::Req => zmq::REQ,
        SocketType::Rep => zmq::REP,
        SocketType::Dealer => zmq::DEALER,
        SocketType::Router => zmq::ROUTER,
        SocketType::Pull => zmq::PULL,
        SocketType::Push => zmq::PUSH,
        SocketType::Xpub => zmq::XPUB,
        SocketType::Xsub => zmq::XSUB,
        SocketType::Stream => zmq::STREAM,
        _ => unreachable!(),
    }
}

/// Who binds in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    /// ferromq binds, libzmq connects.
    Ferro,
    /// libzmq binds, ferromq connects.
    Libzmq,
}

/// The transport a test runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
    /// ferromq only: sockets of one context.
    Inproc,
}

/// Every transport ferromq sockets can join over.
pub const TRANSPORTS: [Transport; 3] = [Transport::Tcp, Transport::Ipc, Transport::Inproc];

/// A fresh endpoint to bind: a free loopback port, or a socket file no other test uses.
pub fn bind_endpoint(transport: Transport) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    match transport {
        Transport::Tcp => "tcp://127.0.0.1:*".into(),
        Transport::Inproc => {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("inproc://ferromq-test-{n}")
        }
        Transport::Ipc => {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir();
            format!(
                "ipc://{}/ferromq-{}-{n}.sock",
                dir.display(),
                std::process::id()
            )
        }
    }
}

/// Binds `a` on a free loopback port and returns the endpoint to connect to.
pub fn ferro_bind(a: &Socket) -> String {
    ferro_bind_over(a, Transport::Tcp)
}

pub fn ferro_bind_over(a: &Socket, transport: Transport) -> String {
    a.bind(&bind_endpoint(transport)).unwrap();
    a.last_endpoint().unwrap()
}

pub fn zmq_bind(a: &zmq::Socket) -> String {
    zmq_bind_over(a, Transport::Tcp)
}

pub fn zmq_bind_over(a: &zmq::Socket, transport: Transport) -> String {
    a.bind(&bind_endpoint(transport)).unwrap();
    a.get_last_endpoint().unwrap().unwrap()
}

/// A ferromq socket of type `ours` and a libzmq socket of type `theirs`, joined over tcp with
/// the given side binding. `setup` runs on each before they are joined.
pub fn joined(
    ctx: &Context,
    zctx: &zmq::Context,
    ours: SocketType,
    theirs: SocketType,
    binder: Binder,
    setup_ours: impl FnOnce(&Socket),
    setup_theirs: impl FnOnce(&zmq::Socket),
) -> (Socket, zmq::Socket) {
    joined_over(
        Transport::Tcp,
        ctx,
        zctx,
        ours,
        theirs,
        binder,
        setup_ours,
        setup_theirs,
    )
}

/// `joined` over a chosen transport.
#[allow(clippy::too_many_arguments)]
pub fn joined_over(
    transport: Transport,
    ctx: &Context,
    zctx: &zmq::Context,
    ours: SocketType,
    theirs: SocketType,
    binder: Binder,
    setup_ours: impl FnOnce(&Socket),
    setup_theirs: impl FnOnce(&zmq::Socket),
) -> (Socket, zmq::Socket) {
    let f = ferro(ctx, ours);
    let z = libzmq(zctx, zmq_type(theirs));
    setup_ours(&f);
    setup_theirs(&z);
    match binder {
        Binder::Ferro => {
            let ep = ferro_bind_over(&f, transport);
            z.connect(&ep).unwrap();
        }
        Binder::Libzmq => {
            let ep = zmq_bind_over(&z, transport);
            f.connect(&ep).unwrap();
        }
    }
    (f, z)
}

/// Two ferromq sockets joined over tcp, `a` binding.
pub fn ferro_pair(ctx: &Context, a: SocketType, b: SocketType) -> (Socket, Socket) {
    ferro_pair_over(Transport::Tcp, ctx, a, b)
}

/// Two ferromq sockets joined over `transport`, `a` binding.
pub fn ferro_pair_over(
    transport: Transport,
    ctx: &Context,
    a: SocketType,
    b: SocketType,
) -> (Socket, Socket) {
    let sa = ferro(ctx, a);
    let sb = ferro(ctx, b);
    let ep = ferro_bind_over(&sa, transport);
    sb.connect(&ep).unwrap();
    (sa, sb)
}

/// The messages every pattern is tested with: frames of 0, 1, 255, 256 bytes and 1 MiB, and
/// multipart messages of 1 to 100 frames.
pub fn messages() -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for size in [0usize, 1, 255, 256, 1 << 20] {
        out.push(vec![pattern(size, size as u8)]);
    }
    for parts in [2usize, 3, 10, 100] {
        out.push((0..parts).map(|i| pattern(i * 37 % 300, i as u8)).collect());
    }
    out
}

/// Deterministic, position-dependent bytes so that a misplaced byte is caught.
pub fn pattern(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A reply derived from a request, so that echoing the request back would fail the test.
pub fn reply_to(msg: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut r: Vec<Vec<u8>> = msg.iter().rev().cloned().collect();
    r.push(b"reply".to_vec());
    r
}

// ----- scenarios: each runs the whole message list through one pattern pairing -----

pub fn req_rep(req: &dyn Peer, rep: &dyn Peer) {
    for m in messages() {
        req.send(&m);
        assert_eq!(rep.recv(), m, "{} REP got the request", rep.name());
        let r = reply_to(&m);
        rep.send(&r);
        assert_eq!(req.recv(), r, "{} REQ got the reply", req.name());
    }
}

/// DEALER talking to ROUTER; `identity` is the DEALER's routing id when one was set.
pub fn dealer_router(dealer: &dyn Peer, router: &dyn Peer, identity: Option<&[u8]>) {
    let mut seen_id = None;
    for m in messages() {
        dealer.send(&m);
        let mut got = router.recv();
        let id = got.remove(0);
        if let Some(expected) = identity {
            assert_eq!(id, expected, "ROUTER saw the DEALER's routing id");
        } else {
            assert_eq!(id.len(), 5, "generated routing ids are 5 bytes");
            assert_eq!(id[0], 0, "generated routing ids start with a zero byte");
        }
        if let Some(prev) = &seen_id {
            assert_eq!(&id, prev, "one peer keeps one routing id");
        }
        seen_id = Some(id.clone());
        assert_eq!(got, m, "{} ROUTER got the body", router.name());
        let r = reply_to(&m);
        let mut out = vec![id];
        out.extend(r.iter().cloned());
        router.send(&out);
        assert_eq!(dealer.recv(), r, "{} DEALER got the reply", dealer.name());
    }
}

/// REQ talking to a ROUTER: the ROUTER sees the envelope [id, "", body...].
pub fn req_router(req: &dyn Peer, router: &dyn Peer) {
    for m in messages() {
        req.send(&m);
        let mut got = router.recv();
        let id = got.remove(0);
        assert_eq!(got.remove(0), b"", "REQ's empty delimiter");
        assert_eq!(got, m);
        let mut out = vec![id, Vec::new()];
        out.extend(reply_to(&m));
        router.send(&out);
        assert_eq!(req.recv(), reply_to(&m));
    }
}

/// DEALER talking to REP: the DEALER supplies the delimiter itself.
pub fn dealer_rep(dealer: &dyn Peer, rep: &dyn Peer) {
    for m in messages() {
        let mut out = vec![Vec::new()];
        out.extend(m.iter().cloned());
        dealer.send(&out);
        assert_eq!(rep.recv(), m);
        rep.send(&reply_to(&m));
        let mut got = dealer.recv();
        assert_eq!(got.remove(0), b"", "REP puts the envelope back");
        assert_eq!(got, reply_to(&m));
    }
}

pub fn push_pull(push: &dyn Peer, pull: &dyn Peer) {
    let all = messages();
    for m in &all {
        push.send(m);
    }
    for m in &all {
        assert_eq!(
            &pull.recv(),
            m,
            "{} PULL got messages in order",
            pull.name()
        );
    }
}

pub fn pair_pair(a: &dyn Peer, b: &dyn Peer) {
    for m in messages() {
        a.send(&m);
        assert_eq!(b.recv(), m);
        b.send(&reply_to(&m));
        assert_eq!(a.recv(), reply_to(&m));
    }
}

/// ROUTER to ROUTER: the connecting side learns the binder's routing id from the handshake,
/// and drops messages to it until then, so `first` repeats its hello (a bounded number of
/// times) until `second` has it.
pub fn router_router(first: &dyn Peer, first_id: &[u8], second: &dyn Peer, second_id: &[u8]) {
    let hello = vec![second_id.to_vec(), b"hello".to_vec()];
    let got = (0..100).find_map(|_| {
        first.send(&hello);
        second.recv_within(100)
    });
    assert_eq!(
        got.expect("ROUTER never routed to its peer"),
        vec![first_id.to_vec(), b"hello".to_vec()]
    );
    for m in messages() {
        let mut out = vec![first_id.to_vec()];
        out.extend(m.iter().cloned());
        second.send(&out);
        let mut got = first.recv();
        assert_eq!(got.remove(0), second_id);
        assert_eq!(got, m);
    }
}

/// Runs a future under any executor, panicking if it has not finished within `TIMEOUT_MS`
/// (a timer thread, so it needs no runtime).
pub async fn within_deadline<F: std::future::Future>(fut: F) -> F::Output {
    use futures::FutureExt;
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(TIMEOUT_MS as u64));
        let _ = tx.send(());
    });
    futures::select! {
        out = fut.fuse() => out,
        _ = rx.fuse() => panic!("not done within {TIMEOUT_MS} ms"),
    }
}

/// PUB to SUB, the subscriber subscribed to "a" and "b". Subscriptions reach the publisher a
/// moment after the connection (the "slow joiner"), so the publisher first repeats a probe on
/// a subscribed topic (a bounded number of times) until one arrives. Then every message on
/// "a" and "b" must arrive in order, multi-frame ones whole, and none on "c".
pub fn pub_sub(publisher: &dyn Peer, subscriber: &dyn Peer) {
    // Both subscriptions must be in before counting: probe each topic until its own probe
    // arrives (they may reach the publisher in separate reads).
    for probe in [b"a-probe".to_vec(), b"b-probe".to_vec()] {
        let joined = (0..200).any(|_| {
            publisher.send(std::slice::from_ref(&probe));
            // Probes sent earlier may still be on their way: skip them.
            while let Some(m) = subscriber.recv_within(50) {
                if m[0] == probe {
                    return true;
                }
            }
            false
        });
        assert!(joined, "a subscription never reached the publisher");
    }
    let mut expected = Vec::new();
    // The whole message matrix (0 B to 1 MiB frames, 1 to 100 frames) behind a topic frame.
    for m in messages() {
        let mut msg = vec![b"b-matrix".to_vec()];
        msg.extend(m);
        publisher.send(&msg);
        expected.push(msg);
    }
    for i in 0..30 {
        let topic = ["a", "b", "c"][i % 3];
        let msg = vec![format!("{topic}{i}").into_bytes(), pattern(i * 10, i as u8)];
        publisher.send(&msg);
        if topic != "c" {
            expected.push(msg);
        }
    }
    publisher.send(&[b"b-end".to_vec()]);
    let mut got = Vec::new();
    loop {
        let m = subscriber.recv();
        assert!(
            !m[0].starts_with(b"c"),
            "got a message on a topic never subscribed"
        );
        if m[0] == b"b-end" {
            break;
        }
        if !m[0].ends_with(b"-probe") {
            got.push(m);
        }
    }
    assert_eq!(got, expected);
}

/// Repeats `step` until it returns `true`; panics if that takes longer than `limit`. For
/// conditions reached by events the test cannot wait on directly (a subscription reaching a
/// publisher): each step must itself wait, boundedly, for what it checks.
pub fn until(limit: std::time::Duration, mut step: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !step() {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
    }
}

/// The built binary of example `name`, as `cargo test` leaves it beside the test binaries
/// (target/<profile>/examples/). Panics with what to do when it is missing or older than its
/// source (`cargo test --test X` alone does not build the examples).
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join(name))
        .unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let sources: Vec<std::path::PathBuf> = match std::fs::read_dir(examples.join(name)) {
        Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => vec![examples.join(format!("{name}.rs"))],
    };
    let newest = sources
        .iter()
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
        .expect("the example's source exists");
    let built = std::fs::metadata(&bin).and_then(|m| m.modified());
    assert!(
        built.as_ref().is_ok_and(|t| *t >= newest),
        "{} is missing or older than its source: run `cargo test --workspace`, which builds \
         the examples",
        bin.display()
    );
    bin
}

/// Runs example `name` with `args`; returns its standard output after checking that it
/// exited successfully and ended with a `summary:` line.
pub fn run_example(name: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(example(name))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("");
    assert!(last.starts_with("summary: "), "{name} ended with {last:?}");
    stdout
}

/// Receives events until one of `kind` (others are skipped), within the test timeout.
pub fn wait_for(monitor: &Monitor, kind: EventKind) -> MonitorEvent {
    loop {
        let e = monitor
            .recv_timeout(std::time::Duration::from_millis(TIMEOUT_MS as u64))
            .unwrap_or_else(|err| panic!("no {kind:?} event: {err}"));
        if e.kind == kind {
            return e;
        }
    }
}
