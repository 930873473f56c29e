//! The `zmtp` fuzz target: see `ferromq_fuzz::zmtp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq_fuzz::zmtp(data));
