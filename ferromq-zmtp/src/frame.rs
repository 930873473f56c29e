//! Frame headers (RFC 23 §"Framing"): a flags byte, then the body size in one byte, or in eight
//! big-endian bytes when the LONG flag is set.

use bytes::Bytes;

use crate::Error;

/// More frames of this message follow.
pub const MORE: u8 = 0x01;
/// The size is 8 bytes long.
pub const LONG: u8 = 0x02;
/// The frame is a command, not message data.
pub const COMMAND: u8 = 0x04;
/// Every bit ZMTP leaves reserved; a frame with one of them set is rejected.
pub const RESERVED: u8 = !(MORE | LONG | COMMAND);

/// The largest body a frame may declare when no `maxmsgsize` is set: 2^47 bytes, the whole user
/// address space of x86-64 and aarch64 Linux. A larger frame can never be held in memory, so it
/// is refused at once instead of being waited for.
pub const ABSOLUTE_MAX_SIZE: u64 = 1 << 47;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The flags byte (reserved bits are never set in a decoded header).
    pub flags: u8,
    /// The declared body size.
    pub size: u64,
    /// How many bytes the header itself took (2 or 9).
    pub len: usize,
}

impl Header {
    /// Decodes a header from the front of `buf`. `Ok(None)` means more bytes are needed.
    pub fn decode(buf: &[u8]) -> Result<Option<Header>, Error> {
        let Some(&flags) = buf.first() else {
            return Ok(None);
        };
        if flags & RESERVED != 0 {
            return Err(Error::ReservedFlags { flags });
        }
        if flags & COMMAND != 0 && flags & MORE != 0 {
            return Err(Error::CommandWithMore);
        }
        if flags & LONG == 0 {
            return Ok(buf.get(1).map(|&size| Header {
                flags,
                size: u64::from(size),
                len: 2,
            }));
        }
        let Some(size) = buf.get(1..9) else {
            return Ok(None);
        };
        let size = u64::from_be_bytes(size.try_into().expect("slice of 8"));
        Ok(Some(Header {
            flags,
            size,
            len: 9,
        }))
    }

    /// Whether MORE is set.
    pub fn more(&self) -> bool {
        self.flags & MORE != 0
    }

    /// Whether this is a command frame.
    pub fn is_command(&self) -> bool {
        self.flags & COMMAND != 0
    }
}

/// Size of the header that `encode` writes for a body of `size` bytes.
#[inline]
pub const fn header_len(size: usize) -> usize {
    if size > 255 {
        9
    } else {
        2
    }
}

/// A message frame as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// More frames of the same message follow.
    pub more: bool,
    /// The frame's body, sliced out of the receive buffer without a copy.
    pub data: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_short_and_long() {
        assert_eq!(Header::decode(&[]), Ok(None));
        assert_eq!(Header::decode(&[0x01]), Ok(None));
        assert_eq!(
            Header::decode(&[0x01, 5]),
            Ok(Some(Header {
                flags: 1,
                size: 5,
                len: 2
            }))
        );
        assert_eq!(Header::decode(&[0x02, 0, 0, 0, 0, 0, 0, 1]), Ok(None));
        let h = Header::decode(&[0x02, 0, 0, 0, 0, 0, 0, 1, 0])
            .unwrap()
            .unwrap();
        assert_eq!((h.size, h.len, h.more()), (256, 9, false));
    }

    #[test]
    fn rejects_reserved_bits_and_commands_with_more() {
        for flags in [0x08u8, 0x10, 0x80, 0xFF] {
            assert_eq!(
                Header::decode(&[flags, 0]),
                Err(Error::ReservedFlags { flags })
            );
        }
        assert_eq!(Header::decode(&[0x05, 0]), Err(Error::CommandWithMore));
    }
}
