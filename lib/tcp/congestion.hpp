// Congestion control behind one small interface, as Linux's
// tcp_congestion_ops: an algorithm is a stateless CongestionOps; what it
// keeps per connection lives in the connection's CongestionState. The
// engine owns the rules every algorithm shares (RFC 5681 §3.1 loss window
// after an RTO, PRR during recovery in engine_recovery.cpp, undo after a
// spurious retransmission); an algorithm decides only how the window grows
// on ACKs and where ssthresh goes after a congestion event.
//
//   newreno.cpp  RFC 5681 slow start and congestion avoidance (RFC 6582 is
//                the recovery in engine_recovery.cpp)
//   cubic.cpp    RFC 9438 CUBIC, with HyStart++ (RFC 9406, hystart.hpp)
//   bbr.cpp      BBR (version 1, as Linux's tcp_bbr.c): a model of the
//                path from delivery-rate samples (delivery_rate.hpp) sets
//                the window on every ACK, in recovery too; random loss is
//                not taken as congestion
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/tcp/bbr.hpp"
#include "lib/tcp/delivery_rate.hpp"
#include "lib/tcp/hystart.hpp"
#include "lib/tcp/seq.hpp"

namespace tcpterm::tcp {

enum class CongestionAlgorithm : uint8_t { NewReno, Cubic, Bbr };

std::optional<CongestionAlgorithm> parse_congestion_algorithm(std::string_view name);
const char* congestion_algorithm_name(CongestionAlgorithm a);

struct CongestionState {
    uint32_t mss = 536;
    uint32_t cwnd = 0;            // bytes
    uint32_t ssthresh = UINT32_MAX;
    uint32_t ca_acked = 0;        // congestion avoidance: growth below one byte, carried
    // What a congestion event replaced, to undo it when it proves spurious
    // (RFC 2883 D-SACK; RFC 3522 Eifel).
    uint32_t prior_cwnd = 0;
    uint32_t prior_ssthresh = 0;
    double prior_w_max = 0;

    // CUBIC (RFC 9438 §4), in segments and seconds.
    double w_max = 0;             // where the curve plateaus (fast convergence lowers it)
    double cwnd_prior = 0;        // the window before the last reduction (§4.3)
    bool after_timeout = false;   // §4.8: the next epoch follows an RTO
    double k = 0;                 // time to reach w_max again
    double w_est = 0;             // the Reno-friendly estimate (§4.3)
    double origin = 0;            // the plateau the curve is centred on
    double growth_carry = 0;      // fractions of a byte not yet added
    uint64_t epoch_start_us = 0;  // 0: the next ACK in congestion avoidance starts one

    HyStartPlusPlus hystart;
    BbrState bbr;

    bool in_slow_start() const { return cwnd < ssthresh; }
};

// What one ACK tells the algorithm.
struct AckSample {
    uint32_t acked = 0;           // bytes newly delivered (cumulative and SACKed)
    uint64_t now_us = 0;
    uint64_t rtt_us = 0;          // this ACK's RTT sample; 0: none
    uint64_t srtt_us = 0;
    Seq snd_una, snd_nxt;         // to tell HyStart++ rounds apart
    // For an algorithm that sets the window on every ACK (BBR):
    RateSample rate;              // this ACK's delivery-rate sample
    uint64_t delivered_total = 0; // bytes delivered over the connection's life
    uint32_t in_flight = 0;       // RFC 6675 pipe after this ACK
    uint32_t newly_lost = 0;      // bytes this ACK marked lost
    bool in_recovery = false;     // fast recovery or after an RTO
};

class CongestionOps {
public:
    virtual ~CongestionOps() = default;
    virtual CongestionAlgorithm algorithm() const = 0;
    // A new connection (cwnd is the initial window already).
    virtual void init(CongestionState& s) const = 0;
    // An ACK outside loss recovery: grow the window. (Every ACK, in
    // recovery too, for an algorithm that sets_window_on_every_ack.)
    virtual void on_ack(CongestionState& s, const AckSample& a) const = 0;
    // BBR: the algorithm, not PRR, sets cwnd during recovery as well.
    virtual bool sets_window_on_every_ack() const { return false; }
    // Loss or ECN-Echo: the new ssthresh. cwnd is the caller's to reduce.
    virtual uint32_t ssthresh_after_congestion(CongestionState& s, uint32_t flight,
                                               uint64_t now_us) const = 0;
};

const CongestionOps& congestion_ops(CongestionAlgorithm a);

// The rules shared by every algorithm.
namespace congestion {
// A congestion event (loss recovery, ECE): remembers what undo restores and
// sets ssthresh. Recovery brings cwnd down to it (PRR).
void on_congestion(const CongestionOps& ops, CongestionState& s, uint32_t flight, uint64_t now_us);
// RFC 5681 (4): after an RTO, ssthresh as for any congestion and cwnd the
// loss window of one segment.
void on_timeout(const CongestionOps& ops, CongestionState& s, uint32_t flight, uint64_t now_us);
// The reduction was for nothing: back to the window before it.
void undo(CongestionState& s);
}  // namespace congestion

}  // namespace tcpterm::tcp
