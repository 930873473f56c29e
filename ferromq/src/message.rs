//! Messages (leaf): a list of frames, each a `Bytes`, and what a send takes.

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

/// Frames at least this large are shared rather than copied on their way out to a tcp or ipc
/// peer: a connection's write batch holds them by reference, and a borrowed one is copied
/// once, before any lock. Smaller frames are copied into the batch whatever their owner, so
/// a caller holding one gains nothing by handing it over: sending it borrowed costs the same
/// copy and keeps its memory with the caller.
pub const ZERO_COPY_MIN: usize = 32 * 1024;

/// A ZeroMQ message: one or more frames, each a [`Bytes`] payload.
///
/// Cloning a message or a frame never copies payloads. A received frame is a slice of the
/// buffer it was read into.
///
/// ```
/// use ferromq::Message;
///
/// let single = Message::from("hello");
/// assert_eq!(single.len(), 1);
/// let multi = Message::from(["key", "value"]);
/// assert_eq!(multi[1], "value");
/// let owned = Message::from(vec![b"raw".to_vec()]);
/// assert_eq!(owned.first().unwrap(), "raw");
/// ```
#[derive(Clone, Default)]
pub struct Message {
    frames: Frames,
    /// The sending peer's properties, on a socket that keeps them
    /// ([`Socket::set_message_properties`](crate::Socket::set_message_properties)). Dropped
    /// by hand, out of line: a message without them (the hot path's) drops as if the field
    /// were not there.
    properties: ManuallyDrop<Option<Arc<Properties>>>,
}

impl Drop for Message {
    #[inline(always)]
    fn drop(&mut self) {
        if self.properties.is_some() {
            self.drop_properties();
        }
    }
}

/// What is known of the peer a message came from, by name, as libzmq's `zmq_msg_gets` gives
/// it: the properties of the peer's READY command (`Socket-Type`, `Identity`, and whatever
/// else it sent), and `Peer-Address`, the peer's IP address, for a tcp peer.
///
/// ```
/// use ferromq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let pull = ctx.socket(SocketType::Pull)?;
/// pull.set_message_properties(true);
/// pull.bind("tcp://127.0.0.1:*")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect(&pull.last_endpoint().unwrap())?;
/// push.send("job")?;
/// let msg = pull.recv()?;
/// assert_eq!(msg.property("Socket-Type"), Some(&b"PUSH"[..]));
/// assert_eq!(msg.property("Peer-Address"), Some(&b"127.0.0.1"[..]));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    /// Names and values; each value is stored with a NUL after it, for C callers.
    entries: Vec<(String, Bytes)>,
}

impl Properties {
    /// Properties with these names and values (a later name does not replace an earlier one:
    /// lookups find the first).
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Properties {
        let entries = entries
            .into_iter()
            .map(|(name, value)| {
                let mut v = BytesMut::with_capacity(value.len() + 1);
                v.put_slice(value);
                v.put_u8(0);
                (name.to_owned(), v.freeze())
            })
            .collect();
        Properties { entries }
    }

    /// The value of property `name`. As in libzmq, the name must match exactly, and
    /// `Identity`, the deprecated name, finds `Routing-Id` too.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let v = self.find(name)?;
        Some(&v[..v.len() - 1])
    }

    fn find(&self, name: &str) -> Option<&Bytes> {
        let found = self.entries.iter().find(|(n, _)| n == name);
        match found {
            Some((_, v)) => Some(v),
            None if name == "Identity" => self.find("Routing-Id"),
            None => None,
        }
    }

    /// The value as a C string, up to its first NUL (what `zmq_msg_gets` returns).
    #[doc(hidden)] // for the C API
    pub fn get_c(&self, name: &str) -> Option<&std::ffi::CStr> {
        std::ffi::CStr::from_bytes_until_nul(self.find(name)?).ok()
    }

    /// Every name and value, in the order the peer sent them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries
            .iter()
            .map(|(n, v)| (n.as_str(), &v[..v.len() - 1]))
    }
}

