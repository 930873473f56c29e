//! Network faults between real hosts: network namespaces joined by a bridge (see
//! `netns/mod.rs`), silent partitions from a link taken down, delay from a relay and packet
//! loss from nftables. Each scenario prints its figures (`cargo test --test fault_network --
//! --nocapture`); without root or iproute2 the tests skip, saying so.

mod common;
mod netns;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::*;
use ferromq::{Context, Error, EventKind, Monitor, Socket, SocketType as T};
use netns::{delaying_relay, one_at_a_time, resident_bytes, Lab};

/// The heartbeats every scenario that must notice a dead link uses.
const HEARTBEAT_IVL: i32 = 200;
const HEARTBEAT_TIMEOUT: i32 = 1000;
/// A dead link is noticed within `heartbeat_ivl + heartbeat_timeout`; this much more is
/// allowed for a timer that fires late on a loaded two-core machine.
const SCHEDULING_SLACK: Duration = Duration::from_millis(500);
/// Connection attempts to a host that does not answer are abandoned after this, so that a
/// healed link is used at once (the system's own limit is minutes of SYN retries).
const CONNECT_TIMEOUT: i32 = 500;

/// A socket for a fault scenario: bounded waits, heartbeats, a connect timeout.
fn socket(ctx: &Context, t: T) -> Socket {
    let s = ferro(ctx, t);
    s.set_heartbeat_ivl(HEARTBEAT_IVL).unwrap();
    s.set_heartbeat_timeout(HEARTBEAT_TIMEOUT).unwrap();
    s.set_connect_timeout(CONNECT_TIMEOUT).unwrap();
    s
}

fn detection_bound() -> Duration {
    Duration::from_millis((HEARTBEAT_IVL + HEARTBEAT_TIMEOUT) as u64) + SCHEDULING_SLACK
}

/// A monitor's events, each stamped with when it came: a scenario reads them later than
/// they happen, and its figures are the stamps.
struct Watch(mpsc::Receiver<(Instant, EventKind)>);

impl Watch {
    fn new(monitor: Monitor) -> Watch {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(e) = monitor.recv() {
                if e.kind == EventKind::MonitorStopped || tx.send((Instant::now(), e.kind)).is_err()
                {
                    break;
                }
            }
        });
        Watch(rx)
    }

    /// Waits (at most 10 s) for the next event of `kind`; when it came, from `since`.
    fn wait_for(&self, kind: EventKind, since: Instant) -> Duration {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok((at, k)) if k == kind => return at.saturating_duration_since(since),
                Ok(_) => {}
                Err(e) => panic!("no {kind:?} event within 10 s: {e}"),
            }
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

