//! The food truck simulation: two ways to run the same kitchen.
//!
//! Every order goes through four stages: taking the order, getting the ingredients, cooking
//! and packing. Each stage is a service (a thread) that talks to the others only through
//! ferromq sockets; a stage's work is a simulated wait.
//!
//! **Version 1, synchronous.** The order taker calls each stage in turn with REQ/REP and waits
//! for it before calling the next. One order occupies the whole truck: while the cook cooks,
//! the order taker cannot take the next order and the other stages stand idle.
//!
//! ```text
//!  customers ─DEALER→ ROUTER order taker ─REQ→ REP ingredients
//!                                         ─REQ→ REP cook
//!                                         ─REQ→ REP packer
//! ```
//!
//! **Version 2, asynchronous.** Each part uses the pattern that fits it. Orders come in on a
//! ROUTER, so the order taker can talk to many customers. Work flows down a PUSH/PULL
//! pipeline: two ingredient helpers, then a pass (a streamer proxy) that spreads dishes over N
//! cooks, then a packing line (another streamer) to the packer, and a sink. Small high-water marks keep every queue short, so the
//! order taker holds back when the kitchen is full instead of burying it. The sink announces
//! "order ready" on PUB/SUB to a display and sends the meal back through the order taker.
//!
//! ```text
//!  customers ─DEALER→ ROUTER order taker ─PUSH→ PULL helpers ─PUSH→ [pass: PULL|PUSH] ─→ PULL cooks
//!                      ↑ PULL desk ←────── acks ─────────────────────────────────────── PUSH cooks
//!                      └─────────── meals ── PUSH sink ←PULL─ PUSH packer ←─ [packing line] ←─ PUSH cooks
//!                                             PUB → SUB display
//! ```
//!
//! Orders carry ids, and a cook acknowledges each order it has cooked. An order that is not
//! acknowledged in time (its cook died) is sent again; if the dead cook had cooked it before
//! dying, the sink sees it twice and serves it once. Every order's message carries its trace:
//! which worker did which stage, when.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferromq::{Bytes, Context, Error, Events, Message, Socket, SocketType};

/// The stages, in order.
pub const STAGES: [&str; 4] = ["order", "ingredients", "cook", "pack"];

/// How the services reach each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Inproc,
    Ipc,
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Inproc => "inproc",
            Transport::Ipc => "ipc",
            Transport::Tcp => "tcp",
        })
    }
}

/// What a run simulates.
#[derive(Clone, Debug)]
pub struct Config {
    pub orders: usize,
    /// Cooks in version 2.
    pub cooks: usize,
    /// Ingredient helpers in version 2.
    pub helpers: usize,
    /// Packers in version 2.
    pub packers: usize,
    /// Order takers in the truck's process in version 2: 1, or 0 with `bind` when the order
    /// taker runs in a process of its own.
    pub takers: usize,
    pub transport: Transport,
    pub seed: u64,
    /// The base duration of each stage, in the order of [`STAGES`]; each order's actual
    /// duration varies by up to ±20 %, drawn from the seed.
    pub durations: [Duration; 4],
    /// Version 2: the first cook dies after cooking this many orders.
    pub kill_cook_after: Option<usize>,
    /// Version 2: an order not acknowledged by a cook within this time is sent again.
    pub resend_after: Duration,
    /// Version 2: bind the kitchen's endpoints at this base (`tcp://HOST:PORT`: nine ports
    /// from PORT; `ipc:///PATH`: sockets `/PATH-NAME.sock`) so that stages in other processes
    /// can connect to it (see [`run_stage`]); `None`: private endpoints.
    pub bind: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            orders: 40,
            cooks: 4,
            helpers: 2,
            packers: 1,
            takers: 1,
            transport: Transport::Inproc,
            seed: 7,
            durations: [5, 10, 40, 5].map(Duration::from_millis),
            kill_cook_after: None,
            resend_after: Duration::from_millis(500),
            bind: None,
        }
    }
}

