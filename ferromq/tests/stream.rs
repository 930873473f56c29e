//! STREAM against plain TCP peers (std's sockets, curl) and against libzmq's STREAM: routing
//! ids, the connect and disconnect notifications, raw bytes both ways, a zero-length send
//! closing the connection.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::*;
use ferromq::{Context, Error, Message, Socket, SocketType as T};

/// A STREAM socket bound to a free tcp port; its endpoint.
fn bound_stream(ctx: &Context) -> (Socket, String) {
    let s = ferro(ctx, T::Stream);
    let ep = ferro_bind(&s);
    (s, ep)
}

fn address(endpoint: &str) -> &str {
    endpoint.trim_start_matches("tcp://")
}

/// Receives [id, data] from `s`; `(id, data)`.
fn recv_pair(s: &Socket) -> (Vec<u8>, Vec<u8>) {
    let m = s.recv().expect("a STREAM message");
    assert_eq!(m.len(), 2, "STREAM messages are [routing id, bytes]");
    (m[0].to_vec(), m[1].to_vec())
}

/// Receives from `s` until `want` bytes from `id` have come (a read may bring any part).
fn recv_bytes(s: &Socket, id: &[u8], want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let (from, data) = recv_pair(s);
        assert_eq!(from, id, "bytes from another peer");
        assert!(!data.is_empty(), "the peer left after {got:?}");
        got.extend_from_slice(&data);
    }
    got
}

fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream
        .read_exact(&mut buf)
        .expect("bytes from the STREAM socket");
    buf
}

#[test]
fn a_bound_stream_talks_to_a_plain_tcp_client() {
    let ctx = Context::new();
    let (server, ep) = bound_stream(&ctx);
    let mut client = TcpStream::connect(address(&ep)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The connection is announced with an empty message: the client's routing id.
    let (id, data) = recv_pair(&server);
    assert!(data.is_empty());
    assert_eq!(id.len(), 5, "libzmq's generated ids: 0 then four bytes");
    assert_eq!(id[0], 0);

    client.write_all(b"hello, stream").unwrap();
    assert_eq!(recv_bytes(&server, &id, 13), b"hello, stream");
    server.send([&id[..], b"raw reply"]).unwrap();
    assert_eq!(read_exactly(&mut client, 9), b"raw reply");

    // The client leaves: an empty message says so.
    drop(client);
    assert_eq!(recv_pair(&server), (id.clone(), Vec::new()));
    // It is gone: sending to it fails, naming it.
    match server.send([&id[..], b"late"]) {
        Err(Error::HostUnreachable { routing_id }) => assert_eq!(routing_id[..], id[..]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_connecting_stream_talks_to_a_plain_tcp_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Context::new();
    let client = ferro(&ctx, T::Stream);
    client.connect(&format!("tcp://{addr}")).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (id, data) = recv_pair(&client);
    assert!(data.is_empty(), "the connect notification");

    client.send([&id[..], b"GET / HTTP/1.0\r\n\r\n"]).unwrap();
    assert_eq!(read_exactly(&mut conn, 18), b"GET / HTTP/1.0\r\n\r\n");
    conn.write_all(b"HTTP/1.0 200 OK\r\n").unwrap();
    assert_eq!(recv_bytes(&client, &id, 17), b"HTTP/1.0 200 OK\r\n");
}

#[test]
fn connect_routing_id_names_the_next_connection_only() {
    let (first, second) = (
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    );
    let ctx = Context::new();
    let client = ferro(&ctx, T::Stream);
    assert!(
        matches!(
            client.set_connect_routing_id(b"\0reserved"),
            Err(Error::InvalidOption { .. })
        ),
        "ids starting with a zero byte are libzmq's"
    );
    client.set_connect_routing_id("peer-a").unwrap();
    client
        .connect(&format!("tcp://{}", first.local_addr().unwrap()))
        .unwrap();
    let (mut conn, _) = first.accept().unwrap();
    assert_eq!(recv_pair(&client), (b"peer-a".to_vec(), Vec::new()));
    client.send(["peer-a", "named"]).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(read_exactly(&mut conn, 5), b"named");
    // The option was for that connect: the next one gets a generated id.
    client
        .connect(&format!("tcp://{}", second.local_addr().unwrap()))
        .unwrap();
    let _ = second.accept().unwrap();
    let (id, _) = recv_pair(&client);
    assert_eq!((id.len(), id[0]), (5, 0), "{id:?}");
}

#[test]
fn a_stream_over_ipc_talks_to_a_unix_socket_client() {
    let ctx = Context::new();
    let server = ferro(&ctx, T::Stream);
    let path = std::env::temp_dir().join(format!("ferromq-stream-{}.ipc", std::process::id()));
    let ep = format!("ipc://{}", path.display());
    server.bind(&ep).unwrap();
    let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (id, _) = recv_pair(&server);
    client.write_all(b"over ipc").unwrap();
    assert_eq!(recv_bytes(&server, &id, 8), b"over ipc");
    server.send([&id[..], b"back"]).unwrap();
    let mut buf = [0; 4];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"back");
}

#[test]
fn a_connecting_stream_closed_by_a_zero_length_send_does_not_dial_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Context::new();
    let client = ferro(&ctx, T::Stream);
    client.set_reconnect_ivl(10).unwrap();
    client.connect(&format!("tcp://{addr}")).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let (id, _) = recv_pair(&client);
    client.send([&id[..], b""]).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    // No second connection comes (reconnect_ivl is 10 ms: 300 ms is thirty of them).
    listener.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(listener.accept().is_err(), "the socket dialled again");
}

#[test]
fn a_zero_length_send_closes_the_connection_after_what_was_sent() {
    let ctx = Context::new();
    let (server, ep) = bound_stream(&ctx);
    let mut client = TcpStream::connect(address(&ep)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (id, _) = recv_pair(&server);
    // A large reply, then the close: the reply arrives whole, then the end of the stream.
    let reply = vec![b'x'; 300_000];
    server.send([&id[..], &reply[..]]).unwrap();
    server.send([&id[..], b""]).unwrap();
    let mut all = Vec::new();
    client.read_to_end(&mut all).unwrap();
    assert_eq!(all.len(), reply.len(), "all of it before the close");
    // Closed by this side: no disconnect notification, and the id is gone at once.
    assert!(matches!(
        server.send([&id[..], b"more"]),
        Err(Error::HostUnreachable { .. })
    ));
    server.set_rcvtimeo(200).unwrap();
    assert!(matches!(server.recv(), Err(Error::TimedOut)));
}

#[test]
fn without_stream_notify_only_data_arrives() {
    let ctx = Context::new();
    let server = ferro(&ctx, T::Stream);
    server.set_stream_notify(false).unwrap();
    let ep = ferro_bind(&server);
    let mut client = TcpStream::connect(address(&ep)).unwrap();
    client.write_all(b"ping").unwrap();
    let (id, data) = recv_pair(&server);
    assert_eq!(data, b"ping", "no connect notification first");
    drop(client);
    server.send([&id[..], b"x"]).ok(); // may or may not reach it
    server.set_rcvtimeo(300).unwrap();
    assert!(
        matches!(server.recv(), Err(Error::TimedOut)),
        "no disconnect notification"
    );
}

#[test]
fn many_clients_keep_their_own_ids() {
    let ctx = Context::new();
    let (server, ep) = bound_stream(&ctx);
    let mut clients: Vec<TcpStream> = (0..5)
        .map(|_| TcpStream::connect(address(&ep)).unwrap())
        .collect();
    let ids: Vec<Vec<u8>> = (0..5).map(|_| recv_pair(&server).0).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "{ids:?}");
    // Each id reaches one client; ask each to say which it got.
    for (i, id) in ids.iter().enumerate() {
        server.send([&id[..], format!("{i}").as_bytes()]).unwrap();
    }
    let mut seen: Vec<u8> = clients
        .iter_mut()
        .map(|c| {
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            read_exactly(c, 1)[0]
        })
        .collect();
    seen.sort();
    assert_eq!(seen, b"01234");
}

#[test]
fn stream_refuses_inproc_and_malformed_sends() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Stream);
    assert!(matches!(
        s.bind("inproc://stream"),
        Err(Error::InvalidEndpoint { .. })
    ));
    assert!(matches!(
        s.connect("inproc://stream"),
        Err(Error::InvalidEndpoint { .. })
    ));
    assert!(matches!(
        s.send(Message::from("no routing id")),
        Err(Error::InvalidMessage(_))
    ));
    assert!(matches!(
        s.send(["nobody", "x"]),
        Err(Error::HostUnreachable { .. })
    ));
}