/// Most messages have one frame: keep it inline so that a message costs no allocation of its
/// own.
#[derive(Clone)]
enum Frames {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Default for Frames {
    fn default() -> Self {
        Frames::Many(Vec::new())
    }
}

impl Frames {
    fn as_slice(&self) -> &[Bytes] {
        match self {
            Frames::One(b) => std::slice::from_ref(b),
            Frames::Many(v) => v,
        }
    }

    /// The frames as a vector, moving a single inline frame into one.
    fn as_vec(&mut self) -> &mut Vec<Bytes> {
        if let Frames::One(b) = self {
            let b = std::mem::take(b);
            *self = Frames::Many(vec![b]);
        }
        match self {
            Frames::Many(v) => v,
            Frames::One(_) => unreachable!("converted above"),
        }
    }

    fn into_vec(self) -> Vec<Bytes> {
        match self {
            Frames::One(b) => vec![b],
            Frames::Many(v) => v,
        }
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.frames() == other.frames()
    }
}

impl Eq for Message {}

impl std::hash::Hash for Message {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.frames().hash(state)
    }
}

impl Message {
    /// A subscription message, as XPUB applications read it, XSUB applications write it and
    /// ZMTP 3.0 peers send it: one frame, 1 (subscribe) or 0 (cancel), then the topic.
    pub(crate) fn subscription(subscribe: bool, topic: &[u8]) -> Message {
        let mut m = BytesMut::with_capacity(topic.len() + 1);
        m.put_u8(u8::from(subscribe));
        m.put_slice(topic);
        Message::from(m.freeze())
    }

    /// Reads a subscription message: whether it subscribes, and the topic.
    pub(crate) fn as_subscription(&self) -> Option<(bool, Bytes)> {
        if self.len() != 1 {
            return None;
        }
        let frame = &self[0];
        match frame.first() {
            Some(1) => Some((true, frame.slice(1..))),
            Some(0) => Some((false, frame.slice(1..))),
            _ => None,
        }
    }

    /// A message with no frames; push at least one before sending.
    pub fn new() -> Self {
        Message::default()
    }

    /// A message of the given frames.
    pub fn from_frames<I, F>(frames: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<Bytes>,
    {
        Message::from(frames.into_iter().map(Into::into).collect::<Vec<Bytes>>())
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames().len()
    }

    /// Whether the message has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames().is_empty()
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        self.frames.as_slice()
    }

    /// Iterates over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames().iter()
    }

    /// The first frame.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames().first()
    }

    /// The last frame.
    pub fn last(&self) -> Option<&Bytes> {
        self.frames().last()
    }

    /// Appends a frame.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
            frames => frames.as_vec().push(frame),
        }
    }

    /// Prepends a frame (a routing id, a delimiter ...).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        self.frames.as_vec().insert(0, frame.into());
    }

    /// Removes and returns the first frame.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match &mut self.frames {
            Frames::One(b) => {
                let b = std::mem::take(b);
                self.frames = Frames::default();
                Some(b)
            }
            Frames::Many(v) if v.is_empty() => None,
            Frames::Many(v) => Some(v.remove(0)),
        }
    }

    /// The frame of a single-frame message without properties, taking the message apart at
    /// no cost; the message back otherwise.
    ///
    /// ```
    /// use ferromq::Message;
    ///
    /// assert_eq!(Message::from("one").into_single().unwrap(), "one");
    /// assert_eq!(Message::from(["a", "b"]).into_single().unwrap_err().len(), 2);
    /// ```
    #[inline]
    pub fn into_single(self) -> Result<Bytes, Message> {
        let mut this = ManuallyDrop::new(self);
        let bare = this.properties.is_none();
        match &mut this.frames {
            // What is left is an empty `Bytes` and no properties: nothing to drop.
            Frames::One(b) if bare => Ok(std::mem::take(b)),
            _ => Err(ManuallyDrop::into_inner(this)),
        }
    }

    /// Removes and returns the last frame.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        match &mut self.frames {
            Frames::One(_) => self.pop_front(),
            Frames::Many(v) => v.pop(),
        }
    }

    /// Total payload bytes over all frames.
    pub fn byte_len(&self) -> usize {
        self.iter().map(Bytes::len).sum()
    }

    /// Takes the frames out.
    pub fn into_frames(self) -> Vec<Bytes> {
        let mut this = self;
        std::mem::take(&mut this.frames).into_vec()
    }

    #[cold]
    #[inline(never)]
    fn drop_properties(&mut self) {
        drop(self.properties.take());
    }

    /// Splits off the frames from `at` on, leaving `[0, at)` in `self`.
    pub(crate) fn split_off(&mut self, at: usize) -> Message {
        let mut rest = Message::from(self.frames.as_vec().split_off(at));
        rest.properties.clone_from(&self.properties);
        rest
    }

    /// The sending peer's property `name` (see [`Properties`]); `None` when the peer did
    /// not send it or the socket does not keep properties
    /// ([`Socket::set_message_properties`](crate::Socket::set_message_properties)).
    pub fn property(&self, name: &str) -> Option<&[u8]> {
        self.properties.as_ref()?.get(name)
    }

    /// All of the sending peer's properties, on a socket that keeps them.
    pub fn properties(&self) -> Option<&Arc<Properties>> {
        self.properties.as_ref()
    }

    /// Takes the properties out: the message no longer carries them.
    pub fn take_properties(&mut self) -> Option<Arc<Properties>> {
        self.properties.take()
    }

    pub(crate) fn set_properties(&mut self, properties: Arc<Properties>) {
        *self.properties = Some(properties);
    }

    /// Inserts frames in front.
    pub(crate) fn prepend(&mut self, mut front: Vec<Bytes>) {
        let rest = std::mem::take(&mut self.frames).into_vec();
        front.extend(rest);
        self.frames = Frames::Many(front);
    }
}

