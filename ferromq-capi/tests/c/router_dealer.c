/* ROUTER/DEALER over tcp: the ROUTER sees the DEALER's routing id before its message, and
 * routes the reply back by it; with ZMQ_ROUTER_MANDATORY an unknown id is EHOSTUNREACH.
 * Prints "ok". */
#include "check.h"

static int rcvmore (void *socket)
{
    int more = -1;
    size_t size = sizeof more;
    CHECK (zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &size) == 0 && size == sizeof more);
    return more;
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    CHECK (router && dealer);
    set_int (router, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    set_int (dealer, ZMQ_RCVTIMEO, 5000);
    set_int (router, ZMQ_SNDTIMEO, 5000);
    set_int (dealer, ZMQ_SNDTIMEO, 5000);

    CHECK (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    CHECK (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "client-1", 8) == 0);
    char id[256];
    size = sizeof id;
    CHECK (zmq_getsockopt (dealer, ZMQ_ROUTING_ID, id, &size) == 0);
    CHECK (size == 8 && memcmp (id, "client-1", 8) == 0);
    CHECK (zmq_connect (dealer, endpoint) == 0);

    CHECK (zmq_send (dealer, "hello", 5, 0) == 5);
    char buf[256];
    int n = zmq_recv (router, id, sizeof id, 0);
    CHECK (n == 8 && memcmp (id, "client-1", 8) == 0);
    CHECK (rcvmore (router) == 1);
    CHECK (zmq_recv (router, buf, sizeof buf, 0) == 5 && memcmp (buf, "hello", 5) == 0);
    CHECK (rcvmore (router) == 0);

    CHECK (zmq_send (router, id, n, ZMQ_SNDMORE) == n);
    CHECK (zmq_send (router, "world", 5, 0) == 5);
    CHECK (zmq_recv (dealer, buf, sizeof buf, 0) == 5 && memcmp (buf, "world", 5) == 0);
    CHECK (rcvmore (dealer) == 0);

    /* Without ZMQ_ROUTER_MANDATORY a message to an unknown peer is dropped silently; with
     * it, sending it fails. */
    CHECK (zmq_send (router, "nobody", 6, ZMQ_SNDMORE) == 6);
    CHECK (zmq_send (router, "lost", 4, 0) == 4);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    /* The known peer is still reachable. */
    CHECK (zmq_send (router, "client-1", 8, ZMQ_SNDMORE) == 8);
    CHECK (zmq_send (router, "again", 5, 0) == 5);
    CHECK (zmq_recv (dealer, buf, sizeof buf, 0) == 5 && memcmp (buf, "again", 5) == 0);
    CHECK (zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT) == -1 && zmq_errno () == EAGAIN);
    /* As in libzmq, the routing-id frame itself is refused, before any body is given. */
    int rc = zmq_send (router, "nobody", 6, ZMQ_SNDMORE);
    if (rc != -1 || zmq_errno () != EHOSTUNREACH)
        fprintf (stderr,
                 "ZMQ_ROUTER_MANDATORY: zmq_send of an unknown routing id gave %d (errno %d), "
                 "not -1 with EHOSTUNREACH\n",
                 rc, rc == -1 ? zmq_errno () : 0);
    CHECK (rc == -1 && zmq_errno () == EHOSTUNREACH);

    CHECK (zmq_close (dealer) == 0 && zmq_close (router) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
