//! `fmq bench thr|lat`: throughput (PUSH → PULL, the receiver times first to last message,
//! like libzmq's `local_thr`) and latency (REQ/REP round trip / 2, like `remote_lat`).
//!
//! Without `--role` both sides run: over inproc as two threads, over tcp or ipc as two
//! processes (this one binds and measures, a child connects). With `--role` one side runs
//! alone, so the other can be libzmq's perf tools or any ZeroMQ program:
//!
//! | kind | `--role recv`                      | `--role send`                        |
//! |------|------------------------------------|--------------------------------------|
//! | thr  | PULL, measures (`local_thr`)       | PUSH, sends `--count` messages (`remote_thr`) |
//! | lat  | REP, echoes (`local_lat`)          | REQ, measures (`remote_lat`)         |

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use ferromq::{Context, Message, Socket, SocketType};

use crate::peer::Exit;
use crate::security::Security;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Throughput: PUSH → PULL.
    Thr,
    /// Latency: REQ/REP round trips.
    Lat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    Tcp,
    Ipc,
    Inproc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// thr: the PUSH side; lat: the REQ side (measures).
    Send,
    /// thr: the PULL side (measures); lat: the REP side.
    Recv,
}

/// Arguments of `fmq bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    kind: Kind,
    /// Message size in bytes (default: 128 for thr, 64 for lat).
    #[arg(long)]
    size: Option<usize>,
    /// Messages (thr) or round trips (lat) (default: 1000000 for thr, 100000 for lat).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// The transport when both sides run here.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// Run one side only (the other is another program).
    #[arg(long, value_enum)]
    role: Option<Role>,
    /// With --role: connect to this endpoint.
    #[arg(long, value_name = "EP", conflicts_with = "bind")]
    connect: Option<String>,
    /// With --role: bind to this endpoint.
    #[arg(long, value_name = "EP")]
    bind: Option<String>,
    /// Both sides speak CURVE (a fresh server key pair; the measuring side is the server),
    /// so that its cost can be measured. With --role, give the security flags instead.
    #[arg(long, conflicts_with = "role")]
    curve: bool,
    /// With --role: this side's security, as for `fmq TYPE`.
    #[command(flatten)]
    security: crate::security::SecurityArgs,
}

struct Plan {
    kind: Kind,
    size: usize,
    count: u64,
}

/// Runs `fmq bench`.
pub fn run(args: BenchArgs) -> Exit {
    let plan = Plan {
        kind: args.kind,
        size: args.size.unwrap_or(match args.kind {
            Kind::Thr => 128,
            Kind::Lat => 64,
        }),
        count: args.count.unwrap_or(match args.kind {
            Kind::Thr => 1_000_000,
            Kind::Lat => 100_000,
        }),
    };
    let ctx = Context::new();
    let security = match args.security.resolve() {
        Ok(Security::Null) => Security::Null,
        Ok(_) if args.role.is_none() => {
            return Exit::Usage("the security flags go with --role; both sides: --curve".into())
        }
        Ok(security) => security,
        Err(e) => return Exit::Usage(e),
    };
    let mut auth = None;
    let result = match args.role {
        Some(role) => {
            let (ep, bind) = match (&args.connect, &args.bind) {
                (Some(ep), None) => (ep.clone(), false),
                (None, Some(ep)) => (ep.clone(), true),
                _ => return Exit::Failed("--role needs --connect EP or --bind EP".into()),
            };
            let side = Side {
                ctx: &ctx,
                security: &security,
                auth: &mut auth,
            };
            one_side(side, &plan, role, &ep, bind)
        }
        None => both_sides(&ctx, &plan, args.transport, args.curve),
    };
    match result {
        Ok(Some(line)) => {
            println!("{line}");
            Exit::Done
        }
        Ok(None) => Exit::Done,
        Err(e) => Exit::Failed(e),
    }
}

