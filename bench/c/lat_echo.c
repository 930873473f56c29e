/* Latency, echoing side: binds a REP to ENDPOINT and sends back COUNT requests.
 * Usage: lat_echo ENDPOINT COUNT */
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

int main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: lat_echo ENDPOINT COUNT\n");
        return 2;
    }
    long count = strtol (argv[2], NULL, 10);
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    if (!rep || zmq_bind (rep, argv[1]) != 0) {
        fprintf (stderr, "lat_echo: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long i = 0; i < count; i++) {
        if (zmq_msg_recv (&msg, rep, 0) < 0 || zmq_msg_send (&msg, rep, 0) < 0) {
            fprintf (stderr, "lat_echo: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    zmq_msg_close (&msg);
    zmq_close (rep);
    zmq_ctx_term (ctx);
    return 0;
}
