//! A STREAM socket's connection (engine layer): no greeting, no handshake, no framing. The
//! peer joins at once under a routing id of its own; each read becomes one message, the bytes
//! it brought; the pipe's raw batches go on the wire as they are. With `stream_notify` (the
//! default) the socket receives an empty message when the connection starts and when the
//! peer ends it, as libzmq's STREAM does.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::sync::watch;

use super::{io_cause, serve, write_loop, End, Owner, ReadInterest, Slot, Writer};
use crate::message::Properties;
use crate::monitor::{Cause, EventKind};
use crate::pipe::RawStream;
use crate::Message;

/// Bytes reserved for each read: what one message may bring at most.
const READ_SIZE: usize = 64 * 1024;

/// Runs one raw connection until it ends.
pub(super) async fn run<H: Owner>(
    core: Arc<H>,
    wr: Writer,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
    endpoint: &str,
    fd: u64,
    raw: Arc<RawStream>,
) -> End {
    let mut closing = core.closing();
    let notify = core.options().stream_notify;
    let properties = core.keeps_properties().then(|| {
        let address = raw.peer_ip().map(|ip| ip.to_string());
        let address = address.as_ref().map(|a| ("Peer-Address", a.as_bytes()));
        Arc::new(Properties::new(address))
    });
    // Named by `connect_routing_id` when this side connected with one; generated otherwise.
    let identity = core.connect_routing_id(endpoint);
    let Some(attached) = core.attach(slot, &identity, 1, properties) else {
        core.monitors().emit_cause(
            EventKind::HandshakeFailedNoDetail,
            endpoint,
            0,
            Cause::Refused,
        );
        return End::Lost;
    };
    let id = attached.id;
    attached.out.set_direct(Some(raw.clone()));
    if notify {
        core.deliver(id, &mut vec![Message::from(Bytes::new())]);
    }
    let reader = read_loop(&*core, id, &raw, &attached.room);
    let writer = write_loop(&*core, &wr, &attached.out);
    let (end, cause) = serve(
        &*core,
        reader,
        writer,
        &attached.out,
        &mut closing,
        &mut stop,
    )
    .await;
    // Closed by this side (a zero-length send): a connecting socket does not dial again.
    let end = if matches!(cause, Cause::Closed) {
        End::Closed
    } else {
        end
    };
    attached.out.set_direct(None);
    // The peer ended it (not this side, with a zero-length send or by closing): the socket
    // hears of it as the peer leaves, so that a send after the notice finds it gone.
    if notify && !matches!(cause, Cause::Closed) {
        core.detach_with(slot, id, Message::from(Bytes::new()));
    } else {
        core.detach(slot, id, false);
    }
    core.monitors()
        .emit_cause(EventKind::Disconnected, endpoint, fd, cause);
    end
}

/// Reads until the peer closes or the connection fails, each read one message for the
/// socket; at the receive high-water mark it waits for room before reading on.
async fn read_loop<H: Owner>(
    core: &H,
    id: crate::pipe::PeerId,
    raw: &Arc<RawStream>,
    room: &tokio::sync::Notify,
) -> Cause {
    let mut rd = ReadInterest::new(raw.clone());
    if let Err(e) = rd.watch() {
        return io_cause(e);
    }
    let mut buf = BytesMut::new();
    loop {
        buf.reserve(READ_SIZE);
        match raw.recv_into(&mut buf) {
            Ok(0) => return Cause::PeerClosed,
            Ok(_) => {
                let full = core.deliver(id, &mut vec![Message::from(buf.split().freeze())]);
                if full {
                    loop {
                        room.notified().await;
                        if !core.inbox_full(id) {
                            break;
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Err(e) = rd.readable().await {
                    return io_cause(e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return io_cause(e),
        }
    }
}
