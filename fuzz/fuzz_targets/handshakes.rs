//! The `handshakes` fuzz target: see `ferromq_fuzz::handshakes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferromq_fuzz::handshakes(data);
});