#[test]
fn a_silent_partition_of_dealer_and_router_is_noticed_and_heals_by_itself() {
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(2) else { return };
    let endpoint = lab.tcp(1, 5555);
    let (_server_ctx, router, router_events) = lab.on(1, || {
        let ctx = Context::new();
        let router = socket(&ctx, T::Router);
        router.set_router_mandatory(true).unwrap();
        let events = Watch::new(router.monitor());
        router.bind(&endpoint).unwrap();
        (ctx, router, events)
    });
    let (_client_ctx, dealer, dealer_events) = lab.on(0, || {
        let ctx = Context::new();
        let dealer = socket(&ctx, T::Dealer);
        dealer.set_routing_id("client").unwrap();
        let events = Watch::new(dealer.monitor());
        dealer.connect(&endpoint).unwrap();
        (ctx, dealer, events)
    });
    let round_trip = |body: &str| {
        dealer.send(body).unwrap();
        let request = router.recv().unwrap();
        assert_eq!(&request[0][..], b"client");
        assert_eq!(&request[1][..], body.as_bytes());
        router.send(["client", body]).unwrap();
        assert_eq!(&dealer.recv().unwrap()[0][..], body.as_bytes());
    };
    round_trip("before");

    let cut = Instant::now();
    lab.cut(1);
    let dealer_noticed = dealer_events.wait_for(EventKind::Disconnected, cut);
    let router_noticed = router_events.wait_for(EventKind::Disconnected, cut);
    for (side, took) in [("DEALER", dealer_noticed), ("ROUTER", router_noticed)] {
        assert!(
            took <= detection_bound(),
            "the {side} took {} to notice the partition (heartbeats: {HEARTBEAT_IVL} + \
             {HEARTBEAT_TIMEOUT} ms)",
            ms(took)
        );
    }
    // The peer is dropped: the ROUTER no longer knows it.
    assert!(
        matches!(
            router.send(["client", "lost"]),
            Err(Error::HostUnreachable { .. })
        ),
        "the partitioned peer is still routable"
    );
    // While the link is down, attempts to reconnect time out and are made again.
    let retrying = Instant::now();
    for _ in 0..2 {
        dealer_events.wait_for(EventKind::ConnectRetried, retrying);
    }

    let link_up = lab.heal(1);
    let healed = Instant::now();
    round_trip("after");
    let resumed = healed.elapsed();
    // An attempt made while the link was down is abandoned after `connect_timeout`, and
    // the next one follows `reconnect_ivl` (100 ms) later.
    let resume_bound = Duration::from_millis(CONNECT_TIMEOUT as u64 + 100) + SCHEDULING_SLACK;
    assert!(
        resumed <= resume_bound,
        "traffic resumed {} after the link was up again (bound {})",
        ms(resumed),
        ms(resume_bound)
    );
    eprintln!(
        "silent partition: DEALER noticed after {}, ROUTER after {} (bound {}); traffic \
         resumed {} after the link was up again (which took the kernel {})",
        ms(dealer_noticed),
        ms(router_noticed),
        ms(detection_bound()),
        ms(resumed),
        ms(link_up)
    );
}

#[test]
fn tcp_maxrt_drops_a_connection_whose_data_goes_unacknowledged() {
    const MAXRT: i32 = 1000;
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(2) else { return };
    let endpoint = lab.tcp(1, 5560);
    let (_server_ctx, _pull) = lab.on(1, || {
        let ctx = Context::new();
        let pull = ferro(&ctx, T::Pull);
        pull.bind(&endpoint).unwrap();
        (ctx, pull)
    });
    // No heartbeats: only the kernel's retransmission limit can notice.
    let (_client_ctx, push, events) = lab.on(0, || {
        let ctx = Context::new();
        let push = ferro(&ctx, T::Push);
        push.set_tcp_maxrt(MAXRT).unwrap();
        let events = Watch::new(push.monitor());
        push.connect(&endpoint).unwrap();
        (ctx, push, events)
    });
    events.wait_for(EventKind::HandshakeSucceeded, Instant::now());
    lab.cut(1);
    let cut = Instant::now();
    push.send("into the partition").unwrap();
    let noticed = events.wait_for(EventKind::Disconnected, cut);
    // The limit is checked when a retransmission timer fires (200 ms, then doubling).
    let bound = Duration::from_millis(MAXRT as u64 * 2) + SCHEDULING_SLACK;
    assert!(
        noticed <= bound,
        "dropped {} after the cut (tcp_maxrt {MAXRT} ms)",
        ms(noticed)
    );
    eprintln!(
        "tcp_maxrt {MAXRT} ms, no heartbeats: the unacknowledged connection was dropped {} \
         after the cut",
        ms(noticed)
    );
}

