//! Socket options (leaf data): libzmq's options as one table, one row per option.
//!
//! Each row gives an option's libzmq name and number, the type of its value, its default, the
//! values it accepts, the socket types that take it, whether libzmq lets it be set and read,
//! and whether ferromq acts on it. [`Socket::set_option`](crate::Socket::set_option) and
//! [`Socket::get_option`](crate::Socket::get_option), the typed accessors
//! (`set_sndhwm` ...) and the C ABI all go through these rows; the rows that keep a value
//! also declare its field in `Options`, so adding an option is adding one row.

use std::time::Duration;

use bytes::Bytes;

use crate::{Error, Result, SocketType};

mod security;
mod table;

pub use table::SocketOption;
pub(crate) use table::{arg_type, arg_value, field_type, option_rows, Options};

/// The type of an option's value, as libzmq's C API passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionKind {
    /// A C `int`.
    Int,
    /// A C `int` that must be 0 or 1.
    Bool,
    /// An `int64_t`.
    Int64,
    /// A `uint64_t`.
    UInt64,
    /// Bytes, of the length given.
    Bytes,
    /// A character string (in C, NUL-terminated when read).
    String,
}

/// The value of a socket option.
///
/// ```
/// use ferromq::{Context, OptionValue, SocketOption, SocketType};
///
/// let ctx = Context::new();
/// let s = ctx.socket(SocketType::Dealer)?;
/// s.set_option(SocketOption::Sndhwm, 10)?;
/// assert_eq!(s.get_option(SocketOption::Sndhwm)?, OptionValue::Int(10));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionValue {
    /// A C `int`.
    Int(i32),
    /// A C `int` that is 0 or 1.
    Bool(bool),
    /// An `int64_t`.
    Int64(i64),
    /// A `uint64_t`.
    UInt64(u64),
    /// Bytes.
    Bytes(Bytes),
    /// A character string.
    String(String),
}

impl OptionValue {
    /// The kind of value this is.
    pub fn kind(&self) -> OptionKind {
        match self {
            OptionValue::Int(_) => OptionKind::Int,
            OptionValue::Bool(_) => OptionKind::Bool,
            OptionValue::Int64(_) => OptionKind::Int64,
            OptionValue::UInt64(_) => OptionKind::UInt64,
            OptionValue::Bytes(_) => OptionKind::Bytes,
            OptionValue::String(_) => OptionKind::String,
        }
    }

    /// The value as an integer, for the integer and boolean kinds.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            OptionValue::Int(v) => Some(v.into()),
            OptionValue::Bool(v) => Some(v.into()),
            OptionValue::Int64(v) => Some(v),
            OptionValue::UInt64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value's bytes, for the bytes and string kinds.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            OptionValue::Bytes(b) => Some(b),
            OptionValue::String(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// This value as `kind`, where the two agree (an `Int` of 0 or 1 for a `Bool`, a string
    /// for bytes ...); `None` when they cannot.
    fn convert(self, kind: OptionKind) -> Option<OptionValue> {
        if self.kind() == kind {
            return Some(self);
        }
        Some(match kind {
            OptionKind::Int => OptionValue::Int(i32::try_from(self.as_i64()?).ok()?),
            OptionKind::Bool => match self.as_i64()? {
                0 => OptionValue::Bool(false),
                1 => OptionValue::Bool(true),
                _ => return None,
            },
            OptionKind::Int64 => OptionValue::Int64(self.as_i64()?),
            OptionKind::UInt64 => OptionValue::UInt64(u64::try_from(self.as_i64()?).ok()?),
            OptionKind::Bytes => OptionValue::Bytes(Bytes::copy_from_slice(self.as_bytes()?)),
            OptionKind::String => {
                OptionValue::String(String::from_utf8(self.as_bytes()?.to_vec()).ok()?)
            }
        })
    }
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Int(v) => write!(f, "{v}"),
            OptionValue::Bool(v) => write!(f, "{}", u8::from(*v)),
            OptionValue::Int64(v) => write!(f, "{v}"),
            OptionValue::UInt64(v) => write!(f, "{v}"),
            OptionValue::Bytes(b) => write!(f, "{} bytes", b.len()),
            OptionValue::String(s) => write!(f, "{s:?}"),
        }
    }
}

macro_rules! option_value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for OptionValue {
            fn from(v: $t) -> OptionValue {
                OptionValue::$variant(v.into())
            }
        }
    )*};
}

option_value_from! {
    i32 => Int,
    bool => Bool,
    i64 => Int64,
    u64 => UInt64,
    Bytes => Bytes,
    Vec<u8> => Bytes,
    String => String,
    &str => String,
}

impl From<&[u8]> for OptionValue {
    fn from(v: &[u8]) -> OptionValue {
        OptionValue::Bytes(Bytes::copy_from_slice(v))
    }
}

/// What libzmq's C API allows with an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// Set and read.
    ReadWrite,
    /// Set only: libzmq's `zmq_getsockopt` refuses it (ferromq's `get_option` still reads
    /// what it keeps).
    WriteOnly,
    /// Read only.
    ReadOnly,
}

impl Access {
    /// Whether the option can be set.
    pub fn settable(self) -> bool {
        self != Access::ReadOnly
    }

    /// Whether libzmq's `zmq_getsockopt` reads it.
    pub fn libzmq_readable(self) -> bool {
        self != Access::WriteOnly
    }
}

/// Whether ferromq does what an option asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Effect {
    /// It does.
    Acts,
    /// The option is kept and read back, as libzmq does, but changes nothing here: it
    /// concerns a transport or feature ferromq does not have (PGM's `ZMQ_RATE`, thread
    /// affinity ...).
    Ignored,
}

