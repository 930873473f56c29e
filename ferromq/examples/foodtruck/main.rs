//! The food truck: why a synchronous request-reply chain stalls, and how an asynchronous
//! pipeline with many workers fixes it, with numbers.
//!
//! ```sh
//! cargo run --release --example foodtruck                       # both versions, 40 orders
//! cargo run --release --example foodtruck -- --timeline         # who did what, and when
//! cargo run --release --example foodtruck -- --kill-cook-after 5 --transport tcp
//! ```
//!
//! See `truck.rs` for the two kitchens and how their sockets are wired.

mod truck;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use truck::{Config, Report, Transport, STAGES};

/// A food truck simulated with ferromq: version 1 calls each stage with REQ/REP, one order at
/// a time; version 2 runs a pipeline (ROUTER/DEALER in, PUSH/PULL over many workers, PUB/SUB
/// announcements). Prints both side by side.
#[derive(Parser, Debug)]
#[command(name = "foodtruck")]
struct Args {
    /// Orders the customers place (all at once, a lunch rush).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    orders: u64,
    /// Cooks in version 2 (0 with --bind: only cooks run with --stage cook).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=64))]
    cooks: u64,
    /// Ingredient helpers in version 2 (0 with --bind: only helpers run with --stage helper).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=64))]
    helpers: u64,
    /// How the stages reach each other.
    #[arg(long, value_enum, default_value_t = TransportArg::Inproc)]
    transport: TransportArg,
    /// Print a timeline of which worker did what, and when.
    #[arg(long)]
    timeline: bool,
    /// Version 2: the first cook dies after cooking this many orders.
    #[arg(long, value_name = "N")]
    kill_cook_after: Option<usize>,
    /// Seed for the stages' random variation.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Version 2: re-send an order no cook acknowledged within this many milliseconds.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    resend_ms: u64,
    /// Packers in version 2 (0 with --bind: only packers run with --stage packer).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=64))]
    packers: u64,
    /// Order takers in version 2: 1, or 0 with --bind when it runs with --stage taker.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=1))]
    takers: u64,
    /// Which versions to run.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    run: Which,
    /// Version 2: bind the kitchen at this base so that stages in other processes can join
    /// it: tcp://HOST:PORT (nine ports from PORT) or ipc:///PATH.
    #[arg(long, value_name = "BASE")]
    bind: Option<String>,
    /// Run only this stage of version 2, in this process, joined to a truck started with
    /// --bind (runs until killed): taker, helper, cook, packer or display.
    #[arg(long, value_name = "NAME", requires = "connect", value_parser = truck::EXTERNAL_STAGES)]
    stage: Option<String>,
    /// With --stage: the base the truck was given with --bind.
    #[arg(long, value_name = "BASE", requires = "stage")]
    connect: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TransportArg {
    Inproc,
    Ipc,
    Tcp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    #[value(name = "1")]
    V1,
    #[value(name = "2")]
    V2,
    Both,
}

/// One version of the truck.
type RunFn = fn(&Config, &(dyn Fn(usize) + Sync)) -> ferromq::Result<Report>;

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = Config {
        orders: args.orders as usize,
        cooks: args.cooks as usize,
        helpers: args.helpers as usize,
        packers: args.packers as usize,
        takers: args.takers as usize,
        transport: match args.transport {
            TransportArg::Inproc => Transport::Inproc,
            TransportArg::Ipc => Transport::Ipc,
            TransportArg::Tcp => Transport::Tcp,
        },
        seed: args.seed,
        kill_cook_after: args.kill_cook_after,
        resend_after: Duration::from_millis(args.resend_ms),
        bind: args.bind.clone(),
        ..Config::default()
    };
    if let (Some(stage), Some(base)) = (&args.stage, &args.connect) {
        eprintln!("{stage}: joining the truck at {base} (runs until killed)");
        return match truck::run_stage(&cfg, stage, base) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{stage} failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let missing = [cfg.takers, cfg.helpers, cfg.cooks, cfg.packers].contains(&0);
    if missing && cfg.bind.is_none() {
        eprintln!(
            "error: a stage with no worker in the truck needs --bind BASE, and the stage run \
             with --stage NAME --connect BASE"
        );
        return ExitCode::from(2);
    }
    let ms = |d: Duration| d.as_millis();
    println!(
        "food truck: {} orders, {} cooks and {} ingredient helpers in version 2, over {}, seed {}",
        cfg.orders, cfg.cooks, cfg.helpers, cfg.transport, cfg.seed
    );
    println!(
        "stages: order {} ms, ingredients {} ms, cook {} ms, pack {} ms (each ±20 %)\n",
        ms(cfg.durations[0]),
        ms(cfg.durations[1]),
        ms(cfg.durations[2]),
        ms(cfg.durations[3]),
    );

    let mut reports: Vec<(&str, Report)> = Vec::new();
    let runs: [(&str, Which, RunFn); 2] = [
        ("v1 sync", Which::V1, truck::run_v1),
        ("v2 async", Which::V2, truck::run_v2),
    ];
    for (name, which, run) in runs {
        if args.run != Which::Both && args.run != which {
            continue;
        }
        let progress = Progress::new(name, cfg.orders);
        let result = run(&cfg, &|n| progress.update(n));
        progress.finish();
        match result {
            Ok(report) => reports.push((name, report)),
            Err(e) => {
                eprintln!("{name} failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    print_table(&cfg, &reports);
    if args.timeline {
        for (name, report) in &reports {
            print_timeline(name, report);
        }
    }
    let mut ok = true;
    for (name, report) in &reports {
        if let Err(problem) = report.check(cfg.orders) {
            eprintln!("{name}: {problem}");
            ok = false;
        }
    }
    let summary = match reports.as_slice() {
        [(_, v1), (_, v2)] => format!(
            "summary: version 2 served {} orders {:.1}x faster than version 1 ({:.1} vs {:.1} orders/s){}",
            v2.meals.len(),
            v2.throughput() / v1.throughput(),
            v2.throughput(),
            v1.throughput(),
            if ok { ", every order exactly once" } else { "" }
        ),
        [(name, r)] => format!(
            "summary: {name} served {} orders at {:.1} orders/s{}",
            r.meals.len(),
            r.throughput(),
            if ok { ", every order exactly once" } else { "" }
        ),
        _ => "summary: nothing ran".to_owned(),
    };
    println!("\n{summary}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A progress bar on a terminal, a few plain lines otherwise.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines {
        name: &'static str,
        total: usize,
        step: std::sync::atomic::AtomicUsize,
    },
}

impl Progress {
    fn new(name: &'static str, total: usize) -> Progress {
        if std::io::stdout().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix:>9} [{bar:40}] {pos}/{len} orders {elapsed}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(name);
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                name,
                total,
                step: Default::default(),
            }
        }
    }

    fn update(&self, served: usize) {
        match self {
            Progress::Bar(bar) => bar.set_position(served as u64),
            Progress::Lines { name, total, step } => {
                // A line at each quarter.
                let quarter = served * 4 / total.max(&1);
                if quarter > step.fetch_max(quarter, std::sync::atomic::Ordering::Relaxed) {
                    println!("{name}: {served}/{total} orders served");
                }
            }
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn print_table(cfg: &Config, reports: &[(&str, Report)]) {
    let cell = |f: &dyn Fn(&Report) -> String| -> String {
        reports
            .iter()
            .map(|(_, r)| format!("{:>14}", f(r)))
            .collect()
    };
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!();
    println!(
        "{:<22}{}",
        "",
        reports
            .iter()
            .map(|(n, _)| format!("{n:>14}"))
            .collect::<String>()
    );
    println!(
        "{:<22}{}",
        "orders served",
        cell(&|r| r.meals.len().to_string())
    );
    println!(
        "{:<22}{}",
        "wall time",
        cell(&|r| format!("{:.2} s", r.wall.as_secs_f64()))
    );
    println!(
        "{:<22}{}",
        "throughput (orders/s)",
        cell(&|r| format!("{:.1}", r.throughput()))
    );
    println!("{:<22}{}", "latency p50", cell(&|r| ms(r.latency(50.0))));
    println!("{:<22}{}", "latency p99", cell(&|r| ms(r.latency(99.0))));
    if reports.len() == 2 {
        let (v1, v2) = (&reports[0].1, &reports[1].1);
        println!(
            "{:<22}{:>14}{:>14}",
            "re-sent / re-cooked",
            "-",
            format!("{} / {}", v2.resent, v2.recooked)
        );
        println!(
            "{:<22}{:>14}{:>14}",
            "announced on PUB/SUB", "-", v2.announced
        );
        println!(
            "{:<22}{:>14}{:>14}",
            "speedup",
            "1.0x",
            format!("{:.1}x", v2.throughput() / v1.throughput())
        );
    }
    if let Some(n) = cfg.kill_cook_after {
        if let Some((_, v2)) = reports.iter().find(|(n, _)| n.starts_with("v2")) {
            println!(
                "\ncook-0 died after cooking {n} orders: {} orders were sent again, {} cooked twice \
                 and served once (the sink de-duplicates by order id)",
                v2.resent, v2.recooked
            );
        }
    }
}

/// One row per worker: a character per slice of the run, the order's id (0-9, a-z, cycling)
/// while it works, `.` while it waits.
fn print_timeline(name: &str, report: &Report) {
    const WIDTH: usize = 72;
    const SYMBOLS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let total_us = (report.wall.as_micros() as u64).max(1);
    let mut rows: BTreeMap<(usize, String), (Vec<u8>, u64)> = BTreeMap::new();
    for meal in &report.meals {
        for span in &meal.trace {
            let stage = STAGES.iter().position(|s| *s == span.stage).unwrap_or(9);
            let (row, busy) = rows
                .entry((stage, span.worker.clone()))
                .or_insert_with(|| (vec![b'.'; WIDTH], 0));
            let col = |t: u64| {
                (t.saturating_sub(report.start_us) as u128 * WIDTH as u128 / total_us as u128)
                    as usize
            };
            let (from, to) = (
                col(span.start_us),
                col(span.end_us).max(col(span.start_us) + 1),
            );
            for c in row.iter_mut().take(to.min(WIDTH)).skip(from.min(WIDTH)) {
                *c = SYMBOLS[(meal.id % SYMBOLS.len() as u64) as usize];
            }
            *busy += span.end_us.saturating_sub(span.start_us);
        }
    }
    println!(
        "\n{name} timeline ({:.2} s, {} per column):",
        report.wall.as_secs_f64(),
        format_args!(
            "{:.0} ms",
            report.wall.as_secs_f64() * 1000.0 / WIDTH as f64
        )
    );
    for ((_, worker), (row, busy)) in rows {
        println!(
            "  {worker:<12}|{}| {:>3.0} % busy",
            String::from_utf8_lossy(&row),
            busy as f64 * 100.0 / total_us as f64
        );
    }
}
