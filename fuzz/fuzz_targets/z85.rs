//! The `z85` fuzz target: see `ferromq_fuzz::z85`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq_fuzz::z85(data));
