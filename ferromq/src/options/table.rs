//! The options table (leaf data): one row per libzmq option ferromq knows.
//!
//! A row reads: the option's name in `SocketOption`, ferromq's name (the field of
//! [`Options`] and the getter, for the rows that keep a value), libzmq's name and number, the
//! kind and default of its value, the values accepted, the socket types that take it, what
//! libzmq allows (set and read, set only, read only), whether ferromq acts on it, and for the
//! rows with typed accessors the setter's name. The rows' doc comments document the setters.

use bytes::Bytes;

use super::{Access, Effect, Field, OptionKind, OptionSpec, OptionValue};
use crate::SocketType;

use Access::{ReadOnly, ReadWrite, WriteOnly};
use Effect::{Acts, Ignored};
use SocketType::{Dealer, Pub, Pull, Push, Req, Router, Stream, Sub, Xpub};

/// Every socket type takes it.
const ALL: Option<&[SocketType]> = None;
/// No bound on the value.
const ANY: Option<(i64, i64)> = None;

/// Values from `min` up.
const fn at_least(min: i64) -> Option<(i64, i64)> {
    Some((min, i64::MAX))
}

/// Values from `min` to `max`, inclusive.
const fn within(min: i64, max: i64) -> Option<(i64, i64)> {
    Some((min, max))
}

/// The Rust type of an option's value, by kind.
macro_rules! field_type {
    (int) => {
        i32
    };
    (bool) => {
        bool
    };
    (int64) => {
        i64
    };
    (uint64) => {
        u64
    };
    (bytes) => {
        Bytes
    };
}

/// What a typed setter takes, by kind.
macro_rules! arg_type {
    (bytes) => { impl AsRef<[u8]> };
    ($kind:ident) => { $crate::options::field_type!($kind) };
}

/// A typed setter's argument as an [`OptionValue`].
macro_rules! arg_value {
    (bytes, $v:expr) => {
        $crate::OptionValue::Bytes($crate::Bytes::copy_from_slice($v.as_ref()))
    };
    ($kind:ident, $v:expr) => {
        $crate::OptionValue::from($v)
    };
}

pub(crate) use {arg_type, arg_value, field_type};

/// An [`OptionKind`] and a default [`OptionValue`], by kind.
macro_rules! kind {
    (int) => {
        OptionKind::Int
    };
    (bool) => {
        OptionKind::Bool
    };
    (int64) => {
        OptionKind::Int64
    };
    (uint64) => {
        OptionKind::UInt64
    };
    (bytes) => {
        OptionKind::Bytes
    };
    (string) => {
        OptionKind::String
    };
}

macro_rules! value {
    (int, $v:expr) => {
        OptionValue::Int($v)
    };
    (bool, $v:expr) => {
        OptionValue::Bool($v)
    };
    (int64, $v:expr) => {
        OptionValue::Int64($v)
    };
    (uint64, $v:expr) => {
        OptionValue::UInt64($v)
    };
    (bytes, $v:expr) => {
        OptionValue::Bytes($v)
    };
    (string, $v:expr) => {
        OptionValue::String($v)
    };
}

