/* Throughput, receiving side (libzmq's local_thr method): a PULL binds ENDPOINT and takes
 * COUNT messages of SIZE bytes with zmq_msg_recv, the clock running from the first message
 * to the last. Prints one line of two numbers, messages per second and megabits per second:
 *     <msg/s> <Mb/s>
 * (the suite reads the first number, as it reads its Rust sides' output).
 * Usage: local_thr ENDPOINT SIZE COUNT */
#define PROGRAM "local_thr"
#include "perf.h"
#include <time.h>

static double seconds (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

int main (int argc, char *argv[])
{
    const char *endpoint;
    size_t size;
    long long count;
    int bad = parse_args (argc, argv, &endpoint, &size, &count);
    if (bad)
        return bad;
    if (count < 1) {
        fprintf (stderr, "local_thr: COUNT must be at least 1\n");
        return 2;
    }

    void *ctx;
    void *pull = open_socket (&ctx, ZMQ_PULL, endpoint, 1);
    if (!pull)
        return 1;

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        return fail ("zmq_msg_init");
    double first = 0;
    for (long long n = 0; n < count; n++) {
        if (zmq_msg_recv (&msg, pull, 0) < 0)
            return fail ("zmq_msg_recv");
        if (zmq_msg_size (&msg) != size) {
            fprintf (stderr, "local_thr: a message of %zu bytes, not %zu\n",
                     zmq_msg_size (&msg), size);
            return 1;
        }
        if (n == 0)
            first = seconds ();
    }
    double took = seconds () - first;
    zmq_msg_close (&msg);

    /* count - 1 messages arrived after the clock started (the Rust sides count the same). */
    double gaps = count > 1 ? (double) (count - 1) : 1.0;
    double rate = gaps / (took > 1e-9 ? took : 1e-9);
    printf ("%.1f %.3f\n", rate, rate * (double) size * 8.0 / 1e6);
    fflush (stdout);

    zmq_close (pull);
    zmq_ctx_term (ctx);
    return 0;
}
