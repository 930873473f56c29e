//! Signalling between threads with PAIR over inproc (the ZeroMQ guide's `mtrelay`): three
//! steps run in three threads, and each tells the next that it is done. inproc moves messages
//! between sockets of one context without encoding or copying them.
//!
//! Run it with `cargo run --release --example pair_signal`.

use std::time::Instant;

use ferromq::{Context, SocketType};

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let start = Instant::now();
    // Step 3 binds first; each earlier step connects to the next one's endpoint.
    let step3 = ctx.socket(SocketType::Pair)?;
    step3.bind("inproc://step3")?;
    let order = std::thread::scope(|s| -> ferromq::Result<Vec<String>> {
        let step2 = s.spawn(|| -> ferromq::Result<String> {
            let receiver = ctx.socket(SocketType::Pair)?;
            receiver.bind("inproc://step2")?;
            let step1 = s.spawn(|| -> ferromq::Result<String> {
                let sender = ctx.socket(SocketType::Pair)?;
                sender.connect("inproc://step2")?;
                println!("step 1 ready, signalling step 2");
                sender.send("step 1 done")?;
                Ok("step 1".into())
            });
            let signal = receiver.recv()?;
            println!(
                "step 2 got {:?}, signalling step 3",
                String::from_utf8_lossy(&signal[0])
            );
            let sender = ctx.socket(SocketType::Pair)?;
            sender.connect("inproc://step3")?;
            sender.send("step 2 done")?;
            step1.join().expect("step 1 panicked")
        });
        let signal = step3.recv()?;
        println!(
            "step 3 got {:?}: all steps done",
            String::from_utf8_lossy(&signal[0])
        );
        Ok(vec![
            step2.join().expect("step 2 panicked")?,
            "step 2".into(),
            "step 3".into(),
        ])
    })?;
    println!(
        "summary: {} signalled in order over inproc in {} µs",
        order.join(", "),
        start.elapsed().as_micros()
    );
    Ok(())
}
