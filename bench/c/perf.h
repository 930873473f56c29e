/* What the four benchmark programs share: their arguments (ENDPOINT SIZE COUNT, as libzmq's
 * perf programs take them) and how they fail (the call that failed, and zmq_strerror of
 * errno; exit status 1). Each program defines PROGRAM, its name, before including this. */
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

#endif
