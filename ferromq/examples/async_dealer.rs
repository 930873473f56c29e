//! DEALER/ROUTER in async code (tokio): a ROUTER server task answers requests from several
//! DEALER client tasks, all on one runtime, using `send_async` and `recv_async`. The same
//! sockets work under any executor, and in blocking code too.
//!
//! Run it with `cargo run --release --example async_dealer`.

use std::sync::Arc;
use std::time::Instant;

use ferromq::{Context, Message, SocketType};

const CLIENTS: usize = 5;
const REQUESTS: usize = 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ferromq::Result<()> {
    let ctx = Context::new();
    let server = Arc::new(ctx.socket(SocketType::Router)?);
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint().expect("bound above");
    let start = Instant::now();

    // The server: a ROUTER message is [client id, request]; the reply goes back the same way.
    let answering = server.clone();
    let server_task = tokio::spawn(async move {
        for _ in 0..CLIENTS * REQUESTS {
            let msg = answering.recv_async().await?;
            let (client, request) = (msg[0].clone(), msg[1].clone());
            let mut reply = Message::from(vec![client, request]);
            reply.push_back("done");
            answering.send_async(reply).await?;
        }
        Ok::<(), ferromq::Error>(())
    });

    // The clients: each has several requests in flight at once, which REQ would not allow.
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let dealer = ctx.socket(SocketType::Dealer)?;
        dealer.set_routing_id(format!("client-{c}"))?;
        dealer.connect(&endpoint)?;
        clients.push(tokio::spawn(async move {
            for r in 0..REQUESTS {
                dealer.send_async(format!("request {r}")).await?;
            }
            let mut answered = 0;
            while answered < REQUESTS {
                let reply = dealer.recv_async().await?;
                assert_eq!(reply[1], "done");
                answered += 1;
            }
            Ok::<usize, ferromq::Error>(answered)
        }));
    }
    let mut answered = 0;
    for client in clients {
        answered += client.await.expect("a client task panicked")?;
    }
    server_task.await.expect("the server task panicked")?;
    println!(
        "summary: {answered} requests from {CLIENTS} async DEALER clients answered by one ROUTER \
         in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
