//! ferromq: ZeroMQ in pure Rust (work in progress).
