// The world around one tcp::Engine for fuzz_engine: a fake clock, a sink that
// reads back every segment the engine sends (so the fuzzed peer can answer
// with sequence and acknowledgment numbers near what the engine expects), a
// service that echoes like app/services/echo.hpp and can be told to
// half-close, close, abort or push data, and the invariants checked after
// each step. Unlike tests/unit's EngineHarness it has no Catch2 and keeps
// nothing it reads back: every mbuf goes back to the pool at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <set>

#include "app/services/echo.hpp"
#include "lib/net/frame_sink.hpp"
#include "lib/tcp/engine.hpp"
#include "tests/common/connection_access.hpp"
#include "tests/common/segment_builder.hpp"

namespace tcpterm::fuzz {

// One 4-tuple the fuzzed peer talks on, and what the engine last said on it.
struct Flow {
    uint16_t peer_port = 0;
    uint16_t our_port = 0;   // 0 until known (active open: the ephemeral port)
    uint32_t peer_isn = 0;   // the peer's sequence numbers before the engine acks any
    bool heard = false;      // the engine has sent on this flow
    bool acked = false;      // ... with ACK set: rcv_nxt is known
    uint32_t rcv_nxt = 0;    // the engine's last ACK field
    uint32_t snd_max = 0;    // the highest sequence the engine has sent, plus one
    uint32_t ts_val = 0;     // the engine's last TSval (for our TSecr)
    // TCP-AO traffic keys come from both ISNs (RFC 5925 §5.2): the peer's
    // last SYN and the engine's last SYN or SYN-ACK on this flow.
    uint32_t peer_syn_seq = 0;
    uint32_t engine_isn = 0;
};

// Actions a record may ask of the service on its flow's connection.
enum class Action : uint8_t { None, ShutdownWrite, Close, Abort, Send };

class FuzzService final : public tcp::Service {
public:
    bool accepts() const override { return accepting; }
    void on_accept(tcp::Connection c) override { owned.insert(tcp::ConnectionTestAccess::tcb(c)); }
    void on_data(tcp::Connection c) override { echo.on_data(c); }
    void on_writable(tcp::Connection c) override { echo.on_writable(c); }
    void on_peer_shutdown(tcp::Connection c) override { echo.on_peer_shutdown(c); }
    void on_closed(tcp::Connection c, tcp::CloseReason) override;

    bool accepting = true;       // false: like the `hold` service
    std::set<tcp::Tcb*> owned;   // accepted (or opened) and not closed yet
    app::EchoService echo;
};

class EngineDriver final : public net::DatagramSink {
public:
    static constexpr uint32_t kOurIp = 0xC6120001;   // 198.18.0.1
    static constexpr uint32_t kPeerIp = 0xC6120002;  // 198.18.0.2
    static constexpr uint16_t kListenPort = 80;
    static constexpr uint16_t kActivePeerPort = 9000;
    static constexpr size_t kFlows = 4;

    struct Setup {
        bool active_open = false;  // the engine connects to the peer's port 9000 first
        bool hold = false;         // the service never accepts (accept queue fills)
    };
    // The listener is on port 80 (any address) with the driver's service.
    EngineDriver(const tcp::EngineConfig& config, const tcp::Listener& listener,
                 const Setup& setup);
    ~EngineDriver() override;

    // The peer sends one segment on flows[flow]; then the engine flushes.
    // With an AO key configured (set_peer_ao_key), it is signed.
    void deliver(size_t flow, test::SegmentSpec spec);
    // The peer's side of the engine's AO key: segments are signed with it.
    void set_peer_ao_key(const tcp::AoKey& key) { peer_ao_ = key; has_ao_ = true; }
    // Time passes in steps (at most ~200 of them) firing timers and output.
    void advance_us(uint64_t us);
    void act(size_t flow, Action a);
    // Aborts with a message when the engine's books do not add up.
    void check_invariants() const;

    void send_datagram(rte_mbuf* m) override;

    uint64_t now_us = 10'000'000;
    std::array<Flow, kFlows> flows;
    // FUZZ_TRACE=1 in the environment: one line per segment each way and the
    // flow's state after it, to check what a seed or a regression does.
    bool trace = false;

private:
    tcp::FlowKey key(const Flow& f) const { return {kPeerIp, kOurIp, f.peer_port, f.our_port}; }
    tcp::Tcb* owned_conn(size_t flow);
    void trace_segment(const char* dir, uint16_t peer_port, uint8_t flags, uint32_t seq,
                       uint32_t ack, uint32_t len) const;

    tcp::AoKey peer_ao_;
    bool has_ao_ = false;
    tcp::Counters counters_;
    FuzzService service_;
    std::unique_ptr<tcp::Engine> engine_;
};

}  // namespace tcpterm::fuzz