/// The socket type of a side.
fn socket_type(kind: Kind, role: Role) -> SocketType {
    match (kind, role) {
        (Kind::Thr, Role::Send) => SocketType::Push,
        (Kind::Thr, Role::Recv) => SocketType::Pull,
        (Kind::Lat, Role::Send) => SocketType::Req,
        (Kind::Lat, Role::Recv) => SocketType::Rep,
    }
}

/// Where a side's socket is made, with what security.
struct Side<'a> {
    ctx: &'a Context,
    security: &'a Security,
    auth: &'a mut Option<ferromq::Authenticator>,
}

fn open(side: Side<'_>, plan: &Plan, role: Role, ep: &str, bind: bool) -> Result<Socket, String> {
    let socket = side
        .ctx
        .socket(socket_type(plan.kind, role))
        .map_err(|e| e.to_string())?;
    side.security
        .apply(side.ctx, &socket, "*", side.auth)
        .map_err(|e| e.to_string())?;
    if bind {
        socket.bind(ep).map_err(|e| e.to_string())?;
    } else {
        socket.connect(ep).map_err(|e| e.to_string())?;
    }
    Ok(socket)
}

/// One side; returns the result line if this side measures.
fn one_side(
    side: Side<'_>,
    plan: &Plan,
    role: Role,
    ep: &str,
    bind: bool,
) -> Result<Option<String>, String> {
    let socket = open(side, plan, role, ep, bind)?;
    if bind {
        if let Some(bound) = socket.last_endpoint().filter(|b| b != ep) {
            eprintln!("fmq: bound {bound}");
        }
    }
    serve(&socket, plan, role)
}

/// Does a side's work on an open socket.
fn serve(socket: &Socket, plan: &Plan, role: Role) -> Result<Option<String>, String> {
    let err = |e: ferromq::Error| e.to_string();
    match (plan.kind, role) {
        (Kind::Thr, Role::Send) => {
            // A fresh message per send, copied from one buffer, as libzmq's remote_thr
            // builds them (zmq_msg_init_size).
            let payload = vec![0u8; plan.size];
            for _ in 0..plan.count {
                socket.send(&payload[..]).map_err(err)?;
            }
            Ok(None)
        }
        (Kind::Thr, Role::Recv) => {
            let progress = Progress::new(plan.count);
            let first = socket.recv().map_err(err)?;
            check_size(&first, plan.size)?;
            let start = Instant::now();
            for i in 1..plan.count {
                let msg = socket.recv().map_err(err)?;
                check_size(&msg, plan.size)?;
                progress.tick(i);
            }
            let elapsed = start.elapsed();
            progress.finish();
            Ok(Some(thr_line(plan, elapsed)))
        }
        (Kind::Lat, Role::Recv) => {
            for _ in 0..plan.count {
                let msg = socket.recv().map_err(err)?;
                socket.send(msg).map_err(err)?;
            }
            Ok(None)
        }
        (Kind::Lat, Role::Send) => {
            let progress = Progress::new(plan.count);
            let payload = ferromq::Bytes::from(vec![0u8; plan.size]);
            let mut rtts = Vec::with_capacity(plan.count as usize);
            for i in 0..plan.count {
                let sent = Instant::now();
                socket.send(payload.clone()).map_err(err)?;
                let reply = socket.recv().map_err(err)?;
                rtts.push(sent.elapsed());
                check_size(&reply, plan.size)?;
                progress.tick(i);
            }
            progress.finish();
            Ok(Some(lat_line(plan, &mut rtts)))
        }
    }
}

fn check_size(msg: &Message, size: usize) -> Result<(), String> {
    if msg.len() == 1 && msg[0].len() == size {
        Ok(())
    } else {
        Err(format!(
            "received a message of {} frame(s), {} bytes; expected one frame of {size}",
            msg.len(),
            msg.byte_len()
        ))
    }
}

