//! Leaf: CURVE keys and Z85 for applications, as pyzmq's `zmq.curve_keypair`,
//! `zmq.curve_public`, `zmq.z85` give them (the codec and the curve are `ferromq-zmtp`'s).

pub use ferromq_zmtp::key::{KeyError, KeyPair as CurveKeyPair};
pub use ferromq_zmtp::z85::{decode as z85_decode, encode as z85_encode, Z85Error};

/// A new CURVE key pair, as `zmq_curve_keypair` makes one: a random secret key and its
/// public key. Each is 32 bytes, or 40 characters of Z85 as options and certificate files
/// take it; the secret key is wiped from memory when the pair is dropped.
///
/// ```
/// let server = ferromq::curve_keypair()?;
/// println!("public {}", server.public_z85()); // give this one to clients
/// assert_eq!(ferromq::curve_public(server.secret_z85().as_bytes())?, server.public_z85());
/// # Ok::<(), ferromq::KeyError>(())
/// ```
///
/// # Errors
/// [`KeyError::Random`] if the system's random number generator fails.
pub fn curve_keypair() -> Result<CurveKeyPair, KeyError> {
    CurveKeyPair::generate()
}

/// The public key (40 Z85 characters) of the CURVE secret key `secret`, given as 32 bytes, 40
/// Z85 characters, or 41 ending in NUL, as `zmq_curve_public` derives it.
///
/// # Errors
/// [`KeyError::Length`] or [`KeyError::Z85`] when `secret` is not a key in one of those forms.
pub fn curve_public(secret: impl AsRef<[u8]>) -> Result<String, KeyError> {
    let secret = ferromq_zmtp::key::parse(secret.as_ref())?;
    Ok(CurveKeyPair::from_secret(secret).public_z85())
}

/// A CURVE certificate: a public key and, in a secret certificate, its secret key, as the ZPL
/// files (ZeroMQ Property Language, RFC 4) of czmq's `zcert` and pyzmq's
/// `zmq.auth.create_certificates` hold them:
///
/// ```text
/// #   ZeroMQ CURVE Public Certificate
/// metadata
/// curve
///     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
/// ```
///
/// A secret certificate adds `secret-key = "..."` under `curve`.
pub struct Certificate {
    /// The public key.
    pub public: [u8; 32],
    secret: Option<zeroize::Zeroizing<[u8; 32]>>,
}

impl Certificate {
    /// The key pair, for a secret certificate.
    pub fn key_pair(&self) -> Option<CurveKeyPair> {
        self.secret
            .as_ref()
            .map(|s| CurveKeyPair::from_secret(s.clone()))
    }
}

impl std::fmt::Debug for Certificate {
    /// Never the secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("public", &z85_encode(&self.public).unwrap_or_default())
            .field("has_secret", &self.secret.is_some())
            .finish()
    }
}

fn invalid(path: &std::path::Path, what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Reads a certificate file (public, or secret with both keys).
///
/// # Errors
/// The file's I/O error, or `InvalidData` naming the file when it holds no `public-key`, a key
/// that is not 40 Z85 characters, or a secret key that does not match its public key.
pub fn read_certificate(path: impl AsRef<std::path::Path>) -> std::io::Result<Certificate> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)?;
    let (mut public, mut secret) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        let key = || {
            ferromq_zmtp::key::parse(value.as_bytes())
                .map_err(|e| invalid(path, &format!("{}: {e}", name.trim())))
        };
        match name.trim() {
            "public-key" => public = Some(*key()?),
            "secret-key" => secret = Some(key()?),
            _ => {}
        }
    }
    let public = public.ok_or_else(|| invalid(path, "no public-key in this certificate"))?;
    if let Some(secret) = &secret {
        if CurveKeyPair::from_secret(secret.clone()).public() != &public {
            return Err(invalid(path, "its secret-key is not the public-key's"));
        }
    }
    Ok(Certificate { public, secret })
}

/// The public keys of every certificate in `dir` (a folder as pyzmq's `load_certificates`
/// and czmq's `zcertstore` read), for an authenticator to admit. Files that are not
/// certificates are skipped.
///
/// # Errors
/// The folder's I/O error.
pub fn read_certificates(dir: impl AsRef<std::path::Path>) -> std::io::Result<Vec<[u8; 32]>> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() {
            if let Ok(cert) = read_certificate(&path) {
                if !keys.contains(&cert.public) {
                    keys.push(cert.public);
                }
            }
        }
    }
    Ok(keys)
}

/// Writes `keys` as czmq's `zcert_save` does: the public certificate at `path` and the
/// secret one at `path` + `_secret` (readable by its owner only). Give `path` a `.key` ending
/// (`server.key`, `server.key_secret`) for pyzmq's `load_certificates` to find it.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ferromq-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let keys = ferromq::curve_keypair().unwrap();
/// ferromq::write_certificate(dir.join("server.key"), &keys)?;
/// let back = ferromq::read_certificate(dir.join("server.key_secret"))?;
/// assert_eq!(back.key_pair().unwrap().public(), keys.public());
/// assert_eq!(ferromq::read_certificates(&dir)?, [*keys.public()]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// The I/O error of either file.
pub fn write_certificate(
    path: impl AsRef<std::path::Path>,
    keys: &CurveKeyPair,
) -> std::io::Result<()> {
    use std::io::Write;
    let path = path.as_ref();
    let header = |kind: &str| {
        format!(
            "#   ****  Generated by ferromq  ****\n\
             #   ZeroMQ CURVE {kind} Certificate\n\
             #   Exchange securely, or use a secure mechanism to verify the contents\n\
             #   of this file after exchange. Store public certificates in your home\n\
             #   directory, in the .curve subdirectory.\n\n\
             metadata\ncurve\n    public-key = \"{}\"\n",
            keys.public_z85()
        )
    };
    std::fs::write(path, header("Public"))?;
    let mut secret_path = path.as_os_str().to_owned();
    secret_path.push("_secret");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(secret_path)?;
    let text = zeroize::Zeroizing::new(format!(
        "{}    secret-key = \"{}\"\n",
        header("Secret"),
        keys.secret_z85().as_str()
    ));
    file.write_all(text.as_bytes())
}
