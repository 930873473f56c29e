//! PUSH (RFC 30): the sending end of a pipeline. Each message goes to the next worker in turn
//! that has room (load balancing); a PUSH never receives.

use super::{Behaviour, Receives, Sends};
use crate::SocketType;

pub(crate) struct Push;

impl Behaviour for Push {
    const TYPE: SocketType = SocketType::Push;
    const SENDS: Sends = Sends::LoadBalanced;
    const RECEIVES: Receives = Receives::Nothing;
}
