//! The C API table: libzmq's C programs (`bench/c/`: `local_thr`, `remote_thr`, `local_lat`,
//! `remote_lat`, in the manner of libzmq's perf tools), built once against ferromq's
//! `libzmq.so` (ferromq-capi, built here in the suite's own profile) and once against libzmq
//! (the build the `zmq` crate makes, or the shared library `FERROMQ_BENCH_LIBZMQ` names), and
//! run as processes of their own beside ferromq's Rust API.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The four programs, built against one library.
pub struct Programs {
    dir: PathBuf,
    /// Which libzmq the programs load, for the report.
    pub loads: String,
}

impl Programs {
    /// A command for program `name`.
    pub fn command(&self, name: &str) -> Command {
        Command::new(self.dir.join(name))
    }
}

const PROGRAMS: [&str; 4] = ["local_thr", "remote_thr", "local_lat", "remote_lat"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace")
}

/// Whether a C compiler answers (`CC`, else `cc`).
pub fn compiler() -> Result<(), String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    Command::new(&cc)
        .arg("--version")
        .output()
        .map(|_| ())
        .map_err(|e| format!("no C compiler ({cc}): {e}"))
}

fn compile(out: &Path, args: impl Fn(&mut Command)) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    for name in PROGRAMS {
        let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
        cc.args(["-O2", "-std=c99", "-D_POSIX_C_SOURCE=200809L"])
            .arg(repo().join("bench/c").join(format!("{name}.c")))
            .arg("-o")
            .arg(out.join(name));
        args(&mut cc);
        let status = cc.status().map_err(|e| format!("cc did not run: {e}"))?;
        if !status.success() {
            return Err(format!("{name}.c did not build"));
        }
    }
    Ok(())
}

/// The file the dynamic loader gives `program` for `libzmq*.so*` (from `ldd`): `Ok(None)`
/// when it loads none (libzmq linked in statically), `Err` when `ldd` cannot tell.
fn loaded_libzmq(program: &Path) -> Result<Option<PathBuf>, String> {
    let out = Command::new("ldd")
        .arg(program)
        .output()
        .map_err(|e| format!("ldd did not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("libzmq") {
            continue;
        }
        let Some(path) = line
            .split("=>")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .filter(|p| p.starts_with('/'))
        else {
            return Err(format!(
                "{} cannot find its libzmq: {line}",
                program.display()
            ));
        };
        return Ok(Some(
            std::fs::canonicalize(path).map_err(|e| e.to_string())?,
        ));
    }
    Ok(None)
}

/// Checks with `ldd` that every program in `dir` loads `want` (`None`: no shared libzmq);
/// without `ldd` the check is skipped with a word on stderr.
fn check_loads(dir: &Path, want: Option<&Path>) -> Result<String, String> {
    let want = want
        .map(|w| std::fs::canonicalize(w).map_err(|e| format!("{}: {e}", w.display())))
        .transpose()?;
    for name in PROGRAMS {
        let program = dir.join(name);
        match loaded_libzmq(&program) {
            Ok(got) if got == want => {}
            Ok(got) => {
                return Err(format!(
                    "{} loads {:?}, not {:?}",
                    program.display(),
                    got,
                    want
                ))
            }
            Err(e) => {
                eprintln!("C API table: which libzmq the programs load is unchecked: {e}");
                break;
            }
        }
    }
    Ok(match want {
        Some(w) => w.display().to_string(),
        None => "libzmq linked in statically".into(),
    })
}

/// Builds ferromq's library in the suite's own profile (release for `--release`, else the
/// test profile) into the suite's own target directory, and the programs against it with an
/// rpath to it. (`cargo run` has released the build lock by the time the suite runs.)
pub fn ferromq(out: &Path) -> Result<Programs, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe.parent().ok_or("no target directory")?;
    let target = profile_dir.parent().ok_or("no target directory")?;
    let profile: &[&str] = if profile_dir.file_name().is_some_and(|n| n == "release") {
        &["--release"]
    } else {
        &["--profile", "test"]
    };
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--lib", "-p", "ferromq-capi"])
        .args(profile)
        .arg("--manifest-path")
        .arg(repo().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .status()
        .map_err(|e| format!("cargo did not run: {e}"))?;
    if !status.success() {
        return Err("ferromq-capi did not build".into());
    }
    let built = profile_dir.join("libzmq.so");
    // A directory of its own holding libzmq.so and libzmq.so.5 (the soname the programs ask
    // for), so that the rpath finds ferromq's library and nothing else.
    let lib = out.join("ferromq-lib");
    std::fs::create_dir_all(&lib).map_err(|e| e.to_string())?;
    for name in ["libzmq.so", "libzmq.so.5"] {
        let _ = std::fs::remove_file(lib.join(name));
        std::os::unix::fs::symlink(&built, lib.join(name)).map_err(|e| e.to_string())?;
    }
    let lib = std::fs::canonicalize(&lib).map_err(|e| e.to_string())?;
    let dir = out.join("ferromq");
    compile(&dir, |cc| {
        cc.arg("-I")
            .arg(repo().join("ferromq-capi/include"))
            .arg("-L")
            .arg(&lib)
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lzmq");
    })?;
    let loads = check_loads(&dir, Some(&built))?;
    Ok(Programs { dir, loads })
}

/// Builds the programs against libzmq: the shared library `FERROMQ_BENCH_LIBZMQ` names
/// (e.g. pyzmq's wheel's `pyzmq.libs/libzmq-*.so.5.2.5`, libzmq 4.3.5; compiled against
/// ferromq's copy of 4.3.5's `zmq.h`, with an rpath to its directory), else libzmq's static
/// library as the `zmq` crate built it (zeromq-src).
pub fn libzmq(out: &Path) -> Result<Programs, String> {
    let dir = out.join("libzmq");
    if let Some(so) = std::env::var_os("FERROMQ_BENCH_LIBZMQ").filter(|v| !v.is_empty()) {
        let so = std::fs::canonicalize(PathBuf::from(&so))
            .map_err(|e| format!("FERROMQ_BENCH_LIBZMQ={}: {e}", so.to_string_lossy()))?;
        let parent = so.parent().ok_or("FERROMQ_BENCH_LIBZMQ has no directory")?;
        compile(&dir, |cc| {
            cc.arg("-I")
                .arg(repo().join("ferromq-capi/include"))
                .arg(&so)
                .arg(format!("-Wl,-rpath,{}", parent.display()));
        })?;
        let loads = check_loads(&dir, Some(&so))?;
        return Ok(Programs { dir, loads });
    }
    let (include, lib) = (env!("LIBZMQ_INCLUDE"), env!("LIBZMQ_LIB"));
    if include.is_empty() || lib.is_empty() {
        return Err("zmq-sys gave no include and lib directories".into());
    }
    compile(&dir, |cc| {
        cc.arg("-I")
            .arg(include)
            .arg(Path::new(lib).join("libzmq.a"))
            .args(["-lstdc++", "-lpthread"]);
    })?;
    let loads = check_loads(&dir, None)?;
    Ok(Programs {
        dir,
        loads: format!("{loads} (zeromq-src, {})", version(include)),
    })
}

/// libzmq's version as its header says (`ZMQ_VERSION_MAJOR` ...).
fn version(include: &str) -> String {
    let header = std::fs::read_to_string(Path::new(include).join("zmq.h")).unwrap_or_default();
    let part = |name: &str| {
        header
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(&format!("#define ZMQ_VERSION_{name} "))
            })
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| "?".into())
    };
    format!("{}.{}.{}", part("MAJOR"), part("MINOR"), part("PATCH"))
}
