//! The 64-byte greeting that opens every ZMTP connection (RFC 23 §"Greeting", RFC 37).
//!
//! ```text
//! offset  0      1..9        9     10     11     12..32     32         33..64
//!         0xFF   padding(8)  0x7F  major  minor  mechanism  as-server  filler (31 zeros)
//! ```

use crate::Error;

/// Length of a ZMTP 3 greeting.
pub const LEN: usize = 64;

/// Length of the part that tells the version: signature (10 bytes) and major version.
pub const VERSION_PREFIX_LEN: usize = 11;

/// The ZMTP version ferromq speaks natively.
pub const OUR_VERSION: (u8, u8) = (3, 1);

/// The NULL mechanism's name.
pub const NULL_MECHANISM: &str = "NULL";

/// A decoded greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// Major version (3 for every peer we accept).
    pub major: u8,
    /// Minor version: 0 for ZMTP 3.0, 1 for 3.1; higher minors are treated as 1.
    pub minor: u8,
    /// Mechanism name with its NUL padding removed.
    pub mechanism: String,
    /// The as-server flag (meaningful for PLAIN and CURVE).
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting for `mechanism`. The padding is libzmq's (a 64-bit length of 1), which keeps
    /// ZMTP 1.0 peers from reading it as a huge identity frame.
    pub fn encode(mechanism: &str, as_server: bool) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[0] = 0xFF;
        out[8] = 0x01;
        out[9] = 0x7F;
        out[10] = OUR_VERSION.0;
        out[11] = OUR_VERSION.1;
        let name = mechanism.as_bytes();
        let n = name.len().min(20);
        out[12..12 + n].copy_from_slice(&name[..n]);
        out[32] = u8::from(as_server);
        out
    }

    /// Checks the first bytes of a peer's greeting as soon as they arrive, so a peer that is not
    /// ZMTP 3 is refused without waiting for 64 bytes it may never send.
    pub fn check_prefix(bytes: &[u8]) -> Result<(), Error> {
        if !bytes.is_empty() && bytes[0] != 0xFF {
            return Err(Error::BadSignature);
        }
        if bytes.len() > 9 && bytes[9] & 0x01 == 0 {
            return Err(Error::BadSignature);
        }
        if bytes.len() > 10 && bytes[10] < 3 {
            let minor = bytes.get(11).copied().unwrap_or(0);
            return Err(Error::UnsupportedVersion {
                major: bytes[10],
                minor,
            });
        }
        Ok(())
    }

    /// Decodes a whole greeting. Versions above 3.1 are accepted and reported as 3.1, as RFC 23
    /// asks (the lower version is spoken).
    pub fn decode(bytes: &[u8; LEN]) -> Result<Greeting, Error> {
        Greeting::check_prefix(bytes)?;
        let (major, minor) = match (bytes[10], bytes[11]) {
            (3, 0) => (3, 0),
            _ => OUR_VERSION,
        };
        let raw = &bytes[12..32];
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        let mechanism = String::from_utf8_lossy(&raw[..end]).into_owned();
        Ok(Greeting {
            major,
            minor,
            mechanism,
            as_server: bytes[32] == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_greeting_is_byte_exact() {
        let g = Greeting::encode("NULL", false);
        let mut expected = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
        expected.extend_from_slice(b"NULL");
        expected.extend_from_slice(&[0; 16]); // mechanism padding
        expected.push(0); // as-server
        expected.extend_from_slice(&[0; 31]); // filler
        assert_eq!(g.len(), 64);
        assert_eq!(&g[..], &expected[..]);
        assert_eq!(Greeting::encode("PLAIN", true)[32], 1);
    }

    #[test]
    fn decodes_versions() {
        let mut g = Greeting::encode("NULL", false);
        let d = Greeting::decode(&g).unwrap();
        assert_eq!((d.major, d.minor, d.mechanism.as_str()), (3, 1, "NULL"));
        g[11] = 0;
        assert_eq!(Greeting::decode(&g).unwrap().minor, 0);
        g[11] = 7;
        assert_eq!(Greeting::decode(&g).unwrap().minor, 1);
        g[10] = 4;
        assert_eq!(Greeting::decode(&g).unwrap().major, 3);
    }

    #[test]
    fn refuses_old_and_foreign_peers() {
        assert_eq!(
            Greeting::check_prefix(b"GET / HTTP/1.1"),
            Err(Error::BadSignature)
        );
        // ZMTP 1.0 long form: 0xFF, 8-byte length, flags byte with bit 0 clear.
        let mut v1 = [0u8; 10];
        v1[0] = 0xFF;
        assert_eq!(Greeting::check_prefix(&v1), Err(Error::BadSignature));
        let mut g = Greeting::encode("NULL", false);
        g[10] = 2;
        g[11] = 0;
        assert_eq!(
            Greeting::decode(&g),
            Err(Error::UnsupportedVersion { major: 2, minor: 0 })
        );
        // A short prefix of a good greeting is fine.
        assert_eq!(Greeting::check_prefix(&g[..5]), Ok(()));
    }
}
