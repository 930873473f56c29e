//! What the connection tests share: moving one side's output into the other, in pieces,
//! and collecting what it saw.
#![allow(dead_code)]

use bytes::BytesMut;
use ferromq_zmtp::{Connection, Error, Event};

/// What one side did with the bytes it was given: its events, or the error that ended it.
#[derive(Debug, Default)]
pub struct Seen {
    pub events: Vec<Event>,
    pub error: Option<Error>,
}

/// Moves `from`'s output into `to`, `chunk` bytes at a time, and collects `to`'s events.
/// With nothing new, it still decodes what waits (input left while authenticating).
pub fn deliver(from: &mut Connection, to: &mut Connection, chunk: usize, seen: &mut Seen) {
    let mut wire = BytesMut::new();
    from.poll_transmit(&mut wire);
    let pieces: Vec<&[u8]> = if wire.is_empty() {
        vec![&[]]
    } else {
        wire.chunks(chunk.max(1)).collect()
    };
    for piece in pieces {
        to.feed(piece);
        loop {
            match to.poll_event() {
                Ok(Some(event)) => seen.events.push(event),
                Ok(None) => break,
                Err(e) => {
                    seen.error.get_or_insert(e);
                    return;
                }
            }
        }
    }
}
