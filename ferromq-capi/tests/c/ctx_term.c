/* Context options, the socket limit, and shutting a context down under a thread blocked in
 * zmq_recv: the call returns ETERM, the thread closes its socket, zmq_ctx_term returns.
 * Prints "ok". */
#include "check.h"

#include <pthread.h>

static void *pull;
static int started, finished, recv_rc, recv_errno;

static void *receiver (void *arg)
{
    (void) arg;
    char buf[16];
    __atomic_store_n (&started, 1, __ATOMIC_SEQ_CST);
    int rc = zmq_recv (pull, buf, sizeof buf, 0); /* no timeout: only the shutdown ends it */
    recv_errno = zmq_errno ();
    recv_rc = rc;
    CHECK (zmq_close (pull) == 0);
    __atomic_store_n (&finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int main (void)
{
    assert_on_ferromq ();

    /* Options, as libzmq's defaults. */
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == 1);
    CHECK (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS) == 1023);
    CHECK (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE) == 64);
    CHECK (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE) == (int) sizeof (zmq_msg_t));

    /* A limit of two sockets: the third is EMFILE. */
    void *limited = zmq_ctx_new ();
    CHECK (limited);
    CHECK (zmq_ctx_set (limited, ZMQ_MAX_SOCKETS, 2) == 0);
    CHECK (zmq_ctx_get (limited, ZMQ_MAX_SOCKETS) == 2);
    void *first = zmq_socket (limited, ZMQ_PAIR);
    void *second = zmq_socket (limited, ZMQ_PAIR);
    CHECK (first && second);
    CHECK (zmq_socket (limited, ZMQ_PAIR) == NULL && zmq_errno () == EMFILE);
    CHECK (zmq_close (first) == 0 && zmq_close (second) == 0);
    CHECK (zmq_ctx_term (limited) == 0);

    /* A thread blocked in zmq_recv; the context shut down under it. */
    pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK (pull);
    CHECK (zmq_bind (pull, "inproc://ctx-term") == 0);
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, receiver, NULL) == 0);
    long long deadline = now_ms () + 5000;
    while (!__atomic_load_n (&started, __ATOMIC_SEQ_CST) && now_ms () < deadline)
        sleep_ms (1);
    CHECK (__atomic_load_n (&started, __ATOMIC_SEQ_CST));
    /* Most likely blocked by now; if not, its zmq_recv gives ETERM all the same. */
    sleep_ms (50);
    CHECK (!__atomic_load_n (&finished, __ATOMIC_SEQ_CST));
    CHECK (zmq_ctx_shutdown (ctx) == 0);
    deadline = now_ms () + 5000;
    while (!__atomic_load_n (&finished, __ATOMIC_SEQ_CST) && now_ms () < deadline)
        sleep_ms (1);
    if (!__atomic_load_n (&finished, __ATOMIC_SEQ_CST))
        fprintf (stderr, "zmq_recv still blocked 5 s after zmq_ctx_shutdown\n");
    CHECK (__atomic_load_n (&finished, __ATOMIC_SEQ_CST));
    CHECK (pthread_join (thread, NULL) == 0);
    if (recv_rc != -1 || recv_errno != ETERM)
        fprintf (stderr, "zmq_recv gave %d, errno %d (%s)\n", recv_rc, recv_errno,
                 zmq_strerror (recv_errno));
    CHECK (recv_rc == -1 && recv_errno == ETERM);
    /* A new socket on a context shut down: ETERM too. */
    CHECK (zmq_socket (ctx, ZMQ_PULL) == NULL && zmq_errno () == ETERM);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