fn thr_line(plan: &Plan, elapsed: Duration) -> String {
    // libzmq's method: count - 1 intervals between the first and the last message.
    let secs = elapsed.as_secs_f64().max(1e-9);
    let rate = (plan.count.saturating_sub(1)).max(1) as f64 / secs;
    format!(
        "thr: {} messages of {} B in {:.3} s: {:.0} msg/s, {:.1} MB/s",
        plan.count,
        plan.size,
        secs,
        rate,
        rate * plan.size as f64 / 1e6
    )
}

fn lat_line(plan: &Plan, rtts: &mut [Duration]) -> String {
    rtts.sort_unstable();
    let mean = rtts.iter().sum::<Duration>().as_secs_f64() / rtts.len().max(1) as f64;
    let p99 = rtts
        .get((rtts.len() * 99 / 100).min(rtts.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default();
    format!(
        "lat: {} round trips of {} B: one-way latency mean {:.1} µs, p99 {:.1} µs",
        plan.count,
        plan.size,
        mean * 1e6 / 2.0,
        p99.as_secs_f64() * 1e6 / 2.0
    )
}

/// Both sides: this side binds and measures; the other connects, in a thread (inproc) or in
/// a child process (tcp, ipc).
fn both_sides(
    ctx: &Context,
    plan: &Plan,
    transport: Transport,
    curve: bool,
) -> Result<Option<String>, String> {
    // With --curve: this (binding) side is the server, the other its client.
    let keys = curve
        .then(|| ferromq::curve_keypair().map_err(|e| e.to_string()))
        .transpose()?;
    let server_key = keys.as_ref().map(|k| k.public_z85());
    let ours = match keys {
        Some(keys) => Security::CurveServer { keys, allow: None },
        None => Security::Null,
    };
    let mut auth = None;
    let measuring = match plan.kind {
        Kind::Thr => Role::Recv,
        Kind::Lat => Role::Send,
    };
    let other = match measuring {
        Role::Recv => Role::Send,
        Role::Send => Role::Recv,
    };
    let ep = match transport {
        Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
        Transport::Ipc => format!(
            "ipc://{}/fmq-bench-{}.sock",
            std::env::temp_dir().display(),
            std::process::id()
        ),
        Transport::Inproc => "inproc://fmq-bench".to_owned(),
    };
    let side = Side {
        ctx,
        security: &ours,
        auth: &mut auth,
    };
    let socket = open(side, plan, measuring, &ep, true)?;
    let ep = socket.last_endpoint().unwrap_or(ep);
    if transport == Transport::Inproc {
        // inproc has no mechanism (as in libzmq): --curve changes nothing there.
        return std::thread::scope(|s| {
            let peer = s.spawn(|| -> Result<Option<String>, String> {
                let mut none = None;
                let side = Side {
                    ctx,
                    security: &Security::Null,
                    auth: &mut none,
                };
                let socket = open(side, plan, other, &ep, false)?;
                serve(&socket, plan, other)
            });
            let line = serve(&socket, plan, measuring);
            peer.join()
                .map_err(|_| "the other side panicked".to_owned())??;
            line
        });
    }
    let kind = match plan.kind {
        Kind::Thr => "thr",
        Kind::Lat => "lat",
    };
    let role = match other {
        Role::Send => "send",
        Role::Recv => "recv",
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find fmq itself: {e}"))?;
    let mut child = std::process::Command::new(exe)
        .args(["bench", kind, "--role", role, "--connect", &ep])
        .args([
            "--size",
            &plan.size.to_string(),
            "--count",
            &plan.count.to_string(),
        ])
        .args(server_key.map(|k| format!("--curve-serverkey={k}")))
        .spawn()
        .map_err(|e| format!("cannot start the other side: {e}"))?;
    let line = serve(&socket, plan, measuring);
    if line.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the other side failed: {status}"));
    }
    line
}

/// A progress bar on a terminal (standard error), nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len} {per_sec}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    /// Called per message: updates the bar a hundred times in all, not per message.
    fn tick(&self, done: u64) {
        if let Some(bar) = &self.0 {
            let step = (bar.length().unwrap_or(1) / 100).max(1);
            if done % step == 0 {
                bar.set_position(done);
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
