//! A request-reply broker (the ZeroMQ guide's `rrbroker`): REQ clients connect to a ROUTER,
//! REP workers to a DEALER, and `ferromq::proxy_steerable` joins the two. Clients and workers
//! never know about each other, and workers can come and go.
//!
//! Run it with `cargo run --release --example broker`.

use std::collections::BTreeMap;

use ferromq::{Context, ProxyStats, SocketType};

const CLIENTS: usize = 3;
const WORKERS: usize = 2;
const REQUESTS: usize = 10;

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let frontend = ctx.socket(SocketType::Router)?;
    frontend.bind("tcp://127.0.0.1:*")?;
    let clients_ep = frontend.last_endpoint().expect("bound above");
    let backend = ctx.socket(SocketType::Dealer)?;
    backend.bind("tcp://127.0.0.1:*")?;
    let workers_ep = backend.last_endpoint().expect("bound above");
    // The control socket stops the broker at the end and asks it for its counters.
    let control = ctx.socket(SocketType::Pair)?;
    control.bind("inproc://broker-control")?;
    let steer = ctx.socket(SocketType::Pair)?;
    steer.connect("inproc://broker-control")?;
    println!("broker: clients connect to {clients_ep}, workers to {workers_ep}");

    let served = std::thread::scope(|s| -> ferromq::Result<BTreeMap<String, usize>> {
        let broker =
            s.spawn(|| ferromq::proxy_steerable(&frontend, &backend, None, Some(&control)));
        for w in 0..WORKERS {
            let worker = ctx.socket(SocketType::Rep)?;
            worker.set_rcvtimeo(100)?;
            worker.connect(&workers_ep)?;
            s.spawn(move || {
                // Answers until no request comes for 100 ms after the clients are done.
                while let Ok(request) = worker.recv() {
                    let reply = format!("worker {w} did {}", String::from_utf8_lossy(&request[0]));
                    if worker.send(reply).is_err() {
                        break;
                    }
                }
            });
        }
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let ep = clients_ep.clone();
                let ctx = ctx.clone();
                s.spawn(move || -> ferromq::Result<Vec<String>> {
                    let client = ctx.socket(SocketType::Req)?;
                    client.connect(&ep)?;
                    (0..REQUESTS)
                        .map(|r| {
                            client.send(format!("request {r} of client {c}"))?;
                            Ok(String::from_utf8_lossy(&client.recv()?[0]).into_owned())
                        })
                        .collect()
                })
            })
            .collect();
        let mut served = BTreeMap::new();
        for client in clients {
            for reply in client.join().expect("a client panicked")? {
                let worker = reply.split(" did ").next().unwrap_or("").to_owned();
                *served.entry(worker).or_insert(0) += 1;
            }
        }
        steer.send("STATISTICS")?;
        let stats = ProxyStats::from_message(&steer.recv()?).expect("eight counters");
        println!(
            "broker counters: {} requests in, {} replies out",
            stats.frontend_msgs_in, stats.frontend_msgs_out
        );
        steer.send("TERMINATE")?;
        broker.join().expect("the broker panicked")?;
        Ok(served)
    })?;
    let total: usize = served.values().sum();
    let by_worker: Vec<String> = served.iter().map(|(w, n)| format!("{w}: {n}")).collect();
    println!(
        "summary: {total} requests from {CLIENTS} clients served by {} workers ({})",
        served.len(),
        by_worker.join(", ")
    );
    Ok(())
}
