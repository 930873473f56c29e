//! Divide and conquer with PUSH/PULL (the ZeroMQ guide's `taskvent`, `taskwork` and
//! `tasksink`): a ventilator pushes tasks, workers pull and do them, a sink collects the
//! results and times the batch. Run with 1 worker and with 4, the batch takes about a quarter
//! of the time.
//!
//! The ventilator waits until every worker is connected before it sends (watching its monitor
//! for completed handshakes): otherwise the first worker to connect would get every task.
//!
//! Run it with `cargo run --release --example taskvent`.

use std::time::{Duration, Instant};

use ferromq::{Context, EventKind, SocketType};

const TASKS: u64 = 40;

/// Runs one batch with `workers` workers; returns how long the sink waited for all results.
fn batch(ctx: &Context, workers: usize) -> ferromq::Result<Duration> {
    let ventilator = ctx.socket(SocketType::Push)?;
    ventilator.bind("tcp://127.0.0.1:*")?;
    let tasks_ep = ventilator.last_endpoint().expect("bound above");
    let sink = ctx.socket(SocketType::Pull)?;
    sink.bind("tcp://127.0.0.1:*")?;
    let results_ep = sink.last_endpoint().expect("bound above");
    let monitor = ventilator.monitor();

    std::thread::scope(|s| -> ferromq::Result<Duration> {
        for _ in 0..workers {
            let (tasks, results) = (ctx.socket(SocketType::Pull)?, ctx.socket(SocketType::Push)?);
            tasks.connect(&tasks_ep)?;
            results.connect(&results_ep)?;
            s.spawn(move || -> ferromq::Result<()> {
                loop {
                    let task = tasks.recv()?;
                    if task[0].is_empty() {
                        return Ok(()); // the end of the batch
                    }
                    // The work: sleep for the task's milliseconds.
                    let ms: u64 = String::from_utf8_lossy(&task[0]).parse().unwrap_or(0);
                    std::thread::sleep(Duration::from_millis(ms));
                    results.send(task)?;
                }
            });
        }
        // Wait for every worker's connection to finish its handshake.
        let mut connected = 0;
        while connected < workers {
            let event = monitor
                .recv_timeout(Duration::from_secs(10))
                .expect("workers connect within 10 s");
            if event.kind == EventKind::HandshakeSucceeded {
                connected += 1;
            }
        }
        let start = Instant::now();
        let mut total_ms = 0;
        for i in 0..TASKS {
            let ms = 5 + (i * 7) % 11; // 5 to 15 ms, about 10 on average
            total_ms += ms;
            ventilator.send(ms.to_string())?;
        }
        for _ in 0..TASKS {
            sink.recv()?;
        }
        let took = start.elapsed();
        for _ in 0..workers {
            ventilator.send("")?; // one end marker per worker
        }
        println!(
            "{workers} worker(s): {TASKS} tasks ({total_ms} ms of work) done in {} ms",
            took.as_millis()
        );
        Ok(took)
    })
}

fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let one = batch(&ctx, 1)?;
    let four = batch(&ctx, 4)?;
    println!(
        "summary: 4 workers finished the batch {:.1}x faster than 1 ({} ms vs {} ms)",
        one.as_secs_f64() / four.as_secs_f64(),
        four.as_millis(),
        one.as_millis()
    );
    Ok(())
}
