//! C programs built against `include/zmq.h` and this crate's `libzmq.so`, as a C user builds
//! them (`cc prog.c -I... -L... -lzmq`, with an rpath), and run: each checks itself and
//! prints "ok".

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory cargo put `libzmq.so` in: the test binary's `deps/` parent.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// Builds `tests/c/<name>.c` and runs it; its output.
fn build_and_run(name: &str) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = library_dir().join("libzmq.so");
    assert!(built.exists(), "no {}", built.display());
    // Installed as libzmq is: the soname a program asks for, beside the link name.
    let out_dir = std::env::temp_dir().join(format!("ferromq-capi-{}", std::process::id()));
    let lib = out_dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    for name in ["libzmq.so", "libzmq.so.5"] {
        let _ = std::fs::remove_file(lib.join(name));
        std::os::unix::fs::symlink(&built, lib.join(name)).unwrap();
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
