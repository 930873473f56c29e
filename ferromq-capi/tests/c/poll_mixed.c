/* zmq_poll over two sockets and a plain file descriptor (a pipe's read end): each item is
 * ready exactly when it has something to read, and the timeout holds when none has.
 * Prints "ok". */
#include "check.h"

#include <unistd.h>

static void expect_ready (zmq_pollitem_t *items, int want0, int want1, int want2)
{
    int want = want0 + want1 + want2;
    /* Until as many items as expected are ready (they may become so one after the other),
     * for at most 5 s; none expected: at once. */
    long long deadline = now_ms () + 5000;
    int n;
    do
        n = zmq_poll (items, 3, want ? 10 : 0);
    while (n >= 0 && n < want && now_ms () < deadline);
    if (n != want || !!(items[0].revents & ZMQ_POLLIN) != want0
        || !!(items[1].revents & ZMQ_POLLIN) != want1
        || !!(items[2].revents & ZMQ_POLLIN) != want2)
        fprintf (stderr, "zmq_poll gave %d, revents %d %d %d; expected %d %d %d\n", n,
                 items[0].revents, items[1].revents, items[2].revents, want0, want1, want2);
    CHECK (n == want);
    CHECK (!!(items[0].revents & ZMQ_POLLIN) == want0);
    CHECK (!!(items[1].revents & ZMQ_POLLIN) == want1);
    CHECK (!!(items[2].revents & ZMQ_POLLIN) == want2);
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *pushes[2], *pulls[2];
    for (int i = 0; i < 2; i++) {
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "inproc://poll-mixed-%d", i);
        pulls[i] = zmq_socket (ctx, ZMQ_PULL);
        pushes[i] = zmq_socket (ctx, ZMQ_PUSH);
        CHECK (pulls[i] && pushes[i]);
        set_int (pulls[i], ZMQ_LINGER, 0);
        set_int (pushes[i], ZMQ_LINGER, 0);
        CHECK (zmq_bind (pulls[i], endpoint) == 0);
        CHECK (zmq_connect (pushes[i], endpoint) == 0);
    }
    int fds[2];
    CHECK (pipe (fds) == 0);

    zmq_pollitem_t items[3] = {
      {pulls[0], 0, ZMQ_POLLIN, 0},
      {pulls[1], 0, ZMQ_POLLIN, 0},
      {NULL, fds[0], ZMQ_POLLIN, 0},
    };

    /* Nothing ready: 0, after the timeout. */
    long long start = now_ms ();
    int n = zmq_poll (items, 3, 50);
    long long elapsed = now_ms () - start;
    CHECK (n == 0);
    CHECK (items[0].revents == 0 && items[1].revents == 0 && items[2].revents == 0);
    if (elapsed < 45 || elapsed > 2000)
        fprintf (stderr, "zmq_poll with a 50 ms timeout took %lld ms\n", elapsed);
    CHECK (elapsed >= 45 && elapsed <= 2000);

    /* The pipe alone. */
    CHECK (write (fds[1], "x", 1) == 1);
    expect_ready (items, 0, 0, 1);
    char byte;
    CHECK (read (fds[0], &byte, 1) == 1 && byte == 'x');
    expect_ready (items, 0, 0, 0);

    /* The second socket alone. */
    CHECK (zmq_send (pushes[1], "b", 1, 0) == 1);
    expect_ready (items, 0, 1, 0);
    /* Still ready until read. */
    expect_ready (items, 0, 1, 0);

    /* The pipe and that socket. */
    CHECK (write (fds[1], "y", 1) == 1);
    expect_ready (items, 0, 1, 1);
    char buf[8];
    CHECK (zmq_recv (pulls[1], buf, sizeof buf, ZMQ_DONTWAIT) == 1 && buf[0] == 'b');
    expect_ready (items, 0, 0, 1);
    CHECK (read (fds[0], &byte, 1) == 1 && byte == 'y');

    /* The first socket, then all three. */
    CHECK (zmq_send (pushes[0], "a", 1, 0) == 1);
    expect_ready (items, 1, 0, 0);
    CHECK (zmq_send (pushes[1], "c", 1, 0) == 1);
    CHECK (write (fds[1], "z", 1) == 1);
    expect_ready (items, 1, 1, 1);
    CHECK (zmq_recv (pulls[0], buf, sizeof buf, ZMQ_DONTWAIT) == 1 && buf[0] == 'a');
    CHECK (zmq_recv (pulls[1], buf, sizeof buf, ZMQ_DONTWAIT) == 1 && buf[0] == 'c');
    CHECK (read (fds[0], &byte, 1) == 1 && byte == 'z');
    expect_ready (items, 0, 0, 0);

    close (fds[0]);
    close (fds[1]);
    for (int i = 0; i < 2; i++)
        CHECK (zmq_close (pushes[i]) == 0 && zmq_close (pulls[i]) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