/// libzmq's own STREAM speaks to ours: both raw, bytes pass as they are.
#[test]
fn ferromq_stream_and_libzmq_stream_exchange_bytes() {
    let ctx = Context::new();
    let (ours, ep) = bound_stream(&ctx);
    let zctx = zmq::Context::new();
    let theirs = libzmq(&zctx, zmq::STREAM);
    theirs.connect(&ep).unwrap();
    // libzmq names the connection after connect: ZMQ_ROUTING_ID is not set, so its first
    // received message (the connect notification) tells it.
    let (our_id, _) = recv_pair(&ours);
    let notification = theirs.recv_multipart(0).unwrap();
    assert_eq!(notification.len(), 2);
    assert!(notification[1].is_empty());
    let their_id = notification[0].clone();
    theirs.send(&their_id[..], zmq::SNDMORE).unwrap();
    theirs.send(&b"from libzmq"[..], 0).unwrap();
    assert_eq!(recv_bytes(&ours, &our_id, 11), b"from libzmq");
    ours.send([&our_id[..], b"from ferromq"]).unwrap();
    let mut got = Vec::new();
    while got.len() < 12 {
        let m = theirs.recv_multipart(0).unwrap();
        assert_eq!(m[0], their_id);
        got.extend_from_slice(&m[1]);
    }
    assert_eq!(got, b"from ferromq");
}

/// The HTTP responder of libzmq's STREAM documentation, fetched by curl.
#[test]
fn curl_fetches_a_page_from_a_stream_http_responder() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: curl is not installed (apt-get install curl)");
        return;
    }
    let ctx = Context::new();
    let (server, ep) = bound_stream(&ctx);
    let url = format!("http://{}/hello", address(&ep));
    let curl = std::thread::spawn(move || {
        std::process::Command::new("curl")
            .args(["-s", "--max-time", "10", &url])
            .output()
            .expect("curl runs")
    });
    let (id, data) = recv_pair(&server);
    assert!(data.is_empty(), "the connect notification");
    // The request, up to its blank line.
    let mut request = Vec::new();
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let (from, data) = recv_pair(&server);
        assert_eq!(from, id);
        request.extend_from_slice(&data);
    }
    assert!(
        request.starts_with(b"GET /hello HTTP/1.1\r\n"),
        "{request:?}"
    );
    server
        .send([
            &id[..],
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHello, World!",
        ])
        .unwrap();
    server.send([&id[..], b""]).unwrap();
    let out = curl.join().unwrap();
    assert!(out.status.success(), "curl: {out:?}");
    assert_eq!(out.stdout, b"Hello, World!");
}
