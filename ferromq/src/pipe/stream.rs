//! A connection's socket as a sender or a receiver uses it without the I/O thread (pipes
//! layer): a duplicated, non-blocking descriptor.

use std::io::{self, IoSlice, Write};
use std::os::fd::{AsRawFd, RawFd};

use bytes::BytesMut;

/// A second handle on a connection's socket (a duplicated descriptor, non-blocking like the
/// I/O thread's), through which a sender writes or a receiver reads without the I/O thread.
pub(crate) enum RawStream {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl RawStream {
    /// The peer's IP address, for a tcp connection.
    pub fn peer_ip(&self) -> Option<std::net::IpAddr> {
        match self {
            RawStream::Tcp(s) => s.peer_addr().ok().map(|a| a.ip()),
            RawStream::Unix(_) => None,
        }
    }

    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            RawStream::Tcp(s) => (&*s).write_vectored(bufs),
            RawStream::Unix(s) => (&*s).write_vectored(bufs),
        }
    }

    /// Reads into `buf`'s spare capacity (which must not be empty), without zeroing it first.
    pub fn recv_into(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let sock = match self {
            RawStream::Tcp(s) => socket2::SockRef::from(s),
            RawStream::Unix(s) => socket2::SockRef::from(s),
        };
        let n = sock.recv(buf.spare_capacity_mut())?;
        let len = buf.len() + n;
        // SAFETY: `recv` initialised the first `n` bytes of the spare capacity, which begins
        // at `len - n`, so the first `len` bytes are initialised. (A safe read would zero 64 KiB
        // before every read.)
        #[allow(unsafe_code)]
        unsafe {
            buf.set_len(len)
        };
        Ok(n)
    }

    /// A second descriptor on the same socket.
    pub fn try_clone(&self) -> io::Result<RawStream> {
        Ok(match self {
            RawStream::Tcp(s) => RawStream::Tcp(s.try_clone()?),
            RawStream::Unix(s) => RawStream::Unix(s.try_clone()?),
        })
    }
}

impl AsRawFd for RawStream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            RawStream::Tcp(s) => s.as_raw_fd(),
            RawStream::Unix(s) => s.as_raw_fd(),
        }
    }
}
