//! The socket as a connection sees it (engine layer): what the engine and the transports
//! may ask of the socket they serve. The socket implements [`Owner`]; below it, nothing names
//! the socket's type, its pattern or its routing.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{watch, Notify};

use super::{Io, ReadSide};
use crate::message::Properties;
use crate::monitor::Monitors;
use crate::options::Options;
use crate::pipe::{OutPipe, PeerId, PipeEnd, Pipes};
use crate::{Message, SocketType};

/// A question to the ZAP handler under way: the reply's frames, or `None` if the request
/// could not be made or answered (the context is ending).
pub(crate) type ZapCall =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<Vec<Bytes>>> + Send>>;

/// The socket a connection belongs to.
pub(crate) trait Owner: PipeEnd + Sized + Send + Sync + 'static {
    /// Its type, for the handshake (Socket-Type, which peers may talk to it, whether it takes
    /// ZMTP 3.1 subscriptions as messages): data, never a branch on routing.
    fn socket_type(&self) -> SocketType;
    /// Its options now.
    fn options(&self) -> Options;
    /// Sends a ZAP request (its frames, see [`crate::zap`]) to the handler bound in the
    /// socket's context; `None` when none is bound.
    fn zap(&self, request: Vec<Bytes>) -> Option<ZapCall>;
    /// Where connection events go.
    fn monitors(&self) -> &Monitors;
    /// The I/O thread its connections run on.
    fn io(&self) -> &Io;
    /// Becomes `true` once the socket is closing.
    fn closing(&self) -> watch::Receiver<bool>;
    fn is_closed(&self) -> bool;
    /// Where a new `connect`'s connections will live.
    fn connect_slot(&self) -> Slot;
    /// Whether messages still wait for peer `id` (lingering decides by it).
    fn has_unsent(&self, id: PeerId) -> bool;
    /// Whether messages carry their peer's properties (`Socket::set_message_properties`).
    fn keeps_properties(&self) -> bool;
    /// Joins a connection whose handshake succeeded, whose messages will carry `properties`;
    /// `None`: refused, close it.
    fn attach(
        &self,
        slot: Slot,
        identity: &Bytes,
        zmtp_minor: u8,
        properties: Option<Arc<Properties>>,
    ) -> Option<Attached>;
    /// Joins one side of an inproc connection; `None`: refused.
    fn attach_inproc(self: &Arc<Self>, identity: &Bytes, pipes: &Pipes) -> Option<PeerId>;
    /// A connection ended (`forget`: its endpoint is gone too).
    fn detach(&self, slot: Slot, id: PeerId, forget: bool);
    /// The routing id a STREAM gives its connections to `endpoint` (empty: one generated).
    fn connect_routing_id(&self, endpoint: &str) -> Bytes;
    /// A connection ended, `notice` its last message, queued as it leaves (STREAM).
    fn detach_with(&self, slot: Slot, id: PeerId, notice: Message);
    /// Gives peer `id` its connection's reading half, or takes it back.
    fn set_reader(&self, id: PeerId, side: Option<Arc<ReadSide>>);
    /// Hands decoded messages from peer `id` over; `true` when its queue is now full.
    fn deliver(&self, id: PeerId, batch: &mut Vec<Message>) -> bool;
    /// Whether peer `id`'s input queue is still full (re-arming its wake-up).
    fn inbox_full(&self, id: PeerId) -> bool;
}

/// Where a connection's peer lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    /// A peer created for this connection only (accepted, or `immediate`, or ROUTER).
    Fresh,
    /// A peer created by `connect`, outliving its connections so that messages queue while it
    /// is away (libzmq's behaviour without `immediate`).
    Persistent(PeerId),
}

/// What a connection gets when it joins its socket.
pub(crate) struct Attached {
    pub id: PeerId,
    pub out: Arc<OutPipe>,
    pub room: Arc<Notify>,
}

/// Resolves once the watched flag is `true` (at once if it already is), or never if its sender
/// is gone without setting it.
pub(crate) async fn signalled(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}
