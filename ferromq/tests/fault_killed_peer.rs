//! A PULL process killed in the middle of 100,000 messages, then started again: the sender
//! reconnects, nothing is duplicated, and the loss is one contiguous gap no longer than what
//! the dead peer's queues and the socket buffers held. The test re-runs its own binary as the
//! PULL process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use ferromq::{Context, Message, SocketType as T};

const CHILD: &str = "FERROMQ_TEST_PULL_CHILD";
const TOTAL: u64 = 100_000;
const SIZE: usize = 1024;
const HWM: i32 = 1000;
/// Fixed kernel buffers (the kernel doubles what is set), so the bound below is known.
const KERNEL_BUF: i32 = 256 * 1024;

/// The child: binds a PULL and prints every sequence number it receives until "end".
fn child(ep: &str) {
    let ctx = Context::new();
    let pull = ctx.socket(T::Pull).unwrap();
    pull.set_linger(0).unwrap();
    pull.set_rcvhwm(HWM).unwrap();
    pull.set_rcvbuf(KERNEL_BUF).unwrap();
    pull.set_rcvtimeo(30_000).unwrap();
    pull.bind(ep).unwrap();
    let mut out = std::io::stdout().lock();
    loop {
        let m = pull.recv().unwrap();
        if m[0] == "end" {
            writeln!(out, "end").unwrap();
            return;
        }
        let seq = u64::from_be_bytes(m[0][..].try_into().unwrap());
        writeln!(out, "seq {seq}").unwrap();
        out.flush().unwrap();
    }
}

fn spawn_child(ep: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "pull_killed_mid_stream",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, ep)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Reads every sequence number the child printed; once `stop_after` is seen, kills it (and
/// still reads what it printed before dying, so that only real losses count as lost).
fn collect(child: &mut Child, stop_after: Option<u64>) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut killed = false;
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if line == "end" {
            continue; // read on to the end of its output, so the child never hits a closed pipe
        }
        let Some(seq) = line.strip_prefix("seq ") else {
            continue;
        };
        seqs.push(seq.parse().unwrap());
        if !killed && stop_after.is_some_and(|s| *seqs.last().unwrap() >= s) {
            child.kill().unwrap(); // SIGKILL: no goodbye, no linger
            killed = true;
        }
    }
    child.wait().unwrap();
    seqs
}

#[test]
fn pull_killed_mid_stream() {
    if let Ok(ep) = std::env::var(CHILD) {
        return child(&ep);
    }
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", free.local_addr().unwrap());
    drop(free);

    let mut first = spawn_child(&ep);
    let sender = {
        let ep = ep.clone();
        std::thread::spawn(move || {
            let ctx = Context::new();
            let push = ctx.socket(T::Push).unwrap();
            push.set_linger(-1).unwrap(); // deliver "end" even as we close
            push.set_sndhwm(HWM).unwrap();
            push.set_sndbuf(KERNEL_BUF).unwrap();
            push.set_reconnect_ivl(20).unwrap();
            push.set_sndtimeo(30_000).unwrap();
            push.connect(&ep).unwrap();
            let body = Bytes::from(vec![0u8; SIZE - 8]);
            for seq in 0..TOTAL {
                let frames = [Bytes::copy_from_slice(&seq.to_be_bytes()), body.clone()];
                push.send(Message::from(frames)).unwrap();
            }
            push.send("end").unwrap();
        })
    };
    let before = collect(&mut first, Some(TOTAL / 3));
    let mut second = spawn_child(&ep);
    let after = collect(&mut second, None);
    sender.join().unwrap();

    let all: Vec<u64> = before.iter().chain(&after).copied().collect();
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "duplicated or reordered"
    );
    assert_eq!(
        *all.last().unwrap(),
        TOTAL - 1,
        "the end of the stream arrived"
    );
    // What is missing is one contiguous run.
    let gaps: Vec<(u64, u64)> = all
        .windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| (w[0] + 1, w[1]))
        .collect();
    assert!(gaps.len() <= 1, "more than one gap: {gaps:?}");
    let lost = gaps.first().map_or(0, |(from, to)| to - from);
    // The dead peer's inbox (rcvhwm, plus one read of at most 128 KiB delivered beyond it),
    // both kernel buffers (doubled by Linux) and the batch being written when it died.
    let per_buffer = 2 * KERNEL_BUF as u64 / SIZE as u64;
    let one_read = 128 * 1024 / SIZE as u64;
    let bound = HWM as u64 + one_read + 2 * per_buffer + (256 * 1024 / SIZE as u64 + 1);
    assert!(
        lost <= bound,
        "lost {lost} messages, more than the {bound} the buffers held"
    );
    eprintln!(
        "killed after {}, lost {lost} (bound {bound}), {} after restart",
        before.len(),
        after.len()
    );
}
