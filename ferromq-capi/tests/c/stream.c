/* STREAM against a plain TCP client written with POSIX sockets: the connection is announced
 * as [routing id, ""], the client's bytes arrive as [routing id, bytes], a reply sent as
 * routing id (ZMQ_SNDMORE) then bytes (ZMQ_SNDMORE there is ignored, as in libzmq) reaches
 * the client as it is, an unknown routing id is EHOSTUNREACH, and a zero-length send closes
 * the connection. Prints "ok". */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int rcvmore (void *socket)
{
    int more = -1;
    size_t size = sizeof more;
    CHECK (zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &size) == 0 && size == sizeof more);
    return more;
}

/* Receives [id, data] into the buffers; the data's size. */
static int recv_pair (void *stream, char *id, int *id_size, char *data, int data_max)
{
    *id_size = zmq_recv (stream, id, 256, 0);
    CHECK (*id_size > 0 && *id_size <= 256);
    CHECK (rcvmore (stream) == 1);
    int n = zmq_recv (stream, data, data_max, 0);
    CHECK (n >= 0 && n <= data_max);
    CHECK (rcvmore (stream) == 0);
    return n;
}

int main (void)
{
    assert_on_ferromq ();

    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *stream = zmq_socket (ctx, ZMQ_STREAM);
    CHECK (stream);
    set_int (stream, ZMQ_LINGER, 0);
    set_int (stream, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_bind (stream, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (stream, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    int port = atoi (strrchr (endpoint, ':') + 1);

    int tcp = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (tcp >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((unsigned short) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (connect (tcp, (struct sockaddr *) &addr, sizeof addr) == 0);
    struct timeval tv = {5, 0};
    CHECK (setsockopt (tcp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);

    char id[256], data[256];
    int id_size;
    CHECK (recv_pair (stream, id, &id_size, data, sizeof data) == 0);
    CHECK (id_size == 5 && id[0] == 0);

    CHECK (send (tcp, "hello", 5, 0) == 5);
    int got = 0;
    while (got < 5) {
        char from[256];
        int from_size;
        int n = recv_pair (stream, from, &from_size, data + got, (int) sizeof data - got);
        CHECK (n > 0 && from_size == id_size && memcmp (from, id, id_size) == 0);
        got += n;
    }
    CHECK (memcmp (data, "hello", 5) == 0);

    CHECK (zmq_send (stream, id, id_size, ZMQ_SNDMORE) == id_size);
    CHECK (zmq_send (stream, "world", 5, ZMQ_SNDMORE) == 5);
    char reply[5];
    CHECK (recv (tcp, reply, 5, MSG_WAITALL) == 5);
    CHECK (memcmp (reply, "world", 5) == 0);

    CHECK (zmq_send (stream, "nobody", 6, ZMQ_SNDMORE) == -1);
    CHECK (zmq_errno () == EHOSTUNREACH);

    CHECK (zmq_send (stream, id, id_size, ZMQ_SNDMORE) == id_size);
    CHECK (zmq_send (stream, "", 0, 0) == 0);
    char rest[1];
    CHECK (recv (tcp, rest, 1, 0) == 0); /* the end of the stream */
    close (tcp);

    CHECK (zmq_close (stream) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok\n");
    return 0;
}
