//! ferromq's benchmark suite: ferromq beside libzmq (4.3.4, through the `zmq` crate), the
//! `zeromq` crate (zmq.rs, on a current-thread tokio runtime, wherever it supports the case) and
//! a raw socket, measured in one run on one machine, reported as ratios.
//!
//! ```sh
//! cargo run --release -p ferromq-bench -- all            # everything, medians of 5 runs
//! cargo run --release -p ferromq-bench -- all --quick    # a smoke run (CI), under a minute
//! cargo run --release -p ferromq-bench -- thr --runs 7   # one part
//! cargo run --release -p ferromq-bench -- capi           # the C API table (needs cc)
//! FERROMQ_BENCH_LIBZMQ=<libzmq with CURVE> cargo run --release -p ferromq-bench -- curve
//! ```
//!
//! The CURVE table runs ferromq's Rust sides with CURVE (and without, for the cost) beside
//! `bench/c/`'s programs with CURVE on the libzmq `FERROMQ_BENCH_LIBZMQ` names (the `zmq`
//! crate's build has no CURVE; pyzmq's wheel's libzmq 4.3.5 with libsodium has), each in a
//! process of its own; the keys are libzmq's own test keys, and no ZAP handler is bound.
//!
//! The C API table builds ferromq-capi's `libzmq.so` in the suite's profile (a nested
//! `cargo build`) and the C programs of `bench/c/` against it and against libzmq (the
//! zeromq-src build the `zmq` crate links, or the shared library `FERROMQ_BENCH_LIBZMQ`
//! names, such as pyzmq's wheel's libzmq 4.3.5), and checks with `ldd` which library each
//! program loads. Without a C compiler the table is skipped with a message.
//!
//! Method (libzmq's perf tools'): throughput is PUSH → PULL with sender and receiver in two
//! processes, the receiver timing from its first to its last message, every send copying one
//! buffer into a fresh message (`zmq_send` for libzmq); latency is a REQ/REP round trip / 2. Implementations are interleaved run by
//! run (A B C A B C ...) so that drift on a busy machine hits all alike, and each figure is the
//! median of the runs. The raw column is plain sockets writing length-prefixed messages through
//! 64 KiB buffers (a blocking ping-pong for latency): the ceiling each ratio is read against.
//!
//! Results go to standard output (markdown) and to `--out` (default `target/ferromq-bench`):
//! `results.md` and `results.json` (every raw figure).

mod capi;
mod sides;

use std::io::IsTerminal;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use sides::Imp;

#[derive(Parser, Debug)]
#[command(
    name = "ferromq-bench",
    about = "ferromq beside libzmq and a raw socket, as ratios"
)]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand, Debug)]
enum What {
    /// Every part below.
    All(Opts),
    /// Throughput, PUSH → PULL, tcp, ipc and inproc.
    Thr(Opts),
    /// Latency, REQ/REP round trip / 2.
    Lat(Opts),
    /// ferromq sending to libzmq and the reverse.
    Mixed(Opts),
    /// One PUB to 1, 10 and 100 SUBs.
    Fanout(Opts),
    /// A ROUTER serving 100 DEALERs.
    Router(Opts),
    /// Resident memory: 1,000 idle connections, and a sender held at its HWM.
    Memory(Opts),
    /// Instructions per message (callgrind), sending and receiving over tcp.
    Instructions(Opts),
    /// Through libzmq's C API: C programs on ferromq's libzmq.so and on libzmq, beside
    /// ferromq's Rust API.
    Capi(Opts),
    /// CURVE: ferromq's Rust API beside libzmq's C programs on a libzmq with CURVE
    /// (`FERROMQ_BENCH_LIBZMQ`, e.g. pyzmq's wheel's libzmq 4.3.5 with libsodium).
    Curve(Opts),
    /// One side of a measurement (run by the suite itself).
    #[command(hide = true)]
    Role { args: Vec<String> },
}

#[derive(clap::Args, Debug, Clone)]
struct Opts {
    /// A smoke run: one run of small counts (proves the suite works; figures are noise).
    #[arg(long)]
    quick: bool,
    /// Runs per figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Where results.md and results.json go.
    #[arg(long, default_value = "target/ferromq-bench")]
    out: std::path::PathBuf,
}

const SIZES: [usize; 5] = [16, 128, 1024, 8192, 65536];

/// The throughput of 8 KiB and 64 KiB messages timed from the sender's first send: a sender
/// that queues without bound (the `zeromq` crate's PUSH holds 100,000 messages) does its
/// producing before the first message arrives, outside the receiver's clock.
const LARGE_FROM_SEND: &str = "large messages, first send to last message (msg/s)";

/// How steady the large-message figures are.
const LARGE_SPREAD: &str = "large messages, largest run / smallest run (lower is better)";

/// Messages per throughput run at each size (a full run; --quick divides by 50). Small
/// messages need many: at 20 M msg/s, 2 M messages last 0.1 s, which the connection's start
/// (the handshake, the first reads) weighs on.
fn thr_count(size: usize) -> u64 {
    match size {
        0..=128 => 10_000_000,
        129..=1024 => 500_000,
        1025..=8192 => 100_000,
        _ => 20_000,
    }
}

