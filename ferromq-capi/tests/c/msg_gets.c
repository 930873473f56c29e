/* zmq_msg_gets: every frame of a message received over tcp carries its peer's properties
 * (Socket-Type, Identity, Peer-Address) for as long as the message (or a copy) lives; an
 * unknown property, or a message made here, is NULL with EINVAL. Prints "ok". */
#include "check.h"
#include <errno.h>

static void expect (zmq_msg_t *msg, const char *property, const char *value)
{
    const char *got = zmq_msg_gets (msg, property);
    if (!got || strcmp (got, value) != 0) {
        fprintf (stderr, "%s: expected \"%s\", got %s%s%s\n", property, value,
                 got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
        exit (1);
    }
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    CHECK (ctx && router && dealer);
    set_int (router, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    CHECK (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "worker-7", 8) == 0);
    CHECK (zmq_connect (dealer, endpoint) == 0);
    CHECK (zmq_send (dealer, "a", 1, ZMQ_SNDMORE) == 1);
    CHECK (zmq_send (dealer, "b", 1, 0) == 1);

    /* Three frames: the routing id, "a", "b"; each carries the properties. */
    zmq_msg_t frames[3];
    for (int i = 0; i < 3; i++) {
        CHECK (zmq_msg_init (&frames[i]) == 0);
        CHECK (zmq_msg_recv (&frames[i], router, 0) >= 0);
        expect (&frames[i], "Socket-Type", "DEALER");
        expect (&frames[i], "Identity", "worker-7");
        expect (&frames[i], "Peer-Address", "127.0.0.1");
    }
    CHECK (zmq_msg_more (&frames[2]) == 0);
    CHECK (zmq_msg_gets (&frames[1], "No-Such-Property") == NULL && zmq_errno () == EINVAL);

    /* A copy keeps them after the original is closed; a moved message takes them along. */
    zmq_msg_t copy, moved;
    CHECK (zmq_msg_init (&copy) == 0 && zmq_msg_init (&moved) == 0);
    CHECK (zmq_msg_copy (&copy, &frames[1]) == 0);
    CHECK (zmq_msg_close (&frames[1]) == 0);
    expect (&copy, "Socket-Type", "DEALER");
    CHECK (zmq_msg_move (&moved, &frames[2]) == 0);
    expect (&moved, "Identity", "worker-7");
    CHECK (zmq_msg_gets (&frames[2], "Identity") == NULL && zmq_errno () == EINVAL);

    /* A message made here has none. */
    zmq_msg_t mine;
    CHECK (zmq_msg_init_size (&mine, 3) == 0);
    CHECK (zmq_msg_gets (&mine, "Socket-Type") == NULL && zmq_errno () == EINVAL);

    CHECK (zmq_msg_close (&mine) == 0);
    CHECK (zmq_msg_close (&copy) == 0);
    CHECK (zmq_msg_close (&moved) == 0);
    CHECK (zmq_msg_close (&frames[0]) == 0);
    CHECK (zmq_msg_close (&frames[2]) == 0);
    CHECK (zmq_close (dealer) == 0);
    CHECK (zmq_close (router) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
