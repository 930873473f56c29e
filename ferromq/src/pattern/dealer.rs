//! DEALER (RFC 28): asynchronous requests and replies. Sends load-balance over the peers;
//! receives fair-queue from them; no envelope is added or taken.

use super::{Behaviour, Receives, Sends};
use crate::SocketType;

pub(crate) struct Dealer;

impl Behaviour for Dealer {
    const TYPE: SocketType = SocketType::Dealer;
    const SENDS: Sends = Sends::LoadBalanced;
    const RECEIVES: Receives = Receives::FairQueued;
}