fn main() {
    let cli = Cli::parse();
    let (opts, parts): (Opts, &[&str]) = match cli.what {
        What::Role { args } => return role(&args),
        What::All(o) => (
            o,
            &[
                "thr",
                "lat",
                "mixed",
                "fanout",
                "router",
                "memory",
                "instructions",
                "capi",
                "curve",
            ],
        ),
        What::Thr(o) => (o, &["thr"]),
        What::Lat(o) => (o, &["lat"]),
        What::Mixed(o) => (o, &["mixed"]),
        What::Fanout(o) => (o, &["fanout"]),
        What::Router(o) => (o, &["router"]),
        What::Memory(o) => (o, &["memory"]),
        What::Instructions(o) => (o, &["instructions"]),
        What::Capi(o) => (o, &["capi"]),
        What::Curve(o) => (o, &["curve"]),
    };
    let runs = if opts.quick { 1 } else { opts.runs.max(1) };
    let mut suite = Suite {
        quick: opts.quick,
        runs,
        samples: Vec::new(),
        notes: Vec::new(),
        progress: Progress::new(),
    };
    let started = Instant::now();
    for part in parts {
        match *part {
            "thr" => suite.throughput(),
            "lat" => suite.latency(),
            "mixed" => suite.mixed(),
            "fanout" => suite.fanout(),
            "router" => suite.router(),
            "memory" => suite.memory(),
            "instructions" => suite.instructions(),
            "capi" => suite.capi(&opts.out),
            "curve" => suite.curve(&opts.out),
            _ => unreachable!(),
        }
    }
    suite.progress.finish();
    let report = suite.report(started.elapsed());
    println!("{report}");
    if let Err(e) = std::fs::create_dir_all(&opts.out)
        .and_then(|()| std::fs::write(opts.out.join("results.md"), &report))
        .and_then(|()| std::fs::write(opts.out.join("results.json"), suite.json().to_string()))
    {
        eprintln!("could not write results to {}: {e}", opts.out.display());
        std::process::exit(1);
    }
    if parts.contains(&"thr") {
        if let Err(e) = chart(&suite.medians(), &opts.out.join("throughput.svg")) {
            eprintln!("could not draw the chart: {e}");
        }
    }
    eprintln!("results written to {}", opts.out.display());
}

// ----- child processes -----

/// Runs one side (`ferromq-bench role KIND IMP ...`) and prints its figures on stdout.
fn role(args: &[String]) {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| arg(i).parse::<u64>().expect("a number");
    let imp = Imp::parse(arg(1)).expect("an implementation");
    match arg(0) {
        "thr-recv" => {
            let got = sides::thr_recv(imp, arg(2), num(3));
            println!("{} {}", got.rate, got.end_to_end);
        }
        "thr-send" => sides::thr_send(imp, arg(2), num(3) as usize, num(4)),
        "thr-inproc" => println!("{}", sides::thr_inproc(imp, num(2) as usize, num(3))),
        "lat-echo" => sides::lat_echo(imp, arg(2), num(3)),
        "lat-client" => print_lat(&mut sides::lat_client(imp, arg(2), num(3) as usize, num(4))),
        "lat-inproc" => print_lat(&mut sides::lat_inproc(imp, num(2) as usize, num(3))),
        "fan-pub" => sides::fan_pub(imp, arg(2), num(3), num(4) as usize, num(5)),
        "fan-subs" => println!("{}", sides::fan_subs(imp, arg(2), num(3))),
        "router-server" => sides::router_server(imp, arg(2), num(3)),
        "router-clients" => println!(
            "{}",
            sides::router_clients(imp, arg(2), num(3), num(4), num(5) as usize)
        ),
        "mem-router" => println!("{}", sides::mem_router(imp, arg(2), num(3))),
        "mem-dealers" => sides::mem_dealers(imp, arg(2), num(3)),
        "mem-hwm" => {
            let (queued, kib) = sides::mem_hwm(imp, arg(2), num(3) as usize);
            println!("{queued} {kib}");
        }
        other => panic!("unknown role {other:?}"),
    }
}

/// Prints one-way latency mean and p99 in µs.
fn print_lat(rtts: &mut [Duration]) {
    if rtts.is_empty() {
        println!("NaN NaN");
        return;
    }
    rtts.sort_unstable();
    let mean = rtts.iter().sum::<Duration>().as_secs_f64() / rtts.len() as f64;
    let p99 = rtts[(rtts.len() * 99 / 100).min(rtts.len() - 1)].as_secs_f64();
    println!("{} {}", mean * 1e6 / 2.0, p99 * 1e6 / 2.0);
}

/// Whether the sides spawned now speak CURVE (the CURVE table; see `sides::curve`).
static CURVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn spawn(args: &[String]) -> Child {
    let exe = std::env::current_exe().expect("the suite's own path");
    let mut command = Command::new(exe);
    if CURVE.load(std::sync::atomic::Ordering::Relaxed) {
        command.env("FERROMQ_BENCH_CURVE", "1");
    }
    command
        .arg("role")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a side")
}