impl std::ops::Index<usize> for Message {
    type Output = Bytes;
    fn index(&self, i: usize) -> &Bytes {
        &self.frames()[i]
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_frames().into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames().iter()
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message {
            frames: Frames::One(b),
            properties: ManuallyDrop::new(None),
        }
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Message::from(Bytes::from(v))
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::from(Bytes::from(s))
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::from(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<&[u8]> for Message {
    fn from(s: &[u8]) -> Self {
        Message::from(Bytes::copy_from_slice(s))
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(s: &[u8; N]) -> Self {
        Message::from(&s[..])
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(mut frames: Vec<Bytes>) -> Self {
        if frames.len() == 1 {
            Message::from(frames.pop().expect("one frame"))
        } else {
            Message {
                frames: Frames::Many(frames),
                properties: ManuallyDrop::new(None),
            }
        }
    }
}

impl From<Vec<Vec<u8>>> for Message {
    fn from(frames: Vec<Vec<u8>>) -> Self {
        Message::from_frames(frames)
    }
}

impl<const N: usize> From<[&str; N]> for Message {
    fn from(frames: [&str; N]) -> Self {
        Message::from_frames(frames.map(|s| Bytes::copy_from_slice(s.as_bytes())))
    }
}

impl<const N: usize> From<[Bytes; N]> for Message {
    fn from(frames: [Bytes; N]) -> Self {
        Message::from_frames(frames)
    }
}

impl<const N: usize> From<[&[u8]; N]> for Message {
    fn from(frames: [&[u8]; N]) -> Self {
        Message::from_frames(frames.map(Bytes::copy_from_slice))
    }
}

impl FromIterator<Bytes> for Message {
    fn from_iter<T: IntoIterator<Item = Bytes>>(iter: T) -> Self {
        Message::from(iter.into_iter().collect::<Vec<Bytes>>())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|b| DisplayFrame(b)))
            .finish()
    }
}

struct DisplayFrame<'a>(&'a [u8]);

impl fmt::Debug for DisplayFrame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_frame(self.0))
    }
}

