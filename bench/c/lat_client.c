/* Latency, timing side: connects a REQ to ENDPOINT, makes COUNT round trips of SIZE-byte
 * messages (zmq_send of one buffer, zmq_recv into another) and prints the one-way latency's
 * mean and 99th percentile in microseconds (a round trip / 2), as the Rust sides print it.
 * Usage: lat_client ENDPOINT SIZE COUNT */
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

static int by_value (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: lat_client ENDPOINT SIZE COUNT\n");
        return 2;
    }
    size_t size = strtoul (argv[2], NULL, 10);
    long count = strtol (argv[3], NULL, 10);
    char *out = calloc (size ? size : 1, 1), *in = calloc (size ? size : 1, 1);
    double *rtt = calloc ((size_t) count, sizeof (double));
    void *ctx = zmq_ctx_new ();
    void *req = zmq_socket (ctx, ZMQ_REQ);
    if (!out || !in || !rtt || !req || zmq_connect (req, argv[1]) != 0) {
        fprintf (stderr, "lat_client: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    double sum = 0;
    for (long i = 0; i < count; i++) {
        double t = now ();
        if (zmq_send (req, out, size, 0) < 0 || zmq_recv (req, in, size, 0) < 0) {
            fprintf (stderr, "lat_client: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
        rtt[i] = now () - t;
        sum += rtt[i];
    }
    qsort (rtt, (size_t) count, sizeof (double), by_value);
    long p = count * 99 / 100;
    if (p >= count)
        p = count - 1;
    printf ("%f %f\n", sum / (double) count * 1e6 / 2, rtt[p] * 1e6 / 2);
    zmq_close (req);
    zmq_ctx_term (ctx);
    free (out);
    free (in);
    free (rtt);
    return 0;
}
