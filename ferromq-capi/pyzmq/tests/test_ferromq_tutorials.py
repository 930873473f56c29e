"""The programs ZeroMQ's guide teaches in Python, on pyzmq over ferromq's libzmq.so.

Copied into pyzmq's tests/ by ferromq-capi/pyzmq/run.sh. Every wait is bounded (RCVTIMEO,
poll timeouts, asyncio.wait_for); a slow joiner is waited for by retrying, never by sleeping.
"""

import asyncio
import threading
import time

import pytest
import zmq
import zmq.asyncio

TIMEOUT_MS = 5000


def test_it_runs_on_ferromq():
    # run.sh names the library it installed; the process must have mapped that one and no
    # other libzmq (Debian's libzmq.so.5 may be on the machine too).
    import os

    expected = os.environ.get("FERROMQ_LIBZMQ")
    if not expected:
        pytest.skip("FERROMQ_LIBZMQ is not set: run through ferromq-capi/pyzmq/run.sh")
    zmq.Context().term()
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if "libzmq" in line}
    assert {os.path.realpath(m) for m in mapped} == {os.path.realpath(expected)}, mapped
    assert zmq.zmq_version() == "4.3.5"


def test_hello_world_rep_server_and_req_clients():
    ctx = zmq.Context()
    server = ctx.socket(zmq.REP)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    server.rcvtimeo = TIMEOUT_MS

    def serve(n):
        for _ in range(n):
            request = server.recv()
            server.send(b"World " + request)

    t = threading.Thread(target=serve, args=(6,))
    t.start()
    for c in range(3):
        client = ctx.socket(zmq.REQ)
        client.rcvtimeo = TIMEOUT_MS
        client.connect(f"tcp://127.0.0.1:{port}")
        for i in range(2):
            client.send(f"Hello {c}.{i}".encode())
            assert client.recv() == f"World Hello {c}.{i}".encode()
        client.close(linger=0)
    t.join(TIMEOUT_MS / 1000)
    assert not t.is_alive()
    server.close(linger=0)
    ctx.term()


def test_weather_pub_sub_with_asyncio_and_a_topic_filter():
    async def main():
        ctx = zmq.asyncio.Context()
        pub = ctx.socket(zmq.PUB)
        port = pub.bind_to_random_port("tcp://127.0.0.1")
        sub = ctx.socket(zmq.SUB)
        sub.connect(f"tcp://127.0.0.1:{port}")
        sub.setsockopt(zmq.SUBSCRIBE, b"10001 ")
        got = []

        async def listen():
            while len(got) < 5:
                got.append(await sub.recv_string())

        listener = asyncio.ensure_future(listen())
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        n = 0
        while not listener.done():
            assert time.monotonic() < deadline, f"only {got} arrived"
            await pub.send_string(f"10002 {n} 20")
            await pub.send_string(f"10001 {n} 15")
            n += 1
            await asyncio.sleep(0.01)
        await listener
        assert all(m.startswith("10001 ") for m in got), got
        numbers = [int(m.split()[1]) for m in got]
        assert numbers == sorted(numbers), "in order"
        pub.close(linger=0)
        sub.close(linger=0)
        ctx.term()

    asyncio.run(main())


def test_an_xsub_xpub_proxy_joins_many_publishers_to_subscribers():
    ctx = zmq.Context()
    xsub = ctx.socket(zmq.XSUB)
    front = xsub.bind_to_random_port("tcp://127.0.0.1")
    xpub = ctx.socket(zmq.XPUB)
    back = xpub.bind_to_random_port("tcp://127.0.0.1")
    ended = []

    def run_proxy():
        try:
            zmq.proxy(xsub, xpub)
        except zmq.ContextTerminated:
            ended.append("ETERM")
        xsub.close(linger=0)
        xpub.close(linger=0)

    proxy = threading.Thread(target=run_proxy, daemon=True)
    proxy.start()

    publishers = []
    for _ in range(3):
        p = ctx.socket(zmq.PUB)
        p.connect(f"tcp://127.0.0.1:{front}")
        publishers.append(p)
    subscribers = []
    for topic in (b"a", b"b"):
        s = ctx.socket(zmq.SUB)
        s.setsockopt(zmq.SUBSCRIBE, topic)
        s.connect(f"tcp://127.0.0.1:{back}")
        subscribers.append(s)

    seen = {b"a": set(), b"b": set()}
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while any(len(v) < 3 for v in seen.values()):
        assert time.monotonic() < deadline, f"seen {seen}"
        for i, p in enumerate(publishers):
            p.send_multipart([b"a", str(i).encode()])
            p.send_multipart([b"b", str(i).encode()])
            p.send_multipart([b"c", str(i).encode()])
        for s in subscribers:
            while s.poll(10):
                topic, who = s.recv_multipart()
                assert topic != b"c", "nobody subscribed to c"
                assert topic == (b"a" if s is subscribers[0] else b"b")
                seen[topic].add(who)
    for s in publishers + subscribers:
        s.close(linger=0)
    # The proxy ends with ETERM when the context is terminated, and closes its sockets, which
    # lets the termination finish.
    ctx.term()
    proxy.join(TIMEOUT_MS / 1000)
    assert not proxy.is_alive()
    assert ended == ["ETERM"]


def test_a_ventilator_spreads_work_over_workers_and_a_sink_collects():
    ctx = zmq.Context()
    ventilator = ctx.socket(zmq.PUSH)
    work = ventilator.bind_to_random_port("tcp://127.0.0.1")
    sink = ctx.socket(zmq.PULL)
    results = sink.bind_to_random_port("tcp://127.0.0.1")
    sink.rcvtimeo = TIMEOUT_MS

    def worker(name):
        w_ctx = zmq.Context.instance()
        receiver = w_ctx.socket(zmq.PULL)
        receiver.rcvtimeo = TIMEOUT_MS
        receiver.connect(f"tcp://127.0.0.1:{work}")
        sender = w_ctx.socket(zmq.PUSH)
        sender.connect(f"tcp://127.0.0.1:{results}")
        sender.send_string(f"ready {name}")
        while True:
            task = receiver.recv_string()
            if task == "stop":
                break
            sender.send_string(f"{name} {int(task) * 2}")
        receiver.close(linger=0)
        sender.close()

    workers = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for w in workers:
        w.start()
    ready = {sink.recv_string() for _ in workers}
    assert ready == {"ready w0", "ready w1", "ready w2"}
    # Every worker has connected its receiver before it said ready: tasks are dealt to all.
    tasks = 30
    for n in range(tasks):
        ventilator.send_string(str(n))
    answers = [sink.recv_string() for _ in range(tasks)]
    assert sorted(int(a.split()[1]) for a in answers) == [2 * n for n in range(tasks)]
    assert {a.split()[0] for a in answers} == {"w0", "w1", "w2"}, "spread over the workers"
    for _ in workers:
        ventilator.send_string("stop")
    for w in workers:
        w.join(TIMEOUT_MS / 1000)
        assert not w.is_alive()
    ventilator.close()
    sink.close()
    ctx.term()