/// [`spawn`] with the open-file limit raised to its hard maximum (1,000 connections and, for
/// libzmq, a mailbox descriptor per socket exceed the usual soft limit of 1,024).
fn spawn_many_fds(args: &[String]) -> Child {
    let exe = std::env::current_exe().expect("the suite's own path");
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$0\" role \"$@\"")
        .arg(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a side")
}

/// One C side (`bench/c/`), with CURVE when `curve`; `None` if it did not start.
fn c_side(p: &capi::Programs, name: &str, args: &[String], curve: bool) -> Option<Child> {
    let mut command = p.command(name);
    if curve {
        command.env("FERROMQ_BENCH_CURVE", "1");
    }
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| eprintln!("{name}: {e}"))
        .ok()
}

/// A C throughput pair over tcp (`local_thr` measures): msg/s.
fn c_thr(p: &capi::Programs, size: usize, count: u64, curve: bool) -> Option<f64> {
    let ep = endpoint("tcp");
    let rx = c_side(p, "local_thr", &[ep.clone(), s(size), s(count)], curve);
    let tx = c_side(p, "remote_thr", &[ep, s(size), s(count)], curve);
    let rate = rx.and_then(|rx| collect(rx, LIMIT));
    if let Some(mut tx) = tx {
        if rate.is_none() {
            let _ = tx.kill();
        }
        collect(tx, Duration::from_secs(10));
    }
    numbers(rate.as_deref()).first().copied()
}

/// A C latency pair over tcp (`remote_lat` measures): the mean one-way latency in µs.
fn c_lat(p: &capi::Programs, size: usize, count: u64, curve: bool) -> Option<f64> {
    let ep = endpoint("tcp");
    let echo = c_side(p, "local_lat", &[ep.clone(), s(size), s(count)], curve);
    let client = c_side(p, "remote_lat", &[ep, s(size), s(count)], curve);
    let out = client.and_then(|c| collect(c, LIMIT));
    if let Some(mut echo) = echo {
        if out.is_none() {
            let _ = echo.kill();
        }
        collect(echo, Duration::from_secs(5));
    }
    numbers(out.as_deref()).first().copied()
}