#[test]
fn pub_sub_across_a_five_second_partition() {
    const BODY: usize = 1024;
    const HWM: usize = 1000;
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(2) else { return };
    let endpoint = lab.tcp(0, 5556);
    let (_pub_ctx, publisher, pub_events) = lab.on(0, || {
        let ctx = Context::new();
        let publisher = socket(&ctx, T::Pub);
        publisher.set_sndhwm(HWM as i32).unwrap();
        let events = Watch::new(publisher.monitor());
        publisher.bind(&endpoint).unwrap();
        (ctx, publisher, events)
    });
    let (_sub_ctx, subscriber) = lab.on(1, || {
        let ctx = Context::new();
        let subscriber = socket(&ctx, T::Sub);
        subscriber.subscribe("a").unwrap();
        subscriber.connect(&endpoint).unwrap();
        (ctx, subscriber)
    });

    // Topics "a" and "b", numbered, about 50,000 messages a second: paced so that the
    // publisher outruns nothing but the partitioned link.
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(AtomicU64::new(0));
    let publishing = {
        let (stop, published) = (stop.clone(), published.clone());
        std::thread::spawn(move || {
            let body = vec![7u8; BODY];
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..250 {
                    for topic in ["a", "b"] {
                        publisher
                            .send([topic.as_bytes(), &seq.to_be_bytes()[..], &body[..]])
                            .unwrap();
                    }
                    seq += 1;
                }
                published.store(seq, Ordering::Relaxed);
                // Pacing, not waiting for an outcome.
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let receive = |subscriber: &Socket| {
        let m = subscriber.recv().expect("delivery");
        assert_eq!(&m[0][..], b"a", "a message the subscriber did not ask for");
        u64::from_be_bytes(m[1][..].try_into().unwrap())
    };
    for _ in 0..1000 {
        receive(&subscriber);
    }

    let before = resident_bytes();
    let cut = Instant::now();
    lab.cut(1);
    let mut peak = before;
    while cut.elapsed() < Duration::from_secs(5) {
        peak = peak.max(resident_bytes());
        // Sampling the memory every 50 ms for the partition's length.
        std::thread::sleep(Duration::from_millis(50));
    }
    let publisher_noticed = pub_events.wait_for(EventKind::Disconnected, cut);
    let link_up = lab.heal(1);
    let healed = Instant::now();
    let since_heal = published.load(Ordering::Relaxed);
    // The subscriber reconnects and subscribes again by itself: delivery resumes, still
    // filtered, with messages published after the link came back (those queued before the
    // partition come first).
    let mut resumed = None;
    let mut after = 0;
    while after < 1000 {
        if receive(&subscriber) >= since_heal {
            resumed.get_or_insert_with(|| healed.elapsed());
            after += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    publishing.join().unwrap();
    let published = published.load(Ordering::Relaxed);

    assert!(
        publisher_noticed <= detection_bound(),
        "{publisher_noticed:?}"
    );
    // What the publisher may hold for the absent subscriber: its HWM of messages and the
    // batch being encoded and the one being written (256 KiB each); and 16 MiB for the
    // allocator's arenas. The kernel's socket buffers are not resident memory.
    let wire = (BODY + 2 * 9 + 2) as u64;
    let bound = HWM as u64 * wire + 2 * 256 * 1024 + 16 * 1024 * 1024;
    let growth = peak.saturating_sub(before);
    assert!(
        growth <= bound || !resident_memory_is_measurable(),
        "resident memory grew by {growth} bytes while the subscriber was away (bound {bound})"
    );
    let resumed = resumed.unwrap();
    eprintln!(
        "pub/sub, 5 s partition: publisher noticed after {}; {published} messages a topic \
         published; delivery resumed {} after the link was up again (which took the kernel {}); \
         resident memory grew by {:.1} MiB at most while the subscriber was away (bound \
         {:.1} MiB)",
        ms(publisher_noticed),
        ms(resumed),
        ms(link_up),
        growth as f64 / 1048576.0,
        bound as f64 / 1048576.0
    );
}

#[test]
fn a_pipeline_loses_no_more_than_a_partitioned_worker_held() {
    const TASKS: u64 = 40_000;
    const BODY: usize = 1024;
    const HWM: i32 = 100;
    const KERNEL_BUF: i32 = 64 * 1024;
    const CUT: usize = 2;
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(4) else { return };
    let (tasks_ep, results_ep) = (lab.tcp(0, 5557), lab.tcp(0, 5558));
    let (_hub_ctx, ventilator, sink, vent_events, sink_events) = lab.on(0, || {
        let ctx = Context::new();
        let ventilator = socket(&ctx, T::Push);
        ventilator.set_sndhwm(HWM).unwrap();
        ventilator.set_sndbuf(KERNEL_BUF).unwrap();
        let sink = socket(&ctx, T::Pull);
        sink.set_rcvhwm(HWM).unwrap();
        let (v, s) = (Watch::new(ventilator.monitor()), Watch::new(sink.monitor()));
        ventilator.bind(&tasks_ep).unwrap();
        sink.bind(&results_ep).unwrap();
        (ctx, ventilator, sink, v, s)
    });
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (1..=3)
        .map(|host| {
            let (tasks_ep, results_ep, stop) = (tasks_ep.clone(), results_ep.clone(), stop.clone());
            lab.spawn(host, move || {
                let ctx = Context::new();
                let tasks = socket(&ctx, T::Pull);
                tasks.set_rcvhwm(HWM).unwrap();
                tasks.set_rcvbuf(KERNEL_BUF).unwrap();
                tasks.set_rcvtimeo(100).unwrap();
                let results = socket(&ctx, T::Push);
                results.set_sndhwm(HWM).unwrap();
                results.set_sndbuf(KERNEL_BUF).unwrap();
                results.set_sndtimeo(100).unwrap();
                tasks.connect(&tasks_ep).unwrap();
                results.connect(&results_ep).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let task = match tasks.recv() {
                        Ok(t) => t,
                        Err(Error::TimedOut) => continue,
                        Err(e) => panic!("worker {host}: {e}"),
                    };
                    // The result: the task, its worker's number in its last byte.
                    let mut result = task[0].to_vec();
                    *result.last_mut().unwrap() = host as u8;
                    // Held here, retried, while its own link is down.
                    while !stop.load(Ordering::Relaxed) {
                        match results.send(&result[..]) {
                            Ok(()) => break,
                            Err(Error::TimedOut) => {}
                            Err(e) => panic!("worker {host}: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    // Every worker connected both ways before the first task, or the first one to connect
    // would get them all.
    let start = Instant::now();
    for _ in 0..3 {
        vent_events.wait_for(EventKind::HandshakeSucceeded, start);
        sink_events.wait_for(EventKind::HandshakeSucceeded, start);
    }
    let venting = std::thread::spawn(move || {
        let mut task = vec![0u8; BODY];
        for seq in 0..TASKS {
            task[..8].copy_from_slice(&seq.to_be_bytes());
            ventilator.send(&task[..]).unwrap();
        }
        ventilator
    });

    // The bound on what worker CUT can hold when cut off, in messages (see the comments
    // for where each part sits); ferromq's buffers are its writer's two batches and its
    // reader's buffer, 256 KiB each.
    let kib = 1024u64;
    let task_wire = BODY as u64 + 9;
    let result_wire = task_wire;
    let kernel = 2 * KERNEL_BUF as u64; // Linux doubles the size it is given
    let parts = [
        ("ventilator's pipe: sndhwm", HWM as u64),
        ("ventilator's batches", (512 * kib).div_ceil(task_wire)),
        (
            "ventilator's kernel send buffer",
            kernel.div_ceil(task_wire),
        ),
        ("worker's kernel receive buffer", kernel.div_ceil(task_wire)),
        ("worker's read buffer", (256 * kib).div_ceil(task_wire)),
        ("worker's rcvhwm", HWM as u64),
        ("the task in the worker's hand", 1),
        ("worker's result pipe: sndhwm", HWM as u64),
        ("worker's result batches", (512 * kib).div_ceil(result_wire)),
        ("worker's kernel send buffer", kernel.div_ceil(result_wire)),
    ];
    let bound: u64 = parts.iter().map(|(_, n)| n).sum();

    let mut seen = HashSet::new();
    let mut by_worker = [0u64; 4];
    let mut after_cut = [0u64; 4];
    let mut cut_at = None;
    let mut last_arrival = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    sink.set_rcvtimeo(100).unwrap();
    // Until every task is in but what the cut worker may have held, and then a quiet second.
    while (seen.len() as u64) < TASKS
        && !(seen.len() as u64 >= TASKS - bound && last_arrival.elapsed() > Duration::from_secs(1))
    {
        assert!(
            Instant::now() < deadline,
            "{} of {TASKS} tasks after 60 s (bound on the loss: {bound})",
            seen.len()
        );
        let result = match sink.recv() {
            Ok(r) => r,
            Err(Error::TimedOut) => continue,
            Err(e) => panic!("sink: {e}"),
        };
        last_arrival = Instant::now();
        let seq = u64::from_be_bytes(result[0][..8].try_into().unwrap());
        let worker = result[0][BODY - 1] as usize;
        assert!(seen.insert(seq), "task {seq} arrived twice");
        by_worker[worker] += 1;
        if cut_at.is_some() {
            after_cut[worker] += 1;
        }
        if cut_at.is_none() && seen.len() as u64 >= TASKS / 4 && by_worker[CUT] > 0 {
            lab.cut(CUT);
            cut_at = Some(Instant::now());
        }
    }
    let cut_at = cut_at.expect("the stream ended before the cut");
    let noticed = vent_events.wait_for(EventKind::Disconnected, cut_at);
    let _ventilator = venting.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    lab.heal(CUT); // lets the cut worker's thread see `stop` and end
    for w in workers {
        w.join().unwrap();
    }

    let lost = TASKS - seen.len() as u64;
    for (what, n) in parts {
        eprintln!("  bound: {what}: {n}");
    }
    eprintln!(
        "pipeline: {TASKS} tasks of {BODY} B over 3 workers, worker {CUT} cut after {} \
         results; {lost} lost (bound {bound}), none twice; the ventilator noticed after {}; \
         results by worker {:?}, after the cut {:?}",
        TASKS / 4,
        ms(noticed),
        &by_worker[1..],
        &after_cut[1..]
    );
    assert!(
        lost <= bound,
        "{lost} tasks lost, more than the {bound} the worker could hold"
    );
    for w in [1, 3] {
        assert!(after_cut[w] > 0, "worker {w} took no task after the cut");
    }
}

#[test]
fn lazy_pirate_rides_out_a_partitioned_server() {
    const REQUESTS: usize = 30;
    const TIMEOUT_MS: i32 = 500;
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(2) else { return };
    let endpoint = lab.tcp(1, 5559);
    let (_server_ctx, server) = lab.on(1, || {
        let ctx = Context::new();
        let server = ferro(&ctx, T::Rep);
        server.bind(&endpoint).unwrap();
        (ctx, server)
    });
    let stop = Arc::new(AtomicBool::new(false));
    let serving = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            server.set_rcvtimeo(100).unwrap();
            while !stop.load(Ordering::Relaxed) {
                match server.recv() {
                    Ok(m) => server.send(m).unwrap(),
                    Err(Error::TimedOut) => {}
                    Err(e) => panic!("server: {e}"),
                }
            }
        })
    };
    // The client's context lives on its host; each new REQ socket is made there too.
    let client_ctx = lab.on(0, Context::new);
    let connect = || {
        lab.on(0, || {
            let client = ferro(&client_ctx, T::Req);
            client.set_rcvtimeo(TIMEOUT_MS).unwrap();
            client.set_connect_timeout(CONNECT_TIMEOUT).unwrap();
            client.connect(&endpoint).unwrap();
            client
        })
    };
    let mut client = connect();
    let (mut retries, mut healed_at, mut outage, mut tries_after_heal) = (0, None, None, 0);
    for i in 0..REQUESTS {
        if i == REQUESTS / 3 {
            lab.cut(1);
        }
        let request = format!("request {i}");
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            client.send(&request).unwrap();
            if healed_at.is_some() && outage.is_none() {
                tries_after_heal += 1;
            }
            match client.recv() {
                Ok(reply) => {
                    assert_eq!(&reply[0][..], request.as_bytes());
                    break;
                }
                Err(Error::TimedOut) => {
                    // Lazy Pirate: abandon the socket, open a new one, ask again.
                    attempts += 1;
                    retries += 1;
                    assert!(attempts < 20, "{request}: no reply after {attempts} tries");
                    // Three unanswered tries into the partition, then the link comes back.
                    if attempts == 3 && healed_at.is_none() {
                        lab.heal(1);
                        healed_at = Some(Instant::now());
                    }
                    client = connect();
                }
                Err(e) => panic!("client: {e}"),
            }
        }
        if attempts > 0 {
            outage = Some(started.elapsed());
        }
    }
    stop.store(true, Ordering::Relaxed);
    serving.join().unwrap();
    let outage = outage.expect("the partition was never felt");
    eprintln!(
        "lazy pirate: {REQUESTS} requests answered, in order; {retries} retries, all for the \
         request sent into the partition, which was answered {} after it was first sent, \
         on the {} try after the link came back",
        ms(outage),
        ["first", "second", "third"]
            .get(tries_after_heal - 1)
            .unwrap_or(&"later")
    );
    assert_eq!(retries, 3, "retries beyond the partition's");
    assert!(
        tries_after_heal <= 2,
        "{tries_after_heal} tries after the link came back"
    );
}

#[test]
fn a_delayed_and_lossy_link_loses_nothing() {
    const DELAY: Duration = Duration::from_millis(100);
    const MESSAGES: u32 = 20_000;
    const BODY: usize = 1024;
    let _one = one_at_a_time();
    let Some(lab) = Lab::new(3) else { return };
    let (relay_rr, relay_pp) = (lab.tcp(1, 6000), lab.tcp(1, 6001));
    let (server_rr, server_pp) = (lab.tcp(2, 6000), lab.tcp(2, 6001));
    let (_server_ctx, rep, pull) = lab.on(2, || {
        let ctx = Context::new();
        let rep = ferro(&ctx, T::Rep);
        rep.bind(&server_rr).unwrap();
        let pull = ferro(&ctx, T::Pull);
        pull.bind(&server_pp).unwrap();
        (ctx, rep, pull)
    });
    lab.on(1, || {
        delaying_relay(&relay_rr, &server_rr, DELAY);
        delaying_relay(&relay_pp, &server_pp, DELAY);
    });
    let (_client_ctx, req, push) = lab.on(0, || {
        let ctx = Context::new();
        let req = ferro(&ctx, T::Req);
        req.connect(&relay_rr).unwrap();
        let push = ferro(&ctx, T::Push);
        push.connect(&relay_pp).unwrap();
        (ctx, req, push)
    });
    let echo = std::thread::spawn(move || {
        // Exactly the requests of both runs below.
        for _ in 0..2 * 20 {
            let m = rep.recv().unwrap();
            rep.send(m).unwrap();
        }
    });

    let run = |label: &str| {
        let mut rtts: Vec<Duration> = (0..20)
            .map(|i| {
                let t = Instant::now();
                req.send(format!("{i}")).unwrap();
                assert_eq!(req.recv().unwrap()[0][..], *format!("{i}").as_bytes());
                t.elapsed()
            })
            .collect();
        rtts.sort();
        let (first, rest) = std::thread::scope(|s| {
            let push = &push;
            let start = Instant::now();
            s.spawn(move || {
                let mut body = vec![0u8; BODY];
                for i in 0..MESSAGES {
                    body[..4].copy_from_slice(&i.to_be_bytes());
                    push.send(&body[..]).unwrap();
                }
            });
            let mut first = Duration::ZERO;
            let mut t = Instant::now();
            for i in 0..MESSAGES {
                let m = pull.recv().expect("a message lost on a reliable pattern");
                assert_eq!(m[0][..4], i.to_be_bytes(), "out of order or lost");
                if i == 0 {
                    first = start.elapsed();
                    t = Instant::now();
                }
            }
            (first, t.elapsed())
        });
        let rate = (MESSAGES - 1) as f64 / rest.as_secs_f64();
        eprintln!(
            "{label}: REQ/REP round trip median {} (min {}, max {}); PUSH/PULL {MESSAGES} x \
             {BODY} B, all in order, the first after {}, the rest at {rate:.0} msg/s \
             ({:.1} MB/s); {} packets dropped",
            ms(rtts[10]),
            ms(rtts[0]),
            ms(rtts[19]),
            ms(first),
            rate * BODY as f64 / 1e6,
            lab.dropped(1)
        );
        // The delay is real: each way through the relay.
        assert!(rtts[0] >= 2 * DELAY, "{label}: round trip {:?}", rtts[0]);
    };
    run("100 ms each way");
    if lab.lose(1, 2) {
        run("100 ms each way and 2 % packet loss");
        assert!(lab.dropped(1) > 0, "the loss rule dropped nothing");
    } else {
        // Without nft the second run still has to happen: the echo thread waits for it.
        run("100 ms each way (no loss: nft missing)");
    }
    echo.join().unwrap();
}
