//! Hello world over tcp: a REP server thread and a REQ client exchange a few round trips.
//!
//! Run it with `cargo run --release --example hello`.

use std::time::Instant;

use ferromq::{Context, SocketType};

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();

    // The server binds to a free port on loopback and answers every "Hello" with "World".
    let server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint().expect("bound above");
    println!("REP server bound to {endpoint}");

    const ROUND_TRIPS: usize = 10;
    let server_thread = std::thread::spawn(move || -> ferromq::Result<()> {
        for _ in 0..ROUND_TRIPS {
            let request = server.recv()?;
            assert_eq!(request[0], "Hello");
            server.send("World")?;
        }
        Ok(())
    });

    // The client connects and sends its requests one at a time, as REQ requires.
    let client = ctx.socket(SocketType::Req)?;
    client.connect(&endpoint)?;
    println!("REQ client connected to {endpoint}");
    let start = Instant::now();
    for i in 1..=ROUND_TRIPS {
        let sent = Instant::now();
        client.send("Hello")?;
        let reply = client.recv()?;
        println!(
            "request {i:2}: sent \"Hello\", got {:?} in {} µs",
            String::from_utf8_lossy(&reply[0]),
            sent.elapsed().as_micros()
        );
    }
    server_thread.join().expect("server thread panicked")?;
    println!(
        "summary: {ROUND_TRIPS} round trips over tcp in {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
