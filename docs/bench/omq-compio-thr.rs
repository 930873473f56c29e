//! ferromq-bench's throughput method for omq-compio, written for ferromq's large-message issue:
//! `recv EP COUNT` prints "rate end_to_end"; `send EP SIZE COUNT` sends COUNT fresh copies of
//! one buffer, the first stamped with the wall clock, and then waits to be killed.
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use omq_compio::{Endpoint, Message, Options, Socket, SocketType};

fn wall_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[compio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let ep: Endpoint = a[2].parse().expect("endpoint");
    match a[1].as_str() {
        "recv" => {
            let count: u64 = a[3].parse().unwrap();
            let s = Socket::new(SocketType::Pull, Options::default());
            s.bind(ep).await.expect("bind");
            let first = s.recv().await.expect("recv");
            let head = first.parts()[0].coalesce();
            let sent = u64::from_le_bytes(head[..8].try_into().unwrap());
            let start = Instant::now();
            for _ in 1..count {
                s.recv().await.expect("recv");
            }
            let rate = (count - 1) as f64 / start.elapsed().as_secs_f64();
            let e2e = count as f64 / ((wall_ns() - sent) as f64 / 1e9);
            println!("{rate} {e2e}");
        }
        "send" => {
            let size: usize = a[3].parse().unwrap();
            let count: u64 = a[4].parse().unwrap();
            let payload = vec![0u8; size];
            let s = Socket::new(SocketType::Push, Options::default());
            s.connect(ep).await.expect("connect");
            let mut first = payload.clone();
            first[..8].copy_from_slice(&wall_ns().to_le_bytes());
            s.send(Message::single(Bytes::from(first))).await.unwrap();
            for _ in 1..count {
                s.send(Message::single(Bytes::copy_from_slice(&payload))).await.unwrap();
            }
            compio::time::sleep(Duration::from_secs(3600)).await;
        }
        _ => panic!("recv|send"),
    }
}
