//! The line format: one message per line, frames joined by TAB; a frame that is not plain
//! text is written as `0x` and lower-case hex, and read back the same way.

/// Whether a frame can be written as it is: UTF-8 without TAB, CR, LF or NUL, and not itself
/// looking like a hex-encoded frame.
fn is_plain(frame: &[u8]) -> bool {
    match std::str::from_utf8(frame) {
        Ok(text) => {
            let special = text.contains(['\t', '\r', '\n', '\0']);
            let looks_hex =
                text.starts_with("0x") && text[2..].bytes().all(|b| b.is_ascii_hexdigit());
            !special && !looks_hex
        }
        Err(_) => false,
    }
}

/// One frame as it is printed (an empty frame prints as nothing).
pub fn encode_frame(frame: &[u8], out: &mut String) {
    if is_plain(frame) {
        // Checked above.
        out.push_str(std::str::from_utf8(frame).unwrap_or_default());
    } else {
        out.push_str("0x");
        for b in frame {
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
    }
}

/// A message as one line (without the newline).
pub fn encode_line<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut line = String::new();
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        encode_frame(frame, &mut line);
    }
    line
}

/// One field of an input line as frame bytes: `0x` followed by an even number of hex digits
/// is decoded, anything else is taken as it is.
pub fn decode_frame(field: &str) -> Vec<u8> {
    if let Some(hex) = field.strip_prefix("0x") {
        if hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let digit = |b: u8| match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => b - b'A' + 10,
            };
            return hex
                .as_bytes()
                .chunks(2)
                .map(|p| digit(p[0]) << 4 | digit(p[1]))
                .collect();
        }
    }
    field.as_bytes().to_vec()
}

/// An input line (without its newline, a trailing CR dropped) as frames.
pub fn decode_line(line: &str) -> Vec<Vec<u8>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.split('\t').map(decode_frame).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_the_rest_is_hex() {
        let line = encode_line([&b"alice"[..], b"", b"hello"]);
        assert_eq!(line, "alice\t\thello");
        assert_eq!(encode_line([&b"\x00\x6b\x8b\x45\x67"[..]]), "0x006b8b4567");
        assert_eq!(encode_line([&b"a\tb"[..], b"\xff"]), "0x610962\t0xff");
        // Text that reads like hex is written as hex, so that it reads back as itself.
        assert_eq!(encode_line([&b"0x12"[..]]), "0x30783132");
        assert_eq!(encode_line([&b"0xyz"[..]]), "0xyz");
    }

    #[test]
    fn lines_read_back_as_the_frames_they_print() {
        let frames: Vec<&[u8]> = vec![
            b"\x00\x01",
            b"",
            b"plain text",
            b"0xab",
            b"\r\n",
            b"\xc3\x28",
        ];
        let line = encode_line(frames.iter().copied());
        let back = decode_line(&line);
        assert_eq!(back, frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>());
        assert_eq!(
            decode_line("\tpart1\tpart2\r"),
            [&b""[..], b"part1", b"part2"]
        );
        // Odd or non-hex digits after 0x are text.
        assert_eq!(decode_frame("0xabc"), b"0xabc");
        assert_eq!(decode_frame("0xZZ"), b"0xZZ");
        assert_eq!(decode_frame("0xAbCd"), [0xab, 0xcd]);
    }
}
