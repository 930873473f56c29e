/* A REP on ferromq serving a peer in another process over tcp: it prints its endpoint on
 * the first line, answers exactly three requests ("ping N" with "pong N"), then prints "ok".
 * The test that runs it is the client. */
#include "check.h"

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *rep = zmq_socket (ctx, ZMQ_REP);
    CHECK (rep);
    set_int (rep, ZMQ_LINGER, 1000); /* the last reply is sent before the exit */
    set_int (rep, ZMQ_RCVTIMEO, 10000);
    set_int (rep, ZMQ_SNDTIMEO, 10000);
    CHECK (zmq_bind (rep, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    printf ("%s\n", endpoint);
    fflush (stdout);

    for (int i = 0; i < 3; i++) {
        char buf[64];
        int n = zmq_recv (rep, buf, sizeof buf - 1, 0);
        CHECK (n >= 0 && n < (int) sizeof buf);
        buf[n] = 0;
        int number;
        char tail;
        if (sscanf (buf, "ping %d%c", &number, &tail) != 1)
            fprintf (stderr, "request %d is %s, not ping N\n", i, buf);
        CHECK (sscanf (buf, "ping %d%c", &number, &tail) == 1);
        int more = -1;
        size = sizeof more;
        CHECK (zmq_getsockopt (rep, ZMQ_RCVMORE, &more, &size) == 0 && more == 0);
        char reply[64];
        int len = snprintf (reply, sizeof reply, "pong %d", number);
        CHECK (zmq_send (rep, reply, len, 0) == len);
    }

    CHECK (zmq_close (rep) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
