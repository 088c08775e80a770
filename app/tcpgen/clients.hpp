// The main lcore's side of tcpgen: everything received, and the legitimate
// client population. Frames for the flood's spoofed addresses (ARP requests,
// SYN-ACKs, RSTs) are answered or counted here; the rest goes through the
// project's own lib/net Interface (ARP, IPv4) and lib/tcp Engine, where each
// client connection is an active open whose Service sends one HTTP/1.1
// request, reads the reply until the server closes, and closes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "app/tcpgen/flood.hpp"
#include "app/tcpgen/options.hpp"
#include "lib/net/counters.hpp"
#include "lib/net/frame_sink.hpp"
#include "lib/net/interface.hpp"
#include "lib/net/port.hpp"
#include "lib/tcp/counters.hpp"
#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace tcpterm::tcpgen {

// What arrived, by kind. Owned by the main lcore.
struct RxCounters {
    uint64_t frames = 0;
    uint64_t flood_synack = 0;     // SYN-ACKs to a spoofed flood address
    uint64_t flood_rst = 0;        // RSTs to a flood address
    uint64_t flood_other = 0;      // anything else IPv4 to a flood address
    uint64_t flood_arp_replies = 0;  // ARP requests for flood addresses we answered
    uint64_t target_arp_probes = 0;  // ARP requests we sent for the next hop
    uint64_t loop_stalls = 0;        // main-loop turns more than 100 us apart (descheduled)
    uint64_t loop_max_gap_us = 0;
};

struct ClientCounters {
    uint64_t tried = 0;            // connect() calls (connect_errors included)
    uint64_t established = 0;      // on_accept
    uint64_t completed = 0;        // 200 with the whole body, then a clean close
    uint64_t failed_timeout = 0;   // not done within --timeout-ms, or the engine gave up
    uint64_t failed_reset = 0;     // RST from the server (refused or reset)
    uint64_t failed_response = 0;  // closed cleanly without a whole 200 response
    uint64_t failed_other = 0;
    uint64_t connect_errors = 0;   // no local port or table slot
    uint64_t unfinished = 0;       // still open when the drain time ran out
    uint64_t capped = 0;           // connection tokens skipped at the concurrency cap
    uint64_t response_bytes = 0;
    uint64_t failed() const {
        return failed_timeout + failed_reset + failed_response + failed_other + connect_errors;
    }
};

class Clients final : public net::FrameSink, public net::DatagramSink, public tcp::Service {
public:
    Clients(const Options& o, const net::PortInfo& port, rte_mempool* pool, TxQueue tx,
            uint16_t rx_queues, uint64_t hz);
    ~Clients() override;

    // One loop turn: receive and handle a burst on every RX queue, open new
    // connections if allowed, run timers and timeouts, flush output.
    void poll(uint64_t now_tsc, bool open_new);
    // Sends an ARP request for the next hop while its MAC is unknown (every
    // 100 ms at most).
    void probe_next_hop(uint64_t now_tsc);
    bool next_hop_known() const { return next_hop_known_; }
    const rte_ether_addr& next_hop_mac() const { return next_hop_mac_; }
    // Starts the connection bucket now (no burst for the time before).
    void start(uint64_t now_tsc) { last_tsc_ = now_tsc; credit_ = 0; }
    // Aborts what is still open, counted as unfinished.
    void abort_all(uint64_t now_tsc);

    // Frames the port has not taken yet (the flood yields to them).
    bool tx_pending() const { return tx_n_ > 0; }
    uint32_t live() const { return static_cast<uint32_t>(active_.size()); }
    const RxCounters& rx() const { return rx_; }
    const ClientCounters& counters() const { return counters_; }
    const net::Counters& net_counters() const { return net_counters_; }
    const tcp::Counters& tcp_counters() const { return tcp_counters_; }
    // Handshake latencies (connect() to on_accept), microseconds, in order.
    const std::vector<float>& handshake_us() const { return handshake_us_; }
    // Whole-connection times of completed connections (connect() to the
    // clean close), microseconds.
    const std::vector<float>& completion_us() const { return completion_us_; }

    // FrameSink / DatagramSink
    void send_frame(rte_mbuf* frame) override;
    void send_datagram(rte_mbuf* datagram) override;
    // Service
    void on_accept(tcp::Connection c) override;
    void on_data(tcp::Connection c) override;
    void on_peer_shutdown(tcp::Connection c) override;
    void on_closed(tcp::Connection c, tcp::CloseReason reason) override;

private:
    static constexpr uint32_t kHeaderMax = 1024;
    struct Slot {
        tcp::Connection conn;
        uint64_t start_tsc = 0;
        uint32_t active_pos = 0;
        uint32_t header_len = 0;
        int64_t body_left = -1;     // -1: no Content-Length (read to close)
        uint16_t status = 0;
        bool header_done = false;
        bool bad_response = false;
        bool timed_out = false;
        bool unfinished = false;
        char header[kHeaderMax];
    };

    bool handle_local(rte_mbuf* m);  // flood-address traffic and next-hop learning
    void open_connections(uint64_t now_tsc);
    void check_timeouts(uint64_t now_tsc);
    void flush_tx();
    void parse_response(Slot& s, const uint8_t* data, size_t len);
    bool response_complete(const Slot& s) const;
    Slot& slot_of(tcp::Connection c);
    void release_slot(Slot& s);

    const Options& o_;
    rte_ether_addr mac_;
    uint32_t next_hop_;
    uint64_t hz_;
    uint64_t us_cycles_;
    TxQueue tx_;
    uint16_t rx_queues_;
    rte_mempool* pool_;
    net::Counters net_counters_;
    tcp::Counters tcp_counters_;
    uint64_t now_us_ = 0;
    std::unique_ptr<net::Interface> iface_;
    std::unique_ptr<tcp::Engine> engine_;

    bool next_hop_known_ = false;
    rte_ether_addr next_hop_mac_{};
    uint64_t last_probe_tsc_ = 0;
    uint64_t last_poll_tsc_ = 0;

    std::string request_;
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_slots_;
    std::vector<uint32_t> active_;
    uint64_t credit_ = 0;
    uint64_t last_tsc_ = 0;
    uint64_t next_timeout_scan_ = 0;
    uint64_t timeout_cycles_;

    static constexpr uint16_t kTxMax = 128;
    rte_mbuf* tx_pkts_[kTxMax];
    uint16_t tx_n_ = 0;

    RxCounters rx_;
    ClientCounters counters_;
    std::vector<float> handshake_us_;
    std::vector<float> completion_us_;
};

}  // namespace tcpterm::tcpgen
