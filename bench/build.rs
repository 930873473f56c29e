//! Tells the suite where the libzmq that the `zmq` crate builds (zeromq-src, through zmq-sys)
//! keeps its header and static library, so that the C programs of the C API table can be
//! built against that same libzmq.

fn main() {
    for (dep, var) in [
        ("DEP_ZMQ_INCLUDE", "LIBZMQ_INCLUDE"),
        ("DEP_ZMQ_LIB", "LIBZMQ_LIB"),
    ] {
        let value = std::env::var(dep).unwrap_or_default();
        println!("cargo:rustc-env={var}={value}");
    }
}
