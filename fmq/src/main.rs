//! `fmq`: a command-line ZeroMQ peer that pipes, debugs and benchmarks against any ZeroMQ
//! program.
//!
//! ```text
//! fmq TYPE (--bind EP | --connect EP)... [-s PREFIX]... [-n N] [--echo] [--identity ID] [--timeout MS]
//!          [--curve-server [SECRET] | --curve-serverkey PUBLIC ... | --plain-* ...] (see security.rs)
//! fmq proxy TYPE:EP[;FLAG=VALUE]... TYPE:EP[;...] [TYPE:EP[;...]]
//! fmq bench thr|lat [options]
//! fmq keygen
//! ```
//!
//! Standard input and output carry one message per line, its frames joined by TAB; a frame that
//! is not plain text is written `0x` + hex (see `frames.rs`).

mod bench;
mod frames;
mod peer;
mod proxy;
mod security;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// A command-line ZeroMQ peer: pipe lines through any socket type, run a proxy, or benchmark.
///
/// Standard input: one message per line, frames joined by TAB; a frame written 0x + hex is
/// sent as those bytes. Standard output: every message received, in the same form.
#[derive(Parser, Debug)]
#[command(
    name = "fmq",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    peer: peer::PeerArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Joins two sockets like zmq_proxy, each given as TYPE:@EP (bind) or TYPE:>EP (connect).
    Proxy(Box<proxy::ProxyArgs>),
    /// Measures throughput (PUSH to PULL) or latency (REQ/REP round trip / 2).
    Bench(Box<bench::BenchArgs>),
    /// Prints a new CURVE key pair: the public key on the first line, the secret key on the
    /// second, each as 40 Z85 characters.
    Keygen(KeygenArgs),
}

#[derive(clap::Args, Debug)]
struct KeygenArgs {
    /// Also write the pair as ZPL certificates: PATH (public) and PATH_secret (name it
    /// NAME.key for pyzmq's load_certificates to find it).
    #[arg(long, value_name = "PATH")]
    cert: Option<std::path::PathBuf>,
}

/// The status for an outcome; errors are reported on standard error.
fn exit_code(exit: peer::Exit) -> i32 {
    match exit {
        peer::Exit::Done => 0,
        peer::Exit::TimedOut(t) => {
            eprintln!("fmq: timed out: no message in {} ms", t.as_millis());
            3
        }
        peer::Exit::Failed(reason) => {
            eprintln!("fmq: {reason}");
            1
        }
        peer::Exit::Usage(reason) => {
            eprintln!("error: {reason}");
            2
        }
    }
}

/// `fmq keygen`: a CURVE key pair, public then secret, one per line.
fn keygen(args: KeygenArgs) -> peer::Exit {
    let pair = match ferromq::curve_keypair() {
        Ok(pair) => pair,
        Err(e) => return peer::Exit::Failed(format!("keygen: {e}")),
    };
    if let Some(path) = &args.cert {
        if let Err(e) = ferromq::write_certificate(path, &pair) {
            return peer::Exit::Failed(format!("keygen: {}: {e}", path.display()));
        }
    }
    println!("{}\n{}", pair.public_z85(), pair.secret_z85().as_str());
    peer::Exit::Done
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Some(Command::Proxy(args)) => proxy::run(*args),
        Some(Command::Bench(args)) => bench::run(*args),
        Some(Command::Keygen(args)) => keygen(args),
        None => match cli.peer.security.resolve() {
            Ok(security) => peer::run(cli.peer, security),
            // A contradiction or a bad key: a usage error (status 2), as clap's own.
            Err(e) => Cli::command()
                .error(clap::error::ErrorKind::ArgumentConflict, e)
                .exit(),
        },
    };
    ExitCode::from(exit_code(exit) as u8)
}
