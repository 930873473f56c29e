//! The `capi` fuzz target: see `ferromq_fuzz::capi`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq_fuzz::capi(data));
