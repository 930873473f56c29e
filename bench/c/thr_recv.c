/* Throughput, receiving side: binds a PULL to ENDPOINT, receives COUNT messages and prints
 * messages per second from the first to the last (libzmq's local_thr method).
 * Usage: thr_recv ENDPOINT COUNT */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zmq.h>

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: thr_recv ENDPOINT COUNT\n");
        return 2;
    }
    long count = strtol (argv[2], NULL, 10);
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    if (!pull || zmq_bind (pull, argv[1]) != 0) {
        fprintf (stderr, "thr_recv: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    double start = 0;
    for (long i = 0; i < count; i++) {
        if (zmq_msg_recv (&msg, pull, 0) < 0) {
            fprintf (stderr, "thr_recv: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
        if (i == 0)
            start = now ();
    }
    double took = now () - start;
    zmq_msg_close (&msg);
    printf ("%f\n", (double) (count > 1 ? count - 1 : 1) / (took > 1e-9 ? took : 1e-9));
    zmq_close (pull);
    zmq_ctx_term (ctx);
    return 0;
}
