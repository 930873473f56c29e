//! Gives the shared library libzmq's soname, so that programs linked against it ask for
//! `libzmq.so.5`, as they do of libzmq.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
}
