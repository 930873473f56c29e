"""A libzmq socket in a process of its own, driven line by line over stdin and stdout.

The security interop tests (ferromq/tests/interop_curve.rs) run it with a pyzmq whose libzmq
has CURVE (pyzmq's wheel carries libzmq 4.3.5 with libsodium): that libzmq must not share a
process with the `zmq` crate's, which has no CURVE.

Options (argv): --type REP, --bind EP or --connect EP, and for security
  --curve-server SECRET              a CURVE server with this secret key (Z85)
  --curve-serverkey PUBLIC           a CURVE client of that server ...
  --curve-secret SECRET              ... with this key pair (a fresh one if absent)
  --zap-allow PUBLIC (repeatable)    a ZAP handler admitting these client keys (user "allowed")
  --zap-any                          a ZAP handler admitting every client (user "anyone")
  --subscribe TOPIC (repeatable), --routing-id HEX

Protocol, one line each way; frames are hex, an empty frame is "=":
  -> (startup)            <- "endpoint EP"
  -> "send F1 F2 ..."     <- "ok"
  -> "recv MS"            <- "frames F1 F2 ..." or "none" (nothing within MS)
  -> "events"             <- "events E:V E:V ..." (monitor events so far, hex event, value)
  -> "zap"                <- "zap K1 K2 ..." (client keys the ZAP handler was asked about)
  -> "quit"
"""

import argparse
import sys
import threading

import zmq
import zmq.utils.monitor
from zmq.utils import z85


def encode(frames):
    return " ".join(f.hex() if f else "=" for f in frames)


def decode(words):
    return [b"" if w == "=" else bytes.fromhex(w) for w in words]


def zap_handler(ctx, allow, anyone, seen, ready):
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.bind("inproc://zeromq.zap.01")
    ready.set()
    while True:
        try:
            msg = rep.recv_multipart()
        except zmq.ZMQError:
            return
        version, request_id, _domain, _address, _identity, mechanism = msg[:6]
        credentials = msg[6:]
        key = None
        if mechanism == b"CURVE":
            key = z85.encode(credentials[0]).decode()
            seen.append(key)
            ok = anyone or key in allow
        else:
            ok = anyone
        user = b"allowed" if key in allow else b"anyone"
        status = [b"200", b"OK", user, b""] if ok else [b"400", b"denied", b"", b""]
        rep.send_multipart([version, request_id] + status)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--type", required=True)
    p.add_argument("--bind")
    p.add_argument("--connect")
    p.add_argument("--curve-server")
    p.add_argument("--curve-serverkey")
    p.add_argument("--curve-secret")
    p.add_argument("--zap-allow", action="append", default=[])
    p.add_argument("--zap-any", action="store_true")
    p.add_argument("--subscribe", action="append", default=[])
    p.add_argument("--routing-id")
    a = p.parse_args()

    ctx = zmq.Context()
    seen = []
    if a.zap_allow or a.zap_any:
        ready = threading.Event()
        threading.Thread(
            target=zap_handler, args=(ctx, set(a.zap_allow), a.zap_any, seen, ready), daemon=True
        ).start()
        ready.wait()
    s = ctx.socket(getattr(zmq, a.type))
    s.linger = 0
    events = []
    mon = s.get_monitor_socket()
    if a.routing_id:
        s.routing_id = bytes.fromhex(a.routing_id)
    if a.curve_server:
        s.curve_secretkey = a.curve_server.encode()
        s.curve_publickey = zmq.curve_public(a.curve_server.encode())
        s.curve_server = True
    if a.curve_serverkey:
        if a.curve_secret:
            s.curve_secretkey = a.curve_secret.encode()
            s.curve_publickey = zmq.curve_public(a.curve_secret.encode())
        else:
            public, secret = zmq.curve_keypair()
            s.curve_publickey, s.curve_secretkey = public, secret
        s.curve_serverkey = a.curve_serverkey.encode()
    for topic in a.subscribe:
        s.subscribe(topic.encode())
    if a.bind:
        s.bind(a.bind)
        endpoint = s.last_endpoint.decode()
    else:
        s.connect(a.connect)
        endpoint = a.connect
    print("endpoint", endpoint, flush=True)

    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        op, args = words[0], words[1:]
        if op == "send":
            s.send_multipart(decode(args))
            print("ok", flush=True)
        elif op == "recv":
            if poller.poll(int(args[0])):
                print("frames", encode(s.recv_multipart()), flush=True)
            else:
                print("none", flush=True)
        elif op == "events":
            while mon.poll(0):
                event = zmq.utils.monitor.recv_monitor_message(mon)
                events.append("%x:%d" % (event["event"], event["value"]))
            print("events", " ".join(events), flush=True)
        elif op == "zap":
            print("zap", " ".join(seen), flush=True)
        elif op == "quit":
            break
    s.close(0)
    mon.close(0)
    ctx.term()


if __name__ == "__main__":
    main()
