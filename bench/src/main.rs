//! ferromq's benchmark suite: ferromq beside libzmq (4.3.4, through the `zmq` crate) and a raw
//! socket, measured in one run on one machine, reported as ratios.
//!
//! ```sh
//! cargo run --release -p ferromq-bench -- all            # everything, medians of 5 runs
//! cargo run --release -p ferromq-bench -- all --quick    # a smoke run (CI), under a minute
//! cargo run --release -p ferromq-bench -- thr --runs 7   # one part
//! ```
//!
//! Method (libzmq's perf tools'): throughput is PUSH → PULL with sender and receiver in two
//! processes, the receiver timing from its first to its last message, every send building a
//! fresh message; latency is a REQ/REP round trip / 2. Implementations are interleaved run by
//! run (A B C A B C ...) so that drift on a busy machine hits all alike, and each figure is the
//! median of the runs. The raw column is plain sockets writing length-prefixed messages through
//! 64 KiB buffers (a blocking ping-pong for latency): the ceiling each ratio is read against.
//!
//! Results go to standard output (markdown) and to `--out` (default `target/ferromq-bench`):
//! `results.md` and `results.json` (every raw figure).

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

/// Messages per throughput run at each size (a full run; --quick divides by 50).
fn thr_count(size: usize) -> u64 {
    match size {
        0..=128 => 2_000_000,
        129..=1024 => 500_000,
        1025..=8192 => 100_000,
        _ => 20_000,
    }
}

fn main() {
    let cli = Cli::parse();
    let (opts, parts): (Opts, &[&str]) = match cli.what {
        What::Role { args } => return role(&args),
        What::All(o) => (o, &["thr", "lat", "mixed"]),
        What::Thr(o) => (o, &["thr"]),
        What::Lat(o) => (o, &["lat"]),
        What::Mixed(o) => (o, &["mixed"]),
    };
    let runs = if opts.quick { 1 } else { opts.runs.max(1) };
    let mut suite = Suite {
        quick: opts.quick,
        runs,
        samples: Vec::new(),
        progress: Progress::new(),
    };
    let started = Instant::now();
    for part in parts {
        match *part {
            "thr" => suite.throughput(),
            "lat" => suite.latency(),
            "mixed" => suite.mixed(),
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
    eprintln!("results written to {}", opts.out.display());
}

// ----- child processes -----

/// Runs one side (`ferromq-bench role KIND IMP ...`) and prints its figures on stdout.
fn role(args: &[String]) {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| arg(i).parse::<u64>().expect("a number");
    let imp = Imp::parse(arg(1)).expect("an implementation");
    match arg(0) {
        "thr-recv" => println!("{}", sides::thr_recv(imp, arg(2), num(3))),
        "thr-send" => sides::thr_send(imp, arg(2), num(3) as usize, num(4)),
        "thr-inproc" => println!("{}", sides::thr_inproc(imp, num(2) as usize, num(3))),
        "lat-echo" => sides::lat_echo(imp, arg(2), num(3)),
        "lat-client" => print_lat(&mut sides::lat_client(imp, arg(2), num(3) as usize, num(4))),
        "lat-inproc" => print_lat(&mut sides::lat_inproc(imp, num(2) as usize, num(3))),
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

fn spawn(args: &[String]) -> Child {
    let exe = std::env::current_exe().expect("the suite's own path");
    Command::new(exe)
        .arg("role")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a side")
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
        let ep = endpoint(transport);
        let rx = spawn(&[s("thr-recv"), s(recv.name()), ep.clone(), s(count)]);
        let tx = spawn(&[s("thr-send"), s(send.name()), ep, s(size), s(count)]);
        let rate = collect(rx, LIMIT);
        collect(tx, Duration::from_secs(5));
        rate?.trim().parse().ok()
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
                    for imp in [Imp::Libzmq, Imp::Ferromq, Imp::Raw] {
                        let value = if transport == "inproc" {
                            if imp == Imp::Raw {
                                continue;
                            }
                            let child = spawn(&[s("thr-inproc"), s(imp.name()), s(size), s(count)]);
                            collect(child, LIMIT).and_then(|o| o.trim().parse().ok())
                        } else {
                            self.thr_pair(imp, imp, transport, size, count)
                        };
                        self.record(table, format!("{size} B"), imp.name(), value);
                    }
                }
            }
        }
    }

    fn latency(&mut self) {
        let count = self.scale(20_000);
        for transport in ["tcp", "ipc", "inproc"] {
            for size in [16usize, 1024] {
                let row = format!("{transport} {size} B");
                for _ in 0..self.runs {
                    for imp in [Imp::Libzmq, Imp::Ferromq, Imp::Raw] {
                        let out = if transport == "inproc" {
                            if imp == Imp::Raw {
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
                        let figures: Vec<f64> = out
                            .as_deref()
                            .unwrap_or("")
                            .split_whitespace()
                            .filter_map(|f| f.parse().ok())
                            .collect();
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
            let lower_is_better = table.contains("latency");
            let ratios: Vec<(&str, &str)> = if table.starts_with("mixed") {
                vec![]
            } else {
                [("ferromq", "libzmq"), ("ferromq", "raw")]
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
                    out.push_str(&format!(" {} |", fmt_figure(v, lower_is_better)));
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
            if lower_is_better {
                out.push_str("\n(lower is better; a ratio below 1 means ferromq is faster)\n");
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
    last_table: &'static str,
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
            last_table: "",
            done: 0,
        }
    }

    fn tick(&mut self, table: &'static str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => bar.set_message(format!("{table}: {} figures measured", self.done)),
            None if table != self.last_table => eprintln!("measuring {table} ..."),
            None => {}
        }
        self.last_table = table;
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
