//! Weather updates over PUB/SUB, filtered by zip code (the ZeroMQ guide's `wuserver` and
//! `wuclient` in one program).
//!
//! A publisher sends "ZIP TEMPERATURE HUMIDITY" for random zip codes as fast as it can; a
//! subscriber subscribes to one zip code and reads 50 updates. The filtering happens at the
//! publisher: updates for other zip codes never cross the connection.
//!
//! Run it with `cargo run --release --example weather`.

use std::sync::atomic::{AtomicBool, Ordering};

use ferromq::{Context, SocketType};

/// A small, seeded pseudo-random sequence (SplitMix64), so the example needs no crate for it.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (x ^ (x >> 31)) % n
    }
}

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let publisher = ctx.socket(SocketType::Pub)?;
    publisher.bind("tcp://127.0.0.1:*")?;
    let endpoint = publisher.last_endpoint().expect("bound above");

    // The zip code we care about; the trailing space keeps "10001" from matching "100010".
    let zip = "10001 ";
    let subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.subscribe(zip)?;
    subscriber.connect(&endpoint)?;
    println!("subscribed to {zip:?} at {endpoint}");

    let stop = AtomicBool::new(false);
    const UPDATES: usize = 50;
    let (temps, sent) = std::thread::scope(|s| -> ferromq::Result<(Vec<i64>, u64)> {
        let server = s.spawn(|| -> ferromq::Result<u64> {
            let mut rng = Rng(42);
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                // Zip codes 10000 to 10009: about one update in ten is ours.
                let zip = 10_000 + rng.below(10);
                let temperature = rng.below(215) as i64 - 80;
                let humidity = rng.below(50) + 10;
                publisher.send(format!("{zip} {temperature} {humidity}"))?;
                sent += 1;
            }
            Ok(sent)
        });
        let mut temps = Vec::with_capacity(UPDATES);
        while temps.len() < UPDATES {
            let update = subscriber.recv()?;
            let text = String::from_utf8_lossy(&update[0]).into_owned();
            assert!(text.starts_with(zip), "the filter let {text:?} through");
            let temperature: i64 = text
                .split(' ')
                .nth(1)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            temps.push(temperature);
        }
        stop.store(true, Ordering::Relaxed);
        let sent = server.join().expect("the publisher panicked")?;
        Ok((temps, sent))
    })?;
    let average = temps.iter().sum::<i64>() as f64 / temps.len() as f64;
    println!(
        "summary: average temperature for zip {} over {} updates was {average:.1} F \
         (the publisher sent {sent} updates for all zip codes)",
        zip.trim(),
        temps.len()
    );
    Ok(())
}
