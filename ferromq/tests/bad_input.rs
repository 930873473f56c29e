//! Malformed input from raw TCP peers: each bad connection is closed, nothing panics, and a
//! well-behaved libzmq peer is still served afterwards.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use ferromq::{Context, Socket, SocketType as T};
use ferromq_zmtp::{encode, greeting::Greeting, Command, Config, Connection, Metadata};

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts every panic in the process, including on ferromq's I/O thread, where a panicking
/// task would otherwise go unnoticed.
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// A bound ferromq PULL socket and its endpoint.
fn server(ctx: &Context, setup: impl FnOnce(&Socket)) -> (Socket, String) {
    server_over(ctx, Transport::Tcp, setup)
}

fn server_over(
    ctx: &Context,
    transport: Transport,
    setup: impl FnOnce(&Socket),
) -> (Socket, String) {
    count_panics();
    let s = ferro(ctx, T::Pull);
    setup(&s);
    let ep = ferro_bind_over(&s, transport);
    (s, ep)
}

/// A raw byte stream to a tcp or ipc endpoint.
trait Raw: Read + Write {}
impl Raw for TcpStream {}
impl Raw for UnixStream {}

fn raw(ep: &str) -> Box<dyn Raw> {
    let timeout = Some(Duration::from_millis(TIMEOUT_MS as u64));
    if let Some(path) = ep.strip_prefix("ipc://") {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(timeout).unwrap();
        Box::new(s)
    } else {
        let s = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
        s.set_read_timeout(timeout).unwrap();
        Box::new(s)
    }
}

/// Reads until the server closes the connection; fails if it is still open after the
/// timeout. Returns what the server sent.
fn expect_closed(mut s: Box<dyn Raw>) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("server did not close the connection: {e}"),
        }
    }
}

/// Our greeting and a READY as a PUSH, like a well-behaved peer.
fn good_handshake() -> Vec<u8> {
    let mut c = Connection::new(Config::new(ferromq_zmtp::SocketType::Push));
    let mut out = BytesMut::new();
    c.poll_transmit(&mut out);
    out.to_vec()
}

fn ready_with(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = Metadata::new();
    for (n, v) in props {
        m.push(*n, bytes::Bytes::copy_from_slice(v));
    }
    let mut out = BytesMut::from(&Greeting::encode("NULL", false)[..]);
    Command::Ready(m).encode(&mut out);
    out.to_vec()
}

/// A libzmq PUSH connects and its message arrives: the server still serves good peers.
fn still_serves(pull: &Socket, ep: &str) {
    let zctx = zmq::Context::new();
    let push = libzmq(&zctx, zmq::PUSH);
    push.connect(ep).unwrap();
    push.send("still served", 0).unwrap();
    assert_eq!(pull.recv().unwrap()[0], "still served");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "something panicked");
}

/// Sends `bytes` on a raw connection, over tcp and over ipc, and checks the server closes it
/// and keeps serving. Returns what the server sent over tcp.
fn refused(bytes: &[u8], setup: impl Fn(&Socket)) -> Vec<u8> {
    let mut first = None;
    for transport in [Transport::Tcp, Transport::Ipc] {
        let ctx = Context::new();
        let (pull, ep) = server_over(&ctx, transport, &setup);
        let mut s = raw(&ep);
        s.write_all(bytes).unwrap();
        let reply = expect_closed(s);
        still_serves(&pull, &ep);
        first.get_or_insert(reply);
    }
    first.expect("ran at least once")
}

#[test]
fn http_request() {
    refused(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", |_| {});
}

#[test]
fn zmtp_2_greeting() {
    let mut g = Greeting::encode("NULL", false);
    g[10] = 2;
    g[11] = 0;
    refused(&g, |_| {});
}

#[test]
fn other_security_mechanism() {
    refused(&Greeting::encode("CURVE", false), |_| {});
}

#[test]
fn reserved_flag_bits() {
    let mut wire = good_handshake();
    wire.extend_from_slice(&[0x80, 1, b'x']);
    refused(&wire, |_| {});
}

#[test]
fn frame_claiming_2_pow_62_bytes() {
    let mut wire = good_handshake();
    wire.extend_from_slice(&[0x02, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    wire.extend_from_slice(&[0u8; 1000]);
    refused(&wire, |_| {});
}

#[test]
fn command_name_longer_than_its_body() {
    let mut wire = good_handshake();
    wire.extend_from_slice(b"\x04\x03\x09SUB");
    refused(&wire, |_| {});
}

#[test]
fn ready_without_socket_type_is_told_why() {
    let reply = refused(&ready_with(&[("Identity", b"")]), |_| {});
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.contains("ERROR") && text.contains("Socket-Type"),
        "{text}"
    );
}

#[test]
fn incompatible_socket_type_is_told_why() {
    let reply = refused(&ready_with(&[("Socket-Type", b"PULL")]), |_| {});
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("ERROR") && text.contains("PULL"), "{text}");
}

#[test]
fn message_over_maxmsgsize() {
    let mut wire = good_handshake();
    let mut frames = BytesMut::new();
    encode::frame(&mut frames, &[1; 100], false);
    encode::frame(&mut frames, &[2; 101], false);
    wire.extend_from_slice(&frames);
    let ctx = Context::new();
    let (pull, ep) = server(&ctx, |s| s.set_maxmsgsize(100).unwrap());
    let mut s = raw(&ep);
    s.write_all(&wire).unwrap();
    expect_closed(s);
    // The frame within the limit was delivered; the one over it was not.
    assert_eq!(pull.recv().unwrap()[0], [1; 100][..]);
    still_serves(&pull, &ep);
}

#[test]
fn truncated_handshake_is_dropped_after_handshake_ivl() {
    let ctx = Context::new();
    let (pull, ep) = server(&ctx, |s| s.set_handshake_ivl(200).unwrap());
    let mut s = raw(&ep);
    s.write_all(&good_handshake()[..30]).unwrap(); // half a greeting, then silence
    expect_closed(s);
    still_serves(&pull, &ep);
}

#[test]
fn garbage_after_a_good_handshake_from_libzmq_peer_alongside() {
    // A good libzmq peer is connected while a bad one misbehaves: it keeps being served.
    let ctx = Context::new();
    let (pull, ep) = server(&ctx, |_| {});
    let zctx = zmq::Context::new();
    let push = libzmq(&zctx, zmq::PUSH);
    push.connect(&ep).unwrap();
    push.send("before", 0).unwrap();
    assert_eq!(pull.recv().unwrap()[0], "before");
    let mut wire = good_handshake();
    wire.extend_from_slice(&[0xFF; 64]);
    let mut s = raw(&ep);
    s.write_all(&wire).unwrap();
    expect_closed(s);
    push.send("after", 0).unwrap();
    assert_eq!(pull.recv().unwrap()[0], "after");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}
