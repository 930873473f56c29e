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
//! ```

mod z85;
mod zmtp;

pub use z85::z85;
pub use zmtp::{zmtp, Setup, CLIENT_SECRET, LIMIT, SERVER_SECRET};

/// A harness: runs one input.
pub type Harness = fn(&[u8]);

/// The harnesses by the name of their fuzz target (and of their corpus directory).
pub const TARGETS: [(&str, Harness); 2] = [("zmtp", zmtp), ("z85", z85)];
