// A C++ program written with cppzmq (zmq.hpp, zmq_addon.hpp), built against ferromq's zmq.h
// and libzmq.so as a C++ user builds it: REQ/REP, ROUTER/DEALER multipart, zmq::poll,
// socket options, a zmq::monitor_t, and zmq::error_t carrying libzmq's errno.
#include "../c/check.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <string>
#include <vector>

// Records the events a monitored socket reports, and the address of the last listen.
class recording_monitor : public zmq::monitor_t
{
  public:
    bool listening = false, accepted = false;
    std::string listened_on;

  private:
    void on_event_listening (const zmq_event_t &, const char *addr) override
    {
        listening = true;
        listened_on = addr;
    }
    void on_event_accepted (const zmq_event_t &, const char *) override { accepted = true; }
};

int main ()
{
    assert_on_ferromq ();
    zmq::context_t ctx;

    // REQ/REP over tcp, with message_t and buffers.
    zmq::socket_t rep (ctx, zmq::socket_type::rep);
    rep.set (zmq::sockopt::linger, 0);
    rep.set (zmq::sockopt::rcvtimeo, 5000);
    rep.bind ("tcp://127.0.0.1:*");
    const std::string endpoint = rep.get (zmq::sockopt::last_endpoint);
    zmq::socket_t req (ctx, zmq::socket_type::req);
    req.set (zmq::sockopt::linger, 0);
    req.set (zmq::sockopt::rcvtimeo, 5000);
    req.connect (endpoint);
    CHECK (req.send (zmq::str_buffer ("ping"), zmq::send_flags::none) == 4u);
    zmq::message_t request;
    CHECK (rep.recv (request, zmq::recv_flags::none) == 4u);
    CHECK (request.to_string () == "ping");
    CHECK (rep.send (zmq::buffer (std::string ("pong")), zmq::send_flags::none) == 4u);
    zmq::message_t reply;
    CHECK (req.recv (reply) && reply.to_string () == "pong");

    // ROUTER/DEALER with multipart messages and a routing id.
    zmq::socket_t router (ctx, zmq::socket_type::router);
    router.set (zmq::sockopt::linger, 0);
    router.set (zmq::sockopt::rcvtimeo, 5000);
    router.bind ("inproc://cppzmq-router");
    zmq::socket_t dealer (ctx, zmq::socket_type::dealer);
    dealer.set (zmq::sockopt::linger, 0);
    dealer.set (zmq::sockopt::rcvtimeo, 5000);
    dealer.set (zmq::sockopt::routing_id, "dealer-1");
    CHECK (dealer.get (zmq::sockopt::routing_id) == "dealer-1");
    dealer.set (zmq::sockopt::rcvhwm, 77);
    CHECK (dealer.get (zmq::sockopt::rcvhwm) == 77);
    dealer.connect ("inproc://cppzmq-router");
    std::vector<zmq::const_buffer> parts = {zmq::str_buffer ("a"), zmq::str_buffer ("bc")};
    CHECK (zmq::send_multipart (dealer, parts).value_or (0) == 2u);
    std::vector<zmq::message_t> got;
    CHECK (zmq::recv_multipart (router, std::back_inserter (got)).value_or (0) == 3u);
    CHECK (got[0].to_string () == "dealer-1");
    CHECK (got[1].to_string () == "a" && got[2].to_string () == "bc");
    zmq::multipart_t answer;
    answer.addstr ("dealer-1");
    answer.addstr ("done");
    CHECK (answer.send (router));
    zmq::message_t done;
    CHECK (dealer.recv (done) && done.to_string () == "done" && !done.more ());

    // zmq::poll over two sockets: nothing, then only the one with a message.
    std::vector<zmq::pollitem_t> items = {{rep.handle (), 0, ZMQ_POLLIN, 0},
                                          {dealer.handle (), 0, ZMQ_POLLIN, 0}};
    CHECK (zmq::poll (items, std::chrono::milliseconds (20)) == 0);
    CHECK (router.send (zmq::str_buffer ("dealer-1"), zmq::send_flags::sndmore));
    CHECK (router.send (zmq::str_buffer ("again"), zmq::send_flags::none));
    CHECK (zmq::poll (items, std::chrono::milliseconds (5000)) == 1);
    CHECK (!(items[0].revents & ZMQ_POLLIN) && (items[1].revents & ZMQ_POLLIN));
    CHECK (dealer.recv (done) && done.to_string () == "again");

    // A monitor_t subclass sees its socket listen and accept a peer.
    zmq::socket_t pull (ctx, zmq::socket_type::pull);
    pull.set (zmq::sockopt::linger, 0);
    zmq::socket_t push (ctx, zmq::socket_type::push);
    push.set (zmq::sockopt::linger, 0);
    {
        recording_monitor monitor;
        monitor.init (pull, "inproc://cppzmq-monitor",
                      ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED);
        pull.bind ("tcp://127.0.0.1:*");
        const std::string pulls = pull.get (zmq::sockopt::last_endpoint);
        push.connect (pulls);
        const long long deadline = now_ms () + 5000;
        while (!(monitor.listening && monitor.accepted) && now_ms () < deadline)
            monitor.check_event (100);
        CHECK (monitor.listening && monitor.accepted);
        CHECK (monitor.listened_on == pulls);
    }

    // Errors come as zmq::error_t with libzmq's errno.
    bool thrown = false;
    try {
        rep.bind ("foo://bar");
    }
    catch (const zmq::error_t &e) {
        thrown = e.num () == EPROTONOSUPPORT;
    }
    CHECK (thrown);

    printf ("ok\n");
    return 0;
}
