//! Security options (leaf data): the mechanism, its credentials and ZAP's domain, kept
//! together because, as in libzmq, setting one decides what the others mean: the last of
//! `plain_server`, `plain_username` and `plain_password` set picks the mechanism and the role.

use bytes::Bytes;
use ferromq_zmtp::Mechanism;
use zeroize::Zeroizing;

use super::{OptionValue, SocketOption};

/// libzmq's `ZMQ_NULL`, `ZMQ_PLAIN` (`ZMQ_MECHANISM`'s values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Null,
    Plain,
}

/// One socket's security settings.
#[derive(Clone, Default)]
pub(crate) struct Security {
    kind: Kind,
    /// A PLAIN server (as libzmq's `as_server`).
    server: bool,
    plain_username: Bytes,
    plain_password: Zeroizing<Vec<u8>>,
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
            }),
            SocketOption::PlainServer => OptionValue::Bool(self.server && self.kind == Kind::Plain),
            SocketOption::PlainUsername => OptionValue::Bytes(self.plain_username.clone()),
            SocketOption::PlainPassword => {
                OptionValue::Bytes(Bytes::copy_from_slice(&self.plain_password))
            }
            SocketOption::ZapDomain => OptionValue::Bytes(self.zap_domain.clone()),
            SocketOption::ZapEnforceDomain => OptionValue::Bool(self.zap_enforce_domain),
            _ => return None,
        })
    }

    /// The mechanism a new connection speaks, with its credentials.
    pub fn mechanism(&self) -> Mechanism {
        match (self.kind, self.server) {
            (Kind::Null, _) => Mechanism::Null,
            (Kind::Plain, true) => Mechanism::PlainServer,
            (Kind::Plain, false) => Mechanism::PlainClient {
                username: self.plain_username.clone(),
                password: self.plain_password.clone(),
            },
        }
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
        assert_eq!(s.mechanism(), Mechanism::Null);
        s.store(SocketOption::PlainServer, OptionValue::Bool(true));
        assert_eq!(s.mechanism(), Mechanism::PlainServer);
        assert_eq!(s.load(SocketOption::Mechanism), Some(OptionValue::Int(1)));
        // Credentials make it a client.
        s.store(
            SocketOption::PlainUsername,
            OptionValue::Bytes("admin".into()),
        );
        assert!(matches!(s.mechanism(), Mechanism::PlainClient { .. }));
        assert_eq!(
            s.load(SocketOption::PlainServer),
            Some(OptionValue::Bool(false))
        );
        // Turning the server off goes back to NULL.
        s.store(SocketOption::PlainServer, OptionValue::Bool(true));
        s.store(SocketOption::PlainServer, OptionValue::Bool(false));
        assert_eq!(s.mechanism(), Mechanism::Null);
        assert_eq!(s.load(SocketOption::Mechanism), Some(OptionValue::Int(0)));
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
