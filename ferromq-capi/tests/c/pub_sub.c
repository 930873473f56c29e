/* PUB/SUB over tcp: a SUB subscribed to "weather." gets those messages and never the
 * "sport." ones. The publisher sends until the subscription has reached it (the slow-joiner
 * problem), bounded by 5 s. Prints "ok" when every check holds. */
#include "check.h"

static int starts_with (const char *buf, int len, const char *prefix)
{
    int n = (int) strlen (prefix);
    return len >= n && memcmp (buf, prefix, n) == 0;
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    CHECK (pub && sub);
    set_int (pub, ZMQ_LINGER, 0);
    set_int (sub, ZMQ_LINGER, 0);
    set_int (sub, ZMQ_RCVTIMEO, 5000);

    CHECK (zmq_bind (pub, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    CHECK (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "weather.", 8) == 0);
    CHECK (zmq_connect (sub, endpoint) == 0);

    /* Until the subscription reaches the publisher, what it sends is dropped. */
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    long long deadline = now_ms () + 5000;
    int ready = 0;
    while (!ready) {
        CHECK (now_ms () < deadline);
        CHECK (zmq_send (pub, "sport.x", 7, 0) == 7);
        CHECK (zmq_send (pub, "weather.y", 9, 0) == 9);
        ready = zmq_poll (&item, 1, 10);
        CHECK (ready >= 0);
    }
    CHECK (item.revents & ZMQ_POLLIN);

    /* What arrived so far: weather only. */
    char buf[64];
    int n;
    int received = 0;
    while ((n = zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        CHECK (n == 9 && memcmp (buf, "weather.y", 9) == 0);
        received++;
    }
    CHECK (zmq_errno () == EAGAIN);
    CHECK (received >= 1);

    /* Now subscribed: every weather message arrives, in order, and no sport one. */
    for (int i = 0; i < 5; i++) {
        char msg[32];
        int len = snprintf (msg, sizeof msg, "sport.z%d", i);
        CHECK (zmq_send (pub, msg, len, 0) == len);
        len = snprintf (msg, sizeof msg, "weather.z%d", i);
        CHECK (zmq_send (pub, msg, len, 0) == len);
    }
    CHECK (zmq_send (pub, "weather.end", 11, 0) == 11);
    int next = 0;
    for (;;) {
        n = zmq_recv (sub, buf, sizeof buf - 1, 0);
        CHECK (n >= 0);
        buf[n] = 0;
        if (!starts_with (buf, n, "weather.")) {
            fprintf (stderr, "the SUB got %s, which it did not subscribe to\n", buf);
            CHECK (starts_with (buf, n, "weather."));
        }
        if (strcmp (buf, "weather.end") == 0)
            break;
        if (strcmp (buf, "weather.y") == 0) {
            CHECK (next == 0); /* from the first loop: before the new ones */
            continue;
        }
        char expected[32];
        snprintf (expected, sizeof expected, "weather.z%d", next);
        CHECK (strcmp (buf, expected) == 0);
        next++;
    }
    CHECK (next == 5);
    CHECK (zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT) == -1 && zmq_errno () == EAGAIN);

    CHECK (zmq_close (sub) == 0 && zmq_close (pub) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
