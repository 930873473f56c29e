//! Security options (leaf data): the mechanism, its credentials and ZAP's domain, kept
//! together because, as in libzmq, setting one decides what the others mean: the last of
//! `plain_server`, `plain_username`, `plain_password`, `curve_server` and the CURVE keys set
//! picks the mechanism, and the server switches and `curve_serverkey` the role.

use bytes::Bytes;
use ferromq_zmtp::key::KEY_LEN;
use ferromq_zmtp::Mechanism;
use zeroize::Zeroizing;

use super::{OptionValue, SocketOption};

/// libzmq's `ZMQ_NULL`, `ZMQ_PLAIN`, `ZMQ_CURVE` (`ZMQ_MECHANISM`'s values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Null,
    Plain,
    Curve,
}

/// One socket's security settings.
#[derive(Clone, Default)]
pub(crate) struct Security {
    kind: Kind,
    /// A PLAIN or CURVE server (libzmq's `as_server`).
    server: bool,
    plain_username: Bytes,
    plain_password: Zeroizing<Vec<u8>>,
    /// `ZMQ_CURVE_PUBLICKEY`, as set (the key in use is the secret key's own).
    curve_public: Option<[u8; KEY_LEN]>,
    /// `ZMQ_CURVE_SECRETKEY`: our long-term secret key.
    curve_secret: Option<Zeroizing<[u8; KEY_LEN]>>,
    /// `ZMQ_CURVE_SERVERKEY`: the server a CURVE client talks to.
    curve_server_key: Option<[u8; KEY_LEN]>,
    /// `ZMQ_ZAP_DOMAIN`: empty unless set. With NULL, a domain makes the server ask ZAP.
    pub zap_domain: Bytes,
    /// `ZMQ_ZAP_ENFORCE_DOMAIN`: with NULL, a missing ZAP handler refuses the peer
    /// instead of admitting it.
    pub zap_enforce_domain: bool,
}

impl std::fmt::Debug for Security {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("mechanism", &self.kind)
            .field("server", &self.server)
            .field("plain_username", &self.plain_username)
            .field("curve_server_key", &self.curve_server_key.is_some())
            .field("zap_domain", &self.zap_domain)
            .field("zap_enforce_domain", &self.zap_enforce_domain)
            .finish_non_exhaustive()
    }
}

impl Security {
    /// Keeps an accepted value of a security option. `false`: `option` is not one.
    pub fn store(&mut self, option: SocketOption, value: OptionValue) -> bool {
        let bytes = |v: OptionValue| match v {
            OptionValue::Bytes(b) => b,
            _ => Bytes::new(),
        };
        match option {
            SocketOption::PlainServer => {
                let on = value == OptionValue::Bool(true);
                self.server = on;
                self.kind = if on { Kind::Plain } else { Kind::Null };
            }
            SocketOption::PlainUsername | SocketOption::PlainPassword => {
                let value = bytes(value);
                // libzmq: credentials make a PLAIN client; clearing one goes back to NULL.
                self.server = false;
                self.kind = if value.is_empty() {
                    Kind::Null
                } else {
                    Kind::Plain
                };
                if option == SocketOption::PlainUsername {
                    self.plain_username = value;
                } else {
                    self.plain_password = Zeroizing::new(value.to_vec());
                }
            }
            SocketOption::CurveServer => {
                let on = value == OptionValue::Bool(true);
                self.server = on;
                self.kind = if on { Kind::Curve } else { Kind::Null };
            }
            SocketOption::CurvePublickey
            | SocketOption::CurveSecretkey
            | SocketOption::CurveServerkey => {
                // Accepted values are 32 bytes (see `table::normalize`).
                let Ok(key) = <[u8; KEY_LEN]>::try_from(&bytes(value)[..]) else {
                    return false;
                };
                self.kind = Kind::Curve;
                match option {
                    SocketOption::CurvePublickey => self.curve_public = Some(key),
                    SocketOption::CurveSecretkey => {
                        self.curve_secret = Some(Zeroizing::new(key));
                    }
                    _ => {
                        self.curve_server_key = Some(key);
                        self.server = false;
                    }
                }
            }
            SocketOption::ZapDomain => self.zap_domain = bytes(value),
            SocketOption::ZapEnforceDomain => {
                self.zap_enforce_domain = value == OptionValue::Bool(true);
            }
            _ => return false,
        }
        true
    }

