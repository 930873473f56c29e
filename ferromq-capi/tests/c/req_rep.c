/* REQ/REP over tcp, multipart frames, options and errors, through ferromq's libzmq.so,
 * built as a C user builds against libzmq. Prints "ok" and exits 0 when every check holds. */
#include "check.h"

int main (void)
{
    assert_on_ferromq ();

    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    CHECK (ZMQ_MAKE_VERSION (major, minor, patch) == ZMQ_VERSION);

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *rep = zmq_socket (ctx, ZMQ_REP);
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK (rep && req);

    /* Options: an int set and read back; a wrong size refused; a set-only one not read. */
    int linger = 0;
    CHECK (zmq_setsockopt (rep, ZMQ_LINGER, &linger, sizeof linger) == 0);
    CHECK (zmq_setsockopt (req, ZMQ_LINGER, &linger, sizeof linger) == 0);
    int hwm = 0;
    size_t size = sizeof hwm;
    CHECK (zmq_getsockopt (rep, ZMQ_SNDHWM, &hwm, &size) == 0 && hwm == 1000);
    CHECK (zmq_setsockopt (rep, ZMQ_SNDHWM, &hwm, 2) == -1 && zmq_errno () == EINVAL);
    int on = 1;
    CHECK (zmq_setsockopt (req, ZMQ_REQ_RELAXED, &on, sizeof on) == 0);
    size = sizeof on;
    CHECK (zmq_getsockopt (req, ZMQ_REQ_RELAXED, &on, &size) == -1 && zmq_errno () == EINVAL);
    CHECK (zmq_setsockopt (req, 9999, &on, sizeof on) == -1 && zmq_errno () == EINVAL);

    /* Endpoints: a wildcard port, read back with its NUL. */
    CHECK (zmq_bind (rep, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size = sizeof endpoint;
    CHECK (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    CHECK (size == strlen (endpoint) + 1 && strncmp (endpoint, "tcp://127.0.0.1:", 16) == 0);
    CHECK (zmq_bind (req, "bogus://x") == -1 && zmq_errno () == EPROTONOSUPPORT);
    CHECK (zmq_connect (req, endpoint) == 0);

    /* A two-frame request and its reply. */
    CHECK (zmq_send (req, "hello", 5, ZMQ_SNDMORE) == 5);
    CHECK (zmq_send (req, "world", 5, 0) == 5);
    char buf[16];
    CHECK (zmq_recv (rep, buf, sizeof buf, 0) == 5 && memcmp (buf, "hello", 5) == 0);
    int more = 0;
    size = sizeof more;
    CHECK (zmq_getsockopt (rep, ZMQ_RCVMORE, &more, &size) == 0 && more == 1);
    /* A frame longer than the buffer: its whole size is returned, the rest dropped. */
    CHECK (zmq_recv (rep, buf, 3, 0) == 5 && memcmp (buf, "wor", 3) == 0);
    CHECK (zmq_getsockopt (rep, ZMQ_RCVMORE, &more, &size) == 0 && more == 0);
    CHECK (zmq_send (rep, "reply", 5, 0) == 5);
    CHECK (zmq_recv (req, buf, sizeof buf, 0) == 5 && memcmp (buf, "reply", 5) == 0);

    /* State and blocking errors, as libzmq gives them. */
    CHECK (zmq_send (rep, "x", 1, 0) == -1 && zmq_errno () == EFSM);
    CHECK (zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT) == -1 && zmq_errno () == EAGAIN);
    CHECK (strcmp (zmq_strerror (EFSM), "Operation cannot be accomplished in current state") == 0);

    CHECK (zmq_close (req) == 0 && zmq_close (rep) == 0);
    CHECK (zmq_close (NULL) == -1 && zmq_errno () == ENOTSOCK);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
