//! Encoding message frames into an outgoing buffer.
//!
//! These functions are separate from [`Connection`](crate::Connection) on purpose: a sender
//! encodes its messages straight into the chosen connection's outgoing batch in its own thread,
//! while the connection's owner only flushes bytes. Sizes over 255 bytes use the 8-byte form,
//! exactly when libzmq does.

use bytes::{BufMut, BytesMut};

use crate::frame::{header_len, COMMAND, LONG, MORE};

/// Appends a frame header for a body of `size` bytes.
#[inline]
pub fn header(buf: &mut impl BufMut, size: usize, more: bool, command: bool) {
    let mut flags = 0;
    if more {
        flags |= MORE;
    }
    if command {
        flags |= COMMAND;
    }
    if size > 255 {
        buf.put_u8(flags | LONG);
        buf.put_u64(size as u64);
    } else {
        buf.put_u8(flags);
        buf.put_u8(size as u8);
    }
}

/// Appends one message frame (header and body).
#[inline]
pub fn frame(buf: &mut BytesMut, body: &[u8], more: bool) {
    buf.reserve(header_len(body.len()) + body.len());
    header(buf, body.len(), more, false);
    buf.extend_from_slice(body);
}

/// Appends a whole message, MORE set on every frame but the last.
///
/// ```
/// let mut buf = bytes::BytesMut::new();
/// ferromq_zmtp::encode::message(&mut buf, [&b"a"[..], b"bc"]);
/// assert_eq!(&buf[..], b"\x01\x01a\x00\x02bc");
/// ```
pub fn message<'a, I>(buf: &mut BytesMut, frames: I)
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: ExactSizeIterator,
{
    let mut frames = frames.into_iter();
    let mut left = frames.len();
    for body in frames.by_ref() {
        left -= 1;
        frame(buf, body, left > 0);
    }
}

/// Size in bytes that [`message`] would append for frames of these sizes.
pub fn message_len(sizes: impl IntoIterator<Item = usize>) -> usize {
    sizes.into_iter().map(|s| header_len(s) + s).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_frames_are_byte_exact() {
        let mut buf = BytesMut::new();
        frame(&mut buf, &[], false);
        assert_eq!(&buf[..], [0x00, 0x00]);
        buf.clear();
        frame(&mut buf, &[7; 255], true);
        assert_eq!(&buf[..2], [0x01, 0xFF]);
        assert_eq!(buf.len(), 257);
        buf.clear();
        frame(&mut buf, &[7; 256], false);
        assert_eq!(&buf[..9], [0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(buf.len(), 9 + 256);
        assert_eq!(message_len([0, 255, 256]), 2 + 257 + 265);
    }
}
