//! A subscriber that never reads, beside two that do: over a million messages the readers get
//! every one, the publisher never blocks, and the process's memory stays bounded by the
//! high-water marks. Its own test binary, since it measures the whole process.

mod common;

use common::*;
use ferromq::{Context, SocketType as T};

fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[test]
fn a_stalled_subscriber_costs_bounded_memory() {
    const BATCH: u64 = 1_000;
    const BATCHES: u64 = 1_000; // a million messages
    let (ctx, zctx) = (Context::new(), zmq::Context::new());
    let publisher = ferro(&ctx, T::Pub);
    publisher.set_sndtimeo(0).unwrap(); // would-block would fail the test
    let ep = ferro_bind(&publisher);
    let subscriber = || {
        let s = libzmq(&zctx, zmq::SUB);
        s.set_subscribe(b"").unwrap();
        s.connect(&ep).unwrap();
        s
    };
    let readers = [subscriber(), subscriber()];
    let stalled = subscriber();
    // Every subscription in before counting.
    for s in readers.iter().chain([&stalled]) {
        let joined = (0..200).find_map(|_| {
            publisher.send("probe").unwrap();
            s.set_rcvtimeo(50).unwrap();
            s.recv_bytes(0).ok()
        });
        assert!(joined.is_some(), "a subscription never arrived");
        s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    }
    let before = rss_mib();
    let body = [b'x'; 100];
    for batch in 0..BATCHES {
        // Paced below the readers' speed: a batch within their high-water marks, then they
        // catch up before the next one.
        for i in 0..BATCH {
            let seq = batch * BATCH + i;
            publisher.send([&seq.to_be_bytes()[..], &body[..]]).unwrap();
        }
        for r in &readers {
            for i in 0..BATCH {
                let m = loop {
                    let m = r.recv_multipart(0).unwrap();
                    if m[0] != b"probe" {
                        break m;
                    }
                };
                let seq = u64::from_be_bytes(m[0][..].try_into().unwrap());
                assert_eq!(
                    seq,
                    batch * BATCH + i,
                    "a reading subscriber missed a message"
                );
            }
        }
    }
    let grown = rss_mib().saturating_sub(before);
    // ~130 MB of messages went to the stalled subscriber's connection; the high-water marks
    // (1000 messages per pipe) and socket buffers hold only a few MB of it.
    assert!(
        grown < 64 || !resident_memory_is_measurable(),
        "memory grew {grown} MiB over a million messages"
    );
    drop(stalled);
}
