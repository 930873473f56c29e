//! Socket options with libzmq's names, meanings and defaults.

use std::time::Duration;

use bytes::Bytes;

use crate::{Error, Result};

/// The options of one socket. Values use libzmq's units and sentinels (`-1` is "infinite" for
/// timeouts and `linger`, `0` is "no limit" for high-water marks) so that documentation for libzmq
/// and pyzmq applies unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub linger: i32,
    pub routing_id: Bytes,
    pub maxmsgsize: i64,
    pub ipv6: bool,
    pub immediate: bool,
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    pub handshake_ivl: i32,
    pub heartbeat_ivl: i32,
    /// Milliseconds, a multiple of 100 (libzmq keeps tenths of a second).
    pub heartbeat_ttl: i32,
    /// -1: the interval.
    pub heartbeat_timeout: i32,
    /// -1: the OS default, 0: off, 1: on.
    pub tcp_keepalive: i32,
    /// Seconds; -1: the OS default.
    pub tcp_keepalive_idle: i32,
    pub tcp_keepalive_intvl: i32,
    pub tcp_keepalive_cnt: i32,
    /// Bytes; -1: the OS default.
    pub sndbuf: i32,
    pub rcvbuf: i32,
    pub conflate: bool,
    /// Pending connections a listener queues (`listen`'s backlog).
    pub backlog: i32,
    /// IP type-of-service byte (DSCP and ECN) of tcp connections; 0: the OS's.
    pub tos: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: -1,
            routing_id: Bytes::new(),
            maxmsgsize: -1,
            ipv6: false,
            immediate: false,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            handshake_ivl: 30_000,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            tcp_keepalive: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_keepalive_cnt: -1,
            sndbuf: -1,
            rcvbuf: -1,
            conflate: false,
            backlog: 100,
            tos: 0,
        }
    }
}

impl Options {
    /// `linger` as a bound: `None` is forever.
    pub fn linger(&self) -> Option<Duration> {
        millis(self.linger)
    }

    /// `maxmsgsize` for the protocol layer.
    pub fn max_msg_size(&self) -> Option<u64> {
        u64::try_from(self.maxmsgsize).ok()
    }

    /// A high-water mark as a message count: `usize::MAX` when 0 (no limit).
    pub fn hwm(value: i32) -> usize {
        if value <= 0 {
            usize::MAX
        } else {
            value as usize
        }
    }

    /// Heartbeats for the protocol layer; `None` when `heartbeat_ivl` is 0.
    pub fn heartbeat(&self) -> Option<ferromq_zmtp::Heartbeat> {
        let ms = |v: i32| Duration::from_millis(v.max(0) as u64);
        (self.heartbeat_ivl > 0).then(|| ferromq_zmtp::Heartbeat {
            interval: ms(self.heartbeat_ivl),
            timeout: ms(if self.heartbeat_timeout < 0 {
                self.heartbeat_ivl
            } else {
                self.heartbeat_timeout
            }),
            ttl: ms(self.heartbeat_ttl),
        })
    }

    /// Applies the socket-level options to a new connection, as libzmq does for each one.
    /// Failures are ignored, as in libzmq: a connection with the OS's defaults beats none.
    pub fn tune(&self, socket: socket2::SockRef<'_>, tcp: bool) {
        if let Ok(n) = usize::try_from(self.sndbuf) {
            let _ = socket.set_send_buffer_size(n);
        }
        if let Ok(n) = usize::try_from(self.rcvbuf) {
            let _ = socket.set_recv_buffer_size(n);
        }
        if !tcp {
            return;
        }
        if let Ok(tos @ 1..) = u32::try_from(self.tos) {
            match socket.local_addr().ok().and_then(|a| a.as_socket()) {
                Some(std::net::SocketAddr::V6(_)) => {
                    let _ = socket.set_tclass_v6(tos);
                }
                _ => {
                    let _ = socket.set_tos_v4(tos);
                }
            }
        }
        if self.tcp_keepalive < 0 {
            return;
        }
        let _ = socket.set_keepalive(self.tcp_keepalive == 1);
        if self.tcp_keepalive == 1 {
            let secs = |v: i32| u64::try_from(v).ok().map(Duration::from_secs);
            let mut ka = socket2::TcpKeepalive::new();
            if let Some(t) = secs(self.tcp_keepalive_idle) {
                ka = ka.with_time(t);
            }
            if let Some(t) = secs(self.tcp_keepalive_intvl) {
                ka = ka.with_interval(t);
            }
            if let Ok(n) = u32::try_from(self.tcp_keepalive_cnt) {
                ka = ka.with_retries(n);
            }
            let _ = socket.set_tcp_keepalive(&ka);
        }
    }

    /// The handshake deadline; `None` when 0 (disabled).
    pub fn handshake_ivl(&self) -> Option<Duration> {
        if self.handshake_ivl <= 0 {
            None
        } else {
            Some(Duration::from_millis(self.handshake_ivl as u64))
        }
    }
}

/// A timeout in libzmq's form: negative is infinite.
pub(crate) fn millis(value: i32) -> Option<Duration> {
    u64::try_from(value).ok().map(Duration::from_millis)
}

/// Checks that `value >= min`, naming the option otherwise.
pub(crate) fn at_least<T: PartialOrd + std::fmt::Display + Copy>(
    option: &'static str,
    value: T,
    min: T,
) -> Result<T> {
    if value < min {
        return Err(Error::InvalidOption {
            option,
            reason: format!("{value} is below the minimum of {min}"),
        });
    }
    Ok(value)
}

/// Checks a routing id: 1 to 255 bytes (libzmq's rule; an empty one means "none").
pub(crate) fn routing_id(value: &[u8]) -> Result<Bytes> {
    if value.len() > 255 {
        return Err(Error::InvalidOption {
            option: "routing_id",
            reason: format!("{} bytes is longer than the 255 allowed", value.len()),
        });
    }
    if value.first() == Some(&0) {
        return Err(Error::InvalidOption {
            option: "routing_id",
            reason: "a routing id may not start with a zero byte (reserved for generated ids)"
                .into(),
        });
    }
    Ok(Bytes::copy_from_slice(value))
}