/// Waits for a side (at most `limit`) and returns what it printed; `None` if it failed.
fn collect(mut child: Child, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                use std::io::Read;
                child.stdout.take()?.read_to_string(&mut out).ok()?;
                return status.success().then_some(out);
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// A fresh endpoint for a two-process measurement.
fn endpoint(transport: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    match transport {
        "tcp" => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            format!("tcp://127.0.0.1:{}", l.local_addr().expect("bound").port())
        }
        _ => format!(
            "ipc://{}/ferromq-bench-{}-{}.sock",
            std::env::temp_dir().display(),
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    }
}

/// The numbers a side printed, in order (none if it failed).
fn numbers(out: Option<&str>) -> Vec<f64> {
    out.unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect()
}

fn s<T: ToString>(v: T) -> String {
    v.to_string()
}

// ----- the suite -----

/// A table's name and rows; a row's name and columns; a column's name and figure(s).
type Table<V> = (&'static str, Vec<(String, Vec<(String, V)>)>);

/// One figure from one run.
struct Sample {
    table: &'static str,
    row: String,
    column: String,
    value: f64,
}

struct Suite {
    quick: bool,
    runs: usize,
    samples: Vec<Sample>,
    /// Lines for the end of the report (what a table measured against what).
    notes: Vec<String>,
    progress: Progress,
}

const LIMIT: Duration = Duration::from_secs(120);

impl Suite {
    fn scale(&self, n: u64) -> u64 {
        if self.quick {
            (n / 50).max(100)
        } else {
            n
        }
    }

    fn record(&mut self, table: &'static str, row: String, column: &str, value: Option<f64>) {
        self.samples.push(Sample {
            table,
            row,
            column: column.to_owned(),
            value: value.unwrap_or(f64::NAN),
        });
        self.progress.tick(table);
    }

    /// Receiver of `recv` and sender of `send` over `transport`; messages per second.
    fn thr_pair(
        &self,
        recv: Imp,
        send: Imp,
        transport: &str,
        size: usize,
        count: u64,
    ) -> Option<f64> {
        self.thr_pair_clocks(recv, send, transport, size, count)
            .map(|(rate, _)| rate)
    }

    /// [`Self::thr_pair`], and the rate from the sender's first send (see `sides::Received`).
    fn thr_pair_clocks(
        &self,
        recv: Imp,
        send: Imp,
        transport: &str,
        size: usize,
        count: u64,
    ) -> Option<(f64, f64)> {
        let ep = endpoint(transport);
        let rx = spawn(&[s("thr-recv"), s(recv.name()), ep.clone(), s(count)]);
        let tx = spawn(&[s("thr-send"), s(send.name()), ep, s(size), s(count)]);
        let rate = collect(rx, LIMIT);
        // The receiver has everything (or failed): the sender has nothing left to do.
        let mut tx = tx;
        if send == Imp::Zeromq || rate.is_none() {
            let _ = tx.kill();
        }
        collect(tx, Duration::from_secs(5));
        let rate = rate?;
        let mut figures = rate.split_whitespace().map(|f| f.parse::<f64>().ok());
        Some((figures.next()??, figures.next()?.unwrap_or(f64::NAN)))
    }

    fn throughput(&mut self) {
        for transport in ["tcp", "ipc", "inproc"] {
            let table = match transport {
                "tcp" => "throughput over tcp (msg/s)",
                "ipc" => "throughput over ipc (msg/s)",
                _ => "throughput over inproc (msg/s)",
            };
            for size in SIZES {
                let count = self.scale(thr_count(size));
                for _ in 0..self.runs {
                    for imp in [Imp::Libzmq, Imp::Zeromq, Imp::Ferromq, Imp::Raw] {
                        let value = if transport == "inproc" {
                            if matches!(imp, Imp::Raw | Imp::Zeromq) {
                                continue; // neither has inproc
                            }
                            let child = spawn(&[s("thr-inproc"), s(imp.name()), s(size), s(count)]);
                            collect(child, LIMIT).and_then(|o| o.trim().parse().ok())
                        } else {
                            let clocks = self.thr_pair_clocks(imp, imp, transport, size, count);
                            if size >= 8192 {
                                self.record(
                                    LARGE_FROM_SEND,
                                    format!("{transport} {size} B"),
                                    imp.name(),
                                    clocks.map(|(_, from_send)| from_send),
                                );
                            }
                            clocks.map(|(rate, _)| rate)
                        };
                        self.record(table, format!("{size} B"), imp.name(), value);
                    }
                }
            }
        }
        self.record_spread();
    }

    /// The throughput tables' spread at 8 KiB and up: each figure's largest run over its
    /// smallest.
    fn record_spread(&mut self) {
        let mut cells: Vec<(String, String, Vec<f64>)> = Vec::new();
        for sample in &self.samples {
            let transport = match sample.table {
                "throughput over tcp (msg/s)" => "tcp",
                "throughput over ipc (msg/s)" => "ipc",
                _ => continue,
            };
            let large = sample
                .row
                .trim_end_matches(" B")
                .parse::<usize>()
                .is_ok_and(|size| size >= 8192);
            if !large || !sample.value.is_finite() {
                continue;
            }
            let row = format!("{transport} {}", sample.row);
            match cells
                .iter_mut()
                .find(|(r, c, _)| *r == row && *c == sample.column)
            {
                Some((_, _, v)) => v.push(sample.value),
                None => cells.push((row, sample.column.clone(), vec![sample.value])),
            }
        }
        for (row, column, values) in cells {
            let max = values.iter().copied().fold(f64::MIN, f64::max);
            let min = values.iter().copied().fold(f64::MAX, f64::min);
            self.record(LARGE_SPREAD, row, &column, Some(max / min));
        }
    }

    fn latency(&mut self) {
        let count = self.scale(20_000);
        for transport in ["tcp", "ipc", "inproc"] {
            for size in [16usize, 1024] {
                let row = format!("{transport} {size} B");
                for _ in 0..self.runs {
                    for imp in [Imp::Libzmq, Imp::Zeromq, Imp::Ferromq, Imp::Raw] {
                        let out = if transport == "inproc" {
                            if matches!(imp, Imp::Raw | Imp::Zeromq) {
                                continue;
                            }
                            collect(
                                spawn(&[s("lat-inproc"), s(imp.name()), s(size), s(count)]),
                                LIMIT,
                            )
                        } else {
                            let ep = endpoint(transport);
                            let echo = spawn(&[s("lat-echo"), s(imp.name()), ep.clone(), s(count)]);
                            let client =
                                spawn(&[s("lat-client"), s(imp.name()), ep, s(size), s(count)]);
                            let out = collect(client, LIMIT);
                            collect(echo, Duration::from_secs(5));
                            out
                        };
                        let figures = numbers(out.as_deref());
                        self.record(
                            "one-way latency, mean (µs)",
                            row.clone(),
                            imp.name(),
                            figures.first().copied(),
                        );
                        self.record(
                            "one-way latency, p99 (µs)",
                            row.clone(),
                            imp.name(),
                            figures.get(1).copied(),
                        );
                    }
                }
            }
        }
    }

    fn mixed(&mut self) {
        for size in [128usize, 8192] {
            let count = self.scale(thr_count(size));
            for _ in 0..self.runs {
                for (recv, send) in [
                    (Imp::Libzmq, Imp::Libzmq),
                    (Imp::Libzmq, Imp::Ferromq),
                    (Imp::Ferromq, Imp::Libzmq),
                    (Imp::Ferromq, Imp::Ferromq),
                ] {
                    let value = self.thr_pair(recv, send, "tcp", size, count);
                    let column = format!("{} → {}", send.name(), recv.name());
                    self.record(
                        "mixed pairs over tcp (msg/s)",
                        format!("{size} B"),
                        &column,
                        value,
                    );
                }
            }
        }
    }

    fn fanout(&mut self) {
        let count = self.scale(200_000);
        for subs in [1u64, 10, 100] {
            for _ in 0..self.runs {
                for imp in [Imp::Libzmq, Imp::Ferromq] {
                    let ep = endpoint("tcp");
                    let rx = spawn(&[s("fan-subs"), s(imp.name()), ep.clone(), s(subs)]);
                    let mut tx =
                        spawn(&[s("fan-pub"), s(imp.name()), ep, s(subs), s(128), s(count)]);
                    let rate = collect(rx, LIMIT).and_then(|o| o.trim().parse().ok());
                    let _ = tx.kill();
                    let _ = tx.wait();
                    let row = format!("1 PUB → {subs} SUB{}", if subs > 1 { "s" } else { "" });
                    self.record(
                        "PUB fan-out over tcp, 128 B (msg/s delivered in total)",
                        row,
                        imp.name(),
                        rate,
                    );
                }
            }
        }
    }

    fn router(&mut self) {
        let (dealers, each) = (100u64, self.scale(2_000));
        for _ in 0..self.runs {
            for imp in [Imp::Libzmq, Imp::Ferromq] {
                let ep = endpoint("tcp");
                let server = spawn(&[
                    s("router-server"),
                    s(imp.name()),
                    ep.clone(),
                    s(dealers * each),
                ]);
                let clients = spawn(&[
                    s("router-clients"),
                    s(imp.name()),
                    ep,
                    s(dealers),
                    s(each),
                    s(64),
                ]);
                let rate = collect(clients, LIMIT).and_then(|o| o.trim().parse().ok());
                collect(server, Duration::from_secs(5));
                self.record(
                    "ROUTER serving DEALERs over tcp, 64 B (requests/s)",
                    format!("{dealers} DEALERs, one request out each"),
                    imp.name(),
                    rate,
                );
            }
        }
    }

    fn memory(&mut self) {
        let conns = if self.quick { 100 } else { 1000 };
        let table = "resident memory (lower is better)";
        for _ in 0..self.runs {
            for imp in [Imp::Libzmq, Imp::Ferromq] {
                let ep = endpoint("tcp");
                let server =
                    spawn_many_fds(&[s("mem-router"), s(imp.name()), ep.clone(), s(conns)]);
                let mut clients = spawn_many_fds(&[s("mem-dealers"), s(imp.name()), ep, s(conns)]);
                let kib: Option<f64> = collect(server, LIMIT).and_then(|o| o.trim().parse().ok());
                let _ = clients.kill();
                let _ = clients.wait();
                self.record(
                    table,
                    format!("ROUTER with {conns} idle tcp peers (MiB)"),
                    imp.name(),
                    kib.map(|k| k / 1024.0),
                );
                // A port nobody listens on: the PUSH queues until its HWM stops it.
                let ep = endpoint("tcp");
                let out = collect(
                    spawn(&[s("mem-hwm"), s(imp.name()), ep, s(65536)]),
                    Duration::from_secs(30),
                );
                let figures = numbers(out.as_deref());
                let (queued, kib) = (figures.first().copied(), figures.get(1).copied());
                self.record(
                    table,
                    "PUSH held at its HWM, 64 KiB messages (MiB)".into(),
                    imp.name(),
                    kib.map(|k| k / 1024.0),
                );
                self.record(
                    table,
                    "  messages queued at the HWM (count)".into(),
                    imp.name(),
                    queued,
                );
                let per_message = match (kib, queued) {
                    (Some(k), Some(q)) if q > 0.0 => Some(k / q),
                    _ => None,
                };
                self.record(
                    table,
                    "  resident memory per queued message (KiB)".into(),
                    imp.name(),
                    per_message,
                );
            }
        }
    }

    /// Instructions one side of a PUSH → PULL stream executes for `count` messages, under
    /// callgrind (the other side runs natively). `None` when the run failed.
    fn callgrind(&self, imp: Imp, measured: &str, size: usize, count: u64) -> Option<f64> {
        let ep = endpoint("tcp");
        let recv_args = vec![s("thr-recv"), s(imp.name()), ep.clone(), s(count)];
        let send_args = vec![s("thr-send"), s(imp.name()), ep, s(size), s(count)];
        if measured == "recv" {
            self.callgrind_roles(&recv_args, &send_args)
        } else {
            self.callgrind_roles(&send_args, &recv_args)
        }
    }

    /// Instructions the role `measured` executes under callgrind while the role `other` runs
    /// natively; both must end by themselves.
    fn callgrind_roles(&self, measured: &[String], other: &[String]) -> Option<f64> {
        let exe = std::env::current_exe().ok()?;
        let out_file = std::env::temp_dir().join(format!(
            "ferromq-bench-callgrind-{}-{}.out",
            std::process::id(),
            measured[0]
        ));
        let under_valgrind = |args: &[String]| {
            Command::new("valgrind")
                .arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", out_file.display()))
                .arg(&exe)
                .arg("role")
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()
        };
        let (watched, plain) = (under_valgrind(measured)?, spawn(other));
        let ok = collect(watched, Duration::from_secs(600)).is_some();
        let sent = collect(plain, Duration::from_secs(600)).is_some();
        let text = std::fs::read_to_string(&out_file).ok();
        let _ = std::fs::remove_file(&out_file);
        if !(ok && sent) {
            return None;
        }
        text?
            .lines()
            .find_map(|l| {
                l.strip_prefix("summary:")
                    .or_else(|| l.strip_prefix("totals:"))
            })
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    fn instructions(&mut self) {
        if Command::new("valgrind").arg("--version").output().is_err() {
            eprintln!("valgrind is not installed: skipping instructions per message");
            return;
        }
        let n = if self.quick { 2_000 } else { 20_000 };
        let table = "instructions per message, callgrind (lower is better)";
        for size in [16usize, 8192] {
            for imp in [Imp::Libzmq, Imp::Ferromq] {
                let mut total = 0.0;
                for side in ["send", "recv"] {
                    // The difference between n and 2n messages: start-up and shut-down cancel.
                    let per_message = match (
                        self.callgrind(imp, side, size, n),
                        self.callgrind(imp, side, size, 2 * n),
                    ) {
                        (Some(a), Some(b)) => Some((b - a) / n as f64),
                        _ => None,
                    };
                    total += per_message.unwrap_or(f64::NAN);
                    self.record(table, format!("{size} B, {side}"), imp.name(), per_message);
                }
                self.record(
                    table,
                    format!("{size} B, send + recv"),
                    imp.name(),
                    Some(total),
                );
            }
        }
        // The routing strategies: a publisher's fan-out and a ROUTER's identity map, per
        // message the publisher sends or the ROUTER echoes (n against 2n, as above).
        for imp in [Imp::Libzmq, Imp::Ferromq] {
            let fan = |count: u64| {
                let ep = endpoint("tcp");
                let publisher = [
                    s("fan-pub"),
                    s(imp.name()),
                    ep.clone(),
                    s(10),
                    s(128),
                    s(count),
                ];
                self.callgrind_roles(&publisher, &[s("fan-subs"), s(imp.name()), ep, s(10)])
            };
            let per_message = match (fan(n / 4), fan(n / 2)) {
                (Some(a), Some(b)) => Some((b - a) / (n / 4) as f64),
                _ => None,
            };
            self.record(
                table,
                "PUB → 10 SUBs, 128 B, publisher".into(),
                imp.name(),
                per_message,
            );
            let router = |each: u64| {
                let ep = endpoint("tcp");
                let server = [s("router-server"), s(imp.name()), ep.clone(), s(100 * each)];
                let clients = [
                    s("router-clients"),
                    s(imp.name()),
                    ep,
                    s(100),
                    s(each),
                    s(64),
                ];
                self.callgrind_roles(&server, &clients)
            };
            let each = (n / 200).max(1);
            let per_message = match (router(each), router(2 * each)) {
                (Some(a), Some(b)) => Some((b - a) / (100 * each) as f64),
                _ => None,
            };
            self.record(
                table,
                "ROUTER ← 100 DEALERs, 64 B, per request".into(),
                imp.name(),
                per_message,
            );
        }
    }

    /// libzmq's C API: the C programs of `bench/c/` on ferromq's library and on libzmq, and
    /// ferromq's Rust API beside them, over tcp, interleaved run by run. The throughput rows
    /// are the throughput tables' sizes; `remote_thr` sends a fresh `zmq_msg_init_size`
    /// message each time, `local_thr` takes them with `zmq_msg_recv`.
    fn capi(&mut self, out: &std::path::Path) {
        const THR: &str =
            "C API: throughput over tcp (msg/s; ferromq and libzmq through the C ABI)";
        const LAT: &str =
            "C API: one-way latency over tcp, mean (µs; ferromq and libzmq through the C ABI)";
        let dir = out.join("capi");
        let built = capi::compiler()
            .and_then(|()| capi::ferromq(&dir))
            .and_then(|f| Ok((f, capi::libzmq(&dir)?)));
        let (ferromq, libzmq) = match built {
            Ok(p) => p,
            Err(e) => {
                eprintln!("the C API table is skipped: {e}");
                return;
            }
        };
        eprintln!(
            "C API table: ferromq's programs load {}; libzmq's: {}",
            ferromq.loads, libzmq.loads
        );
        self.notes.push(format!(
            "C API tables: the C programs of bench/c/ on ferromq's libzmq.so ({}) and on libzmq \
             ({}); \"ferromq Rust API\" is the Rust sides of the throughput and latency tables, \
             run in between.",
            ferromq.loads, libzmq.loads
        ));
        for size in SIZES {
            let count = self.scale(thr_count(size));
            for _ in 0..self.runs {
                for (column, programs) in [("libzmq", &libzmq), ("ferromq", &ferromq)] {
                    let value = c_thr(programs, size, count, false);
                    self.record(THR, format!("{size} B"), column, value);
                }
                let rust = self.thr_pair(Imp::Ferromq, Imp::Ferromq, "tcp", size, count);
                self.record(THR, format!("{size} B"), "ferromq Rust API", rust);
            }
        }
        let count = self.scale(20_000);
        for size in [16usize, 1024] {
            let row = format!("tcp {size} B");
            for _ in 0..self.runs {
                for (column, programs) in [("libzmq", &libzmq), ("ferromq", &ferromq)] {
                    let mean = c_lat(programs, size, count, false);
                    self.record(LAT, row.clone(), column, mean);
                }
                let ep = endpoint("tcp");
                let echo = spawn(&[s("lat-echo"), s("ferromq"), ep.clone(), s(count)]);
                let client = spawn(&[s("lat-client"), s("ferromq"), ep, s(size), s(count)]);
                let out = collect(client, LIMIT);
                collect(echo, Duration::from_secs(5));
                let mean = numbers(out.as_deref()).first().copied();
                self.record(LAT, row.clone(), "ferromq Rust API", mean);
            }
        }
    }

    /// CURVE: PUSH → PULL throughput over tcp at 128 B, 1 KiB and 64 KiB, and REQ/REP
    /// latency, for ferromq's Rust API with and without CURVE and for libzmq's C programs with
    /// CURVE, interleaved run by run.
    fn curve(&mut self, out: &std::path::Path) {
        const THR: &str = "CURVE: throughput over tcp (msg/s)";
        const LAT: &str = "CURVE: one-way latency over tcp, mean (µs)";
        let libzmq = match std::env::var_os("FERROMQ_BENCH_LIBZMQ") {
            Some(_) => capi::compiler().and_then(|()| capi::libzmq(&out.join("curve"))),
            None => Err("FERROMQ_BENCH_LIBZMQ names no libzmq with CURVE".into()),
        };
        let libzmq = match libzmq {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("the CURVE table's libzmq column is skipped: {e}");
                None
            }
        };
        if let Some(p) = &libzmq {
            self.notes.push(format!(
                "CURVE tables: libzmq is bench/c/'s programs on {} with CURVE, each side a                  process; ferromq is its Rust API, with CURVE and without (NULL).",
                p.loads
            ));
        }
        let set_curve = |on: bool| CURVE.store(on, std::sync::atomic::Ordering::Relaxed);
        for size in [128usize, 1024, 65536] {
            let count = self.scale(thr_count(size).min(2_000_000));
            for _ in 0..self.runs {
                if let Some(p) = &libzmq {
                    let value = c_thr(p, size, count, true);
                    self.record(THR, format!("{size} B"), "libzmq CURVE", value);
                }
                set_curve(true);
                let rust = self.thr_pair(Imp::Ferromq, Imp::Ferromq, "tcp", size, count);
                set_curve(false);
                self.record(THR, format!("{size} B"), "ferromq CURVE", rust);
                let null = self.thr_pair(Imp::Ferromq, Imp::Ferromq, "tcp", size, count);
                self.record(THR, format!("{size} B"), "ferromq NULL", null);
            }
        }
        let count = self.scale(20_000);
        for size in [64usize, 1024] {
            let row = format!("tcp {size} B");
            for _ in 0..self.runs {
                if let Some(p) = &libzmq {
                    let mean = c_lat(p, size, count, true);
                    self.record(LAT, row.clone(), "libzmq CURVE", mean);
                }
                for (column, on) in [("ferromq CURVE", true), ("ferromq NULL", false)] {
                    set_curve(on);
                    let ep = endpoint("tcp");
                    let echo = spawn(&[s("lat-echo"), s("ferromq"), ep.clone(), s(count)]);
                    let client = spawn(&[s("lat-client"), s("ferromq"), ep, s(size), s(count)]);
                    set_curve(false);
                    let out = collect(client, LIMIT);
                    collect(echo, Duration::from_secs(5));
                    let mean = numbers(out.as_deref()).first().copied();
                    self.record(LAT, row.clone(), column, mean);
                }
            }
        }
    }

    /// The median of each figure, by table, row and column, in the order first seen.
    fn medians(&self) -> Vec<Table<f64>> {
        let mut tables: Vec<Table<Vec<f64>>> = Vec::new();
        for sample in &self.samples {
            let t = match tables.iter().position(|(n, _)| *n == sample.table) {
                Some(i) => i,
                None => {
                    tables.push((sample.table, Vec::new()));
                    tables.len() - 1
                }
            };
            let rows = &mut tables[t].1;
            let r = match rows.iter().position(|(n, _)| *n == sample.row) {
                Some(i) => i,
                None => {
                    rows.push((sample.row.clone(), Vec::new()));
                    rows.len() - 1
                }
            };
            let cols = &mut rows[r].1;
            match cols.iter_mut().find(|(n, _)| *n == sample.column) {
                Some((_, v)) => v.push(sample.value),
                None => cols.push((sample.column.clone(), vec![sample.value])),
            }
        }
        tables
            .into_iter()
            .map(|(t, rows)| {
                let rows = rows
                    .into_iter()
                    .map(|(r, cols)| {
                        let cols = cols.into_iter().map(|(c, v)| (c, median(v))).collect();
                        (r, cols)
                    })
                    .collect();
                (t, rows)
            })
            .collect()
    }

    /// The markdown report: one table per part, with ratios.
    fn report(&self, took: Duration) -> String {
        let mut out = format!(
            "ferromq-bench: {} run(s) per figure{}, {} s\n",
            self.runs,
            if self.quick {
                " (--quick: smoke run, figures are noise)"
            } else {
                ", medians"
            },
            took.as_secs()
        );
        for (table, rows) in self.medians() {
            let mut columns: Vec<String> = Vec::new();
            for (_, cols) in &rows {
                for (name, _) in cols {
                    if !columns.contains(name) {
                        columns.push(name.clone());
                    }
                }
            }
            let lower_is_better = table.contains("lower is better") || table.contains("latency");
            let ratios: Vec<(&str, &str)> = if table.starts_with("mixed") {
                vec![]
            } else {
                [
                    ("ferromq", "libzmq"),
                    ("ferromq", "zeromq"),
                    ("ferromq", "raw"),
                    ("ferromq", "ferromq Rust API"),
                ]
                .into_iter()
                .filter(|(_, b)| columns.iter().any(|c| c == b))
                .collect()
            };
            out.push_str(&format!("\n### {table}\n\n| |"));
            for c in &columns {
                out.push_str(&format!(" {c} |"));
            }
            for (a, b) in &ratios {
                out.push_str(&format!(" {a} / {b} |"));
            }
            out.push_str("\n| --- |");
            for _ in 0..columns.len() + ratios.len() {
                out.push_str(" --: |");
            }
            out.push('\n');
            for (row, cols) in &rows {
                out.push_str(&format!("| {row} |"));
                let get = |name: &str| cols.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                for c in &columns {
                    let v = get(c).unwrap_or(f64::NAN);
                    if table == LARGE_SPREAD && v.is_finite() {
                        out.push_str(&format!(" {v:.2} |"));
                    } else {
                        out.push_str(&format!(" {} |", fmt_figure(v, lower_is_better)));
                    }
                }
                for (a, b) in &ratios {
                    match (get(a), get(b)) {
                        (Some(x), Some(y)) if x.is_finite() && y.is_finite() && y > 0.0 => {
                            out.push_str(&format!(" {:.2} |", x / y));
                        }
                        _ => out.push_str(" - |"),
                    }
                }
                out.push('\n');
            }
            if table == LARGE_SPREAD {
                out.push_str("\n(a ratio below 1 means ferromq is steadier)\n");
            } else if lower_is_better {
                out.push_str("\n(lower is better; a ratio below 1 means ferromq is faster)\n");
            }
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("{note}\n"));
            }
        }
        out
    }

    fn json(&self) -> serde_json::Value {
        let samples: Vec<serde_json::Value> = self
            .samples
            .iter()
            .map(|s| {
                serde_json::json!({
                    "table": s.table, "row": s.row, "column": s.column,
                    "value": if s.value.is_finite() { serde_json::json!(s.value) } else { serde_json::Value::Null },
                })
            })
            .collect();
        let medians: Vec<serde_json::Value> = self
            .medians()
            .into_iter()
            .flat_map(|(t, rows)| {
                rows.into_iter().flat_map(move |(r, cols)| {
                    cols.into_iter().map(move |(c, v)| {
                        serde_json::json!({
                            "table": t, "row": r, "column": c,
                            "median": if v.is_finite() { serde_json::json!(v) } else { serde_json::Value::Null },
                        })
                    })
                })
            })
            .collect();
        serde_json::json!({
            "runs": self.runs,
            "quick": self.quick,
            "medians": medians,
            "samples": samples,
        })
    }
}

