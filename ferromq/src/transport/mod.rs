//! Transports move bytes; they know nothing of socket types.

pub(crate) mod tcp;
