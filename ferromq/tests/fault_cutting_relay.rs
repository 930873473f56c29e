//! Traffic through a TCP relay that cuts every connection every 200 ms: reconnects happen, and
//! with retries every request is answered.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Error, EventKind, Monitor, Socket, SocketType as T};

/// A relay from a local port to `target` that cuts all its connections every `period`.
struct Relay {
    endpoint: String,
    stop: Arc<AtomicBool>,
}

impl Relay {
    fn start(target: &str, period: Duration) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("tcp://").to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        {
            let live = live.clone();
            std::thread::spawn(move || {
                for client in listener.incoming().flatten() {
                    let Ok(server) = TcpStream::connect(&target) else {
                        continue;
                    };
                    let mut l = live.lock().unwrap();
                    l.push(client.try_clone().unwrap());
                    l.push(server.try_clone().unwrap());
                    drop(l);
                    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                    pipe(server, client);
                }
            });
        }
        {
            let (live, stop) = (live.clone(), stop.clone());
            // The fault injector: its sleep is the fault's period, not a wait for an outcome.
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(period);
                    for s in live.lock().unwrap().drain(..) {
                        let _ = s.shutdown(Shutdown::Both);
                    }
                }
            });
        }
        Relay { endpoint, stop }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Copies bytes one way until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// Echoes every message back until `stop` is set (a quiet spell is not the end).
fn echo_until(server: Socket, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        server.set_rcvtimeo(100).unwrap();
        while !stop.load(Ordering::Relaxed) {
            match server.recv() {
                Ok(m) => {
                    let _ = server.send(m);
                }
                Err(Error::TimedOut) => {}
                Err(e) => panic!("echo server: {e}"),
            }
        }
    })
}

fn count(monitor: &Monitor, kind: EventKind) -> usize {
    std::iter::from_fn(|| monitor.try_recv().ok())
        .filter(|e| e.kind == kind)
        .count()
}

/// Sends `request` and waits for its reply, resending after each 200 ms without one.
fn ask(client: &Socket, request: &str, envelope: bool) -> usize {
    for attempt in 1..=100 {
        if envelope {
            client.send(["", request]).unwrap();
        } else {
            client.send(request).unwrap();
        }
        loop {
            match client.recv() {
                Ok(m) => {
                    let body = m.last().unwrap();
                    if body == request.as_bytes() {
                        return attempt;
                    }
                    // A DEALER may get a late reply to an earlier attempt: skip it.
                    assert!(envelope, "REQ with req_correlate returned a stale reply");
                }
                Err(Error::TimedOut) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    panic!("{request} was never answered");
}

#[test]
fn req_with_retries_through_a_cutting_relay() {
    let ctx = Context::new();
    let server = ferro(&ctx, T::Rep);
    let server_ep = ferro_bind(&server);
    let stop = Arc::new(AtomicBool::new(false));
    let echo = echo_until(server, stop.clone());
    let relay = Relay::start(&server_ep, Duration::from_millis(200));
    let client = ferro(&ctx, T::Req);
    client.set_req_relaxed(true).unwrap();
    client.set_req_correlate(true).unwrap();
    client.set_reconnect_ivl(20).unwrap();
    client.set_rcvtimeo(200).unwrap();
    let monitor = client.monitor();
    client.connect(&relay.endpoint).unwrap();
    let start = Instant::now();
    let mut answered = 0;
    let mut retries = 0;
    while start.elapsed() < Duration::from_secs(3) {
        retries += ask(&client, &format!("request {answered}"), false) - 1;
        answered += 1;
    }
    let reconnects = count(&monitor, EventKind::Connected);
    assert!(
        reconnects >= 10,
        "only {reconnects} connections in 3 s of cuts"
    );
    eprintln!("{answered} requests answered, {retries} resent, {reconnects} connections");
    stop.store(true, Ordering::Relaxed);
    echo.join().unwrap();
}

#[test]
fn dealer_router_resumes_after_every_cut() {
    let ctx = Context::new();
    let router = ferro(&ctx, T::Router);
    let router_ep = ferro_bind(&router);
    let stop = Arc::new(AtomicBool::new(false));
    let echo = echo_until(router, stop.clone());
    let relay = Relay::start(&router_ep, Duration::from_millis(200));
    let dealer = ferro(&ctx, T::Dealer);
    dealer.set_reconnect_ivl(20).unwrap();
    dealer.set_rcvtimeo(200).unwrap();
    let monitor = dealer.monitor();
    dealer.connect(&relay.endpoint).unwrap();
    // After each cut (a DISCONNECTED event), traffic gets through again.
    for cut in 0..10 {
        loop {
            let e = monitor.recv_timeout(Duration::from_secs(10)).unwrap();
            if e.kind == EventKind::Disconnected {
                break;
            }
        }
        ask(&dealer, &format!("after cut {cut}"), true);
    }
    stop.store(true, Ordering::Relaxed);
    echo.join().unwrap();
}
