/* zmq_socket_monitor on a REP: the events libzmq reports for a tcp listener and one peer,
 * from listening to the monitor stopping, read by a PAIR. Other events may come between
 * those checked, but each checked one must come, in order. Prints "ok". */
#include "check.h"

#include <stdint.h>

/* What the monitor reported so far, for the message when one does not come. */
static char seen[8192];

static const char *event_name (int event)
{
    switch (event) {
        case ZMQ_EVENT_CONNECTED: return "CONNECTED";
        case ZMQ_EVENT_CONNECT_DELAYED: return "CONNECT_DELAYED";
        case ZMQ_EVENT_CONNECT_RETRIED: return "CONNECT_RETRIED";
        case ZMQ_EVENT_LISTENING: return "LISTENING";
        case ZMQ_EVENT_BIND_FAILED: return "BIND_FAILED";
        case ZMQ_EVENT_ACCEPTED: return "ACCEPTED";
        case ZMQ_EVENT_ACCEPT_FAILED: return "ACCEPT_FAILED";
        case ZMQ_EVENT_CLOSED: return "CLOSED";
        case ZMQ_EVENT_CLOSE_FAILED: return "CLOSE_FAILED";
        case ZMQ_EVENT_DISCONNECTED: return "DISCONNECTED";
        case ZMQ_EVENT_MONITOR_STOPPED: return "MONITOR_STOPPED";
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "HANDSHAKE_FAILED_NO_DETAIL";
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "HANDSHAKE_SUCCEEDED";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "HANDSHAKE_FAILED_PROTOCOL";
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "HANDSHAKE_FAILED_AUTH";
        default: return "?";
    }
}

/* Reads events until `wanted` comes (its endpoint copied into endpoint); fails, saying what
 * came instead, when none does within the PAIR's ZMQ_RCVTIMEO. */
static void expect_event (void *monitor, int wanted, char *endpoint, size_t capacity)
{
    for (;;) {
        zmq_msg_t frame;
        CHECK (zmq_msg_init (&frame) == 0);
        int n = zmq_msg_recv (&frame, monitor, 0);
        if (n == -1) {
            fprintf (stderr, "no %s event from the monitor (errno %d: %s); it reported:%s\n",
                     event_name (wanted), zmq_errno (), zmq_strerror (zmq_errno ()),
                     seen[0] ? seen : " nothing");
            exit (1);
        }
        if (n != 6)
            fprintf (stderr, "an event's first frame has %d bytes, not 6\n", n);
        CHECK (n == 6);
        CHECK (zmq_msg_more (&frame));
        uint16_t event;
        uint32_t value;
        memcpy (&event, zmq_msg_data (&frame), sizeof event);
        memcpy (&value, (char *) zmq_msg_data (&frame) + 2, sizeof value);
        CHECK (zmq_msg_close (&frame) == 0);
        CHECK (zmq_msg_init (&frame) == 0);
        n = zmq_msg_recv (&frame, monitor, 0);
        CHECK (n >= 0 && (size_t) n < capacity);
        CHECK (!zmq_msg_more (&frame));
        memcpy (endpoint, zmq_msg_data (&frame), n);
        endpoint[n] = 0;
        CHECK (zmq_msg_close (&frame) == 0);
        size_t used = strlen (seen);
        snprintf (seen + used, sizeof seen - used, " %s(%u, %s)", event_name (event),
                  (unsigned) value, endpoint);
        if (event == wanted)
            return;
    }
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *rep = zmq_socket (ctx, ZMQ_REP);
    CHECK (rep);
    set_int (rep, ZMQ_LINGER, 0);
    set_int (rep, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_socket_monitor (rep, "inproc://monitor-rep", ZMQ_EVENT_ALL) == 0);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (monitor);
    set_int (monitor, ZMQ_LINGER, 0);
    set_int (monitor, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_connect (monitor, "inproc://monitor-rep") == 0);

    /* Listening, at the endpoint ZMQ_LAST_ENDPOINT gives. */
    CHECK (zmq_bind (rep, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    char reported[256];
    expect_event (monitor, ZMQ_EVENT_LISTENING, reported, sizeof reported);
    if (strcmp (reported, endpoint) != 0)
        fprintf (stderr, "LISTENING on %s, but ZMQ_LAST_ENDPOINT is %s\n", reported, endpoint);
    CHECK (strcmp (reported, endpoint) == 0);

    /* A peer: accepted, then its handshake done; a request and its reply go through. */
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK (req);
    set_int (req, ZMQ_LINGER, 0);
    set_int (req, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_connect (req, endpoint) == 0);
    expect_event (monitor, ZMQ_EVENT_ACCEPTED, reported, sizeof reported);
    expect_event (monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, reported, sizeof reported);
    CHECK (zmq_send (req, "ping", 4, 0) == 4);
    char buf[16];
    CHECK (zmq_recv (rep, buf, sizeof buf, 0) == 4 && memcmp (buf, "ping", 4) == 0);
    CHECK (zmq_send (rep, "pong", 4, 0) == 4);
    CHECK (zmq_recv (req, buf, sizeof buf, 0) == 4 && memcmp (buf, "pong", 4) == 0);

    /* The peer goes: disconnected. */
    CHECK (zmq_close (req) == 0);
    expect_event (monitor, ZMQ_EVENT_DISCONNECTED, reported, sizeof reported);

    /* The socket closes: its listener closed, then the monitor stopped. */
    CHECK (zmq_close (rep) == 0);
    expect_event (monitor, ZMQ_EVENT_CLOSED, reported, sizeof reported);
    if (strcmp (reported, endpoint) != 0)
        fprintf (stderr, "CLOSED %s, but the listener was %s\n", reported, endpoint);
    CHECK (strcmp (reported, endpoint) == 0);
    expect_event (monitor, ZMQ_EVENT_MONITOR_STOPPED, reported, sizeof reported);

    CHECK (zmq_close (monitor) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
