//! PULL (RFC 30): the receiving end of a pipeline. Messages are fair-queued from every
//! upstream peer; a PULL never sends.

use super::{Behaviour, Receives, Sends};
use crate::SocketType;

pub(crate) struct Pull;

impl Behaviour for Pull {
    const TYPE: SocketType = SocketType::Pull;
    const SENDS: Sends = Sends::Nothing;
    const RECEIVES: Receives = Receives::FairQueued;
}