impl Config {
    /// How long `stage` takes for order `id`: the same in both versions and on every run with
    /// the same seed.
    pub fn duration(&self, stage: usize, id: u64) -> Duration {
        let r = splitmix(self.seed ^ (id << 8) ^ stage as u64);
        let factor = 0.8 + 0.4 * (r >> 11) as f64 / (1u64 << 53) as f64;
        self.durations[stage].mul_f64(factor)
    }
}

/// One stage's work on one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub stage: String,
    pub worker: String,
    /// Microseconds since the Unix epoch.
    pub start_us: u64,
    pub end_us: u64,
}

/// An order as its customer received it.
#[derive(Clone, Debug)]
pub struct Meal {
    pub id: u64,
    pub trace: Vec<Span>,
    /// From placing the order to receiving the meal.
    pub latency: Duration,
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Report {
    /// Every meal received, in the order the customers received them.
    pub meals: Vec<Meal>,
    pub wall: Duration,
    /// Orders sent again because no cook acknowledged them in time.
    pub resent: usize,
    /// Orders cooked twice (their cook died before acknowledging), served once.
    pub recooked: usize,
    /// "order ready" announcements the display saw.
    pub announced: usize,
    /// Microseconds since the Unix epoch when the run started.
    pub start_us: u64,
}

impl Report {
    /// Orders served per second.
    pub fn throughput(&self) -> f64 {
        self.meals.len() as f64 / self.wall.as_secs_f64()
    }

    /// Checks that each of `orders` orders was served exactly once, its stages in order and
    /// none started before the one before it ended.
    pub fn check(&self, orders: usize) -> Result<(), String> {
        let mut seen = HashSet::new();
        for meal in &self.meals {
            if !seen.insert(meal.id) {
                return Err(format!("order {} was served twice", meal.id));
            }
            let stages: Vec<&str> = meal.trace.iter().map(|s| s.stage.as_str()).collect();
            if stages != STAGES {
                return Err(format!("order {} went through {stages:?}", meal.id));
            }
            if meal.trace.windows(2).any(|w| w[1].start_us < w[0].end_us) {
                return Err(format!("order {} had a stage start early", meal.id));
            }
        }
        if seen.len() != orders || seen.iter().any(|&id| id >= orders as u64) {
            return Err(format!("{} of {orders} orders served", seen.len()));
        }
        Ok(())
    }

