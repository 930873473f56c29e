//! PUSH -> PULL throughput over tcp loopback, ferromq beside libzmq, as ratios.
//!
//! `cargo run --release --example thr_vs_libzmq [runs]`
//!
//! Each figure is measured with sender and receiver in two processes (this binary runs itself),
//! libzmq's perf-tool method: the receiver times from its first to its last message, and every
//! send builds a fresh message. Implementations are interleaved run by run so that drift on a
//! busy machine hits both alike; the median of `runs` (default 3) is reported. A stopgap until
//! the benchmark suite (`bench/`) lands.

use std::process::{Command, Stdio};
use std::time::Instant;

const SIZES: [(usize, usize); 5] = [
    (16, 2_000_000),
    (128, 2_000_000),
    (1024, 500_000),
    (8192, 100_000),
    (65536, 20_000),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 6 {
        return role(
            &args[1],
            &args[2],
            &args[3],
            parse(&args[4]),
            parse(&args[5]),
        );
    }
    let runs = args.get(1).map_or(3, |r| parse(r));
    println!("| size | libzmq msg/s | ferromq msg/s | ferromq / libzmq |");
    println!("| --: | --: | --: | --: |");
    for (size, count) in SIZES {
        let mut zmq = Vec::new();
        let mut ferro = Vec::new();
        for _ in 0..runs {
            zmq.push(pair("libzmq", size, count));
            ferro.push(pair("ferromq", size, count));
        }
        let (z, f) = (median(&mut zmq), median(&mut ferro));
        println!("| {size} B | {z:.0} | {f:.0} | {:.2} |", f / z);
    }
}

fn parse(s: &str) -> usize {
    s.parse().expect("a number")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs a receiver and a sender process; returns the receiver's messages per second.
fn pair(imp: &str, size: usize, count: usize) -> f64 {
    let exe = std::env::current_exe().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ep = format!("tcp://127.0.0.1:{port}");
    let spawn = |r: &str| {
        Command::new(&exe)
            .args([imp, r, &ep, &size.to_string(), &count.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let recv = spawn("recv");
    let send = spawn("send");
    let out = recv.wait_with_output().unwrap();
    send.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// One side of a measurement. The receiver binds (the sender's connect retries until then).
fn role(imp: &str, role: &str, ep: &str, size: usize, count: usize) {
    let rate = |start: Instant| (count - 1) as f64 / start.elapsed().as_secs_f64();
    match (imp, role) {
        ("ferromq", "recv") => {
            let ctx = ferromq::Context::new();
            let s = ctx.socket(ferromq::SocketType::Pull).unwrap();
            s.bind(ep).unwrap();
            s.recv().unwrap();
            let start = Instant::now();
            for _ in 1..count {
                s.recv().unwrap();
            }
            println!("{}", rate(start));
        }
        ("ferromq", "send") => {
            let ctx = ferromq::Context::new();
            let s = ctx.socket(ferromq::SocketType::Push).unwrap();
            s.connect(ep).unwrap();
            for _ in 0..count {
                s.send(vec![0u8; size]).unwrap();
            }
        }
        ("libzmq", "recv") => {
            let ctx = zmq::Context::new();
            let s = ctx.socket(zmq::PULL).unwrap();
            s.bind(ep).unwrap();
            let mut m = zmq::Message::new();
            s.recv(&mut m, 0).unwrap();
            let start = Instant::now();
            for _ in 1..count {
                s.recv(&mut m, 0).unwrap();
            }
            println!("{}", rate(start));
        }
        ("libzmq", "send") => {
            let ctx = zmq::Context::new();
            let s = ctx.socket(zmq::PUSH).unwrap();
            s.connect(ep).unwrap();
            for _ in 0..count {
                s.send(vec![0u8; size], 0).unwrap();
            }
        }
        other => panic!("unknown role {other:?}"),
    }
}
