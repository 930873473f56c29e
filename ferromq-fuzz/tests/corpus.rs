//! Replays the committed fuzz corpus (`fuzz/corpus/TARGET/*`) through the harnesses, on the
//! stable toolchain: whatever the fuzzer kept, found or was seeded with runs again on every
//! `cargo test`, so that a regression shows in CI without nightly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[test]
fn every_file_of_every_corpus_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut failed = Vec::new();
    for (target, harness) in ferromq_fuzz::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(
            files.len() >= 5,
            "{}: {} files; the corpus of each target is committed",
            dir.display(),
            files.len()
        );
        for file in files {
            let data = std::fs::read(&file).expect("corpus file");
            if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "harnesses failed on {failed:#?}");
}

/// The case the harness's size check guards, on a real handshake: a PULL limited to 64
/// bytes (setup bit 7) refuses a NULL PUSH's 65-byte frame after READY, and stays failed;
/// the harness runs the same bytes, in pieces, to the end.
#[test]
fn the_zmtp_harness_reaches_traffic_and_refuses_a_frame_over_the_limit() {
    use ferromq_zmtp::{encode, Config, Connection, SocketType};
    let mut push = Connection::new(Config::new(SocketType::Push));
    let mut wire = bytes::BytesMut::new();
    push.poll_transmit(&mut wire);
    encode::message(&mut wire, [&[7u8; 65][..]]);
    let setup = ferromq_fuzz::Setup {
        socket_type: SocketType::Pull,
        mechanism: 0,
        limited: true,
        pieces: 3,
    };
    let mut input = setup.header().to_vec();
    input.extend_from_slice(&wire);
    // Runs to the end without a panic: the frame is refused, the connection fails and stays so.
    ferromq_fuzz::zmtp(&input);
    let mut pull = Connection::new(setup.config());
    pull.feed(&wire);
    let mut events = 0;
    while let Ok(Some(_)) = pull.poll_event() {
        events += 1;
    }
    assert_eq!(
        events, 1,
        "READY, then the frame over the limit is an error"
    );
    assert!(pull.poll_event().is_err());
}
