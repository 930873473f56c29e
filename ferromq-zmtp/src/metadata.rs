//! Connection metadata, the property list carried by READY (RFC 23 §"Connection Metadata").
//!
//! Each property is a 1-byte name length, the name, a 4-byte big-endian value length and the
//! value. Names compare case-insensitively.

use bytes::{BufMut, Bytes, BytesMut};

use crate::Error;

/// An ordered list of metadata properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    props: Vec<(String, Bytes)>,
}

impl Metadata {
    /// An empty list.
    pub fn new() -> Self {
        Metadata::default()
    }

    /// Appends a property. Names longer than 255 bytes are cut to 255, the most the wire can
    /// carry.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Bytes>) {
        let mut name = name.into();
        if name.len() > 255 {
            let mut end = 255;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        self.props.push((name, value.into()));
    }

    /// The value of the first property named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All properties in the order they were sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.props.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Bytes that [`encode`](Self::encode) appends.
    pub fn encoded_len(&self) -> usize {
        self.props
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the wire form.
    pub fn encode(&self, buf: &mut BytesMut) {
        for (name, value) in &self.props {
            buf.put_u8(name.len() as u8);
            buf.put_slice(name.as_bytes());
            buf.put_u32(value.len() as u32);
            buf.put_slice(value);
        }
    }

    /// Decodes a property list that fills `data` exactly. Every length is checked against
    /// what remains before anything is read or allocated.
    pub fn decode(mut data: Bytes) -> Result<Metadata, Error> {
        let mut props = Vec::new();
        while !data.is_empty() {
            let name_len = usize::from(data[0]);
            if name_len == 0 {
                return Err(Error::MalformedMetadata("empty property name"));
            }
            if data.len() < 1 + name_len + 4 {
                return Err(Error::MalformedMetadata("property name runs past the end"));
            }
            let name = &data[1..1 + name_len];
            if !name.iter().all(|&c| is_name_char(c)) {
                return Err(Error::MalformedMetadata(
                    "invalid character in property name",
                ));
            }
            let name = String::from_utf8(name.to_vec()).expect("ASCII checked above");
            let len_at = 1 + name_len;
            let value_len =
                u32::from_be_bytes(data[len_at..len_at + 4].try_into().expect("4 bytes")) as usize;
            let value_at = len_at + 4;
            if data.len() - value_at < value_len {
                return Err(Error::MalformedMetadata("property value runs past the end"));
            }
            let _ = data.split_to(value_at);
            let value = data.split_to(value_len);
            props.push((name, value));
        }
        Ok(Metadata { props })
    }
}

/// RFC 23: `name-char = ALPHA | DIGIT | "-" | "_" | "." | "+"`.
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact_and_round_trip() {
        let mut m = Metadata::new();
        m.push("Socket-Type", &b"REQ"[..]);
        m.push("Identity", Bytes::new());
        let mut buf = BytesMut::new();
        m.encode(&mut buf);
        assert_eq!(
            &buf[..],
            b"\x0bSocket-Type\x00\x00\x00\x03REQ\x08Identity\x00\x00\x00\x00"
        );
        assert_eq!(buf.len(), m.encoded_len());
        let back = Metadata::decode(buf.freeze()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.get("socket-type").unwrap(), &b"REQ"[..]);
        assert_eq!(back.get("SOCKET-TYPE").unwrap(), &b"REQ"[..]);
        assert!(back.get("Resource").is_none());
    }

    #[test]
    fn rejects_lengths_past_the_end() {
        let cases: [&[u8]; 5] = [
            b"\x0bSocket-Type\x00\x00\x00\x09REQ",
            b"\x0bSocket",
            b"\x00\x00\x00\x00\x00",
            b"\x04Na e\x00\x00\x00\x00",
            b"\x0bSocket-Type\xff\xff\xff\xffREQ",
        ];
        for case in cases {
            assert!(
                Metadata::decode(Bytes::from_static(case)).is_err(),
                "{case:?}"
            );
        }
    }
}
