//! The `subscriptions` fuzz target: see `ferromq_fuzz::subscriptions`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq_fuzz::subscriptions(data));
