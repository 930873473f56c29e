//! Encoding and decoding data frames of 16 B to 64 KiB, in bytes per second:
//! `cargo bench -p ferromq-zmtp`.
//!
//! Each iteration handles a batch of about 64 KiB of frames (one frame from 64 KiB up), the
//! amount one read or one write moves in ferromq.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferromq_zmtp::{encode, Config, Connection, Event, SocketType};

const SIZES: [usize; 5] = [16, 128, 1024, 8192, 65536];

fn frames_per_batch(size: usize) -> usize {
    (64 * 1024 / size).max(1)
}

/// A PULL side connection that has finished its handshake with a PUSH.
fn established() -> Connection {
    let mut push = Connection::new(Config::new(SocketType::Push));
    let mut pull = Connection::new(Config::new(SocketType::Pull));
    let mut out = BytesMut::new();
    let (mut push_ready, mut pull_ready) = (false, false);
    for _ in 0..16 {
        out.clear();
        push.poll_transmit(&mut out);
        pull.feed(&out);
        out.clear();
        pull.poll_transmit(&mut out);
        push.feed(&out);
        while let Ok(Some(e)) = push.poll_event() {
            push_ready |= matches!(e, Event::Ready(_));
        }
        while let Ok(Some(e)) = pull.poll_event() {
            pull_ready |= matches!(e, Event::Ready(_));
        }
        if push_ready && pull_ready {
            return pull;
        }
    }
    panic!("the handshake did not complete");
}

fn encode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in SIZES {
        let body = vec![7u8; size];
        let n = frames_per_batch(size);
        let mut buf = BytesMut::with_capacity(n * (size + 9));
        group.throughput(Throughput::Bytes((n * size) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| {
                buf.clear();
                for _ in 0..n {
                    encode::frame(&mut buf, black_box(&body), false);
                }
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

fn decode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in SIZES {
        let body = vec![7u8; size];
        let n = frames_per_batch(size);
        let mut batch = BytesMut::new();
        for _ in 0..n {
            encode::frame(&mut batch, &body, false);
        }
        let mut conn = established();
        group.throughput(Throughput::Bytes((n * size) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| {
                conn.feed(&batch);
                let mut frames = 0;
                while let Ok(Some(Event::Frame(f))) = conn.poll_event() {
                    black_box(&f);
                    frames += 1;
                }
                assert_eq!(frames, n);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode_frames, decode_frames);
criterion_main!(benches);
