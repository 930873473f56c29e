//! The C API table: libzmq's C programs (`bench/c/`), built once against ferromq's
//! `libzmq.so` (ferromq-capi) and once against libzmq (the build the `zmq` crate makes), run
//! as processes of their own beside ferromq's Rust API.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The four programs, built against one library.
pub struct Programs {
    dir: PathBuf,
    /// The library directory to run them with (for ferromq's, the one holding libzmq.so.5).
    lib: Option<PathBuf>,
}

impl Programs {
    /// A command for program `name`.
    pub fn command(&self, name: &str) -> Command {
        let mut c = Command::new(self.dir.join(name));
        if let Some(lib) = &self.lib {
            c.env("LD_LIBRARY_PATH", lib);
        }
        c
    }
}

const PROGRAMS: [&str; 4] = ["thr_send", "thr_recv", "lat_echo", "lat_client"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace")
}

fn compile(out: &Path, args: impl Fn(&mut Command)) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    for name in PROGRAMS {
        let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
        cc.arg("-O2")
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

/// Builds ferromq's library in the suite's own profile (release for `--release`, else the
/// optimised test profile), and the programs against it with an rpath to it.
pub fn ferromq(out: &Path) -> Result<Programs, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe.parent().ok_or("no target directory")?;
    let target = profile_dir.parent().ok_or("no target directory")?;
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--lib", "-p", "ferromq-capi"])
        .args(if release {
            vec!["--release"]
        } else {
            vec!["--profile", "test"]
        })
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
    let lib = out.join("ferromq-lib");
    std::fs::create_dir_all(&lib).map_err(|e| e.to_string())?;
    for name in ["libzmq.so", "libzmq.so.5"] {
        let _ = std::fs::remove_file(lib.join(name));
        std::os::unix::fs::symlink(&built, lib.join(name)).map_err(|e| e.to_string())?;
    }
    let dir = out.join("ferromq");
    compile(&dir, |cc| {
        cc.arg("-I")
            .arg(repo().join("ferromq-capi/include"))
            .arg("-L")
            .arg(&lib)
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lzmq");
    })?;
    Ok(Programs {
        dir,
        lib: Some(lib),
    })
}

/// Builds the programs against libzmq's static library, as the `zmq` crate built it.
pub fn libzmq(out: &Path) -> Result<Programs, String> {
    let (include, lib) = (env!("LIBZMQ_INCLUDE"), env!("LIBZMQ_LIB"));
    if include.is_empty() || lib.is_empty() {
        return Err("zmq-sys gave no include and lib directories".into());
    }
    let dir = out.join("libzmq");
    compile(&dir, |cc| {
        cc.arg("-I")
            .arg(include)
            .arg(Path::new(lib).join("libzmq.a"))
            .args(["-lstdc++", "-lpthread"]);
    })?;
    Ok(Programs { dir, lib: None })
}
