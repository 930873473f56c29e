//! C programs built against `include/zmq.h` and this crate's `libzmq.so`, as a C user builds
//! them (`cc prog.c -I... -L... -lzmq`, with an rpath), and run: each checks itself and
//! prints "ok".

use std::path::{Path, PathBuf};
use std::process::Command;

/// This crate's `libzmq.so`, built once per test run. `cargo test` builds the library only as
/// an rlib, so the shared library is built here, by cargo, into a target directory of its own
/// beside the outer one (sharing the outer one would wait on the lock `cargo test` holds).
fn shared_library() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        // The test binary is <target>/<profile>/deps/<name>.
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).unwrap().join("capi-test");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--lib", "-p", "ferromq-capi"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the shared library did not build");
        target.join("debug").join("libzmq.so")
    })
}

/// Builds `tests/c/<name>.c` and runs it; its output.
fn build_and_run(name: &str) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = shared_library();
    assert!(built.exists(), "no {}", built.display());
    // Installed as libzmq is: the soname a program asks for, beside the link name.
    let out_dir = std::env::temp_dir().join(format!("ferromq-capi-{}", std::process::id()));
    let lib = out_dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    for name in ["libzmq.so", "libzmq.so.5"] {
        let _ = std::fs::remove_file(lib.join(name));
        std::os::unix::fs::symlink(built, lib.join(name)).unwrap();
    }
    let exe = out_dir.join(name);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .arg(manifest.join("tests/c").join(format!("{name}.c")))
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(manifest.join("include"))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lzmq")
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("{cc} did not run: {e}"));
    assert!(status.success(), "{name}.c did not build");
    // It must run on ferromq's library, never on a libzmq installed on the machine.
    let ldd = Command::new("ldd").arg(&exe).output().unwrap();
    let ldd = String::from_utf8_lossy(&ldd.stdout).into_owned();
    let line = ldd
        .lines()
        .find(|l| l.contains("libzmq"))
        .unwrap_or_default();
    assert!(
        line.contains(&lib.display().to_string()),
        "{name} loads {line:?}"
    );
    let out = Command::new(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_c_req_rep_program_runs_on_ferromq() {
    assert_eq!(build_and_run("req_rep"), "ok\n");
}
