//! ZAP handlers for the security tests (RFC 27), in ferromq and in libzmq: a REP socket bound
//! at `inproc://zeromq.zap.01` in a context, answering each request by a policy and keeping
//! the requests it saw.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A ZAP request as the handler reads it (after REP took the envelope off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    pub version: Vec<u8>,
    pub request_id: Vec<u8>,
    pub domain: Vec<u8>,
    pub address: Vec<u8>,
    pub identity: Vec<u8>,
    pub mechanism: Vec<u8>,
    pub credentials: Vec<Vec<u8>>,
}

/// The reply's status code and user id for a request; the whole reply frames for tests
/// that break them.
pub type Policy = Arc<dyn Fn(&ZapRequest) -> Vec<Vec<u8>> + Send + Sync>;

/// A well-formed reply with this status and user id, answering `request`.
pub fn answer(request: &ZapRequest, status: &str, user_id: &str) -> Vec<Vec<u8>> {
    vec![
        b"1.0".to_vec(),
        request.request_id.clone(),
        status.as_bytes().to_vec(),
        b"status text".to_vec(),
        user_id.as_bytes().to_vec(),
        Vec::new(),
    ]
}

/// The usual policy: PLAIN admin/secret is "alice" (200), any other PLAIN login 400;
/// NULL peers get `null_status` with user id "anonymous".
pub fn admin_secret(null_status: &'static str) -> Policy {
    admin_secret_as("alice", null_status)
}

/// `admin_secret`, admitting admin as `user`. libzmq's own REQ, as a PLAIN server, drops the
/// connection at its first reply when ZAP names a user (the credential message it queues
/// first breaks its REQ state machine, libzmq against libzmq too): give it "".
pub fn admin_secret_as(user: &'static str, null_status: &'static str) -> Policy {
    Arc::new(move |r: &ZapRequest| match &r.mechanism[..] {
        b"PLAIN" if r.credentials == [b"admin".to_vec(), b"secret".to_vec()] => {
            answer(r, "200", user)
        }
        b"PLAIN" => answer(r, "400", ""),
        _ => answer(r, null_status, "anonymous"),
    })
}

fn parse(frames: Vec<Vec<u8>>) -> ZapRequest {
    let mut f = frames.into_iter();
    let mut next = || f.next().expect("a ZAP request has at least six frames");
    ZapRequest {
        version: next(),
        request_id: next(),
        domain: next(),
        address: next(),
        identity: next(),
        mechanism: next(),
        credentials: f.collect(),
    }
}

/// A running handler; stops (and unbinds) when dropped.
pub struct ZapHandler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Every request it answered, in order.
    pub requests: Arc<Mutex<Vec<ZapRequest>>>,
}

impl ZapHandler {
    pub fn requests(&self) -> Vec<ZapRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ZapHandler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// Serves requests with `recv` (which returns `None` after a short bounded wait, so that the
/// stop flag is seen) and `send`, until stopped.
fn serve(
    policy: Policy,
    recv: impl Fn() -> Option<Vec<Vec<u8>>> + Send + 'static,
    send: impl Fn(Vec<Vec<u8>>) + Send + 'static,
) -> ZapHandler {
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (stop2, seen) = (stop.clone(), requests.clone());
    let thread = std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            let Some(frames) = recv() else { continue };
            let request = parse(frames);
            let reply = policy(&request);
            seen.lock().unwrap().push(request);
            send(reply);
        }
    });
    ZapHandler {
        stop,
        thread: Some(thread),
        requests,
    }
}

/// A ferromq ZAP handler in `ctx`, bound before this returns.
pub fn ferro_zap(ctx: &ferromq::Context, policy: Policy) -> ZapHandler {
    let rep = ctx.socket(ferromq::SocketType::Rep).unwrap();
    rep.set_linger(0).unwrap();
    rep.set_rcvtimeo(50).unwrap();
    rep.bind(ferromq::zap::ENDPOINT).unwrap();
    let rep = Arc::new(rep);
    let tx = rep.clone();
    serve(
        policy,
        move || {
            rep.recv()
                .ok()
                .map(|m| m.iter().map(|f| f.to_vec()).collect())
        },
        move |reply| tx.send(reply).unwrap(),
    )
}

/// A libzmq ZAP handler in `zctx`, bound before this returns.
pub fn libzmq_zap(zctx: &zmq::Context, policy: Policy) -> ZapHandler {
    let rep = zctx.socket(zmq::REP).unwrap();
    rep.set_linger(0).unwrap();
    rep.set_rcvtimeo(50).unwrap();
    rep.bind("inproc://zeromq.zap.01").unwrap();
    // One thread uses the socket: libzmq sockets are not thread-safe.
    let rep = Arc::new(Mutex::new(rep));
    let tx = rep.clone();
    serve(
        policy,
        move || rep.lock().unwrap().recv_multipart(0).ok(),
        move |reply| tx.lock().unwrap().send_multipart(reply, 0).unwrap(),
    )
}
