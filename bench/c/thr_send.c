/* Throughput, sending side: connects a PUSH to ENDPOINT and sends COUNT messages of SIZE
 * bytes, each a fresh zmq_msg_init_size message (libzmq's remote_thr method), then waits for
 * them to leave. Built once against ferromq's libzmq.so and once against libzmq.
 * Usage: thr_send ENDPOINT SIZE COUNT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: thr_send ENDPOINT SIZE COUNT\n");
        return 2;
    }
    size_t size = strtoul (argv[2], NULL, 10);
    long count = strtol (argv[3], NULL, 10);
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    if (!push || zmq_connect (push, argv[1]) != 0) {
        fprintf (stderr, "thr_send: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, size) != 0 || zmq_msg_send (&msg, push, 0) < 0) {
            fprintf (stderr, "thr_send: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    zmq_close (push); /* lingers until every message is out */
    zmq_ctx_term (ctx);
    return 0;
}