    /// The `p`-th percentile (0 to 100) of the meals' latencies.
    pub fn latency(&self, p: f64) -> Duration {
        let mut l: Vec<Duration> = self.meals.iter().map(|m| m.latency).collect();
        l.sort();
        if l.is_empty() {
            return Duration::ZERO;
        }
        let i = ((p / 100.0) * (l.len() - 1) as f64).round() as usize;
        l[i.min(l.len() - 1)]
    }
}

/// A small, well-mixed hash (SplitMix64), for reproducible variation without a dependency.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

// ----- messages -----
//
// An order on the way through the kitchen is [id, span, span, ...]; a span is the text
// "stage worker start_us end_us".

fn order_id(msg: &Message) -> Option<u64> {
    std::str::from_utf8(msg.first()?).ok()?.parse().ok()
}

fn parse_span(frame: &[u8]) -> Option<Span> {
    let text = std::str::from_utf8(frame).ok()?;
    let mut parts = text.split(' ');
    let stage = parts.next()?.to_owned();
    let worker = parts.next()?.to_owned();
    let start_us = parts.next()?.parse().ok()?;
    let end_us = parts.next()?.parse().ok()?;
    Some(Span {
        stage,
        worker,
        start_us,
        end_us,
    })
}

/// Does `stage`'s work on `order` (waits its duration) and adds the span to the order.
fn work(cfg: &Config, stage: usize, worker: &str, order: &mut Message) {
    let id = order_id(order).unwrap_or(0);
    let start = now_us();
    std::thread::sleep(cfg.duration(stage, id));
    let span = format!("{} {worker} {start} {}", STAGES[stage], now_us());
    order.push_back(Bytes::from(span));
}

// ----- plumbing -----

/// The kitchen's endpoints that stages in other processes connect to, in the order of their
/// port offsets from a tcp base.
const SHARED: [&str; 9] = [
    "orders",
    "ingredients",
    "desk",
    "pass-in",
    "pass-out",
    "packing",
    "pack-out",
    "sink",
    "display",
];

/// Endpoint `name` at a public base (see [`Config::bind`]).
fn shared_endpoint(base: &str, name: &str) -> ferromq::Result<String> {
    let invalid = |reason: &str| ferromq::Error::InvalidEndpoint {
        endpoint: base.to_owned(),
        reason: reason.to_owned(),
    };
    let offset = SHARED.iter().position(|n| *n == name).unwrap_or(0) as u16;
    if let Some(rest) = base.strip_prefix("tcp://") {
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| invalid("a tcp base needs a port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| invalid("a tcp base needs a numeric port"))?;
        let port = port
            .checked_add(offset)
            .ok_or_else(|| invalid("the port is too high for eight endpoints"))?;
        Ok(format!("tcp://{host}:{port}"))
    } else if base.starts_with("ipc://") {
        Ok(format!("{base}-{name}.sock"))
    } else {
        Err(invalid("a base is tcp://HOST:PORT or ipc:///PATH"))
    }
}

/// Names endpoints for one run, so that runs (and tests in parallel) never collide.
struct Endpoints {
    transport: Transport,
    tag: String,
    base: Option<String>,
}

impl Endpoints {
    fn new(transport: Transport, base: Option<String>) -> Self {
        static RUN: AtomicUsize = AtomicUsize::new(0);
        let n = RUN.fetch_add(1, Ordering::Relaxed);
        Endpoints {
            transport,
            tag: format!("foodtruck-{}-{n}", std::process::id()),
            base,
        }
    }

    /// Binds `socket` for `name`; returns the endpoint to connect to.
    fn bind(&self, socket: &Socket, name: &str) -> ferromq::Result<String> {
        let ep = match (&self.base, self.transport) {
            (Some(base), _) if SHARED.contains(&name) => shared_endpoint(base, name)?,
            (_, Transport::Inproc) => format!("inproc://{}-{name}", self.tag),
            (_, Transport::Ipc) => format!(
                "ipc://{}/{}-{name}.sock",
                std::env::temp_dir().display(),
                self.tag
            ),
            (_, Transport::Tcp) => "tcp://127.0.0.1:*".to_owned(),
        };
        socket.bind(&ep)?;
        Ok(socket.last_endpoint().unwrap_or(ep))
    }
}

/// A socket set up for the simulation: short receive timeouts (workers look at the stop flag
/// between messages), bounded sends, and nothing left lingering at the end.
fn socket(ctx: &Context, t: SocketType) -> ferromq::Result<Socket> {
    let s = ctx.socket(t)?;
    s.set_rcvtimeo(20)?;
    s.set_sndtimeo(20)?;
    s.set_linger(0)?;
    Ok(s)
}

/// The next message, or `None` once `stop` is set or the socket fails.
fn next(socket: &Socket, stop: &AtomicBool) -> Option<Message> {
    loop {
        match socket.recv() {
            Ok(msg) => return Some(msg),
            Err(Error::TimedOut) if !stop.load(Ordering::Relaxed) => continue,
            Err(_) => return None,
        }
    }
}

/// Sends `msg`, waiting while the next stage is full, unless `stop` is set first.
fn put(socket: &Socket, msg: Message, stop: &AtomicBool) -> bool {
    loop {
        match socket.send(msg.clone()) {
            Ok(()) => return true,
            Err(Error::TimedOut) if !stop.load(Ordering::Relaxed) => continue,
            Err(_) => return false,
        }
    }
}

/// A ROUTER's message: the customer's routing id, and the order.
fn split_customer(msg: Message) -> (Bytes, Message) {
    let mut frames = msg.into_frames();
    let customer = frames.remove(0);
    (customer, Message::from(frames))
}

/// The customers: place every order at once through a DEALER and collect the meals.
fn customers(
    cfg: &Config,
    orders_ep: &str,
    ctx: &Context,
    progress: &(dyn Fn(usize) + Sync),
) -> ferromq::Result<Vec<Meal>> {
    let dealer = socket(ctx, SocketType::Dealer)?;
    dealer.set_sndhwm(0)?;
    dealer.set_rcvhwm(0)?;
    dealer.set_rcvtimeo(60_000)?;
    dealer.connect(orders_ep)?;
    let placed: Mutex<Vec<Option<Instant>>> = Mutex::new(vec![None; cfg.orders]);
    let mut meals = Vec::with_capacity(cfg.orders);
    std::thread::scope(|s| -> ferromq::Result<()> {
        let sender = s.spawn(|| -> ferromq::Result<()> {
            for id in 0..cfg.orders {
                placed.lock().unwrap()[id] = Some(Instant::now());
                dealer.send(id.to_string())?;
            }
            Ok(())
        });
        while meals.len() < cfg.orders {
            let msg = dealer.recv()?;
            let received = Instant::now();
            let Some(id) = order_id(&msg) else { continue };
            let since = placed
                .lock()
                .unwrap()
                .get(id as usize)
                .copied()
                .flatten()
                .unwrap_or(received);
            let trace = msg.iter().skip(1).filter_map(|f| parse_span(f)).collect();
            meals.push(Meal {
                id,
                trace,
                latency: received - since,
            });
            progress(meals.len());
        }
        sender.join().expect("the customers' sender panicked")
    })?;
    Ok(meals)
}

// ----- version 1 -----

/// Version 1: one order at a time, each stage called with REQ/REP.
pub fn run_v1(cfg: &Config, progress: &(dyn Fn(usize) + Sync)) -> ferromq::Result<Report> {
    let ctx = Context::new();
    let eps = Endpoints::new(cfg.transport, None);
    let stop = AtomicBool::new(false);
    let start_us = now_us();
    let started = Instant::now();

    // The stage services after the order taker: a REP each.
    let mut services = Vec::new();
    let mut service_eps = Vec::new();
    for stage in STAGES.iter().skip(1) {
        let rep = socket(&ctx, SocketType::Rep)?;
        service_eps.push(eps.bind(&rep, &format!("v1-{stage}"))?);
        services.push(rep);
    }
    let front = socket(&ctx, SocketType::Router)?;
    front.set_sndhwm(0)?;
    let orders_ep = eps.bind(&front, "v1-orders")?;

    let meals = std::thread::scope(|s| -> ferromq::Result<Vec<Meal>> {
        for (i, rep) in services.iter().enumerate() {
            let (stop, stage) = (&stop, i + 1);
            s.spawn(move || {
                while let Some(mut order) = next(rep, stop) {
                    work(cfg, stage, STAGES[stage], &mut order);
                    if !put(rep, order, stop) {
                        break;
                    }
                }
            });
        }
        let taker = s.spawn(|| -> ferromq::Result<()> {
            let mut callers = Vec::new();
            for ep in &service_eps {
                let req = socket(&ctx, SocketType::Req)?;
                req.set_rcvtimeo(-1)?;
                req.connect(ep)?;
                callers.push(req);
            }
            while let Some(msg) = next(&front, &stop) {
                // [customer, id]: take the order, then call each stage and wait for it.
                let (customer, mut order) = split_customer(msg);
                work(cfg, 0, "taker", &mut order);
                for req in &callers {
                    req.send(order)?;
                    order = req.recv()?;
                }
                order.push_front(customer);
                front.send(order)?;
            }
            Ok(())
        });
        let meals = customers(cfg, &orders_ep, &ctx, progress);
        stop.store(true, Ordering::Relaxed);
        taker.join().expect("the order taker panicked")?;
        meals
    })?;
    Ok(Report {
        meals,
        wall: started.elapsed(),
        resent: 0,
        recooked: 0,
        announced: 0,
        start_us,
    })
}

// ----- version 2 -----

/// Version 2: a pipeline with many workers, flow control by high-water marks, "ready"
/// announcements on PUB/SUB, and re-sending of orders a dead cook never acknowledged.
pub fn run_v2(cfg: &Config, progress: &(dyn Fn(usize) + Sync)) -> ferromq::Result<Report> {
    let ctx = Context::new();
    let eps = Endpoints::new(cfg.transport, cfg.bind.clone());
    let stop = AtomicBool::new(false);
    let start_us = now_us();
    let started = Instant::now();

    // Everything that binds, bound before anyone connects. The order taker may run in a
    // process of its own; then its endpoints are at the public base.
    let taker = match (cfg.takers, &cfg.bind) {
        (0, Some(_)) => None,
        _ => Some(Taker::bind(&ctx, &eps)?),
    };
    let [orders_ep, helpers_ep, desk_ep] = match (&taker, &cfg.bind) {
        (Some(t), _) => [t.orders_ep.clone(), t.helpers_ep.clone(), t.desk_ep.clone()],
        (None, Some(base)) => [
            shared_endpoint(base, "orders")?,
            shared_endpoint(base, "ingredients")?,
            shared_endpoint(base, "desk")?,
        ],
        (None, None) => unreachable!("a truck without a taker has a base"),
    };
    // The pass spreads dishes from the helpers over the cooks; the packing line spreads cooked
    // dishes over the packers.
    let pass = Streamer::bind(&ctx, &eps, "pass-in", "pass-out")?;
    let packing = Streamer::bind(&ctx, &eps, "packing", "pack-out")?;
    let sink_in = socket(&ctx, SocketType::Pull)?;
    let sink_ep = eps.bind(&sink_in, "sink")?;
    let display_pub = socket(&ctx, SocketType::Pub)?;
    let display_ep = eps.bind(&display_pub, "display")?;

    let resent = AtomicUsize::new(0);
    let recooked = AtomicUsize::new(0);
    let announced = AtomicUsize::new(0);

    let meals = std::thread::scope(|s| -> ferromq::Result<Vec<Meal>> {
        let stop = &stop;
        let pass_thread = s.spawn(|| pass.run());
        let packing_thread = s.spawn(|| packing.run());

        for h in 0..cfg.helpers {
            let helper = Helper::connect(&ctx, &helpers_ep, &pass.in_ep)?;
            s.spawn(move || helper.run(cfg, &format!("helper-{h}"), stop));
        }
        for c in 0..cfg.cooks {
            let cook = Cook::connect(&ctx, &pass.out_ep, &packing.in_ep, &desk_ep)?;
            let dies_after = if c == 0 { cfg.kill_cook_after } else { None };
            s.spawn(move || cook.run(cfg, &format!("cook-{c}"), dies_after, stop));
        }
        for p in 0..cfg.packers {
            let packer = Packer::connect(&ctx, &packing.out_ep, &sink_ep)?;
            let name = if cfg.packers == 1 {
                "packer".to_owned()
            } else {
                format!("packer-{p}")
            };
            s.spawn(move || packer.run(cfg, &name, stop));
        }

        // The sink: serves each order once, announces it, and returns the meal to the desk.
        let to_desk = socket(&ctx, SocketType::Push)?;
        to_desk.connect(&desk_ep)?;
        let recooked = &recooked;
        s.spawn(move || {
            let mut served = HashSet::new();
            while let Some(order) = next(&sink_in, stop) {
                let Some(id) = order_id(&order) else { continue };
                if served.insert(id) {
                    let _ = display_pub.send(format!("ready {id}"));
                    let mut meal = order;
                    meal.push_front("meal");
                    if !put(&to_desk, meal, stop) {
                        break;
                    }
                } else {
                    recooked.fetch_add(1, Ordering::Relaxed);
                }
            }
        });

        // The display: counts the announcements.
        let display = socket(&ctx, SocketType::Sub)?;
        display.subscribe("ready ")?;
        display.connect(&display_ep)?;
        let announced = &announced;
        s.spawn(move || {
            while next(&display, stop).is_some() {
                announced.fetch_add(1, Ordering::Relaxed);
            }
        });

        // The order taker.
        let resent = &resent;
        let taker = taker.as_ref().map(|t| s.spawn(|| t.run(cfg, stop, resent)));

        let meals = customers(cfg, &orders_ep, &ctx, progress);
        stop.store(true, Ordering::Relaxed);
        if let Some(taker) = taker {
            taker.join().expect("the order taker panicked")?;
        }
        for (streamer, thread) in [(&pass, pass_thread), (&packing, packing_thread)] {
            streamer.terminate();
            thread.join().expect("a streamer panicked")?;
        }
        meals
    })?;
    Ok(Report {
        meals,
        wall: started.elapsed(),
        resent: resent.load(Ordering::Relaxed),
        recooked: recooked.load(Ordering::Relaxed),
        announced: announced.load(Ordering::Relaxed),
        start_us,
    })
}

/// An ingredients helper: orders in from the order taker, out to the pass.
struct Helper {
    input: Socket,
    output: Socket,
}

impl Helper {
    fn connect(ctx: &Context, ingredients: &str, pass_in: &str) -> ferromq::Result<Helper> {
        let (input, output) = (
            socket(ctx, SocketType::Pull)?,
            socket(ctx, SocketType::Push)?,
        );
        input.set_rcvhwm(1)?;
        input.connect(ingredients)?;
        output.connect(pass_in)?;
        Ok(Helper { input, output })
    }

    fn run(&self, cfg: &Config, name: &str, stop: &AtomicBool) {
        while let Some(mut order) = next(&self.input, stop) {
            work(cfg, 1, name, &mut order);
            if !put(&self.output, order, stop) {
                break;
            }
        }
    }
}

/// A streamer proxy between two stages (PULL in, PUSH out), stopped through its control
/// socket.
struct Streamer {
    input: Socket,
    output: Socket,
    in_ep: String,
    out_ep: String,
    control: Socket,
    steer: Socket,
}

impl Streamer {
    fn bind(
        ctx: &Context,
        eps: &Endpoints,
        input_name: &str,
        output_name: &str,
    ) -> ferromq::Result<Streamer> {
        let (input, output) = (
            socket(ctx, SocketType::Pull)?,
            socket(ctx, SocketType::Push)?,
        );
        // Short queues: a dish waits in the proxy only until a worker is free.
        input.set_rcvhwm(2)?;
        output.set_sndhwm(1)?;
        let in_ep = eps.bind(&input, input_name)?;
        let out_ep = eps.bind(&output, output_name)?;
        let control_ep = format!("inproc://{}-{input_name}-control", eps.tag);
        let (control, steer) = (
            socket(ctx, SocketType::Pair)?,
            socket(ctx, SocketType::Pair)?,
        );
        control.bind(&control_ep)?;
        steer.connect(&control_ep)?;
        Ok(Streamer {
            input,
            output,
            in_ep,
            out_ep,
            control,
            steer,
        })
    }

    fn run(&self) -> ferromq::Result<ferromq::ProxyStats> {
        ferromq::proxy_steerable(&self.input, &self.output, None, Some(&self.control))
    }

    fn terminate(&self) {
        let _ = self.steer.send("TERMINATE");
    }
}

/// A packer: cooked dishes in from the packing line, packed meals out to the sink.
struct Packer {
    input: Socket,
    output: Socket,
}

impl Packer {
    fn connect(ctx: &Context, pack_out: &str, sink: &str) -> ferromq::Result<Packer> {
        let (input, output) = (
            socket(ctx, SocketType::Pull)?,
            socket(ctx, SocketType::Push)?,
        );
        input.set_rcvhwm(1)?;
        input.connect(pack_out)?;
        output.connect(sink)?;
        Ok(Packer { input, output })
    }

    fn run(&self, cfg: &Config, name: &str, stop: &AtomicBool) {
        while let Some(mut order) = next(&self.input, stop) {
            work(cfg, 3, name, &mut order);
            if !put(&self.output, order, stop) {
                break;
            }
        }
    }
}

/// A cook: orders in from the pass, dishes out to the packer, acknowledgements to the desk.
struct Cook {
    input: Socket,
    output: Socket,
    acks: Socket,
}

impl Cook {
    fn connect(ctx: &Context, pass_out: &str, packing: &str, desk: &str) -> ferromq::Result<Cook> {
        let input = socket(ctx, SocketType::Pull)?;
        input.set_rcvhwm(1)?;
        input.connect(pass_out)?;
        let (output, acks) = (
            socket(ctx, SocketType::Push)?,
            socket(ctx, SocketType::Push)?,
        );
        // A dish passed on is delivered even if its cook dies right after.
        output.set_linger(1000)?;
        output.connect(packing)?;
        acks.connect(desk)?;
        Ok(Cook {
            input,
            output,
            acks,
        })
    }

    /// Cooks until `stop`, or dies after `dies_after` orders.
    fn run(&self, cfg: &Config, name: &str, dies_after: Option<usize>, stop: &AtomicBool) {
        let mut cooked = 0;
        while let Some(mut order) = next(&self.input, stop) {
            let id = order[0].clone();
            work(cfg, 2, name, &mut order);
            if !put(&self.output, order, stop) {
                break;
            }
            cooked += 1;
            if dies_after == Some(cooked) {
                // Dies after passing the dish on but before acknowledging it; the orders
                // waiting in its queue die with it.
                return;
            }
            if !put(
                &self.acks,
                Message::from([Bytes::from_static(b"ack"), id]),
                stop,
            ) {
                break;
            }
        }
    }
}

/// The stages that can run in a process of their own.
pub const EXTERNAL_STAGES: [&str; 5] = ["taker", "helper", "cook", "packer", "display"];

/// Runs one version-2 stage (`taker`, `helper`, `cook`, `packer` or `display`) in this process, connected to a
/// truck whose kitchen is bound at `base` (`--bind`). Runs until killed (a cook with
/// `kill_cook_after` dies after that many orders); the connections are remade whenever the
/// truck restarts.
pub fn run_stage(cfg: &Config, stage: &str, base: &str) -> ferromq::Result<()> {
    let ctx = Context::new();
    let never = AtomicBool::new(false);
    let ep = |name| shared_endpoint(base, name);
    let name = format!("{stage}-{}", std::process::id());
    match stage {
        "taker" => {
            let eps = Endpoints::new(cfg.transport, Some(base.to_owned()));
            Taker::bind(&ctx, &eps)?.run(cfg, &never, &AtomicUsize::new(0))?
        }
        "packer" => Packer::connect(&ctx, &ep("pack-out")?, &ep("sink")?)?.run(cfg, &name, &never),
        "helper" => {
            Helper::connect(&ctx, &ep("ingredients")?, &ep("pass-in")?)?.run(cfg, &name, &never)
        }
        "cook" => Cook::connect(&ctx, &ep("pass-out")?, &ep("packing")?, &ep("desk")?)?.run(
            cfg,
            &name,
            cfg.kill_cook_after,
            &never,
        ),
        "display" => {
            let display = socket(&ctx, SocketType::Sub)?;
            display.subscribe("ready ")?;
            display.connect(&ep("display")?)?;
            while let Some(msg) = next(&display, &never) {
                println!("{}", String::from_utf8_lossy(&msg[0]));
            }
        }
        other => {
            return Err(ferromq::Error::InvalidOption {
                option: "stage",
                reason: format!("{other:?} is not one of {EXTERNAL_STAGES:?}"),
            })
        }
    }
    Ok(())
}

/// Version 2's order taker: a ROUTER for the customers, a PUSH to the helpers, and a PULL
/// "desk" for acknowledgements and finished meals.
struct Taker {
    front: Socket,
    to_helpers: Socket,
    desk: Socket,
    orders_ep: String,
    helpers_ep: String,
    desk_ep: String,
}

impl Taker {
    fn bind(ctx: &Context, eps: &Endpoints) -> ferromq::Result<Taker> {
        let front = socket(ctx, SocketType::Router)?;
        front.set_sndhwm(0)?;
        let orders_ep = eps.bind(&front, "orders")?;
        let to_helpers = socket(ctx, SocketType::Push)?;
        to_helpers.set_sndhwm(2)?;
        let helpers_ep = eps.bind(&to_helpers, "ingredients")?;
        let desk = socket(ctx, SocketType::Pull)?;
        let desk_ep = eps.bind(&desk, "desk")?;
        Ok(Taker {
            front,
            to_helpers,
            desk,
            orders_ep,
            helpers_ep,
            desk_ep,
        })
    }

    fn run(&self, cfg: &Config, stop: &AtomicBool, resent: &AtomicUsize) -> ferromq::Result<()> {
        take_orders(cfg, &self.front, &self.to_helpers, &self.desk, stop, resent)
    }
}

/// The order taker's loop: takes orders while the kitchen has room, sends each down the
/// pipeline, keeps it until a cook acknowledges it (sending it again if none does in time),
/// and routes finished meals back to their customers.
fn take_orders(
    cfg: &Config,
    front: &Socket,
    to_helpers: &Socket,
    desk: &Socket,
    stop: &AtomicBool,
    resent: &AtomicUsize,
) -> ferromq::Result<()> {
    // Orders in the kitchen and not yet acknowledged, with when they were sent.
    let mut unacked: HashMap<u64, (Message, Instant)> = HashMap::new();
    let mut customer_of: HashMap<u64, Bytes> = HashMap::new();
    let window = 2 * cfg.cooks + cfg.helpers + 2;
    while !stop.load(Ordering::Relaxed) {
        let room = if unacked.len() < window {
            Events::IN
        } else {
            Events::NONE
        };
        let mut items = [front.as_poll_item(room), desk.as_poll_item(Events::IN)];
        ferromq::poll(&mut items, 10)?;
        let (new_order, news) = (items[0].is_readable(), items[1].is_readable());

        if new_order {
            let (customer, mut order) = split_customer(front.try_recv()?);
            if let Some(id) = order_id(&order) {
                customer_of.insert(id, customer);
                work(cfg, 0, "taker", &mut order);
                if !put(to_helpers, order.clone(), stop) {
                    break;
                }
                unacked.insert(id, (order, Instant::now()));
            }
        }
        if news {
            while let Ok(mut msg) = desk.try_recv() {
                let kind = msg.pop_front().unwrap_or_default();
                let Some(id) = order_id(&msg) else { continue };
                match &kind[..] {
                    b"ack" => {
                        unacked.remove(&id);
                    }
                    b"meal" => {
                        if let Some(customer) = customer_of.remove(&id) {
                            msg.push_front(customer);
                            front.send(msg)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        // Orders nobody acknowledged in time go out again.
        let now = Instant::now();

        for (order, sent) in unacked.values_mut() {
            if now.duration_since(*sent) >= cfg.resend_after {
                if !put(to_helpers, order.clone(), stop) {
                    return Ok(());
                }
                *sent = now;
                resent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}
