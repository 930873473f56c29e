//! Z85 (ZeroMQ RFC 32), the text form of CURVE keys in options, files and ZAP replies.
//!
//! Four bytes become five printable characters, big-endian, from an alphabet that needs no
//! quoting in source code, JSON or a shell; nothing is padded, so binary input must be a
//! multiple of 4 bytes long and text a multiple of 5 characters. A CURVE key's 32 bytes are
//! 40 characters. Decoding refuses what libzmq refuses (a bad length, a character outside the
//! alphabet, a group above `0xFFFF_FFFF`) and says which it was and where.
//!
//! ```
//! use ferromq_zmtp::z85;
//!
//! let text = z85::encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]).unwrap();
//! assert_eq!(text, "HelloWorld"); // RFC 32's example
//! assert_eq!(z85::decode(&text).unwrap(), [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
//! assert!(matches!(z85::decode("Hello"), Ok(_)));
//! assert_eq!(z85::decode("Hell~"), Err(z85::Z85Error::Character { position: 4, byte: b'~' }));
//! ```

/// Z85's alphabet: the character for each base-85 digit.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// `DIGITS[c - 32]`: the digit of character `c` (32..=127); `NOT_A_DIGIT` where `c` is not
/// in the alphabet. Built from the alphabet, so the two cannot disagree.
const DIGITS: [u8; 96] = {
    let mut table = [NOT_A_DIGIT; 96];
    let mut digit = 0;
    while digit < ALPHABET.len() {
        table[(ALPHABET[digit] - 32) as usize] = digit as u8;
        digit += 1;
    }
    table
};
const NOT_A_DIGIT: u8 = 0xFF;

/// Why a Z85 encoding or decoding was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Z85Error {
    /// Binary input must be a multiple of 4 bytes long (Z85 pads nothing).
    #[error("Z85 encodes a multiple of 4 bytes, not {len}")]
    BinaryLength {
        /// The input's length.
        len: usize,
    },
    /// Text must be a multiple of 5 characters long, and not empty (as libzmq refuses it).
    #[error("Z85 text is a non-empty multiple of 5 characters, not {len}")]
    TextLength {
        /// The text's length in bytes.
        len: usize,
    },
    /// A byte of the text is not one of Z85's 85 characters.
    #[error("byte {byte:#04x} at {position} is not a Z85 character")]
    Character {
        /// Its offset in the text.
        position: usize,
        /// The byte.
        byte: u8,
    },
    /// Five characters stand for more than `0xFFFF_FFFF` (possible from `%nSc1` up).
    #[error("the Z85 group at {position} stands for more than four bytes")]
    Overflow {
        /// The offset of the group's first character.
        position: usize,
    },
}

/// Encodes `data` as Z85: five characters for every four bytes.
///
/// # Errors
/// [`Z85Error::BinaryLength`] if `data.len()` is not a multiple of 4.
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BinaryLength { len: data.len() });
    }
    let mut out = String::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks_exact(4) {
        let value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut divisor = 85 * 85 * 85 * 85;
        while divisor > 0 {
            out.push(char::from(ALPHABET[(value / divisor % 85) as usize]));
            divisor /= 85;
        }
    }
    Ok(out)
}

/// Decodes Z85 text (a `&str` or bytes): four bytes for every five characters.
///
/// # Errors
/// [`Z85Error::TextLength`], [`Z85Error::Character`] or [`Z85Error::Overflow`], as libzmq's
/// `zmq_z85_decode` refuses the same text.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_ref();
    if text.is_empty() || text.len() % 5 != 0 {
        return Err(Z85Error::TextLength { len: text.len() });
    }
    let mut out = Vec::with_capacity(text.len() / 5 * 4);
    for (group_index, group) in text.chunks_exact(5).enumerate() {
        let start = group_index * 5;
        let mut value: u64 = 0;
        for (offset, &byte) in group.iter().enumerate() {
            let digit = match DIGITS.get(usize::from(byte.wrapping_sub(32))) {
                Some(&digit) if digit != NOT_A_DIGIT => digit,
                _ => {
                    return Err(Z85Error::Character {
                        position: start + offset,
                        byte,
                    })
                }
            };
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow { position: start })?;
        out.extend_from_slice(&value.to_be_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc32_example_both_ways() {
        assert_eq!(encode(&HELLO).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), HELLO);
    }

    /// A CURVE key pair as libzmq's documentation (zmq_curve) prints it, decoded and
    /// encoded back: 40 characters, 32 bytes.
    #[test]
    fn a_curve_key_is_forty_characters() {
        let public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
        let key = decode(public).unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(encode(&key).unwrap(), public);
    }

    #[test]
    fn the_extremes_of_a_group() {
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { position: 0 }));
        assert_eq!(decode("00000####"), Err(Z85Error::TextLength { len: 9 }));
        assert_eq!(
            decode("00000#####"),
            Err(Z85Error::Overflow { position: 5 })
        );
        assert_eq!(encode(&[]).unwrap(), "");
    }

    #[test]
    fn bad_input_is_refused_with_what_and_where() {
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BinaryLength { len: 3 }));
        assert_eq!(decode(""), Err(Z85Error::TextLength { len: 0 }));
        assert_eq!(decode("Hello1"), Err(Z85Error::TextLength { len: 6 }));
        assert_eq!(
            decode("Hello Worl"),
            Err(Z85Error::Character {
                position: 5,
                byte: b' '
            })
        );
        for byte in [
            0u8, b'"', b'\'', b',', b';', b'\\', b'_', b'`', b'|', b'~', 0x7F, 0x80, 0xFF,
        ] {
            assert_eq!(
                decode([b'0', b'0', byte, b'0', b'0']),
                Err(Z85Error::Character { position: 2, byte }),
                "{byte:#04x}"
            );
        }
    }

    #[test]
    fn every_digit_decodes_to_itself() {
        for (digit, &c) in ALPHABET.iter().enumerate() {
            let value = decode([b'0', b'0', b'0', b'0', c]).unwrap();
            assert_eq!(u32::from_be_bytes(value.try_into().unwrap()), digit as u32);
        }
    }

    proptest! {
        #[test]
        fn encoding_round_trips(words in proptest::collection::vec(any::<[u8; 4]>(), 0..32)) {
            let data: Vec<u8> = words.concat();
            let text = encode(&data).unwrap();
            prop_assert_eq!(text.len(), data.len() / 4 * 5);
            if !data.is_empty() {
                prop_assert_eq!(decode(&text).unwrap(), data);
            }
        }

        /// Whatever bytes come in, decoding answers (no panic), and what it accepts encodes
        /// back to the same text.
        #[test]
        fn decoding_never_panics(text in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(data) = decode(&text) {
                let again = encode(&data).unwrap();
                prop_assert_eq!(again.as_bytes(), &text[..]);
            }
        }
    }
}
