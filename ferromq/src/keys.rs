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
