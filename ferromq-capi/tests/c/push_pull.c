/* PUSH/PULL: one PUSH connected to two PULLs, one over tcp and one over ipc. Once both
 * handshakes are done (as the PUSH's monitor reports them), ten messages are dealt round
 * robin, five to each; a three-frame message arrives whole. Prints "ok". */
#include "check.h"

#include <stdint.h>
#include <unistd.h>

/* Reads one monitor event (two frames: 6 bytes of [uint16 event, uint32 value] in host order,
 * then the endpoint); returns the event number and copies the endpoint into endpoint. */
static int read_event (void *monitor, char *endpoint, size_t capacity)
{
    zmq_msg_t frame;
    CHECK (zmq_msg_init (&frame) == 0);
    CHECK (zmq_msg_recv (&frame, monitor, 0) == 6);
    CHECK (zmq_msg_more (&frame));
    uint16_t event;
    memcpy (&event, zmq_msg_data (&frame), sizeof event);
    CHECK (zmq_msg_close (&frame) == 0);
    CHECK (zmq_msg_init (&frame) == 0);
    int n = zmq_msg_recv (&frame, monitor, 0);
    CHECK (n >= 0 && (size_t) n < capacity);
    CHECK (!zmq_msg_more (&frame));
    memcpy (endpoint, zmq_msg_data (&frame), n);
    endpoint[n] = 0;
    CHECK (zmq_msg_close (&frame) == 0);
    return event;
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    void *pulls[2] = {zmq_socket (ctx, ZMQ_PULL), zmq_socket (ctx, ZMQ_PULL)};
    CHECK (push && pulls[0] && pulls[1]);
    set_int (push, ZMQ_LINGER, 0);
    set_int (push, ZMQ_SNDTIMEO, 5000);
    for (int i = 0; i < 2; i++) {
        set_int (pulls[i], ZMQ_LINGER, 0);
        set_int (pulls[i], ZMQ_RCVTIMEO, 5000);
    }

    char endpoints[2][256];
    CHECK (zmq_bind (pulls[0], "tcp://127.0.0.1:*") == 0);
    size_t size = sizeof endpoints[0];
    CHECK (zmq_getsockopt (pulls[0], ZMQ_LAST_ENDPOINT, endpoints[0], &size) == 0);
    char ipc[128];
    snprintf (ipc, sizeof ipc, "/tmp/ferromq-capi-%d.ipc", (int) getpid ());
    unlink (ipc);
    snprintf (endpoints[1], sizeof endpoints[1], "ipc://%s", ipc);
    CHECK (zmq_bind (pulls[1], endpoints[1]) == 0);

    /* The monitor first, so that no handshake is missed. */
    CHECK (zmq_socket_monitor (push, "inproc://push-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
           == 0);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (monitor);
    set_int (monitor, ZMQ_LINGER, 0);
    set_int (monitor, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_connect (monitor, "inproc://push-monitor") == 0);

    CHECK (zmq_connect (push, endpoints[0]) == 0);
    CHECK (zmq_connect (push, endpoints[1]) == 0);
    int seen[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        char endpoint[256];
        int event = read_event (monitor, endpoint, sizeof endpoint);
        CHECK (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        int which = strcmp (endpoint, endpoints[0]) == 0   ? 0
                    : strcmp (endpoint, endpoints[1]) == 0 ? 1
                                                           : -1;
        if (which < 0)
            fprintf (stderr, "a handshake with %s, which is neither %s nor %s\n", endpoint,
                     endpoints[0], endpoints[1]);
        CHECK (which >= 0 && !seen[which]);
        seen[which] = 1;
    }

    /* Ten messages, dealt round robin. */
    for (int i = 0; i < 10; i++) {
        char msg[16];
        int len = snprintf (msg, sizeof msg, "m%d", i);
        CHECK (zmq_send (push, msg, len, 0) == len);
    }
    for (int p = 0; p < 2; p++) {
        for (int i = 0; i < 5; i++) {
            char buf[16];
            CHECK (zmq_recv (pulls[p], buf, sizeof buf, 0) >= 2 && buf[0] == 'm');
        }
        char buf[16];
        CHECK (zmq_recv (pulls[p], buf, sizeof buf, ZMQ_DONTWAIT) == -1
               && zmq_errno () == EAGAIN);
    }

    /* A multipart message arrives whole, at one of them. */
    CHECK (zmq_send (push, "one", 3, ZMQ_SNDMORE) == 3);
    CHECK (zmq_send (push, "two", 3, ZMQ_SNDMORE) == 3);
    CHECK (zmq_send (push, "three", 5, 0) == 5);
    zmq_pollitem_t items[2] = {{pulls[0], 0, ZMQ_POLLIN, 0}, {pulls[1], 0, ZMQ_POLLIN, 0}};
    CHECK (zmq_poll (items, 2, 5000) == 1);
    void *pull = (items[0].revents & ZMQ_POLLIN) ? pulls[0] : pulls[1];
    const char *frames[3] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        char buf[16];
        int n = zmq_recv (pull, buf, sizeof buf, 0);
        CHECK (n == (int) strlen (frames[i]) && memcmp (buf, frames[i], n) == 0);
        int more = -1;
        size = sizeof more;
        CHECK (zmq_getsockopt (pull, ZMQ_RCVMORE, &more, &size) == 0);
        CHECK (more == (i < 2));
    }

    CHECK (zmq_close (monitor) == 0);
    CHECK (zmq_close (push) == 0);
    CHECK (zmq_close (pulls[0]) == 0 && zmq_close (pulls[1]) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    unlink (ipc);
    printf ("ok\n");
    return 0;
}
