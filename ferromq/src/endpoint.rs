//! Endpoint strings (leaf): `tcp://host:port`, `ipc:///path`, `ipc://@abstract`,
//! `inproc://name`.

use std::fmt;
use std::net::IpAddr;

use crate::{Error, Result};

/// Where a socket binds or connects, parsed from libzmq's endpoint syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Tcp { host: Host, port: Option<u16> },
    Ipc(String),
    Inproc(String),
}

/// The host part of a tcp endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// `*`: every interface (bind only).
    Any,
    Ip(IpAddr),
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Any => f.write_str("*"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// Whether the endpoint is used to bind or to connect; they accept different forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Bind,
    Connect,
}

impl Endpoint {
    pub(crate) fn parse(endpoint: &str, role: Role) -> Result<Endpoint> {
        let invalid = |reason: String| Error::InvalidEndpoint {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let Some((transport, address)) = endpoint.split_once("://") else {
            return Err(invalid(
                "expected TRANSPORT://ADDRESS, e.g. tcp://127.0.0.1:5555".into(),
            ));
        };
        match transport {
            "tcp" => parse_tcp(address, role).map_err(invalid),
            "ipc" if address.is_empty() => Err(invalid("empty ipc path".into())),
            "ipc" => Ok(Endpoint::Ipc(address.to_owned())),
            "inproc" if address.is_empty() => Err(invalid("empty inproc name".into())),
            "inproc" => Ok(Endpoint::Inproc(address.to_owned())),
            other => Err(invalid(format!(
                "unknown transport {other:?} (expected tcp, ipc or inproc)"
            ))),
        }
    }
}

fn parse_tcp(address: &str, role: Role) -> std::result::Result<Endpoint, String> {
    if address.contains(';') {
        return Err("source addresses (SRC;DEST) are not supported".into());
    }
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (ip, after) = rest
            .split_once(']')
            .ok_or("IPv6 address is missing its closing ']'")?;
        let port = after
            .strip_prefix(':')
            .ok_or("missing port: expected [IPV6]:PORT")?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not an IPv6 address"))?;
        (Host::Ip(ip), port)
    } else {
        let (host, port) = address
            .rsplit_once(':')
            .ok_or("missing port: expected HOST:PORT")?;
        let host = match host {
            "" => return Err("missing host: use * to bind every interface".into()),
            "*" => Host::Any,
            h => match h.parse::<IpAddr>() {
                Ok(ip) => Host::Ip(ip),
                Err(_) if is_host_name(h) => Host::Name(h.to_owned()),
                Err(_) => return Err(format!("{h:?} is neither an IP address nor a host name")),
            },
        };
        (host, port)
    };
    let port = match port {
        "*" | "0" if role == Role::Bind => None,
        "*" | "0" => return Err("a connect needs a definite port".into()),
        "" => return Err("missing port".into()),
        p => Some(
            p.parse::<u16>()
                .map_err(|_| format!("{p:?} is not a port number (1-65535 or *)"))?,
        ),
    };
    if role == Role::Connect && host == Host::Any {
        return Err("cannot connect to *: name a host".into());
    }
    Ok(Endpoint::Tcp { host, port })
}

fn is_host_name(h: &str) -> bool {
    h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str, role: Role) -> Endpoint {
        Endpoint::parse(s, role).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn reason(s: &str, role: Role) -> String {
        match Endpoint::parse(s, role) {
            Err(Error::InvalidEndpoint { endpoint, reason }) => {
                assert_eq!(endpoint, s);
                reason
            }
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn parses_what_libzmq_accepts() {
        use Role::*;
        assert_eq!(
            ok("tcp://*:5555", Bind),
            Endpoint::Tcp {
                host: Host::Any,
                port: Some(5555)
            }
        );
        assert_eq!(
            ok("tcp://127.0.0.1:*", Bind),
            Endpoint::Tcp {
                host: Host::Ip("127.0.0.1".parse().unwrap()),
                port: None
            }
        );
        assert_eq!(
            ok("tcp://[::1]:5555", Connect),
            Endpoint::Tcp {
                host: Host::Ip("::1".parse().unwrap()),
                port: Some(5555)
            }
        );
        assert_eq!(
            ok("tcp://localhost:80", Connect),
            Endpoint::Tcp {
                host: Host::Name("localhost".into()),
                port: Some(80)
            }
        );
        assert_eq!(ok("ipc:///tmp/x", Bind), Endpoint::Ipc("/tmp/x".into()));
        assert_eq!(ok("ipc://@abs", Bind), Endpoint::Ipc("@abs".into()));
        assert_eq!(ok("inproc://a", Connect), Endpoint::Inproc("a".into()));
    }

    #[test]
    fn errors_name_the_fault() {
        use Role::*;
        assert!(reason("tcpp://127.0.0.1:5555", Bind).contains("unknown transport \"tcpp\""));
        assert!(reason("tcp://127.0.0.1", Bind).contains("missing port"));
        assert!(reason("tcp://127.0.0.1:", Bind).contains("missing port"));
        assert!(reason("tcp://127.0.0.1:99999", Bind).contains("not a port"));
        assert!(reason("tcp://127.0.0.1:*", Connect).contains("definite port"));
        assert!(reason("tcp://*:5555", Connect).contains("cannot connect to *"));
        assert!(reason("tcp://bad host!:1", Connect).contains("neither"));
        assert!(reason("tcp://[::1:5", Connect).contains("closing"));
        assert!(reason("127.0.0.1:5555", Connect).contains("TRANSPORT://"));
        assert!(reason("inproc://", Connect).contains("empty"));
    }
}
