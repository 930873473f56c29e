//! `fmq`'s security flags: CURVE and PLAIN, for any socket type, checked before any socket
//! exists (a contradiction or a malformed key is a usage error, status 2, naming the flag).
//!
//! ```text
//! --curve-server SECRET       a CURVE server with this secret key
//! --curve-serverkey PUBLIC    a CURVE client of that server
//! --curve-secret SECRET       the client's own key pair (a fresh one otherwise)
//! --curve-allow PUBLIC        (repeatable, with --curve-server) only these clients
//! --curve-cert PATH           a ZPL certificate standing for --curve-server SECRET, or, with
//!                             --curve-serverkey, for --curve-secret SECRET
//! --plain-user U --plain-password P     a PLAIN client
//! --plain-server USER:PASS    (repeatable) a PLAIN server admitting these pairs
//! ```
//!
//! `fmq proxy` takes the same flags per side, after the side's spec and `;`, without the
//! dashes: `'router:@tcp://*:5555;curve-server=SECRET;curve-allow=PUBLIC'`.

use std::path::PathBuf;

use clap::Args;
use ferromq::{Authenticator, Context, CurveClients, CurveKeyPair, Socket};

/// The security flags of one socket.
#[derive(Args, Debug, Clone, Default)]
pub struct SecurityArgs {
    /// Make this socket a CURVE server with this secret key (40 Z85 characters; its public
    /// key is derived).
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub curve_server: Option<String>,
    /// Make this socket a CURVE client of the server with this public key.
    #[arg(long, value_name = "PUBLIC", allow_hyphen_values = true)]
    pub curve_serverkey: Option<String>,
    /// The CURVE client's own secret key (without it, a fresh key pair).
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub curve_secret: Option<String>,
    /// With a CURVE server: admit only clients with this public key (repeatable; without
    /// it, any client that knows the server's public key gets in).
    #[arg(long, value_name = "PUBLIC", allow_hyphen_values = true)]
    pub curve_allow: Vec<String>,
    /// A ZPL certificate (as `fmq keygen --cert`, pyzmq's create_certificates and czmq's
    /// zcert write them) standing for --curve-server SECRET, or with --curve-serverkey for
    /// --curve-secret SECRET, so that a secret key need not appear in `ps`.
    #[arg(long, value_name = "PATH")]
    pub curve_cert: Option<PathBuf>,
    /// Make this socket a PLAIN client with this user name (needs --plain-password).
    #[arg(long, value_name = "USER")]
    pub plain_user: Option<String>,
    /// The PLAIN client's password (needs --plain-user).
    #[arg(long, value_name = "PASS")]
    pub plain_password: Option<String>,
    /// Make this socket a PLAIN server admitting USER with PASS (repeatable).
    #[arg(long, value_name = "USER:PASS")]
    pub plain_server: Vec<String>,
}

/// What the flags make a socket.
pub enum Security {
    Null,
    CurveServer {
        keys: CurveKeyPair,
        allow: Option<Vec<[u8; 32]>>,
    },
    CurveClient {
        server: [u8; 32],
        keys: Option<CurveKeyPair>,
    },
    PlainServer(Vec<(String, String)>),
    PlainClient(String, String),
}

/// A key given on the command line: exactly 40 Z85 characters.
fn key(flag: &str, text: &str) -> Result<[u8; 32], String> {
    if text.len() != 40 {
        return Err(format!(
            "{flag}: a CURVE key is 40 Z85 characters, this is {}",
            text.len()
        ));
    }
    let bytes = ferromq::z85_decode(text).map_err(|e| format!("{flag}: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{flag}: not a 32-byte key"))
}

/// The secret key from SECRET or from --curve-cert (exactly one of them).
fn secret(flag: &str, given: Option<&str>, cert: Option<&PathBuf>) -> Result<CurveKeyPair, String> {
    match (given, cert) {
        (Some(_), Some(_)) => Err(format!(
            "{flag} SECRET and --curve-cert contradict each other: give the secret key once"
        )),
        (Some(text), None) => {
            let raw = key(flag, text)?;
            Ok(CurveKeyPair::from_secret(raw.into()))
        }
        (None, Some(path)) => ferromq::read_certificate(path)
            .map_err(|e| format!("--curve-cert: {e}"))?
            .key_pair()
            .ok_or_else(|| {
                format!(
                    "--curve-cert: {} holds no secret-key (give the _secret file)",
                    path.display()
                )
            }),
        (None, None) => Err(format!("{flag} needs a SECRET, or --curve-cert PATH")),
    }
}

