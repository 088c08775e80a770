// Where finished Ethernet frames go. The worker implements it with the port's
// TX buffer; tests implement it with a vector. Keeps lib/net and lib/tcp free
// of ethdev calls.
#pragma once

struct rte_mbuf;

namespace tcpterm::net {

class FrameSink {
public:
    virtual ~FrameSink() = default;
    // Takes ownership of the frame.
    virtual void send_frame(rte_mbuf* frame) = 0;
};

}  // namespace tcpterm::net

namespace tcpterm::net {

// Where an upper layer hands finished IPv4 datagrams (data at the IPv4
// header, l3_len/l4_len set); the interface adds L2 and sends them.
class DatagramSink {
public:
    virtual ~DatagramSink() = default;
    // Takes ownership of the datagram.
    virtual void send_datagram(rte_mbuf* datagram) = 0;
    // A stateless answer built in the mbuf of the datagram it answers (RST,
    // cookie SYN-ACK): may go back to the L2 source of that frame without a
    // neighbour lookup. By default, routed like any datagram.
    virtual void reply_datagram(rte_mbuf* datagram) { send_datagram(datagram); }
};

}  // namespace tcpterm::net