    /// A security option's value as libzmq reads it; `None`: `option` is not one.
    pub fn load(&self, option: SocketOption) -> Option<OptionValue> {
        Some(match option {
            SocketOption::Mechanism => OptionValue::Int(match self.kind {
                Kind::Null => 0,
                Kind::Plain => 1,
                Kind::Curve => 2,
            }),
            SocketOption::PlainServer => OptionValue::Bool(self.server && self.kind == Kind::Plain),
            SocketOption::CurveServer => OptionValue::Bool(self.server && self.kind == Kind::Curve),
            SocketOption::CurvePublickey => OptionValue::Bytes(Bytes::copy_from_slice(
                &self.curve_public.unwrap_or([0; KEY_LEN]),
            )),
            SocketOption::CurveSecretkey => OptionValue::Bytes(Bytes::copy_from_slice(
                self.curve_secret.as_deref().unwrap_or(&[0; KEY_LEN]),
            )),
            SocketOption::CurveServerkey => OptionValue::Bytes(Bytes::copy_from_slice(
                &self.curve_server_key.unwrap_or([0; KEY_LEN]),
            )),
            SocketOption::PlainUsername => OptionValue::Bytes(self.plain_username.clone()),
            SocketOption::PlainPassword => {
                OptionValue::Bytes(Bytes::copy_from_slice(&self.plain_password))
            }
            SocketOption::ZapDomain => OptionValue::Bytes(self.zap_domain.clone()),
            SocketOption::ZapEnforceDomain => OptionValue::Bool(self.zap_enforce_domain),
            _ => return None,
        })
    }

    /// The mechanism a new connection speaks, with its credentials; `Err` says which key a
    /// CURVE socket lacks.
    pub fn mechanism(&self) -> Result<Mechanism, &'static str> {
        Ok(match (self.kind, self.server) {
            (Kind::Null, _) => Mechanism::Null,
            (Kind::Plain, true) => Mechanism::PlainServer,
            (Kind::Plain, false) => Mechanism::PlainClient {
                username: self.plain_username.clone(),
                password: self.plain_password.clone(),
            },
            (Kind::Curve, true) => Mechanism::CurveServer {
                secret: self
                    .curve_secret
                    .clone()
                    .ok_or("a CURVE server needs curve_secretkey")?,
            },
            (Kind::Curve, false) => Mechanism::CurveClient {
                // Without one, each connection makes a fresh key pair.
                secret: self.curve_secret.clone(),
                server_key: self
                    .curve_server_key
                    .ok_or("a CURVE client needs curve_serverkey")?,
            },
        })
    }

    /// Whether connections box their traffic (CURVE).
    pub fn boxes_traffic(&self) -> bool {
        self.kind == Kind::Curve
    }

    /// Whether this socket is a CURVE server that asks ZAP about its clients: libzmq asks
    /// unless `zap_enforce_domain` is set with no domain.
    pub fn curve_asks_zap(&self) -> bool {
        !self.zap_domain.is_empty() || !self.zap_enforce_domain
    }

    /// Whether a NULL connection asks ZAP about its peer: libzmq does when a domain is set.
    pub fn null_asks_zap(&self) -> bool {
        !self.zap_domain.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_option_set_picks_mechanism_and_role() {
        let mut s = Security::default();
        assert_eq!(s.mechanism(), Ok(Mechanism::Null));
        s.store(SocketOption::PlainServer, OptionValue::Bool(true));
        assert_eq!(s.mechanism(), Ok(Mechanism::PlainServer));
        assert_eq!(s.load(SocketOption::Mechanism), Some(OptionValue::Int(1)));
        // Credentials make it a client.
        s.store(
            SocketOption::PlainUsername,
            OptionValue::Bytes("admin".into()),
        );
        assert!(matches!(s.mechanism(), Ok(Mechanism::PlainClient { .. })));
        assert_eq!(
            s.load(SocketOption::PlainServer),
            Some(OptionValue::Bool(false))
        );
        // Turning the server off goes back to NULL.
        s.store(SocketOption::PlainServer, OptionValue::Bool(true));
        s.store(SocketOption::PlainServer, OptionValue::Bool(false));
        assert_eq!(s.mechanism(), Ok(Mechanism::Null));
        assert_eq!(s.load(SocketOption::Mechanism), Some(OptionValue::Int(0)));
        // CURVE: a server needs its secret key, a client the server's public key.
        s.store(SocketOption::CurveServer, OptionValue::Bool(true));
        assert!(s.mechanism().is_err());
        s.store(
            SocketOption::CurveSecretkey,
            OptionValue::Bytes(vec![7; 32].into()),
        );
        assert!(matches!(s.mechanism(), Ok(Mechanism::CurveServer { .. })));
        assert_eq!(s.load(SocketOption::Mechanism), Some(OptionValue::Int(2)));
        s.store(
            SocketOption::CurveServerkey,
            OptionValue::Bytes(vec![9; 32].into()),
        );
        assert!(matches!(
            s.mechanism(),
            Ok(Mechanism::CurveClient { server_key, .. }) if server_key == [9; 32]
        ));
        assert!(s.boxes_traffic());
    }

    #[test]
    fn debug_hides_the_password() {
        let mut s = Security::default();
        s.store(
            SocketOption::PlainPassword,
            OptionValue::Bytes("hunter2".into()),
        );
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