macro_rules! options_table {
    (
        kept {$(
            $(#[doc = $doc:expr])*
            $variant:ident($field:ident, $setter:tt) $zmq:ident = $number:literal,
            $kind:ident [$default:expr, $range:expr, $types:expr, $access:ident, $effect:ident];
        )*}
        other {$(
            $(#[doc = $odoc:expr])*
            $ovariant:ident($oname:ident) $ozmq:ident = $onumber:literal,
            $okind:ident = $odefault:expr, $orange:expr, $otypes:expr, $oaccess:ident;
        )*}
    ) => {
        /// A libzmq socket option, by its `ZMQ_*` name: the key of
        /// [`Socket::set_option`](crate::Socket::set_option) and
        /// [`Socket::get_option`](crate::Socket::get_option). [`SocketOption::spec`] gives its
        /// row of the options table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum SocketOption {
            $(
                #[doc = concat!("`", stringify!($zmq), "` (", stringify!($number), ").")]
                $variant,
            )*
            $(
                #[doc = concat!("`", stringify!($ozmq), "` (", stringify!($onumber), ").")]
                $ovariant,
            )*
        }

        /// How many rows the table has.
        const ROWS: usize = [$(stringify!($variant),)* $(stringify!($ovariant),)*].len();

        /// The table, in the order of [`SocketOption`]'s variants.
        pub(crate) static OPTIONS: [OptionSpec; ROWS] = [
            $(OptionSpec {
                option: SocketOption::$variant,
                name: stringify!($field),
                zmq_name: stringify!($zmq),
                number: $number,
                kind: kind!($kind),
                default: value!($kind, $default),
                range: $range,
                types: $types,
                access: $access,
                effect: $effect,
            },)*
            $(OptionSpec {
                option: SocketOption::$ovariant,
                name: stringify!($oname),
                zmq_name: stringify!($ozmq),
                number: $onumber,
                kind: kind!($okind),
                default: value!($okind, $odefault),
                range: $orange,
                types: $otypes,
                access: $oaccess,
                effect: Acts,
            },)*
        ];

        /// The options one socket keeps, with libzmq's units and sentinels (`-1` is
        /// "infinite" for timeouts and `linger`, `0` is "no limit" for high-water marks), so
        /// that documentation for libzmq and pyzmq applies unchanged.
        #[derive(Debug, Clone)]
        pub(crate) struct Options {
            $(pub $field: field_type!($kind),)*
            /// The mechanism, its credentials and ZAP's domain, which decide each other.
            pub security: super::security::Security,
        }

        impl Default for Options {
            fn default() -> Self {
                Options {
                    $($field: $default,)*
                    security: Default::default(),
                }
            }
        }

        impl Options {
            /// Keeps an accepted value. `false`: the option keeps no value here.
            pub fn store(&mut self, option: SocketOption, value: OptionValue) -> bool {
                match option {
                    $(SocketOption::$variant => match Field::from_value(value) {
                        Some(v) => {
                            self.$field = v;
                            true
                        }
                        None => false,
                    },)*
                    _ => self.security.store(option, value),
                }
            }

            /// The kept value of `option`; `None` for the options that keep none.
            pub fn load(&self, option: SocketOption) -> Option<OptionValue> {
                match option {
                    $(SocketOption::$variant => Some(self.$field.to_value()),)*
                    _ => self.security.load(option),
                }
            }
        }
    };
}

/// The rows, handed to `$callback` (a macro taking `kept { ... } other { ... }`): the table
/// and [`Options`] are made from them here, the typed accessors in the socket.
macro_rules! option_rows {
    ($callback:ident) => {
        $callback! {
            kept {
        /// `ZMQ_SNDHWM`: most messages queued per peer for sending (default 1000, 0 = no
        /// limit). Applies to connections made after it is set.
        Sndhwm(sndhwm, set_sndhwm) ZMQ_SNDHWM = 23, int [1000, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_RCVHWM`: most messages queued per peer for receiving (default 1000, 0 = no
        /// limit); past it the connection stops being read. Applies to connections made after
        /// it is set.
        Rcvhwm(rcvhwm, set_rcvhwm) ZMQ_RCVHWM = 24, int [1000, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_LINGER` in ms: how long unsent messages may delay the close (-1, the default:
        /// until sent; 0: dropped at once).
        Linger(linger, set_linger) ZMQ_LINGER = 17, int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_RCVTIMEO` in ms: how long [`recv`](Self::recv) blocks (-1, the default:
        /// forever).
        Rcvtimeo(rcvtimeo, set_rcvtimeo) ZMQ_RCVTIMEO = 27,
            int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_SNDTIMEO` in ms: how long [`send`](Self::send) blocks (-1, the default:
        /// forever).
        Sndtimeo(sndtimeo, set_sndtimeo) ZMQ_SNDTIMEO = 28,
            int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_ROUTING_ID`: the identity this socket announces to peers (1 to 255 bytes, not
        /// starting with a zero byte). A ROUTER peer addresses us by it.
        RoutingId(routing_id, set_routing_id) ZMQ_ROUTING_ID = 5,
            bytes [Bytes::new(), within(0, 255), ALL, ReadWrite, Acts];
        /// `ZMQ_MAXMSGSIZE`: largest inbound frame in bytes; a peer sending a larger one is
        /// disconnected (-1, the default: no limit).
        Maxmsgsize(maxmsgsize, set_maxmsgsize) ZMQ_MAXMSGSIZE = 22,
            int64 [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_IPV6`: bind `*` to IPv6 and IPv4, and use IPv6 addresses of host names
        /// (default false).
        Ipv6(ipv6, set_ipv6) ZMQ_IPV6 = 42, bool [false, ANY, ALL, ReadWrite, Acts];
        /// `ZMQ_IMMEDIATE`: queue messages only for peers whose connection is up (default
        /// false: a `connect`ed peer queues messages before its connection exists).
        Immediate(immediate, set_immediate) ZMQ_IMMEDIATE = 39,
            bool [false, ANY, ALL, ReadWrite, Acts];
        /// `ZMQ_RECONNECT_IVL` in ms: wait before reconnecting (default 100; -1 disables
        /// reconnection).
        ReconnectIvl(reconnect_ivl, set_reconnect_ivl) ZMQ_RECONNECT_IVL = 18,
            int [100, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_RECONNECT_IVL_MAX` in ms: when above `reconnect_ivl`, failed attempts double
        /// the wait up to this (default 0: no backoff).
        ReconnectIvlMax(reconnect_ivl_max, set_reconnect_ivl_max) ZMQ_RECONNECT_IVL_MAX = 21,
            int [ 0, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_HANDSHAKE_IVL` in ms: a peer that has not finished its handshake by then is
        /// dropped (default 30000; 0 disables).
        HandshakeIvl(handshake_ivl, set_handshake_ivl) ZMQ_HANDSHAKE_IVL = 66,
            int [30_000, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_HEARTBEAT_IVL` in ms: send a ZMTP PING this often on every connection
        /// (default 0: none). PINGs from peers are always answered, whatever this is.
        HeartbeatIvl(heartbeat_ivl, set_heartbeat_ivl) ZMQ_HEARTBEAT_IVL = 75,
            int [0, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_HEARTBEAT_TTL` in ms, kept in tenths of a second as on the wire (0 to
        /// 6553599, rounded down): our PINGs ask the peer to close the connection if it hears
        /// nothing from us within this.
        HeartbeatTtl(heartbeat_ttl, set_heartbeat_ttl) ZMQ_HEARTBEAT_TTL = 76,
            int [0, within(0, 6_553_599), ALL, ReadWrite, Acts];
        /// `ZMQ_HEARTBEAT_TIMEOUT` in ms: after a PING, close the connection (and reconnect,
        /// if we connected) when nothing arrives within this. The default, -1 when read back,
        /// is `heartbeat_ivl`; 0 never closes.
        HeartbeatTimeout(heartbeat_timeout, set_heartbeat_timeout) ZMQ_HEARTBEAT_TIMEOUT = 77,
            int [ -1, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_CONNECT_TIMEOUT` in ms: a tcp connect that has not completed by then is
        /// abandoned and retried after `reconnect_ivl` (default 0: the system's limit, which
        /// is minutes when the peer's host does not answer at all).
        ConnectTimeout(connect_timeout, set_connect_timeout) ZMQ_CONNECT_TIMEOUT = 79,
            int [0, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_TCP_MAXRT` in ms: a tcp connection whose sent data stays unacknowledged this
        /// long is dropped (the system's `TCP_USER_TIMEOUT`; default 0: the system's limit).
        TcpMaxrt(tcp_maxrt, set_tcp_maxrt) ZMQ_TCP_MAXRT = 80,
            int [0, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_TCP_KEEPALIVE`: TCP keepalive on every tcp connection (-1, the default: the
        /// OS's setting; 0: off; 1: on).
        TcpKeepalive(tcp_keepalive, set_tcp_keepalive) ZMQ_TCP_KEEPALIVE = 34,
            int [-1, within(-1, 1), ALL, ReadWrite, Acts];
        /// `ZMQ_TCP_KEEPALIVE_IDLE` in seconds: idle time before the first probe (-1: the
        /// OS's).
        TcpKeepaliveIdle(tcp_keepalive_idle, set_tcp_keepalive_idle) ZMQ_TCP_KEEPALIVE_IDLE = 36,
            int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_TCP_KEEPALIVE_INTVL` in seconds: between probes (-1: the OS's).
        TcpKeepaliveIntvl(tcp_keepalive_intvl, set_tcp_keepalive_intvl) ZMQ_TCP_KEEPALIVE_INTVL = 37,
            int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_TCP_KEEPALIVE_CNT`: unanswered probes before the connection is dropped (-1:
        /// the OS's).
        TcpKeepaliveCnt(tcp_keepalive_cnt, set_tcp_keepalive_cnt) ZMQ_TCP_KEEPALIVE_CNT = 35,
            int [ -1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_SNDBUF` in bytes: the kernel send buffer of each connection (-1, the default:
        /// the OS's). Applies to connections made after it is set.
        Sndbuf(sndbuf, set_sndbuf) ZMQ_SNDBUF = 11, int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_RCVBUF` in bytes: the kernel receive buffer of each connection (-1, the
        /// default: the OS's). Applies to connections made after it is set.
        Rcvbuf(rcvbuf, set_rcvbuf) ZMQ_RCVBUF = 12, int [-1, at_least(-1), ALL, ReadWrite, Acts];
        /// `ZMQ_CONFLATE` (PUSH, PULL, PUB, SUB, DEALER): keep only the newest message in
        /// each queue, in and out, ignoring the high-water marks; for state updates where only
        /// the latest matters. Applies to connections made after it is set. As in libzmq,
        /// meant for single-frame messages (a multipart message is kept or replaced whole).
        Conflate(conflate, set_conflate) ZMQ_CONFLATE = 54,
            bool [false, ANY, Some(&[Push, Pull, Pub, Sub, Dealer]), ReadWrite, Acts];
        /// `ZMQ_BACKLOG`: connections a bound tcp or ipc endpoint queues before they are
        /// accepted (100 by default, as in libzmq; the kernel may cap it). Applies to binds
        /// made after it is set.
        Backlog(backlog, set_backlog) ZMQ_BACKLOG = 19,
            int [100, at_least(0), ALL, ReadWrite, Acts];
        /// `ZMQ_TOS`: the IP type-of-service byte (DSCP and ECN bits) of this socket's tcp
        /// connections, e.g. `0x28` for DSCP AF11 (0, the default: the OS's). Applies to
        /// connections made after it is set.
        Tos(tos, set_tos) ZMQ_TOS = 57, int [0, within(0, 255), ALL, ReadWrite, Acts];
        /// `ZMQ_ROUTER_MANDATORY` (ROUTER only): a message to an unknown routing id fails
        /// with [`Error::HostUnreachable`](crate::Error::HostUnreachable) instead of being
        /// dropped, and a peer at its high-water mark blocks the send instead of losing the
        /// message.
        RouterMandatory(router_mandatory, set_router_mandatory) ZMQ_ROUTER_MANDATORY = 33,
            bool [ false, ANY, Some(&[Router]), WriteOnly, Acts];
        /// `ZMQ_STREAM_NOTIFY` (STREAM only): an empty message (after the peer's routing id)
        /// comes when a connection starts and when the peer ends it (default on).
        StreamNotify(stream_notify, set_stream_notify) ZMQ_STREAM_NOTIFY = 73,
            bool [ true, ANY, Some(&[Stream]), WriteOnly, Acts];
        /// `ZMQ_CONNECT_ROUTING_ID` (STREAM here): the routing id the next `connect` gives
        /// its connection, instead of a generated one (1 to 255 bytes, not starting with a
        /// zero byte); used by that one `connect` only.
        ConnectRoutingId(connect_routing_id, set_connect_routing_id) ZMQ_CONNECT_ROUTING_ID = 61,
            bytes [Bytes::new(), within(0, 255), Some(&[Stream]), WriteOnly, Acts];
        /// `ZMQ_ROUTER_HANDOVER` (ROUTER only): a new peer announcing a routing id already in
        /// use takes it over, and the old connection is closed (default: the newcomer is
        /// refused).
        RouterHandover(router_handover, set_router_handover) ZMQ_ROUTER_HANDOVER = 56,
            bool [false, ANY, Some(&[Router]), WriteOnly, Acts];
        /// `ZMQ_REQ_RELAXED` (REQ only): allow a new request before the last reply arrived;
        /// the late reply is then discarded. Pair it with `req_correlate`.
        ReqRelaxed(req_relaxed, set_req_relaxed) ZMQ_REQ_RELAXED = 53,
            bool [false, ANY, Some(&[Req]), WriteOnly, Acts];
        /// `ZMQ_REQ_CORRELATE` (REQ only): prefix each request with an id frame and accept
        /// only the reply that carries it back.
        ReqCorrelate(req_correlate, set_req_correlate) ZMQ_REQ_CORRELATE = 52,
            bool [false, ANY, Some(&[Req]), WriteOnly, Acts];
        /// `ZMQ_XPUB_VERBOSE` (XPUB only): pass every subscription to the application, not
        /// only the first for each topic.
        XpubVerbose(xpub_verbose, set_xpub_verbose) ZMQ_XPUB_VERBOSE = 40,
            bool [false, ANY, Some(&[Xpub]), WriteOnly, Acts];
        /// `ZMQ_XPUB_NODROP` (PUB and XPUB): a send that would overflow a matching
        /// subscriber's high-water mark blocks (for at most `sndtimeo`, or returns
        /// [`Error::WouldBlock`](crate::Error::WouldBlock) from `try_send`) instead of
        /// dropping the message for that subscriber.
        XpubNodrop(xpub_nodrop, set_xpub_nodrop) ZMQ_XPUB_NODROP = 69,
            bool [false, ANY, Some(&[Pub, Xpub]), WriteOnly, Acts];
        /// `ZMQ_AFFINITY`: I/O thread affinity; ferromq places a socket on its context's I/O
        /// threads itself.
        Affinity(affinity, _) ZMQ_AFFINITY = 4, uint64 [0, ANY, ALL, ReadWrite, Ignored];
        /// `ZMQ_RATE`: PGM's multicast rate (ferromq has no PGM).
        Rate(rate, _) ZMQ_RATE = 8, int [100, at_least(1), ALL, ReadWrite, Ignored];
        /// `ZMQ_RECOVERY_IVL`: PGM's recovery interval.
        RecoveryIvl(recovery_ivl, _) ZMQ_RECOVERY_IVL = 9,
            int [10_000, at_least(0), ALL, ReadWrite, Ignored];
        /// `ZMQ_MULTICAST_HOPS`: the TTL of multicast packets.
        MulticastHops(multicast_hops, _) ZMQ_MULTICAST_HOPS = 25,
            int [1, at_least(1), ALL, ReadWrite, Ignored];
        /// `ZMQ_MULTICAST_MAXTPDU`: the largest multicast datagram.
        MulticastMaxtpdu(multicast_maxtpdu, _) ZMQ_MULTICAST_MAXTPDU = 84,
            int [1500, at_least(1), ALL, ReadWrite, Ignored];
        /// `ZMQ_LOOPBACK_FASTPATH`: a Windows-only tcp loopback shortcut.
        LoopbackFastpath(loopback_fastpath, _) ZMQ_LOOPBACK_FASTPATH = 94,
            bool [false, ANY, ALL, ReadWrite, Ignored];
        /// `ZMQ_MULTICAST_LOOP`: whether multicast (UDP, PGM) loops back; ferromq has none.
        MulticastLoop(multicast_loop, _) ZMQ_MULTICAST_LOOP = 96,
            bool [true, ANY, ALL, ReadWrite, Ignored];
            }
            other {
        /// `ZMQ_SUBSCRIBE` (SUB): see [`Socket::subscribe`](crate::Socket::subscribe).
        Subscribe(subscribe) ZMQ_SUBSCRIBE = 6, bytes = Bytes::new(), ANY, Some(&[Sub]), WriteOnly;
        /// `ZMQ_UNSUBSCRIBE` (SUB): see [`Socket::unsubscribe`](crate::Socket::unsubscribe).
        Unsubscribe(unsubscribe) ZMQ_UNSUBSCRIBE = 7,
            bytes = Bytes::new(), ANY, Some(&[Sub]), WriteOnly;
        /// `ZMQ_TYPE`: the socket type's number.
        Type(socket_type) ZMQ_TYPE = 16, int = 0, ANY, ALL, ReadOnly;
        /// `ZMQ_RCVMORE`: 1 when the last frame read is followed by more of its message.
        Rcvmore(rcvmore) ZMQ_RCVMORE = 13, int = 0, ANY, ALL, ReadOnly;
        /// `ZMQ_EVENTS`: `ZMQ_POLLIN` | `ZMQ_POLLOUT`, as [`Socket::events`](crate::Socket::events).
        Events(events) ZMQ_EVENTS = 15, int = 0, ANY, ALL, ReadOnly;
        /// `ZMQ_FD`: see [`Socket::fd`](crate::Socket::fd).
        Fd(fd) ZMQ_FD = 14, int = -1, ANY, ALL, ReadOnly;
        /// `ZMQ_THREAD_SAFE`: 0, as for each of libzmq's classic socket types.
        ThreadSafe(thread_safe) ZMQ_THREAD_SAFE = 81, int = 0, ANY, ALL, ReadOnly;
        /// `ZMQ_MECHANISM`: the security mechanism the options set: 0 (`ZMQ_NULL`), 1
        /// (`ZMQ_PLAIN`) or 2 (`ZMQ_CURVE`).
        Mechanism(mechanism) ZMQ_MECHANISM = 43, int = 0, ANY, ALL, ReadOnly;
        /// `ZMQ_PLAIN_SERVER`: 1 makes this socket a PLAIN server, which asks the ZAP handler
        /// about every client's user name and password (and refuses every client while none
        /// is bound); 0 goes back to NULL. See [`Socket::set_plain_server`](crate::Socket::set_plain_server).
        PlainServer(plain_server) ZMQ_PLAIN_SERVER = 44, bool = false, ANY, ALL, ReadWrite;
        /// `ZMQ_PLAIN_USERNAME`: makes this socket a PLAIN client with this user name (up to
        /// 255 bytes; empty goes back to NULL).
        PlainUsername(plain_username) ZMQ_PLAIN_USERNAME = 45,
            bytes = Bytes::new(), within(0, 255), ALL, ReadWrite;
        /// `ZMQ_PLAIN_PASSWORD`: makes this socket a PLAIN client with this password (up to
        /// 255 bytes, sent in clear text; empty goes back to NULL).
        PlainPassword(plain_password) ZMQ_PLAIN_PASSWORD = 46,
            bytes = Bytes::new(), within(0, 255), ALL, ReadWrite;
        /// `ZMQ_CURVE_SERVER`: 1 makes this socket a CURVE server (RFC 25, 26) with the
        /// long-term key pair of `curve_secretkey`, for connections made after it: traffic is
        /// encrypted and each client's public key goes to the ZAP handler, if one is bound
        /// (without one, any client that knows our public key gets in). 0 goes back to NULL.
        CurveServer(curve_server) ZMQ_CURVE_SERVER = 47, bool = false, ANY, ALL, ReadWrite;
        /// `ZMQ_CURVE_PUBLICKEY`: our long-term public key (32 bytes, or 40 Z85 characters,
        /// or 41 ending in NUL); kept and read back, the key in use being the secret key's.
        CurvePublickey(curve_publickey) ZMQ_CURVE_PUBLICKEY = 48,
            bytes = Bytes::from_static(&[0; 32]), within(32, 41), ALL, ReadWrite;
        /// `ZMQ_CURVE_SECRETKEY`: our long-term secret key, in the same forms. A client
        /// without one makes a fresh key pair for each connection.
        CurveSecretkey(curve_secretkey) ZMQ_CURVE_SECRETKEY = 49,
            bytes = Bytes::from_static(&[0; 32]), within(32, 41), ALL, ReadWrite;
        /// `ZMQ_CURVE_SERVERKEY`: makes this socket a CURVE client of the server with this
        /// long-term public key, in the same forms.
        CurveServerkey(curve_serverkey) ZMQ_CURVE_SERVERKEY = 50,
            bytes = Bytes::from_static(&[0; 32]), within(32, 41), ALL, ReadWrite;
        /// `ZMQ_ZAP_DOMAIN`: the domain in this socket's ZAP requests (up to 255 bytes). With
        /// NULL, setting one makes the socket ask the ZAP handler about every peer.
        ZapDomain(zap_domain) ZMQ_ZAP_DOMAIN = 55,
            bytes = Bytes::new(), within(0, 255), ALL, ReadWrite;
        /// `ZMQ_ZAP_ENFORCE_DOMAIN`: with NULL and a domain, refuse peers while no ZAP handler
        /// is bound instead of admitting them (libzmq's default, false, admits).
        ZapEnforceDomain(zap_enforce_domain) ZMQ_ZAP_ENFORCE_DOMAIN = 93,
            bool = false, ANY, ALL, ReadWrite;
        /// `ZMQ_LAST_ENDPOINT`: the last endpoint bound or connected, wildcards resolved.
        LastEndpoint(last_endpoint) ZMQ_LAST_ENDPOINT = 32,
            string = String::new(), ANY, ALL, ReadOnly;
            }
        }
    };
}
pub(crate) use option_rows;

option_rows!(options_table);

/// What a few options do to an accepted value beyond its range: `Err` says why it is refused.
pub(super) fn normalize(
    option: SocketOption,
    value: OptionValue,
) -> std::result::Result<OptionValue, &'static str> {
    match (option, value) {
        (SocketOption::RoutingId | SocketOption::ConnectRoutingId, OptionValue::Bytes(id))
            if id.first() == Some(&0) =>
        {
            Err("a routing id may not start with a zero byte (reserved for generated ids)")
        }
        // Kept in tenths of a second, as the PING carries it.
        (SocketOption::HeartbeatTtl, OptionValue::Int(ms)) => Ok(OptionValue::Int(ms / 100 * 100)),
        // Kept as 32 bytes, whichever form libzmq accepts came.
        (
            SocketOption::CurvePublickey
            | SocketOption::CurveSecretkey
            | SocketOption::CurveServerkey,
            OptionValue::Bytes(given),
        ) => match ferromq_zmtp::key::parse(&given) {
            Ok(key) => Ok(OptionValue::Bytes(Bytes::copy_from_slice(&key[..]))),
            Err(ferromq_zmtp::key::KeyError::Z85(_)) => {
                Err("40 characters that are not Z85 (RFC 32) text")
            }
            Err(_) => Err("a CURVE key is 32 bytes, or 40 Z85 characters (41 ending in NUL)"),
        },
        (_, value) => Ok(value),
    }
}
