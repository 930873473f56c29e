/* zmq.h: libzmq 4.3.5's C API, as ferromq's libzmq.so provides it.
 *
 * The names and numbers are libzmq's, so that programs written for libzmq build unchanged;
 * the text is ferromq's. This header grows with the C ABI: what is declared here is what the
 * library exports today.
 */
#ifndef __ZMQ_H_INCLUDED__
#define __ZMQ_H_INCLUDED__

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version: the API this library answers to. */
#define ZMQ_VERSION_MAJOR 4
#define ZMQ_VERSION_MINOR 3
#define ZMQ_VERSION_PATCH 5
#define ZMQ_MAKE_VERSION(major, minor, patch) ((major) *10000 + (minor) *100 + (patch))
#define ZMQ_VERSION                                                            \
    ZMQ_MAKE_VERSION (ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH)

/* Errors: the system's numbers where it has them, libzmq's own above ZMQ_HAUSNUMERO. */
#define ZMQ_HAUSNUMERO 156384712
#ifndef ENOTSUP
#define ENOTSUP (ZMQ_HAUSNUMERO + 1)
#endif
#ifndef EPROTONOSUPPORT
#define EPROTONOSUPPORT (ZMQ_HAUSNUMERO + 2)
#endif
#ifndef ENOBUFS
#define ENOBUFS (ZMQ_HAUSNUMERO + 3)
#endif
#ifndef ENETDOWN
#define ENETDOWN (ZMQ_HAUSNUMERO + 4)
#endif
#ifndef EADDRINUSE
#define EADDRINUSE (ZMQ_HAUSNUMERO + 5)
#endif
#ifndef EADDRNOTAVAIL
#define EADDRNOTAVAIL (ZMQ_HAUSNUMERO + 6)
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED (ZMQ_HAUSNUMERO + 7)
#endif
#ifndef EINPROGRESS
#define EINPROGRESS (ZMQ_HAUSNUMERO + 8)
#endif
#ifndef ENOTSOCK
#define ENOTSOCK (ZMQ_HAUSNUMERO + 9)
#endif
#ifndef EMSGSIZE
#define EMSGSIZE (ZMQ_HAUSNUMERO + 10)
#endif
#ifndef EAFNOSUPPORT
#define EAFNOSUPPORT (ZMQ_HAUSNUMERO + 11)
#endif
#ifndef ENETUNREACH
#define ENETUNREACH (ZMQ_HAUSNUMERO + 12)
#endif
#ifndef ECONNABORTED
#define ECONNABORTED (ZMQ_HAUSNUMERO + 13)
#endif
#ifndef ECONNRESET
#define ECONNRESET (ZMQ_HAUSNUMERO + 14)
#endif
#ifndef ENOTCONN
#define ENOTCONN (ZMQ_HAUSNUMERO + 15)
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT (ZMQ_HAUSNUMERO + 16)
#endif
#ifndef EHOSTUNREACH
#define EHOSTUNREACH (ZMQ_HAUSNUMERO + 17)
#endif
#ifndef ENETRESET
#define ENETRESET (ZMQ_HAUSNUMERO + 18)
#endif
#define EFSM (ZMQ_HAUSNUMERO + 51)
#define ENOCOMPATPROTO (ZMQ_HAUSNUMERO + 52)
#define ETERM (ZMQ_HAUSNUMERO + 53)
#define EMTHREAD (ZMQ_HAUSNUMERO + 54)

int zmq_errno (void);
const char *zmq_strerror (int errnum_);
void zmq_version (int *major_, int *minor_, int *patch_);

/* Contexts. */
void *zmq_ctx_new (void);
int zmq_ctx_term (void *context_);

/* Socket types. */
#define ZMQ_PAIR 0
#define ZMQ_PUB 1
#define ZMQ_SUB 2
#define ZMQ_REQ 3
#define ZMQ_REP 4
#define ZMQ_DEALER 5
#define ZMQ_ROUTER 6
#define ZMQ_PULL 7
#define ZMQ_PUSH 8
#define ZMQ_XPUB 9
#define ZMQ_XSUB 10
#define ZMQ_XREQ ZMQ_DEALER
#define ZMQ_XREP ZMQ_ROUTER

/* Socket options (the ones ferromq's options table has; the rest come with the C ABI). */
#define ZMQ_SNDHWM 23
#define ZMQ_RCVHWM 24
#define ZMQ_LINGER 17
#define ZMQ_RCVTIMEO 27
#define ZMQ_SNDTIMEO 28
#define ZMQ_ROUTING_ID 5
#define ZMQ_MAXMSGSIZE 22
#define ZMQ_IPV6 42
#define ZMQ_IMMEDIATE 39
#define ZMQ_RECONNECT_IVL 18
#define ZMQ_RECONNECT_IVL_MAX 21
#define ZMQ_HANDSHAKE_IVL 66
#define ZMQ_HEARTBEAT_IVL 75
#define ZMQ_HEARTBEAT_TTL 76
#define ZMQ_HEARTBEAT_TIMEOUT 77
#define ZMQ_TCP_KEEPALIVE 34
#define ZMQ_TCP_KEEPALIVE_IDLE 36
#define ZMQ_TCP_KEEPALIVE_INTVL 37
#define ZMQ_TCP_KEEPALIVE_CNT 35
#define ZMQ_SNDBUF 11
#define ZMQ_RCVBUF 12
#define ZMQ_CONFLATE 54
#define ZMQ_BACKLOG 19
#define ZMQ_TOS 57
#define ZMQ_ROUTER_MANDATORY 33
#define ZMQ_ROUTER_HANDOVER 56
#define ZMQ_REQ_RELAXED 53
#define ZMQ_REQ_CORRELATE 52
#define ZMQ_XPUB_VERBOSE 40
#define ZMQ_XPUB_NODROP 69
#define ZMQ_AFFINITY 4
#define ZMQ_RATE 8
#define ZMQ_RECOVERY_IVL 9
#define ZMQ_MULTICAST_HOPS 25
#define ZMQ_MULTICAST_MAXTPDU 84
#define ZMQ_SUBSCRIBE 6
#define ZMQ_UNSUBSCRIBE 7
#define ZMQ_TYPE 16
#define ZMQ_RCVMORE 13
#define ZMQ_EVENTS 15
#define ZMQ_LAST_ENDPOINT 32
#define ZMQ_IDENTITY ZMQ_ROUTING_ID

/* Send and receive flags. */
#define ZMQ_DONTWAIT 1
#define ZMQ_SNDMORE 2
#define ZMQ_NOBLOCK ZMQ_DONTWAIT

/* Sockets. */
void *zmq_socket (void *, int type_);
int zmq_close (void *s_);
int zmq_setsockopt (void *s_, int option_, const void *optval_, size_t optvallen_);
int zmq_getsockopt (void *s_, int option_, void *optval_, size_t *optvallen_);
int zmq_bind (void *s_, const char *addr_);
int zmq_connect (void *s_, const char *addr_);
int zmq_unbind (void *s_, const char *addr_);
int zmq_disconnect (void *s_, const char *addr_);
int zmq_send (void *s_, const void *buf_, size_t len_, int flags_);
int zmq_recv (void *s_, void *buf_, size_t len_, int flags_);

#ifdef __cplusplus
}
#endif

#endif
