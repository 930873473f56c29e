//! The Z85 harness (test support): encoding and decoding against each other.

use ferromq_zmtp::z85::{decode, encode, Z85Error};

/// Encodes the input and decodes it back (when its length allows), and decodes the input
/// as text: whatever decodes must encode to the very same text (Z85 has one spelling per
/// value, so anything else would mean a malformed group was accepted), and whatever is
/// refused is refused for a reason that the text shows.
pub fn z85(data: &[u8]) {
    match encode(data) {
        Ok(text) => {
            assert_eq!(text.len(), data.len() / 4 * 5, "encoded length");
            if !data.is_empty() {
                assert_eq!(decode(&text).as_deref(), Ok(data), "round trip");
            }
        }
        Err(e) => assert_eq!(e, Z85Error::BinaryLength { len: data.len() }),
    }
    match decode(data) {
        Ok(bytes) => {
            assert_eq!(bytes.len(), data.len() / 5 * 4, "decoded length");
            assert_eq!(
                encode(&bytes).as_deref().map(str::as_bytes),
                Ok(data),
                "one spelling"
            );
        }
        Err(Z85Error::TextLength { len }) => {
            assert!(len == data.len() && (len == 0 || len % 5 != 0));
        }
        Err(Z85Error::Character { position, byte }) => assert_eq!(data.get(position), Some(&byte)),
        Err(Z85Error::Overflow { position }) => assert!(position % 5 == 0 && position < data.len()),
        Err(e @ Z85Error::BinaryLength { .. }) => panic!("decode refused text with {e:?}"),
    }
}
