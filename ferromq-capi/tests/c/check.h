/* What every test program includes first (before any system header: it defines _GNU_SOURCE
 * for dladdr): CHECK, and assert_on_ferromq, which makes sure the program runs on ferromq's
 * libzmq.so and not on a libzmq installed on the machine. */
#ifndef FERROMQ_CAPI_TEST_CHECK_H
#define FERROMQ_CAPI_TEST_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* On failure: where, what, and errno as zmq_strerror words it; then exit 1 (so it works in
 * helper functions and threads as well as in main). */
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            int check_errno_ = zmq_errno ();                                           \
            fprintf (stderr, "%s:%d: CHECK (%s) failed (errno %d: %s)\n", __FILE__,    \
                     __LINE__, #cond, check_errno_, zmq_strerror (check_errno_));      \
            exit (1);                                                                  \
        }                                                                              \
    } while (0)

/* Fails unless the library zmq_socket comes from is the file $FERROMQ_LIBZMQ names (both
 * paths resolved with realpath), so a libzmq on the machine can never be tested by mistake. */
static void assert_on_ferromq (void)
{
    const char *expected = getenv ("FERROMQ_LIBZMQ");
    if (!expected || !*expected) {
        fprintf (stderr, "FERROMQ_LIBZMQ is not set: which libzmq is ferromq's?\n");
        exit (1);
    }
    Dl_info info;
    memset (&info, 0, sizeof info);
    if (!dladdr ((void *) zmq_socket, &info) || !info.dli_fname) {
        fprintf (stderr, "dladdr cannot tell where zmq_socket comes from\n");
        exit (1);
    }
    char want[PATH_MAX], got[PATH_MAX];
    if (!realpath (expected, want)) {
        fprintf (stderr, "FERROMQ_LIBZMQ=%s does not resolve\n", expected);
        exit (1);
    }
    if (!realpath (info.dli_fname, got)) {
        fprintf (stderr, "the loaded libzmq %s does not resolve\n", info.dli_fname);
        exit (1);
    }
    if (strcmp (want, got) != 0) {
        fprintf (stderr, "running on %s (%s), not on ferromq's %s\n", info.dli_fname, got,
                 want);
        exit (1);
    }
}

/* A monotonic clock in milliseconds: for bounding waits. */
static inline long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps a few milliseconds: only between checks of a condition with a deadline. */
static inline void sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    nanosleep (&ts, NULL);
}

/* Sets an int socket option, checked. */
static inline void set_int (void *socket, int option, int value)
{
    CHECK (zmq_setsockopt (socket, option, &value, sizeof value) == 0);
}

#endif