/// One row of the options table.
#[derive(Debug)]
#[non_exhaustive]
pub struct OptionSpec {
    /// The option.
    pub option: SocketOption,
    /// Its name in errors and in ferromq's accessors: `"sndhwm"`.
    pub name: &'static str,
    /// libzmq's name: `"ZMQ_SNDHWM"`.
    pub zmq_name: &'static str,
    /// libzmq's number: `ZMQ_SNDHWM` is 23.
    pub number: i32,
    /// The type of its value.
    pub kind: OptionKind,
    /// Its value on a new socket (for a read-only option, what it reads before anything
    /// happened).
    pub default: OptionValue,
    /// The values accepted (inclusive): for an integer its value, for bytes their length.
    pub range: Option<(i64, i64)>,
    /// The socket types that take it; `None`: every type.
    pub types: Option<&'static [SocketType]>,
    /// Whether it can be set and read.
    pub access: Access,
    /// Whether ferromq acts on it.
    pub effect: Effect,
}

impl OptionSpec {
    /// Checks `value` for a socket of type `socket_type` and returns it as it is kept
    /// (converted to the option's kind, rounded where libzmq rounds).
    ///
    /// # Errors
    /// [`Error::InvalidOption`], naming the option and what is wrong.
    pub fn accept(&self, socket_type: SocketType, value: OptionValue) -> Result<OptionValue> {
        let invalid = |reason: String| Error::InvalidOption {
            option: self.name,
            reason,
        };
        if !self.access.settable() {
            return Err(invalid("it is read-only".into()));
        }
        self.check_type(socket_type)?;
        let given = value.to_string();
        let value = value.convert(self.kind).ok_or_else(|| {
            invalid(format!(
                "{given} is not a {}",
                match self.kind {
                    OptionKind::Int => "32-bit integer",
                    OptionKind::Bool => "boolean (0 or 1)",
                    OptionKind::Int64 => "64-bit integer",
                    OptionKind::UInt64 => "unsigned 64-bit integer",
                    OptionKind::Bytes => "byte string",
                    OptionKind::String => "UTF-8 string",
                }
            ))
        })?;
        if let Some((min, max)) = self.range {
            match (value.as_i64(), value.as_bytes()) {
                (Some(v), _) if v < min && max == i64::MAX => {
                    return Err(invalid(format!("{v} is below the minimum of {min}")));
                }
                (Some(v), _) if v < min || v > max => {
                    return Err(invalid(format!("{v} is outside {min} to {max}")));
                }
                (None, Some(b)) if (b.len() as i64) < min || b.len() as i64 > max => {
                    return Err(invalid(format!(
                        "{} bytes is outside the {min} to {max} allowed",
                        b.len()
                    )));
                }
                _ => {}
            }
        }
        table::normalize(self.option, value).map_err(|reason| invalid(reason.into()))
    }

    /// Checks that a socket of type `socket_type` takes this option.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the option and the types that take it.
    pub fn check_type(&self, socket_type: SocketType) -> Result<()> {
        match self.types {
            Some(types) if !types.contains(&socket_type) => {
                let names: Vec<_> = types.iter().map(|t| t.as_str()).collect();
                Err(Error::InvalidOption {
                    option: self.name,
                    reason: format!(
                        "only {} sockets have it, this is a {socket_type}",
                        names.join(" and "),
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

impl SocketOption {
    /// This option's row of the table.
    pub fn spec(self) -> &'static OptionSpec {
        &table::OPTIONS[self as usize]
    }

    /// The option with libzmq's number `number` (`ZMQ_SNDHWM` is 23), if ferromq has it.
    pub fn from_number(number: i32) -> Option<SocketOption> {
        table::OPTIONS
            .iter()
            .find(|s| s.number == number)
            .map(|s| s.option)
    }

    /// The option named `name`: ferromq's name (`"sndhwm"`) or libzmq's (`"ZMQ_SNDHWM"`),
    /// in any case.
    pub fn from_name(name: &str) -> Option<SocketOption> {
        table::OPTIONS
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name) || s.zmq_name.eq_ignore_ascii_case(name))
            .map(|s| s.option)
    }

    /// Every option ferromq knows, in table order.
    pub fn all() -> impl Iterator<Item = SocketOption> {
        table::OPTIONS.iter().map(|s| s.option)
    }
}

impl std::fmt::Display for SocketOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec().name)
    }
}

/// A field type of [`Options`], stored from an accepted [`OptionValue`].
trait Field: Sized {
    fn from_value(value: OptionValue) -> Option<Self>;
    fn to_value(&self) -> OptionValue;
}

macro_rules! field {
    ($($t:ty => $variant:ident),*) => {$(
        impl Field for $t {
            fn from_value(value: OptionValue) -> Option<Self> {
                match value {
                    OptionValue::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn to_value(&self) -> OptionValue {
                OptionValue::$variant(self.clone())
            }
        }
    )*};
}

field!(i32 => Int, bool => Bool, i64 => Int64, u64 => UInt64, Bytes => Bytes);

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
        if let Ok(ms @ 1..) = u64::try_from(self.tcp_maxrt) {
            let _ = socket.set_tcp_user_timeout(Some(Duration::from_millis(ms)));
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

    /// The longest a tcp connect may take; `None` when 0 (the system's limit).
    pub fn connect_timeout(&self) -> Option<Duration> {
        u64::try_from(self.connect_timeout)
            .ok()
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis)
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