/// Throughput against message size, one line per implementation, tcp and ipc side by side.
fn chart(tables: &[Table<f64>], path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1100, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 2));
    for (panel, transport) in panels.iter().zip(["tcp", "ipc"]) {
        let Some((_, rows)) = tables
            .iter()
            .find(|(t, _)| t.starts_with("throughput over") && t.contains(transport))
        else {
            continue;
        };
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for (row, cols) in rows {
            let size: f64 = row.trim_end_matches(" B").parse().unwrap_or(f64::NAN);
            for (imp, v) in cols {
                if !v.is_finite() || !size.is_finite() {
                    continue;
                }
                match series.iter_mut().find(|(n, _)| n == imp) {
                    Some((_, pts)) => pts.push((size, *v)),
                    None => series.push((imp.clone(), vec![(size, *v)])),
                }
            }
        }
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("PUSH → PULL over {transport}, two processes"),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (10f64..100_000f64).log_scale(),
                (5e3f64..2e8f64).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("message size (bytes)")
            .y_desc("messages per second")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| fmt_figure(*y, false))
            .draw()?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fmt_figure(v: f64, small: bool) -> String {
    if !v.is_finite() {
        "-".into()
    } else if small {
        format!("{v:.1}")
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A spinner on a terminal, a line per table otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Tables announced so far (figures of two tables may alternate).
    announced: Vec<&'static str>,
    done: u64,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            announced: Vec::new(),
            done: 0,
        }
    }

    fn tick(&mut self, table: &'static str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => bar.set_message(format!("{table}: {} figures measured", self.done)),
            None if !self.announced.contains(&table) => {
                eprintln!("measuring {table} ...");
                self.announced.push(table);
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