/// A frame as text when it is printable UTF-8, else as `0x` and hex (the form `fmq` uses).
pub(crate) fn display_frame(frame: &[u8]) -> String {
    match std::str::from_utf8(frame) {
        Ok(s) if !s.chars().any(|c| c.is_control()) => format!("{s:?}"),
        _ => {
            let mut out = String::with_capacity(2 + 2 * frame.len());
            out.push_str("0x");
            for b in frame {
                out.push_str(&format!("{b:02x}"));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_shared_not_copied() {
        let payload = Bytes::from(vec![7u8; 1 << 20]);
        let m = Message::from(payload.clone());
        let c = m.clone();
        assert_eq!(c[0].as_ptr(), payload.as_ptr());
    }

    #[test]
    fn front_and_back() {
        let mut m = Message::from(["b"]);
        m.push_front("a");
        m.push_back("c");
        assert_eq!(m.byte_len(), 3);
        assert_eq!(m.pop_front().unwrap(), "a");
        assert_eq!(m.pop_back().unwrap(), "c");
        assert_eq!(format!("{m:?}"), "[\"b\"]");
        assert_eq!(m.pop_back().unwrap(), "b");
        assert!(m.is_empty() && m.pop_front().is_none());
        m.push_back("x");
        assert_eq!(m.len(), 1);
        assert_eq!(m.split_off(0), Message::from("x"));
        assert_eq!(display_frame(&[0, 1, 0xff]), "0x0001ff");
    }
}

/// A message on its way out: owned, or borrowed from the caller where the caller allows it, so
/// that a send encodes straight from the borrow and copies only what must wait.
#[derive(Debug)]
pub enum Outgoing<'a> {
    Owned(Message),
    /// A message sent to several peers (a fan-out), or by reference.
    Borrowed(&'a Message),
    /// One frame borrowed from the caller (`&[u8]`, `&str` ...).
    Frame(&'a [u8]),
}

impl<'a> Outgoing<'a> {
    /// Drops the message once it is encoded. Only an owned message holds anything; for the
    /// borrowed kinds this costs nothing, where a plain drop calls the enum's drop glue,
    /// which the compiler does not always inline into a send (16 instructions of a 16 B
    /// send, callgrind).
    #[inline(always)]
    pub fn release(self) {
        if let Outgoing::Owned(m) = self {
            drop(m);
        }
    }

    /// The message as it is kept: a borrowed one is cloned (frames are shared, not copied), a
    /// borrowed frame copied.
    pub fn into_owned(self) -> Message {
        match self {
            Outgoing::Owned(m) => m,
            Outgoing::Borrowed(m) => m.clone(),
            Outgoing::Frame(f) => Message::from(f),
        }
    }

    /// The same message, borrowed (to hand to several peers).
    pub fn reborrow(&self) -> Outgoing<'_> {
        match self {
            Outgoing::Owned(m) => Outgoing::Borrowed(m),
            Outgoing::Borrowed(m) => Outgoing::Borrowed(m),
            Outgoing::Frame(f) => Outgoing::Frame(f),
        }
    }

    /// The whole message, owned or borrowed; `None` for a single borrowed frame.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Outgoing::Owned(m) => Some(m),
            Outgoing::Borrowed(m) => Some(m),
            Outgoing::Frame(_) => None,
        }
    }

    /// The first frame (a message has at least one by the time it is routed).
    pub fn first(&self) -> Option<&[u8]> {
        match self {
            Outgoing::Frame(f) => Some(f),
            _ => self.message()?.first().map(|b| &b[..]),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.message().is_some_and(Message::is_empty)
    }
}

/// What [`Socket::send`](crate::Socket::send) takes: a [`Message`], or data that makes one.
///
/// Borrowed data (`&[u8]`, `&str`, `&[u8; N]`, `&Vec<u8>`, `&String`, `&Bytes`, `&Message`)
/// is copied, as libzmq's `zmq_send` copies its buffer, but straight into the connection's
/// outgoing batch as it is encoded: a small message sent to a tcp or ipc peer by PUSH,
/// DEALER, PAIR, PUB or XPUB costs no allocation. Where it must be kept, borrowed bytes are
/// copied into a message of their own, and a borrowed `&Message` is cloned (its frames
/// shared): when it waits beyond the batch (at the high-water mark), with `conflate`, for the
/// patterns that add or read envelope frames (REQ, REP, ROUTER, XSUB), and for an inproc peer
/// (which copies frames of up to 256 bytes into its arena instead). A frame of 32 KiB or more
/// is copied once, or shared for `&Bytes` and `&Message`.
///
/// Owned data (`Message`, `Bytes`, `Vec<u8>`, `String`, `Vec<Bytes>`, `Vec<Vec<u8>>`,
/// `[Bytes; N]`) is moved into the message, and its frames of 32 KiB and more go to the wire
/// without being copied. Arrays of borrowed frames (`[&str; N]`, `[&[u8]; N]`) are copied
/// into a new message.
///
/// ```
/// # fn main() -> ferromq::Result<()> {
/// use ferromq::{Context, Message, SocketType};
///
/// let ctx = Context::new();
/// let push = ctx.socket(SocketType::Push)?;
/// push.bind("inproc://sendable")?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// pull.connect("inproc://sendable")?;
///
/// let buf = [1u8, 2, 3];
/// push.send(&buf[..])?; // copied, no allocation on tcp or ipc
/// push.send(vec![4u8, 5])?; // moved
/// let parts = Message::from(["key", "value"]);
/// push.send(&parts)?; // borrowed, sent again below
/// push.send(parts)?;
/// assert_eq!(pull.recv()?[0], &buf[..]);
/// # Ok(())
/// # }
/// ```
pub trait Sendable<'a>: sealed::Sealed<'a> {}

impl<'a, T: sealed::Sealed<'a>> Sendable<'a> for T {}

pub(crate) mod sealed {
    use super::{Bytes, Message, Outgoing, ZERO_COPY_MIN};

    pub trait Sealed<'a> {
        fn outgoing(self) -> Outgoing<'a>;
    }

    /// Owned data: converted into a message.
    macro_rules! owned {
        ($($t:ty),*) => {$(
            impl<'a> Sealed<'a> for $t {
                fn outgoing(self) -> Outgoing<'a> {
                    Outgoing::Owned(Message::from(self))
                }
            }
        )*};
    }
    owned!(Message, Bytes, Vec<u8>, String, Vec<Bytes>, Vec<Vec<u8>>);

    /// Arrays of frames: converted into a message.
    macro_rules! owned_array {
        ($($t:ty),*) => {$(
            impl<'a, const N: usize> Sealed<'a> for [$t; N] {
                fn outgoing(self) -> Outgoing<'a> {
                    Outgoing::Owned(Message::from(self))
                }
            }
        )*};
    }
    owned_array!(&str, Bytes, &[u8]);

    /// A borrowed single frame: encoded from the borrow when small. A large one is copied
    /// here, before any lock is taken, and then written from that copy without another.
    #[inline]
    fn borrowed(frame: &[u8]) -> Outgoing<'_> {
        if frame.len() >= ZERO_COPY_MIN {
            Outgoing::Owned(Message::from(Bytes::copy_from_slice(frame)))
        } else {
            Outgoing::Frame(frame)
        }
    }

    macro_rules! frame {
        ($($t:ty),*) => {$(
            impl<'a> Sealed<'a> for &'a $t {
                #[inline]
                fn outgoing(self) -> Outgoing<'a> {
                    borrowed(self.as_ref())
                }
            }
        )*};
    }
    frame!([u8], str, Vec<u8>, String);

    /// Small frames are copied; large ones shared.
    impl<'a> Sealed<'a> for &'a Bytes {
        #[inline]
        fn outgoing(self) -> Outgoing<'a> {
            if self.len() >= ZERO_COPY_MIN {
                Outgoing::Owned(Message::from(self.clone()))
            } else {
                Outgoing::Frame(self)
            }
        }
    }

    impl<'a, const N: usize> Sealed<'a> for &'a [u8; N] {
        #[inline]
        fn outgoing(self) -> Outgoing<'a> {
            borrowed(self)
        }
    }

    impl<'a> Sealed<'a> for &'a Message {
        #[inline]
        fn outgoing(self) -> Outgoing<'a> {
            Outgoing::Borrowed(self)
        }
    }
}
