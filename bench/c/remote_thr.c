/* Throughput, sending side (libzmq's remote_thr method): a PUSH connects to ENDPOINT and
 * sends COUNT messages of SIZE bytes, each one a new zmq_msg_init_size message handed to
 * zmq_msg_send, then closes and waits (linger) until all have left. Built once against
 * ferromq's libzmq.so and once against libzmq; prints nothing on success.
 * Usage: remote_thr ENDPOINT SIZE COUNT */
#define PROGRAM "remote_thr"
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
    void *push = open_socket (&ctx, ZMQ_PUSH, endpoint, 0);
    if (!push)
        return 1;

    for (long long n = 0; n < count; n++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, size) != 0)
            return fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, push, 0) < 0)
            return fail ("zmq_msg_send");
        zmq_msg_close (&msg); /* empty once sent: as remote_thr does, close it anyway */
    }

    if (zmq_close (push) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0) /* returns when every queued message is out */
        return fail ("zmq_ctx_term");
    return 0;
}
