//! Many publishers, many subscribers, one address: an XSUB/XPUB proxy in the middle (the
//! ZeroMQ guide's `wuproxy`). Publishers connect to the proxy's XSUB side and subscribers to
//! its XPUB side; subscriptions travel upstream through the proxy, so each publisher only
//! sends what somebody wants.
//!
//! Run it with `cargo run --release --example multi_pub`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ferromq::{Context, SocketType};

const PUBLISHERS: usize = 3;

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let xsub = ctx.socket(SocketType::Xsub)?;
    xsub.bind("tcp://127.0.0.1:*")?;
    let upstream = xsub.last_endpoint().expect("bound above");
    let xpub = ctx.socket(SocketType::Xpub)?;
    xpub.bind("tcp://127.0.0.1:*")?;
    let downstream = xpub.last_endpoint().expect("bound above");
    let control = ctx.socket(SocketType::Pair)?;
    control.bind("inproc://multi-pub-control")?;
    let steer = ctx.socket(SocketType::Pair)?;
    steer.connect("inproc://multi-pub-control")?;
    println!("proxy: publishers connect to {upstream}, subscribers to {downstream}");

    let subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.subscribe("news ")?;
    subscriber.set_rcvtimeo(10_000)?;
    subscriber.connect(&downstream)?;

    let stop = AtomicBool::new(false);
    let heard = std::thread::scope(|s| -> ferromq::Result<BTreeMap<String, usize>> {
        let proxy = s.spawn(|| ferromq::proxy_steerable(&xsub, &xpub, None, Some(&control)));
        for p in 0..PUBLISHERS {
            let publisher = ctx.socket(SocketType::Pub)?;
            publisher.connect(&upstream)?;
            let stop = &stop;
            s.spawn(move || -> ferromq::Result<()> {
                // Until told to stop: news (wanted) and sport (nobody subscribed).
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    publisher.send(format!("news from publisher {p}: item {n}"))?;
                    publisher.send(format!("sport from publisher {p}: item {n}"))?;
                    n += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(())
            });
        }
        // Listen until every publisher has been heard 10 times.
        let mut heard: BTreeMap<String, usize> = BTreeMap::new();
        while heard.len() < PUBLISHERS || heard.values().any(|&n| n < 10) {
            let msg = subscriber.recv()?;
            let text = String::from_utf8_lossy(&msg[0]).into_owned();
            assert!(text.starts_with("news "), "unsubscribed topic: {text}");
            let from = text
                .split(':')
                .next()
                .unwrap_or("")
                .trim_start_matches("news from ");
            *heard.entry(from.to_owned()).or_insert(0) += 1;
        }
        stop.store(true, Ordering::Relaxed);
        steer.send("TERMINATE")?;
        proxy.join().expect("the proxy panicked")?;
        Ok(heard)
    })?;
    let total: usize = heard.values().sum();
    println!(
        "summary: one subscriber heard {total} news items from {} publishers through one proxy, \
         and no sport",
        heard.len()
    );
    Ok(())
}
