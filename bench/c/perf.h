/* What the four benchmark programs share: their arguments (ENDPOINT SIZE COUNT, as libzmq's
 * perf programs take them) and how they fail (the call that failed, and zmq_strerror of
 * errno; exit status 1), and how they open their socket. Each program defines PROGRAM, its name, before including this. */
#ifndef FERROMQ_BENCH_PERF_H
#define FERROMQ_BENCH_PERF_H

#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

static int fail (const char *what)
{
    fprintf (stderr, PROGRAM ": %s: %s\n", what, zmq_strerror (zmq_errno ()));
    return 1;
}

/* Reads ENDPOINT SIZE COUNT; 0, or 2 (the exit status) with the usage line printed. */
static int parse_args (
  int argc, char *argv[], const char **endpoint, size_t *size, long long *count)
{
    if (argc != 4) {
        fprintf (stderr, "usage: " PROGRAM " ENDPOINT SIZE COUNT\n");
        return 2;
    }
    *endpoint = argv[1];
    *size = (size_t) strtoull (argv[2], NULL, 10);
    *count = strtoll (argv[3], NULL, 10);
    return 0;
}

/* libzmq's own test keys (its zmq_curve man page): the binding side is the CURVE server,
 * the connecting side its client, when FERROMQ_BENCH_CURVE is set. */
static const char SERVER_PUBLIC[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
static const char SERVER_SECRET[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
static const char CLIENT_PUBLIC[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
static const char CLIENT_SECRET[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

static int curve (void *socket, int server)
{
    int one = 1;
    if (server)
        return zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, SERVER_SECRET, 40)
               || zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &one, sizeof one);
    return zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, SERVER_PUBLIC, 40)
           || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, CLIENT_PUBLIC, 40)
           || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, CLIENT_SECRET, 40);
}

/* A context and a socket of TYPE bound to (BIND) or connected to ENDPOINT (with CURVE when
 * FERROMQ_BENCH_CURVE is set); NULL, with the failed call printed, when any step fails. */
static void *open_socket (void **ctx, int type, const char *endpoint, int bind)
{
    *ctx = zmq_ctx_new ();
    if (!*ctx) {
        fail ("zmq_ctx_new");
        return NULL;
    }
    void *socket = zmq_socket (*ctx, type);
    if (!socket) {
        fail ("zmq_socket");
        return NULL;
    }
    if (getenv ("FERROMQ_BENCH_CURVE") && curve (socket, bind) != 0) {
        fail ("CURVE options");
        return NULL;
    }
    if ((bind ? zmq_bind (socket, endpoint) : zmq_connect (socket, endpoint)) != 0) {
        fail (bind ? "zmq_bind" : "zmq_connect");
        return NULL;
    }
    return socket;
}

#endif
