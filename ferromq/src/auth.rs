//! The authenticator (socket API layer): a ZAP handler (RFC 27) on a thread of its own, as
//! pyzmq's `zmq.auth.ThreadAuthenticator` and czmq's `zauth` give their users, with their
//! rules.
//!
//! It binds `inproc://zeromq.zap.01` in one context, so it judges the peers of every PLAIN
//! and CURVE server of that context (and of NULL sockets with a `zap_domain`):
//!
//! * **Addresses**: with an allow list, only its addresses get in (and still authenticate with
//!   PLAIN or CURVE); otherwise, the deny list's addresses are refused.
//! * **NULL**: every peer whose address is not refused.
//! * **PLAIN**: the user names and passwords configured for the server's `zap_domain`.
//! * **CURVE**: the client keys configured for the domain, or any client.
//!
//! A domain left empty on the server is `"*"` here, as in pyzmq. An admitted peer's messages
//! carry `User-Id`: the PLAIN user name, the CURVE client key in Z85, or `anonymous`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::poll::{poll, Events, PollItem};
use crate::{Context, Error, Result, Socket, SocketType};

/// Which CURVE clients a domain admits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CurveClients {
    /// Any client that completes the handshake (it knows the server's public key).
    Any,
    /// Only clients with these long-term public keys.
    Keys(HashSet<[u8; 32]>),
}

#[derive(Default)]
struct Policy {
    allow: HashSet<String>,
    deny: HashSet<String>,
    passwords: HashMap<String, HashMap<Vec<u8>, Zeroizing<Vec<u8>>>>,
    curve: HashMap<String, CurveClients>,
}

/// A verdict: status, status text, user id.
type Verdict = (&'static str, &'static str, Bytes);

fn refuse(reason: &'static str) -> Verdict {
    ("400", reason, Bytes::new())
}

impl Policy {
    /// Judges one request (its frames as a REP socket gives them).
    fn judge(&self, frames: &[Bytes]) -> Verdict {
        let [_version, _id, domain, address, _identity, mechanism, credentials @ ..] = frames
        else {
            return refuse("Not enough frames");
        };
        let domain = match String::from_utf8_lossy(domain) {
            d if d.is_empty() => "*".to_owned(),
            d => d.into_owned(),
        };
        let address = String::from_utf8_lossy(address);
        let mut allowed = false;
        if !self.allow.is_empty() {
            if !self.allow.contains(address.as_ref()) {
                return refuse("Address not allowed");
            }
            allowed = true;
        } else if self.deny.contains(address.as_ref()) {
            return refuse("Address denied");
        }
        match (&mechanism[..], credentials) {
            (b"NULL", _) => ("200", "OK", Bytes::from_static(b"anonymous")),
            (b"PLAIN", [user, password]) => self.plain(&domain, user, password),
            (b"CURVE", [key]) => self.curve(&domain, key),
            (b"PLAIN" | b"CURVE", _) => refuse("Invalid credentials"),
            _ if allowed => ("200", "OK", Bytes::from_static(b"anonymous")),
            _ => refuse("Unsupported mechanism"),
        }
    }

    fn plain(&self, domain: &str, user: &Bytes, password: &[u8]) -> Verdict {
        if self.passwords.is_empty() {
            return refuse("No passwords defined");
        }
        let Some(users) = self.passwords.get(domain) else {
            return refuse("Invalid domain");
        };
        match users.get(&user[..]) {
            Some(known) if bool::from(known.as_slice().ct_eq(password)) => {
                ("200", "OK", user.clone())
            }
            Some(_) => refuse("Invalid password"),
            None => refuse("Invalid username"),
        }
    }

    fn curve(&self, domain: &str, key: &[u8]) -> Verdict {
        let user = || Bytes::from(crate::keys::z85_encode(key).unwrap_or_default());
        match self.curve.get(domain) {
            Some(CurveClients::Any) => ("200", "OK", user()),
            Some(CurveClients::Keys(keys)) => {
                let known = <[u8; 32]>::try_from(key).is_ok_and(|k| keys.contains(&k));
                if known {
                    ("200", "OK", user())
                } else {
                    refuse("Unknown key")
                }
            }
            None => refuse("Unknown domain"),
        }
    }
}

