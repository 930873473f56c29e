/* Latency, echoing side (libzmq's local_lat): a REP binds ENDPOINT and sends each of COUNT
 * requests of SIZE bytes back as it came (zmq_msg_recv, then zmq_msg_send of that message).
 * Prints nothing on success.
 * Usage: local_lat ENDPOINT SIZE COUNT */
#define PROGRAM "local_lat"
#include "perf.h"

int main (int argc, char *argv[])
{
    const char *endpoint;
    size_t size;
    long long count;
    int bad = parse_args (argc, argv, &endpoint, &size, &count);
    if (bad)
        return bad;

    void *ctx;
    void *rep = open_socket (&ctx, ZMQ_REP, endpoint, 1);
    if (!rep)
        return 1;

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        return fail ("zmq_msg_init");
    for (long long n = 0; n < count; n++) {
        if (zmq_msg_recv (&msg, rep, 0) < 0)
            return fail ("zmq_msg_recv");
        if (zmq_msg_size (&msg) != size) {
            fprintf (stderr, "local_lat: a request of %zu bytes, not %zu\n",
                     zmq_msg_size (&msg), size);
            return 1;
        }
        if (zmq_msg_send (&msg, rep, 0) < 0) /* leaves msg empty, ready for the next */
            return fail ("zmq_msg_send");
    }
    zmq_msg_close (&msg);

    zmq_close (rep);
    zmq_ctx_term (ctx);
    return 0;
}
