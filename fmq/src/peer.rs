//! `fmq TYPE ...`: one socket of any type, joined to standard input and output.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{ArgGroup, Args, ValueEnum};
use ferromq::{Context, Error, Message, Socket, SocketType};

use crate::frames;

/// The socket types, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    Req,
    Rep,
    Dealer,
    Router,
    Pub,
    Sub,
    Xpub,
    Xsub,
    Push,
    Pull,
    Pair,
    /// Raw TCP: [routing id, bytes] (libzmq's ZMQ_STREAM).
    Stream,
}

impl From<TypeArg> for SocketType {
    fn from(t: TypeArg) -> SocketType {
        match t {
            TypeArg::Req => SocketType::Req,
            TypeArg::Rep => SocketType::Rep,
            TypeArg::Dealer => SocketType::Dealer,
            TypeArg::Router => SocketType::Router,
            TypeArg::Pub => SocketType::Pub,
            TypeArg::Sub => SocketType::Sub,
            TypeArg::Xpub => SocketType::Xpub,
            TypeArg::Xsub => SocketType::Xsub,
            TypeArg::Push => SocketType::Push,
            TypeArg::Pull => SocketType::Pull,
            TypeArg::Pair => SocketType::Pair,
            TypeArg::Stream => SocketType::Stream,
        }
    }
}

/// Arguments of `fmq TYPE`.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("endpoints").required(true).multiple(true).args(["bind", "connect"])))]
pub struct PeerArgs {
    /// The socket type.
    #[arg(value_enum, value_name = "TYPE", required = true)]
    pub socket_type: Option<TypeArg>,
    /// Bind to an endpoint (tcp://*:5555, tcp://127.0.0.1:* for any free port, ipc:///path);
    /// may be repeated.
    #[arg(long, value_name = "EP")]
    pub bind: Vec<String>,
    /// Connect to an endpoint; may be repeated. Retried until the peer is there.
    #[arg(long, value_name = "EP")]
    pub connect: Vec<String>,
    /// SUB: subscribe to messages starting with PREFIX (may be repeated; none: everything).
    #[arg(short = 's', long = "subscribe", value_name = "PREFIX")]
    pub subscribe: Vec<String>,
    /// Exit after N messages received (REP and ROUTER with --echo: after N echoed).
    #[arg(short = 'n', value_name = "N")]
    pub count: Option<u64>,
    /// REP: reply with the request; ROUTER and STREAM: send every message back to its
    /// sender (STREAM's connect and disconnect notices are printed, not sent back).
    #[arg(long)]
    pub echo: bool,
    /// The socket's routing id (0x... for bytes).
    #[arg(long, value_name = "ID")]
    pub identity: Option<String>,
    /// Exit with status 3 when MS milliseconds pass without a message received.
    #[arg(long, value_name = "MS")]
    pub timeout: Option<u64>,
    #[command(flatten)]
    pub security: crate::security::SecurityArgs,
}

/// How `fmq` ends.
pub enum Exit {
    /// Status 0.
    Done,
    /// Status 3: `--timeout` passed without a message.
    TimedOut(Duration),
    /// Status 1.
    Failed(String),
    /// Status 2: arguments that cannot work together.
    Usage(String),
}

impl From<Error> for Exit {
    fn from(e: Error) -> Exit {
        Exit::Failed(e.to_string())
    }
}

/// Receives with the `-n` and `--timeout` rules.
struct Receiver<'a> {
    socket: &'a Socket,
    count: Option<u64>,
    timeout: Option<Duration>,
    received: u64,
    last: Instant,
}

