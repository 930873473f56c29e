//! `fmq proxy`: `zmq_proxy` between sockets given as CZMQ-style specs.

use clap::{Args, ValueEnum};
use ferromq::{Context, Socket, SocketType};

use crate::peer::{Exit, TypeArg};
use crate::security::SecurityArgs;

/// A socket for the proxy: `TYPE:@EP` binds, `TYPE:>EP` connects; several endpoints may be
/// joined by commas (`xsub:@tcp://*:5555,>tcp://10.0.0.2:5555`), and security flags follow
/// after `;`, without their dashes (`router:@tcp://*:5555;curve-server=SECRET`).
#[derive(Clone, Debug)]
pub struct Spec {
    socket_type: TypeArg,
    endpoints: Vec<(bool, String)>,
    security: SecurityArgs,
}

/// Reads a spec, with an error that says what is wrong (clap prints it, with status 2).
pub fn parse_spec(text: &str) -> Result<Spec, String> {
    let mut parts = text.split(';');
    let text = parts.next().unwrap_or_default();
    let flags: Vec<&str> = parts.collect();
    let security = SecurityArgs::parse_inline(&flags)?;
    let (type_name, rest) = text
        .split_once(':')
        .ok_or_else(|| format!("expected TYPE:@ENDPOINT or TYPE:>ENDPOINT, got {text:?}"))?;
    let socket_type = TypeArg::from_str(type_name, true).map_err(|_| {
        let valid: Vec<String> = TypeArg::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        format!(
            "unknown socket type {type_name:?} (valid: {})",
            valid.join(", ")
        )
    })?;
    let endpoints = rest
        .split(',')
        .map(|ep| match ep.as_bytes().first() {
            Some(b'@') => Ok((true, ep[1..].to_owned())),
            Some(b'>') => Ok((false, ep[1..].to_owned())),
            _ => Err(format!(
                "endpoint {ep:?} must start with @ (bind) or > (connect)"
            )),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Spec {
        socket_type,
        endpoints,
        security,
    })
}

/// Arguments of `fmq proxy`.
#[derive(Args, Debug)]
pub struct ProxyArgs {
    /// The frontend, e.g. xsub:@tcp://*:5555 (@ binds, > connects; quote > and ; in a shell),
    /// then any security flags after ';' without their dashes, e.g.
    /// 'router:@tcp://*:5555;curve-server=SECRET;curve-allow=PUBLIC'.
    #[arg(value_parser = parse_spec, value_name = "FRONTEND")]
    frontend: Spec,
    /// The backend, e.g. xpub:@tcp://*:5556.
    #[arg(value_parser = parse_spec, value_name = "BACKEND")]
    backend: Spec,
    /// An optional capture socket that gets a copy of every message, e.g. pub:@tcp://*:5557.
    #[arg(value_parser = parse_spec, value_name = "CAPTURE")]
    capture: Option<Spec>,
}

fn open(
    ctx: &Context,
    spec: &Spec,
    side: &str,
    auth: &mut Option<ferromq::Authenticator>,
) -> ferromq::Result<Socket> {
    let socket = ctx.socket(SocketType::from(spec.socket_type))?;
    if let Ok(security) = spec.security.resolve() {
        security.apply(ctx, &socket, side, auth)?;
    }
    for (bind, ep) in &spec.endpoints {
        if *bind {
            socket.bind(ep)?;
            let bound = socket.last_endpoint().unwrap_or_default();
            if &bound != ep {
                eprintln!("fmq: bound {bound}");
            }
        } else {
            socket.connect(ep)?;
        }
    }
    Ok(socket)
}

/// Runs the proxy until the process is killed.
pub fn run(args: ProxyArgs) -> Exit {
    let ctx = Context::new();
    let mut auth = None;
    let result = (|| {
        let frontend = open(&ctx, &args.frontend, "frontend", &mut auth)?;
        let backend = open(&ctx, &args.backend, "backend", &mut auth)?;
        let capture = args
            .capture
            .as_ref()
            .map(|c| open(&ctx, c, "capture", &mut auth))
            .transpose()?;
        ferromq::proxy(&frontend, &backend, capture.as_ref())
    })();
    match result {
        Ok(()) => Exit::Done,
        Err(e) => e.into(),
    }
}
