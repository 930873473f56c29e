/* zmq_msg_t: a message over the caller's buffer, freed once by the caller's function with
 * its hint when the last copy goes; sized messages, move, copy, more; the 64-byte struct
 * moved by memcpy and used from its new place; a message closed twice. Prints "ok". */
#include "check.h"

_Static_assert (sizeof (zmq_msg_t) == 64, "zmq_msg_t is 64 bytes, as in libzmq");

static char buffer[] = "caller's bytes";
static int hint_marker;
static int freed;

static void counting_free (void *data, void *hint)
{
    if (data != buffer || hint != &hint_marker)
        fprintf (stderr, "freed with data %p (expected %p), hint %p (expected %p)\n", data,
                 (void *) buffer, hint, (void *) &hint_marker);
    CHECK (data == buffer);
    CHECK (hint == &hint_marker);
    __atomic_fetch_add (&freed, 1, __ATOMIC_SEQ_CST);
}

static int freed_count (void)
{
    return __atomic_load_n (&freed, __ATOMIC_SEQ_CST);
}

/* Receives one frame on socket and checks its bytes and more flag. */
static void expect_frame (void *socket, const void *data, size_t size, int more)
{
    zmq_msg_t msg;
    CHECK (zmq_msg_init (&msg) == 0);
    CHECK (zmq_msg_recv (&msg, socket, 0) == (int) size);
    CHECK (zmq_msg_size (&msg) == size);
    CHECK (memcmp (zmq_msg_data (&msg), data, size) == 0);
    CHECK (zmq_msg_more (&msg) == more);
    CHECK (zmq_msg_close (&msg) == 0);
}

int main (void)
{
    assert_on_ferromq ();
    CHECK (sizeof (zmq_msg_t) == 64);

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (a && b);
    set_int (a, ZMQ_LINGER, 0);
    set_int (b, ZMQ_LINGER, 0);
    set_int (a, ZMQ_SNDTIMEO, 5000);
    set_int (b, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_bind (b, "inproc://msg-data") == 0);
    CHECK (zmq_connect (a, "inproc://msg-data") == 0);

    /* The caller's buffer, sent, received, copied: freed once, when all are closed. */
    size_t len = strlen (buffer);
    zmq_msg_t out;
    CHECK (zmq_msg_init_data (&out, buffer, len, counting_free, &hint_marker) == 0);
    CHECK (zmq_msg_size (&out) == len && zmq_msg_data (&out) == buffer);
    CHECK (zmq_msg_send (&out, a, 0) == (int) len);
    CHECK (zmq_msg_close (&out) == 0); /* emptied by the send: closing it is harmless */
    zmq_msg_t in, copy;
    CHECK (zmq_msg_init (&in) == 0 && zmq_msg_init (&copy) == 0);
    CHECK (zmq_msg_recv (&in, b, 0) == (int) len);
    CHECK (zmq_msg_size (&in) == len && memcmp (zmq_msg_data (&in), buffer, len) == 0);
    CHECK (zmq_msg_more (&in) == 0);
    CHECK (zmq_msg_copy (&copy, &in) == 0);
    CHECK (zmq_msg_size (&copy) == len && memcmp (zmq_msg_data (&copy), buffer, len) == 0);
    CHECK (freed_count () == 0 || freed_count () == 1);
    CHECK (zmq_msg_close (&in) == 0);
    CHECK (zmq_msg_size (&copy) == len && memcmp (zmq_msg_data (&copy), buffer, len) == 0);
    CHECK (zmq_msg_close (&copy) == 0);
    long long deadline = now_ms () + 5000;
    while (freed_count () == 0 && now_ms () < deadline)
        sleep_ms (1);
    if (freed_count () != 1)
        fprintf (stderr, "the free function ran %d times\n", freed_count ());
    CHECK (freed_count () == 1);

    /* A sized message, filled in place, moved. */
    zmq_msg_t sized, moved;
    CHECK (zmq_msg_init_size (&sized, 6) == 0);
    CHECK (zmq_msg_size (&sized) == 6);
    memcpy (zmq_msg_data (&sized), "sized!", 6);
    CHECK (zmq_msg_init (&moved) == 0);
    CHECK (zmq_msg_move (&moved, &sized) == 0);
    CHECK (zmq_msg_size (&sized) == 0);
    CHECK (zmq_msg_size (&moved) == 6 && memcmp (zmq_msg_data (&moved), "sized!", 6) == 0);
    CHECK (zmq_msg_close (&sized) == 0);

    /* Two frames: the first has more. */
    CHECK (zmq_msg_send (&moved, a, ZMQ_SNDMORE) == 6);
    CHECK (zmq_msg_close (&moved) == 0);
    CHECK (zmq_send (a, "last", 4, 0) == 4);
    expect_frame (b, "sized!", 6, 1);
    expect_frame (b, "last", 4, 0);

    /* A zmq_msg_t is plain bytes: memcpy'd elsewhere, it is used from there. Small (kept in
     * the struct, in libzmq) and large (on the heap). */
    static char large[100000];
    for (size_t i = 0; i < sizeof large; i++)
        large[i] = (char) (i * 7);
    size_t sizes[2] = {5, sizeof large};
    for (int i = 0; i < 2; i++) {
        zmq_msg_t original;
        CHECK (zmq_msg_init_size (&original, sizes[i]) == 0);
        memcpy (zmq_msg_data (&original), large, sizes[i]);
        zmq_msg_t *elsewhere = malloc (sizeof *elsewhere);
        CHECK (elsewhere);
        memcpy (elsewhere, &original, sizeof original);
        memset (&original, 0xAB, sizeof original); /* the old place is gone */
        CHECK (zmq_msg_size (elsewhere) == sizes[i]);
        CHECK (memcmp (zmq_msg_data (elsewhere), large, sizes[i]) == 0);
        CHECK (zmq_msg_send (elsewhere, a, 0) == (int) sizes[i]);
        CHECK (zmq_msg_close (elsewhere) == 0);
        free (elsewhere);
        expect_frame (b, large, sizes[i], 0);
    }

    /* Closed twice: EFAULT the second time. */
    zmq_msg_t twice;
    CHECK (zmq_msg_init_size (&twice, 10) == 0);
    CHECK (zmq_msg_close (&twice) == 0);
    CHECK (zmq_msg_close (&twice) == -1 && zmq_errno () == EFAULT);

    CHECK (zmq_close (a) == 0 && zmq_close (b) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    CHECK (freed_count () == 1);
    printf ("ok\n");
    return 0;
}
