//! CURVE keys (RFC 26): Curve25519 key pairs, in the forms options and files give them.
//!
//! A key is 32 bytes, or 40 characters of [Z85](crate::z85), or 41 with C's terminating NUL,
//! as libzmq's `ZMQ_CURVE_*KEY` options take it. A key pair is a random secret key and the
//! public key that Curve25519 derives from it (`crypto_box`'s, the same arithmetic as
//! libsodium's `crypto_box_keypair`, so that libzmq computes the same public key from the
//! same secret). Secret keys are wiped from memory when dropped.
//!
//! ```
//! use ferromq_zmtp::key::{self, KeyPair};
//!
//! let pair = KeyPair::generate().unwrap();
//! assert_eq!(pair.public_z85().len(), 40);
//! // The public key follows from the secret one, in whichever form the secret comes.
//! let again = KeyPair::from_secret(key::parse(pair.secret_z85().as_bytes()).unwrap());
//! assert_eq!(again.public(), pair.public());
//! ```

use zeroize::Zeroizing;

use crate::z85::{self, Z85Error};

/// A key's length in bytes.
pub const KEY_LEN: usize = 32;
/// A key's length as Z85 text.
pub const KEY_Z85_LEN: usize = 40;

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A key is 32 bytes, 40 Z85 characters, or 41 ending in NUL.
    #[error("a CURVE key is 32 bytes or 40 Z85 characters, not {len} bytes")]
    Length {
        /// The length given.
        len: usize,
    },
    /// 40 characters that are not Z85.
    #[error("the CURVE key is not Z85 text: {0}")]
    Z85(#[from] Z85Error),
    /// The system's random number generator failed (no secret key can be made).
    #[error("no randomness from the system for a CURVE secret key")]
    Random,
}

/// Reads a key given as 32 bytes, 40 Z85 characters, or those 40 and a NUL.
///
/// # Errors
/// [`KeyError::Length`] for any other length, [`KeyError::Z85`] for 40 characters that are
/// not Z85.
pub fn parse(given: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let text = match given {
        [text @ .., 0] if text.len() == KEY_Z85_LEN => text,
        text if text.len() == KEY_Z85_LEN => text,
        raw => {
            let raw: [u8; KEY_LEN] = raw
                .try_into()
                .map_err(|_| KeyError::Length { len: given.len() })?;
            return Ok(Zeroizing::new(raw));
        }
    };
    let decoded = Zeroizing::new(z85::decode(text)?);
    let mut key = Zeroizing::new([0; KEY_LEN]);
    key.copy_from_slice(&decoded);
    Ok(key)
}

/// A Curve25519 key pair. The secret key is wiped when the pair is dropped.
pub struct KeyPair {
    public: [u8; KEY_LEN],
    secret: crypto_box::SecretKey,
}

impl KeyPair {
    /// A new pair, its secret key from the system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Random`] if the system gives no randomness.
    pub fn generate() -> Result<KeyPair, KeyError> {
        use crypto_box::aead::rand_core::{OsRng, RngCore};
        let mut secret = Zeroizing::new([0; KEY_LEN]);
        OsRng
            .try_fill_bytes(&mut secret[..])
            .map_err(|_| KeyError::Random)?;
        Ok(KeyPair::from_secret(secret))
    }

    /// The pair whose secret key is `secret` (its public key computed, as
    /// `zmq_curve_public` does).
    pub fn from_secret(secret: Zeroizing<[u8; KEY_LEN]>) -> KeyPair {
        let secret = crypto_box::SecretKey::from(*secret);
        KeyPair {
            public: *secret.public_key().as_bytes(),
            secret,
        }
    }

    /// The public key's 32 bytes.
    pub fn public(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    /// The secret key's 32 bytes.
    pub fn secret(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public key as 40 Z85 characters.
    pub fn public_z85(&self) -> String {
        encode_key(&self.public)
    }

    /// The secret key as 40 Z85 characters (wiped when dropped).
    pub fn secret_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(encode_key(&self.secret()))
    }
}

impl std::fmt::Debug for KeyPair {
    /// The public key only: a secret key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public_z85())
            .finish_non_exhaustive()
    }
}

/// A key's Z85 text (32 bytes, a multiple of 4, always encode).
fn encode_key(key: &[u8; KEY_LEN]) -> String {
    z85::encode(key).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libzmq's own test key pair (its tests' "server" keys); libzmq 4.3.5 (pyzmq 27.3.0's
    /// wheel) computes this public key from this secret: `zmq.curve_public(secret)`.
    const LIBZMQ_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
    const LIBZMQ_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    /// A pair libzmq 4.3.5 generated with `zmq.curve_keypair()` on this machine.
    const LIBZMQ_PAIR: (&str, &str) = (
        "XA!oBhJML?e{Wpa:ZzQXpUceD5)?4vwXedaK0O6<",
        "DcnT}=[geUgE(lnQ59[HvK=u*:4P&LUUp)MJmg6G",
    );

    #[test]
    fn the_public_key_is_the_one_libzmq_derives() {
        for (public, secret) in [(LIBZMQ_PUBLIC, LIBZMQ_SECRET), LIBZMQ_PAIR] {
            let pair = KeyPair::from_secret(parse(secret.as_bytes()).unwrap());
            assert_eq!(pair.public_z85(), public);
            assert_eq!(*pair.secret_z85(), secret);
        }
    }

    #[test]
    fn a_key_is_read_in_each_form_libzmq_accepts() {
        let raw = *parse(LIBZMQ_PUBLIC.as_bytes()).unwrap();
        assert_eq!(*parse(&raw).unwrap(), raw);
        let mut with_nul = LIBZMQ_PUBLIC.as_bytes().to_vec();
        with_nul.push(0);
        assert_eq!(*parse(&with_nul).unwrap(), raw);
    }

    #[test]
    fn a_bad_key_is_refused_with_its_reason() {
        assert_eq!(parse(&[0; 31]).unwrap_err(), KeyError::Length { len: 31 });
        assert_eq!(
            parse(&[b'0'; 41]).unwrap_err(),
            KeyError::Length { len: 41 }
        );
        // 41 bytes ending in NUL are Z85 text and its NUL.
        assert_eq!(
            parse(&[0; 41]).unwrap_err(),
            KeyError::Z85(Z85Error::Character {
                position: 0,
                byte: 0
            })
        );
        assert_eq!(parse(b"").unwrap_err(), KeyError::Length { len: 0 });
        let mut bad = LIBZMQ_PUBLIC.as_bytes().to_vec();
        bad[7] = b'~';
        assert_eq!(
            parse(&bad).unwrap_err(),
            KeyError::Z85(Z85Error::Character {
                position: 7,
                byte: b'~'
            })
        );
    }

    #[test]
    fn generated_pairs_differ_and_hold_together() {
        let a = KeyPair::generate().unwrap();
        let b = KeyPair::generate().unwrap();
        assert_ne!(a.public(), b.public());
        assert_eq!(KeyPair::from_secret(a.secret()).public(), a.public());
        assert!(!format!("{a:?}").contains(a.secret_z85().as_str()));
    }
}