impl SecurityArgs {
    /// Checks the flags and reads their keys.
    pub fn resolve(&self) -> Result<Security, String> {
        let curve = self.curve_server.is_some()
            || self.curve_serverkey.is_some()
            || self.curve_secret.is_some()
            || !self.curve_allow.is_empty()
            || self.curve_cert.is_some();
        let plain = self.plain_user.is_some()
            || self.plain_password.is_some()
            || !self.plain_server.is_empty();
        if curve && plain {
            return Err("the --curve-* and --plain-* flags contradict each other".into());
        }
        let server_by_cert = self.curve_cert.is_some() && self.curve_serverkey.is_none();
        if self.curve_server.is_some() || server_by_cert {
            if self.curve_serverkey.is_some() || self.curve_secret.is_some() {
                return Err(
                    "--curve-server contradicts --curve-serverkey and --curve-secret (a socket \
                     is a CURVE server or a client)"
                        .into(),
                );
            }
            let keys = secret(
                "--curve-server",
                self.curve_server.as_deref(),
                self.curve_cert.as_ref(),
            )?;
            let allow = (!self.curve_allow.is_empty())
                .then(|| {
                    self.curve_allow
                        .iter()
                        .map(|k| key("--curve-allow", k))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            return Ok(Security::CurveServer { keys, allow });
        }
        if !self.curve_allow.is_empty() {
            return Err("--curve-allow needs --curve-server (or --curve-cert)".into());
        }
        if let Some(server) = &self.curve_serverkey {
            let server = key("--curve-serverkey", server)?;
            let keys = match (&self.curve_secret, &self.curve_cert) {
                (None, None) => None,
                (given, cert) => Some(secret("--curve-secret", given.as_deref(), cert.as_ref())?),
            };
            return Ok(Security::CurveClient { server, keys });
        }
        if self.curve_secret.is_some() {
            return Err("--curve-secret needs --curve-serverkey".into());
        }
        if !self.plain_server.is_empty() {
            if self.plain_user.is_some() || self.plain_password.is_some() {
                return Err(
                    "--plain-server contradicts --plain-user and --plain-password (a socket is \
                     a PLAIN server or a client)"
                        .into(),
                );
            }
            let pairs = self
                .plain_server
                .iter()
                .map(|pair| {
                    pair.split_once(':')
                        .map(|(u, p)| (u.to_owned(), p.to_owned()))
                        .ok_or_else(|| format!("--plain-server: expected USER:PASS, got {pair:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Security::PlainServer(pairs));
        }
        match (&self.plain_user, &self.plain_password) {
            (Some(u), Some(p)) => Ok(Security::PlainClient(u.clone(), p.clone())),
            (Some(_), None) => Err("--plain-user needs --plain-password".into()),
            (None, Some(_)) => Err("--plain-password needs --plain-user".into()),
            (None, None) => Ok(Security::Null),
        }
    }

    /// Reads `name=value` flags (the dashes left out), as `fmq proxy` sides give them.
    pub fn parse_inline(flags: &[&str]) -> Result<SecurityArgs, String> {
        let mut args = SecurityArgs::default();
        for flag in flags {
            let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
            let value = value.to_owned();
            match name {
                "curve-server" => args.curve_server = Some(value),
                "curve-serverkey" => args.curve_serverkey = Some(value),
                "curve-secret" => args.curve_secret = Some(value),
                "curve-allow" => args.curve_allow.push(value),
                "curve-cert" => args.curve_cert = Some(value.into()),
                "plain-user" => args.plain_user = Some(value),
                "plain-password" => args.plain_password = Some(value),
                "plain-server" => args.plain_server.push(value),
                _ => return Err(format!("unknown security flag {name:?}")),
            }
        }
        args.resolve()?; // checked now, so that a bad side is a usage error
        Ok(args)
    }
}

impl Security {
    /// Applies the mechanism to `socket` of `ctx`. A server that admits only some clients
    /// needs `ctx`'s authenticator, started here on first use; each socket judges by its own
    /// ZAP domain, `domain`.
    pub fn apply(
        &self,
        ctx: &Context,
        socket: &Socket,
        domain: &str,
        auth: &mut Option<Authenticator>,
    ) -> ferromq::Result<()> {
        fn authenticator<'a>(
            auth: &'a mut Option<Authenticator>,
            ctx: &Context,
            socket: &Socket,
            domain: &str,
        ) -> ferromq::Result<&'a Authenticator> {
            if auth.is_none() {
                *auth = Some(Authenticator::start(ctx)?);
            }
            socket.set_zap_domain(domain)?;
            Ok(auth.as_ref().expect("started above"))
        }
        match self {
            Security::Null => {}
            Security::CurveServer { keys, allow } => {
                if let Some(allow) = allow {
                    let clients = CurveClients::Keys(allow.iter().copied().collect());
                    authenticator(auth, ctx, socket, domain)?.configure_curve(domain, clients);
                }
                socket.set_curve_server(keys)?;
            }
            Security::CurveClient { server, keys } => {
                socket.set_curve_client(server, keys.as_ref())?;
            }
            Security::PlainServer(pairs) => {
                authenticator(auth, ctx, socket, domain)?.configure_plain(
                    domain,
                    pairs.iter().map(|(u, p)| (u.as_bytes(), p.as_bytes())),
                );
                socket.set_plain_server(true)?;
            }
            Security::PlainClient(user, password) => {
                socket.set_plain_credentials(user, password)?;
            }
        }
        Ok(())
    }
}