/// A ZAP handler for the sockets of one [`Context`], on a thread of its own; it stops when
/// dropped.
///
/// ```
/// use ferromq::{Authenticator, Context, CurveClients, SocketType};
///
/// let ctx = Context::new();
/// let auth = Authenticator::start(&ctx)?;
/// auth.configure_plain("*", [("admin", "secret")]);
///
/// let server = ctx.socket(SocketType::Rep)?;
/// server.set_plain_server(true)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.socket(SocketType::Req)?;
/// client.set_plain_credentials("admin", "secret")?;
/// client.connect(&server.last_endpoint().unwrap())?;
/// client.send("hello")?;
/// assert_eq!(server.recv()?.property("User-Id"), Some(&b"admin"[..]));
/// # Ok::<(), ferromq::Error>(())
/// ```
pub struct Authenticator {
    policy: Arc<Mutex<Policy>>,
    control: Socket,
    thread: Option<JoinHandle<()>>,
}

impl Authenticator {
    /// Binds the ZAP endpoint in `ctx` and starts answering. Until configured, it admits
    /// NULL peers only.
    ///
    /// # Errors
    /// [`Error::AddrInUse`] when another handler is bound in this context.
    pub fn start(ctx: &Context) -> Result<Authenticator> {
        let zap = ctx.socket(SocketType::Rep)?;
        zap.set_linger(0)?;
        zap.bind(crate::zap::ENDPOINT)?;
        // The thread's stop signal: a PAIR of this authenticator's own.
        let name = format!("inproc://ferromq.authenticator.{:p}", &zap);
        let stop = ctx.socket(SocketType::Pair)?;
        stop.bind(&name)?;
        let control = ctx.socket(SocketType::Pair)?;
        control.set_linger(0)?;
        control.connect(&name)?;
        let policy = Arc::new(Mutex::new(Policy::default()));
        let rules = policy.clone();
        let thread = std::thread::Builder::new()
            .name("ferromq-auth".into())
            .spawn(move || serve(&zap, &stop, &rules))
            .map_err(|source| Error::Io {
                endpoint: crate::zap::ENDPOINT.into(),
                source,
            })?;
        Ok(Authenticator {
            policy,
            control,
            thread: Some(thread),
        })
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Policy> {
        self.policy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits peers from these IP addresses only (pyzmq's `allow`); may be called again to
    /// add more.
    pub fn allow<S: Into<String>>(&self, addresses: impl IntoIterator<Item = S>) {
        self.rules()
            .allow
            .extend(addresses.into_iter().map(Into::into));
    }

    /// Refuses peers from these IP addresses (pyzmq's `deny`; ignored while an allow list is
    /// set).
    pub fn deny<S: Into<String>>(&self, addresses: impl IntoIterator<Item = S>) {
        self.rules()
            .deny
            .extend(addresses.into_iter().map(Into::into));
    }

    /// PLAIN: admits these user names and passwords for `domain` (`"*"` for servers without
    /// a `zap_domain`), replacing the domain's earlier ones.
    pub fn configure_plain<U, P>(&self, domain: &str, passwords: impl IntoIterator<Item = (U, P)>)
    where
        U: AsRef<[u8]>,
        P: AsRef<[u8]>,
    {
        let users = passwords
            .into_iter()
            .map(|(u, p)| (u.as_ref().to_vec(), Zeroizing::new(p.as_ref().to_vec())))
            .collect();
        self.rules().passwords.insert(domain.to_owned(), users);
    }

    /// CURVE: which clients `domain` admits (`"*"` for servers without a `zap_domain`).
    ///
    /// ```
    /// # let ctx = ferromq::Context::new();
    /// # let auth = ferromq::Authenticator::start(&ctx)?;
    /// let client = ferromq::curve_keypair().unwrap();
    /// auth.configure_curve("*", ferromq::CurveClients::Keys([*client.public()].into()));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn configure_curve(&self, domain: &str, clients: CurveClients) {
        self.rules().curve.insert(domain.to_owned(), clients);
    }

    /// CURVE: admits the clients whose public certificates are in `dir` (see
    /// [`read_certificates`](crate::read_certificates)), as pyzmq's `configure_curve` with a
    /// location does. Returns how many keys it read.
    ///
    /// # Errors
    /// The folder's I/O error.
    pub fn configure_curve_folder(
        &self,
        domain: &str,
        dir: impl AsRef<std::path::Path>,
    ) -> std::io::Result<usize> {
        let keys = crate::keys::read_certificates(dir)?;
        let n = keys.len();
        self.configure_curve(domain, CurveClients::Keys(keys.into_iter().collect()));
        Ok(n)
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        let _ = self.control.send("stop");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

/// The handler's loop: answers each request until `stop` hears anything.
fn serve(zap: &Socket, stop: &Socket, policy: &Mutex<Policy>) {
    loop {
        let mut items = [
            PollItem::new(zap, Events::IN),
            PollItem::new(stop, Events::IN),
        ];
        if poll(&mut items, -1).is_err() || items[1].is_readable() {
            return;
        }
        let Ok(request) = zap.try_recv() else {
            continue;
        };
        let frames = request.frames();
        let (status, text, user) = policy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .judge(frames);
        let version = frames.first().cloned().unwrap_or_default();
        let id = frames.get(1).cloned().unwrap_or_default();
        let reply = vec![
            version,
            id,
            Bytes::from_static(status.as_bytes()),
            Bytes::from_static(text.as_bytes()),
            user,
            Bytes::new(),
        ];
        if zap.send(reply).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(mechanism: &str, address: &str, credentials: &[&[u8]]) -> Vec<Bytes> {
        let mut f: Vec<Bytes> = ["1.0", "1", "", address, "", mechanism]
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        f.extend(credentials.iter().map(|c| Bytes::copy_from_slice(c)));
        f
    }

    #[test]
    fn the_rules_are_pyzmqs() {
        let mut p = Policy::default();
        assert_eq!(p.judge(&request("NULL", "10.0.0.1", &[])).0, "200");
        assert_eq!(
            p.judge(&request("PLAIN", "10.0.0.1", &[b"a", b"b"])).1,
            "No passwords defined"
        );
        p.passwords.insert(
            "*".into(),
            [(b"admin".to_vec(), Zeroizing::new(b"secret".to_vec()))].into(),
        );
        let ok = p.judge(&request("PLAIN", "10.0.0.1", &[b"admin", b"secret"]));
        assert_eq!((ok.0, &ok.2[..]), ("200", &b"admin"[..]));
        assert_eq!(
            p.judge(&request("PLAIN", "10.0.0.1", &[b"admin", b"guess"]))
                .1,
            "Invalid password"
        );
        assert_eq!(
            p.judge(&request("CURVE", "10.0.0.1", &[&[7; 32]])).1,
            "Unknown domain"
        );
        p.curve
            .insert("*".into(), CurveClients::Keys([[7; 32]].into()));
        let ok = p.judge(&request("CURVE", "10.0.0.1", &[&[7; 32]]));
        assert_eq!(
            (ok.0, ok.2),
            (
                "200",
                Bytes::from(crate::keys::z85_encode(&[7; 32]).unwrap())
            )
        );
        assert_eq!(
            p.judge(&request("CURVE", "10.0.0.1", &[&[8; 32]])).1,
            "Unknown key"
        );
        // Addresses come first; an allowed address still authenticates.
        p.deny.insert("10.0.0.9".into());
        assert_eq!(
            p.judge(&request("NULL", "10.0.0.9", &[])).1,
            "Address denied"
        );
        p.allow.insert("10.0.0.1".into());
        assert_eq!(
            p.judge(&request("NULL", "10.0.0.2", &[])).1,
            "Address not allowed"
        );
        assert_eq!(
            p.judge(&request("PLAIN", "10.0.0.1", &[b"admin", b"guess"]))
                .0,
            "400"
        );
        assert_eq!(p.judge(&request("NULL", "10.0.0.1", &[])).0, "200");
        assert_eq!(p.judge(&[]).1, "Not enough frames");
    }
}
