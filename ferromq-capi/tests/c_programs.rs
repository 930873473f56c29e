//! C programs built against `include/zmq.h` and this crate's `libzmq.so`, as a C user builds
//! them (`cc prog.c -I... -L... -lzmq`, with an rpath), and run: each checks itself and
//! prints "ok". Each includes `tests/c/check.h` and first checks, with `dladdr`, that it runs
//! on the library `FERROMQ_LIBZMQ` names, which is set here to the one built.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a program may run: each bounds its own waits well within this.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Set by the sanitizer command of `docs/fuzzing.md`: the library is built with
/// AddressSanitizer (for the target named, as the outer build is, so that build scripts and
/// proc macros are not), and the programs are too, whose runtime it needs.
fn sanitized() -> bool {
    std::env::var_os("FERROMQ_SANITIZER").is_some()
}

/// The target a sanitized build names.
const SANITIZED_TARGET: &str = "x86_64-unknown-linux-gnu";

/// This crate's `libzmq.so`, built once per test run. `cargo test` builds the library only as
/// an rlib, so the shared library is built here, by cargo, into a target directory of its own
/// beside the outer one (sharing the outer one would wait on the lock `cargo test` holds).
fn shared_library() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        // The test binary is <target>/<profile>/deps/<name>.
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).unwrap().join("capi-test");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--lib", "-p", "ferromq-capi"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target);
        let mut built = target.clone();
        if sanitized() {
            cargo.args(["--target", SANITIZED_TARGET]);
            built.push(SANITIZED_TARGET);
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "the shared library did not build");
        let built = built.join("debug").join("libzmq.so");
        assert!(built.exists(), "no {}", built.display());
        built
    })
}

/// Where the programs are built, and the library installed as libzmq is: the soname a
/// program asks for beside the link name, both links to the built library. Made once, as
/// the tests run in parallel.
fn out_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let built = shared_library();
        let dir = std::env::temp_dir().join(format!("ferromq-capi-{}", std::process::id()));
        let lib = dir.join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        for name in ["libzmq.so", "libzmq.so.5"] {
            let _ = std::fs::remove_file(lib.join(name));
            std::os::unix::fs::symlink(built, lib.join(name)).unwrap();
        }
        dir
    })
}

/// Builds `tests/c/<name>.c` (with `tests/c/check.h`) and checks that it loads ferromq's
/// library; the executable.
fn build(name: &str) -> PathBuf {
    build_as(name, name)
}

/// As [`build`], into the executable `exe`.
fn build_as(name: &str, exe: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let source = manifest.join("tests/c").join(format!("{name}.c"));
    build_with(&cc, &source, exe, &[])
}

/// Builds `source` with `compiler` (and `extra` arguments) against the header and the library
/// as a user does, and checks that the executable loads ferromq's library.
fn build_with(compiler: &str, source: &Path, name: &str, extra: &[String]) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = out_dir().join("lib");
    let exe = out_dir().join(name);
    let cc = compiler;
    let sanitizer: &[&str] = if sanitized() {
        &["-fsanitize=address", "-fno-omit-frame-pointer"]
    } else {
        &[]
    };
    let status = Command::new(cc)
        .arg(source)
        .args(extra)
        .args(sanitizer)
        .arg("-Wall")
        .arg("-Werror")
        .arg("-pthread")
        .arg("-I")
        .arg(manifest.join("include"))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lzmq")
        // dladdr, in libc itself since glibc 2.34; harmless there.
        .arg("-ldl")
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("{cc} did not run: {e}"));
    assert!(status.success(), "{} did not build", source.display());
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
    exe
}

/// Starts a built program, with `FERROMQ_LIBZMQ` naming the library it must run on, and its
/// stdout and stderr piped.
fn start(exe: &Path) -> Child {
    Command::new(exe)
        .env("FERROMQ_LIBZMQ", shared_library())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} did not start: {e}", exe.display()))
}

/// Reads a pipe to its end on a thread of its own; what it read, when joined.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Waits for a program (killed past [`RUN_LIMIT`]), checks it succeeded, and returns what
/// it printed on `stdout` (its stdout, or what is left of it).
fn finish(name: &str, mut child: Child, stdout: impl Read + Send + 'static) -> String {
    let stdout = drain(stdout);
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    match status {
        None => panic!("{name} still ran after {RUN_LIMIT:?}: {stdout}{stderr}"),
        Some(status) => assert!(
            status.success(),
            "{name} failed ({status}): {stdout}{stderr}"
        ),
    }
    stdout
}

/// The programs that make, copy, send and close messages of every kind, run under
/// valgrind's memcheck: no invalid read or write, no use of uninitialised memory, and no
/// memory definitely lost (the library's I/O threads end with the context, so what a
/// program leaks at exit is the library's).
#[test]
fn c_programs_are_clean_under_memcheck() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("skipped: valgrind is not installed (apt-get install valgrind)");
        return;
    }
    if sanitized() {
        eprintln!("skipped: memcheck cannot run a program built with AddressSanitizer");
        return;
    }
    for name in ["msg_data", "msg_gets", "router_dealer", "push_pull"] {
        // An executable of its own: the plain test of the same program may be building or
        // running its copy at this moment.
        let exe = build_as(name, &format!("{name}-memcheck"));
        let mut child = Command::new("valgrind")
            .args([
                "-q",
                "--error-exitcode=97",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
            ])
            .arg(&exe)
            .env("FERROMQ_LIBZMQ", shared_library())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("valgrind starts");
        let stdout = child.stdout.take().unwrap();
        assert_eq!(finish(name, child, stdout), "ok\n", "{name} under memcheck");
    }
}