impl Receiver<'_> {
    /// The next message; `Ok(None)` when `give_up` says to stop waiting.
    fn next(&mut self, give_up: &dyn Fn() -> bool) -> Result<Option<Message>, Exit> {
        const SLICE: Duration = Duration::from_millis(50);
        loop {
            let wait = match self.timeout {
                Some(t) => {
                    let left = t.saturating_sub(self.last.elapsed());
                    if left.is_zero() {
                        return Err(Exit::TimedOut(t));
                    }
                    left.min(SLICE)
                }
                None => SLICE,
            };
            self.socket.set_rcvtimeo(wait.as_millis().max(1) as i32)?;
            match self.socket.recv() {
                Ok(msg) => {
                    self.received += 1;
                    self.last = Instant::now();
                    return Ok(Some(msg));
                }
                Err(Error::TimedOut) if give_up() => return Ok(None),
                Err(Error::TimedOut) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether `-n` messages have arrived.
    fn enough(&self) -> bool {
        self.count.is_some_and(|n| self.received >= n)
    }
}

/// Prints a message as one line.
fn print(msg: &Message) -> Result<(), Exit> {
    let line = frames::encode_line(msg.iter().map(|f| &f[..]));
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // The reader went away (`fmq ... | head -1`): nothing more to do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Exit::Done),
        Err(e) => Err(Exit::Failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn message(line: &str) -> Message {
    Message::from(frames::decode_line(line))
}

/// Runs `fmq TYPE ...` with its checked security flags.
pub fn run(args: PeerArgs, security: crate::security::Security) -> Exit {
    let Some(type_arg) = args.socket_type else {
        return Exit::Failed("a socket type is needed".into());
    };
    let ctx = Context::new();
    // The ZAP handler of a server that admits only some peers: it lives as long as the socket.
    let mut auth = None;
    let socket = match setup(&ctx, type_arg, &args, &security, &mut auth) {
        Ok(s) => s,
        Err(e) => return Exit::Failed(e.to_string()),
    };
    let mut rx = Receiver {
        socket: &socket,
        count: args.count,
        timeout: args.timeout.map(Duration::from_millis),
        received: 0,
        last: Instant::now(),
    };
    let result = match type_arg {
        TypeArg::Req => run_req(&socket, &mut rx),
        TypeArg::Rep | TypeArg::Router | TypeArg::Stream if args.echo => run_echo(&socket, &mut rx),
        TypeArg::Rep => run_rep(&socket, &mut rx),
        TypeArg::Sub | TypeArg::Pull => run_receive_only(&mut rx),
        TypeArg::Pub | TypeArg::Push => run_send_only(&socket),
        TypeArg::Dealer
        | TypeArg::Router
        | TypeArg::Pair
        | TypeArg::Xpub
        | TypeArg::Xsub
        | TypeArg::Stream => run_both(&socket, &mut rx),
    };
    match result {
        Ok(()) => Exit::Done,
        Err(exit) => exit,
    }
}

fn setup(
    ctx: &Context,
    type_arg: TypeArg,
    args: &PeerArgs,
    security: &crate::security::Security,
    auth: &mut Option<ferromq::Authenticator>,
) -> ferromq::Result<Socket> {
    let socket = ctx.socket(type_arg.into())?;
    security.apply(ctx, &socket, "*", auth)?;
    if let Some(id) = &args.identity {
        socket.set_routing_id(frames::decode_frame(id))?;
    }
    if type_arg == TypeArg::Sub {
        if args.subscribe.is_empty() {
            socket.subscribe("")?;
        }
        for prefix in &args.subscribe {
            socket.subscribe(frames::decode_frame(prefix))?;
        }
    }
    if type_arg == TypeArg::Router {
        // An unknown routing id typed on standard input is reported, not dropped in silence.
        socket.set_router_mandatory(true)?;
    }
    for ep in &args.bind {
        socket.bind(ep)?;
        let bound = socket.last_endpoint().unwrap_or_default();
        if &bound != ep {
            eprintln!("fmq: bound {bound}");
        }
    }
    for ep in &args.connect {
        socket.connect(ep)?;
    }
    Ok(socket)
}

/// Lines of standard input, until its end.
fn input_lines() -> impl Iterator<Item = Result<String, Exit>> {
    std::io::stdin()
        .lock()
        .lines()
        .map(|l| l.map_err(|e| Exit::Failed(format!("cannot read standard input: {e}"))))
}

/// REQ: each line is a request; its reply is printed before the next line is read.
fn run_req(socket: &Socket, rx: &mut Receiver<'_>) -> Result<(), Exit> {
    for line in input_lines() {
        socket.send(message(&line?))?;
        if let Some(reply) = rx.next(&|| false)? {
            print(&reply)?;
        }
        if rx.enough() {
            break;
        }
    }
    Ok(())
}

/// REP: each request is printed and answered with the next line of input.
fn run_rep(socket: &Socket, rx: &mut Receiver<'_>) -> Result<(), Exit> {
    let mut lines = input_lines();
    while let Some(request) = rx.next(&|| false)? {
        print(&request)?;
        let Some(line) = lines.next() else {
            return Ok(()); // no answer left
        };
        socket.send(message(&line?))?;
        if rx.enough() {
            break;
        }
    }
    Ok(())
}

/// The peers whose messages could not be echoed because they had left, each reported once.
#[derive(Default)]
struct LostPeers(std::collections::HashSet<ferromq::Bytes>);

impl LostPeers {
    /// Bounds the memory a stream of vanishing peers can take; past it, a peer may be
    /// reported again.
    const MAX: usize = 4096;

    fn report(&mut self, routing_id: ferromq::Bytes) {
        if self.0.len() >= Self::MAX {
            self.0.clear();
        }
        let mut id = String::new();
        frames::encode_frame(&routing_id, &mut id);
        if self.0.insert(routing_id) {
            eprintln!("fmq: peer {id} left before its echo; its messages are dropped");
        }
    }
}

/// REP or ROUTER with --echo: every message goes back where it came from. A sender that has
/// left by then (its connection closed, for a malformed frame say) loses its echo, which is
/// reported once; the other clients are served on.
fn run_echo(socket: &Socket, rx: &mut Receiver<'_>) -> Result<(), Exit> {
    let mut lost = LostPeers::default();
    // A STREAM's empty message says a peer came or went; sent back, it would close the
    // connection.
    let notice = |msg: &Message| {
        socket.socket_type() == SocketType::Stream && msg.last().is_some_and(|f| f.is_empty())
    };
    while let Some(msg) = rx.next(&|| false)? {
        // Back first (frames are shared, not copied), then printed.
        let sent = if notice(&msg) {
            Ok(())
        } else {
            socket.send(msg.clone())
        };
        match sent {
            Ok(()) => {}
            // `router_mandatory` reports what a plain ROUTER (or a REP) drops in silence.
            Err(Error::HostUnreachable { routing_id }) => lost.report(routing_id),
            Err(e) => return Err(e.into()),
        }
        print(&msg)?;
        if rx.enough() {
            break;
        }
    }
    Ok(())
}

/// SUB and PULL: print what arrives.
fn run_receive_only(rx: &mut Receiver<'_>) -> Result<(), Exit> {
    while let Some(msg) = rx.next(&|| false)? {
        print(&msg)?;
        if rx.enough() {
            break;
        }
    }
    Ok(())
}

/// PUB and PUSH: send each line.
fn run_send_only(socket: &Socket) -> Result<(), Exit> {
    for line in input_lines() {
        socket.send(message(&line?))?;
    }
    Ok(())
}

/// DEALER, ROUTER, PAIR, XPUB, XSUB: lines are sent as they come while what arrives is
/// printed; at the end of input, exit unless `-n` asks for more messages.
fn run_both(socket: &Socket, rx: &mut Receiver<'_>) -> Result<(), Exit> {
    let input_done = AtomicBool::new(false);
    let wait_for_count = rx.count.is_some();
    std::thread::scope(|s| {
        s.spawn(|| {
            for line in input_lines() {
                let Ok(line) = line else { break };
                match socket.send(message(&line)) {
                    Ok(()) => {}
                    // A typed id that names no peer (never there, or gone), or a line
                    // that is no message for this socket: that line is lost, not the rest.
                    Err(Error::HostUnreachable { routing_id }) => {
                        let mut id = String::new();
                        frames::encode_frame(&routing_id, &mut id);
                        eprintln!("fmq: no peer has the routing id {id}; message dropped");
                    }
                    Err(e @ Error::InvalidMessage(_)) => {
                        eprintln!("fmq: line not sent: {e}");
                    }
                    Err(e) => {
                        eprintln!("fmq: send failed: {e}");
                        break;
                    }
                }
            }
            input_done.store(true, Ordering::SeqCst);
        });
        let give_up = || input_done.load(Ordering::SeqCst) && !wait_for_count;
        let result = loop {
            match rx.next(&give_up) {
                Ok(Some(msg)) => {
                    if let Err(e) = print(&msg) {
                        break Err(e);
                    }
                    if rx.enough() {
                        break Ok(());
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        if input_done.load(Ordering::SeqCst) {
            result // the socket closes after the scope, lingering until its messages left
        } else {
            // The input thread is blocked reading (a terminal that may never end): leave
            // without it. What it sent earlier is normally written by now.
            std::process::exit(crate::exit_code(match result {
                Ok(()) => Exit::Done,
                Err(e) => e,
            }))
        }
    })
}
