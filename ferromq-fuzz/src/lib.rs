//! Fuzz harnesses (test support, beside the layers): what each `cargo fuzz` target in
//! `fuzz/fuzz_targets/` runs on every input, and what `tests/corpus.rs` runs on every file
//! of the committed corpus under the stable toolchain, so that CI replays what the fuzzer
//! found without nightly.
//!
//! A harness returns normally for any input. It panics only when ferromq breaks one of its
//! own rules (a panic inside the library, a frame above the size limit let through, a failed
//! connection that recovers), which is what the fuzzer reports as a crash.
//!
//! ```
//! // A greeting cut short, from a ROUTER's point of view: no panic, no event.
//! ferromq_fuzz::zmtp(&[0x06, 0x00, 0xff, 0, 0, 0]);
//! ferromq_fuzz::z85(b"HelloWorld");
//! // Subscribe to "ab" (op 0, 2 bytes), then match "abc" (op 2, 3 bytes).
//! ferromq_fuzz::subscriptions(b"\x08ab\x0eabc");
//! ```

mod handshakes;
mod subscriptions;
mod z85;
mod zmtp;

pub use handshakes::{handshakes, Outcome};
pub use subscriptions::subscriptions;
pub use z85::z85;
pub use zmtp::{key_pair, zmtp, Setup, CLIENT_SECRET, LIMIT, SERVER_SECRET};

/// The C ABI harness: see `ferromq-capi`'s `fuzzing` module.
pub fn capi(data: &[u8]) {
    capi::fuzzing::options_and_messages(data);
}

/// A harness: runs one input.
pub type Harness = fn(&[u8]);

/// The harnesses by the name of their fuzz target (and of their corpus directory).
pub const TARGETS: [(&str, Harness); 5] = [
    ("zmtp", zmtp),
    ("handshakes", |data| {
        handshakes(data);
    }),
    ("z85", z85),
    ("subscriptions", subscriptions),
    ("capi", capi),
];