/// Builds `tests/c/<name>.c` and runs it; its output.
fn build_and_run(name: &str) -> String {
    let mut child = start(&build(name));
    let stdout = child.stdout.take().unwrap();
    finish(name, child, stdout)
}

#[test]
fn a_c_req_rep_program_runs_on_ferromq() {
    assert_eq!(build_and_run("req_rep"), "ok\n");
}

#[test]
fn a_c_sub_gets_only_what_it_subscribed_to() {
    assert_eq!(build_and_run("pub_sub"), "ok\n");
}

#[test]
fn a_c_push_deals_round_robin_over_tcp_and_ipc() {
    assert_eq!(build_and_run("push_pull"), "ok\n");
}

#[test]
fn a_c_router_routes_by_routing_id() {
    assert_eq!(build_and_run("router_dealer"), "ok\n");
}

#[test]
fn a_c_stream_talks_to_a_plain_tcp_client() {
    assert_eq!(build_and_run("stream"), "ok\n");
}

#[test]
fn c_zmq_poll_mixes_sockets_and_file_descriptors() {
    assert_eq!(build_and_run("poll_mixed"), "ok\n");
}

#[test]
fn a_c_monitor_reports_a_sockets_life() {
    assert_eq!(build_and_run("monitor"), "ok\n");
}

#[test]
fn c_messages_carry_their_peers_properties() {
    assert_eq!(build_and_run("msg_gets"), "ok\n");
}

#[test]
fn c_messages_free_the_callers_buffer_once() {
    assert_eq!(build_and_run("msg_data"), "ok\n");
}

#[test]
fn a_c_context_shut_down_wakes_a_blocked_recv() {
    assert_eq!(build_and_run("ctx_term"), "ok\n");
}

/// A C REP on ferromq's libzmq.so, in its own process, serving a ferromq REQ over tcp.
#[test]
fn a_c_rep_serves_a_peer_in_another_process_over_tcp() {
    let mut child = start(&build("interop_tcp"));
    // Its first line is its endpoint: read on a thread, so that a program that never
    // prints it fails the test instead of hanging it.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        tx.send(read.map(|_| line)).unwrap();
        stdout
    });
    let endpoint = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(line)) => line.trim_end().to_owned(),
        other => {
            let _ = child.kill();
            panic!("interop_tcp printed no endpoint: {other:?}");
        }
    };
    let stdout = reader.join().unwrap();
    assert!(
        endpoint.starts_with("tcp://127.0.0.1:"),
        "interop_tcp printed {endpoint:?}"
    );

    let client = || -> ferromq::Result<Vec<String>> {
        let ctx = ferromq::Context::new();
        let req = ctx.socket(ferromq::SocketType::Req)?;
        req.set_rcvtimeo(5000)?;
        req.set_sndtimeo(5000)?;
        req.set_linger(0)?;
        req.connect(&endpoint)?;
        let mut replies = Vec::new();
        for i in 0..3 {
            req.send(format!("ping {i}"))?;
            let reply = req.recv()?;
            let frames: Vec<_> = reply.iter().map(|f| String::from_utf8_lossy(f)).collect();
            replies.push(frames.join("|"));
        }
        Ok(replies)
    };
    let replies = client();
    // The program's own verdict first: its stderr says more than the client's error.
    let out = finish("interop_tcp", child, stdout);
    assert_eq!(
        replies.expect("the ferromq REQ"),
        ["pong 0", "pong 1", "pong 2"]
    );
    assert_eq!(out, "ok\n");
}

/// Where cppzmq's `zmq.hpp` is: `CPPZMQ_INCLUDE` (`.ci/run` unpacks Debian's cppzmq-dev there,
/// without installing the libzmq it depends on), which must then hold it, else the system's
/// include directory if it does.
fn cppzmq_include() -> Option<PathBuf> {
    let has_cppzmq =
        |dir: &Path| dir.join("zmq.hpp").exists() && dir.join("zmq_addon.hpp").exists();
    if let Some(dir) = std::env::var_os("CPPZMQ_INCLUDE") {
        let dir = PathBuf::from(dir);
        // Set (as CI sets it) but wrong is a failure, not a skip.
        assert!(
            has_cppzmq(&dir),
            "CPPZMQ_INCLUDE={} holds no zmq.hpp and zmq_addon.hpp",
            dir.display()
        );
        return Some(dir);
    }
    Some(PathBuf::from("/usr/include")).filter(|dir| has_cppzmq(dir))
}

#[test]
fn a_cppzmq_program_builds_and_runs_on_ferromq() {
    let Some(include) = cppzmq_include() else {
        eprintln!("skipped: cppzmq's zmq.hpp not found; .ci/run fetches it");
        return;
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    // ferromq's zmq.h first: cppzmq's directory may hold another libzmq's zmq.h beside it.
    let extra = [
        "-std=c++17".to_owned(),
        "-I".to_owned(),
        manifest.join("include").display().to_string(),
        "-I".to_owned(),
        include.display().to_string(),
    ];
    let exe = build_with(
        &cxx,
        &manifest.join("tests/cpp/cppzmq.cpp"),
        "cppzmq",
        &extra,
    );
    let mut child = start(&exe);
    let stdout = child.stdout.take().unwrap();
    assert_eq!(finish("cppzmq", child, stdout), "ok\n");
}
