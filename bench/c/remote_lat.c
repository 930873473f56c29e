/* Latency, timing side (libzmq's remote_lat): a REQ connects to ENDPOINT and makes COUNT
 * round trips of SIZE bytes, each a zmq_msg_init_size message sent with zmq_msg_send and its
 * reply taken with zmq_msg_recv. Each round trip is timed, as the Rust latency side times
 * its own; prints one line of two numbers, the one-way latency (a round trip / 2) in
 * microseconds, mean and 99th percentile:
 *     <mean µs> <p99 µs>
 * Usage: remote_lat ENDPOINT SIZE COUNT */
#define PROGRAM "remote_lat"
#include "perf.h"
#include <string.h>
#include <time.h>

static double seconds (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int ascending (const void *a, const void *b)
{
    double x = *(const double *) a;
    double y = *(const double *) b;
    return x < y ? -1 : x > y;
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
        fprintf (stderr, "remote_lat: COUNT must be at least 1\n");
        return 2;
    }
    double *rtt = malloc ((size_t) count * sizeof *rtt);
    if (!rtt) {
        fprintf (stderr, "remote_lat: out of memory\n");
        return 1;
    }

    void *ctx;
    void *req = open_socket (&ctx, ZMQ_REQ, endpoint, 0);
    if (!req)
        return 1;

    zmq_msg_t reply;
    if (zmq_msg_init (&reply) != 0)
        return fail ("zmq_msg_init");
    double total = 0;
    for (long long n = 0; n < count; n++) {
        double start = seconds ();
        zmq_msg_t request;
        if (zmq_msg_init_size (&request, size) != 0)
            return fail ("zmq_msg_init_size");
        memset (zmq_msg_data (&request), 0, size);
        if (zmq_msg_send (&request, req, 0) < 0)
            return fail ("zmq_msg_send");
        if (zmq_msg_recv (&reply, req, 0) < 0)
            return fail ("zmq_msg_recv");
        rtt[n] = seconds () - start;
        total += rtt[n];
        if (zmq_msg_size (&reply) != size) {
            fprintf (stderr, "remote_lat: a reply of %zu bytes, not %zu\n",
                     zmq_msg_size (&reply), size);
            return 1;
        }
    }
    zmq_msg_close (&reply);

    qsort (rtt, (size_t) count, sizeof *rtt, ascending);
    long long p99 = count * 99 / 100;
    if (p99 > count - 1)
        p99 = count - 1;
    printf ("%.3f %.3f\n", total / (double) count * 1e6 / 2.0, rtt[p99] * 1e6 / 2.0);
    fflush (stdout);

    free (rtt);
    zmq_close (req);
    zmq_ctx_term (ctx);
    return 0;
}
