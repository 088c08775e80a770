// What one engine (one worker) is sized and tuned by. Filled from the
// configuration at start; nothing here changes while packets flow.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/tcp/congestion.hpp"
#include "lib/tcp/siphash.hpp"
#include "lib/tcp/tcp_ao.hpp"

namespace tcpterm::tcp {

struct EngineConfig {
    uint32_t max_connections = 65536;
    uint32_t max_time_wait = 65536;      // compact TIME_WAIT entries
    uint16_t mss = 1460;                 // advertised: MTU - 40, after any clamp
    // The port sends mbuf chains (RTE_ETH_TX_OFFLOAD_MULTI_SEGS): segments
    // carry their payload by reference to the send queue's mbufs (zero
    // copy, retransmissions too) instead of a copy.
    bool tx_chains = false;
    // The port segments TCP (RTE_ETH_TX_OFFLOAD_TCP_TSO, with chains): one
    // frame may carry up to this many payload bytes, cut at the MSS by the
    // port. 0: one segment per frame.
    uint32_t tso_max = 0;
    uint32_t rcvbuf = 256 * 1024;        // bytes we accept ahead of the service, at first
    // Autotuning grows a connection's receive buffer up to this (Linux's
    // tcp_rmem[2]) when its service reads fast; 0 or rcvbuf: fixed.
    uint32_t rcvbuf_max = 0;
    uint32_t sndbuf = 256 * 1024;        // bytes a service may queue unacknowledged
    // Send buffer autotuning (Linux's tcp_sndbuf_expand, up to tcp_wmem[2]):
    // a connection's buffer grows to twice its congestion window, so that
    // one hole at SND.UNA does not stop new data (and with it the SACKs that
    // show a lost retransmission). sndbuf or less: fixed.
    uint32_t sndbuf_max = 0;
    // Memory of this worker's connection queues, in mbufs (Linux's tcp_mem,
    // which counts pages): at `pressure` windows stop growing and
    // out-of-order data is refused until the total falls below `low`; at
    // `high` the largest holders are reset. 0: no limit. Each connection's
    // received data may also hold at most 2 * rcvbuf of buffer memory
    // (Linux charges truesize against a doubled SO_RCVBUF likewise).
    uint32_t mem_low = 0;
    uint32_t mem_pressure = 0;
    uint32_t mem_high = 0;
    bool timestamps = true;              // RFC 7323
    bool sack = true;                    // RFC 2018 (permitted; blocks come with reassembly)
    bool ecn_accept = true;              // RFC 3168: agree to ECN when a SYN asks (Linux tcp_ecn=2)
    bool ecn_request = false;            // RFC 3168: ask for ECN on our own SYNs (tcp_ecn=1)
    std::vector<AoKey> ao_keys;          // RFC 5925 master keys; peers they cover must sign
    bool window_scaling = true;          // RFC 7323
    uint32_t initial_cwnd_segments = 10; // RFC 6928
    // Congestion control of active opens (listeners choose their own);
    // CUBIC, as Linux's default.
    CongestionAlgorithm congestion = CongestionAlgorithm::Cubic;
    bool tail_loss_probe = true;         // RFC 8985 §7 (TLP)
    uint64_t tlp_min_us = 10'000;        // lower bound of the probe timeout
    uint64_t rto_initial_us = 1'000'000; // RFC 6298 (2.1)
    uint64_t rto_min_us = 200'000;       // as Linux; RFC 6298 says 1 s
    uint64_t rto_max_us = 120'000'000;
    uint32_t synack_retries = 5;
    uint32_t syn_retries = 6;            // active open: SYN retransmissions (Linux default)
    uint16_t ephemeral_first = 32768;    // RFC 6056 range for our own connections
    uint16_t ephemeral_last = 60999;
    // Our own connect may take over a tuple we hold in TIME_WAIT when
    // timestamps make it safe (Linux tcp_tw_reuse = 1; see engine_connect.cpp).
    bool tw_reuse = true;
    uint32_t data_retries = 15;          // like Linux tcp_retries2
    // Connections their service has closed (orphans): aborted after this
    // many unanswered retransmissions or window probes (Linux's
    // tcp_orphan_retries, whose 0 means 8), and at most max_orphans of them
    // per worker: past that a closing connection is reset at once
    // (tcp_max_orphans).
    uint32_t orphan_retries = 8;
    uint32_t max_orphans = 16384;
    // RFC 5482 User Timeout: how long sent data may stay unacknowledged
    // before the connection is aborted (0: only the retry count decides),
    // whether we advertise it in SYNs, and whether and within which bounds
    // the peer's advertised value replaces it.
    uint64_t user_timeout_us = 0;
    bool uto_advertise = false;
    bool uto_accept = true;
    uint64_t uto_min_us = 10'000'000;    // L_LIMIT
    uint64_t uto_max_us = 600'000'000;   // U_LIMIT
    // Keepalive (RFC 1122 4.2.3.6): after this much silence probe the peer
    // (0: off), every interval, and abort after `probes` unanswered ones.
    uint64_t keepalive_idle_us = 0;
    uint64_t keepalive_interval_us = 75'000'000;
    uint32_t keepalive_probes = 9;
    uint64_t msl_us = 30'000'000;        // TIME_WAIT lasts 2 * MSL
    uint64_t fin_timeout_us = 60'000'000; // orphaned FIN_WAIT_2 lifetime (Linux tcp_fin_timeout)
    bool rfc1337 = true;                 // RSTs do not end TIME_WAIT
    // RFC 5961 §7: challenge ACKs per second per worker, on average: each
    // second's budget is drawn from [limit/2, 3*limit/2) (as Linux).
    uint32_t challenge_ack_per_second = 1000;
    // Replies to invalid segments, per connection: one per this interval
    // (Linux's tcp_invalid_ratelimit).
    uint64_t invalid_ratelimit_us = 500'000;
    // Delayed ACKs (RFC 9293 §3.8.6.3): an ACK for every second full-sized
    // segment, else after this long (Linux's 40 ms minimum ATO); 0: every
    // segment is answered at the end of its burst. The first segments of a
    // connection and those after loss or reordering are answered at once.
    uint64_t delayed_ack_us = 40'000;
    // SACK compression (Linux's tcp_comp_sack_nr; engine_delack.cpp): after
    // the first three duplicate ACKs for one RCV.NXT, at most this many
    // out-of-order segments that only grow the run in progress go without
    // an ACK of their own, folded into the ACK at the end of the burst.
    // 0: an ACK for every out-of-order segment (RFC 5681 §4.2).
    uint8_t comp_sack_nr = 8;
    // Nagle (RFC 9293 §3.7.4) for connections opened by us; listeners choose
    // their own (nodelay=). Off (nodelay), as the proxies and servers tcpterm
    // stands in for set TCP_NODELAY.
    bool nodelay = true;
    uint32_t timer_slots = 4096;
    uint64_t timer_tick_us = 1000;
    SipKey isn_key;                      // RFC 6528 secret
    SipKey cookie_key;                   // SYN cookie master secret (per appliance)
    uint64_t cookie_period_us = 64'000'000;  // cookie secret rotation period
    SipKey ts_key;                       // per-connection timestamp offsets
};

}  // namespace tcpterm::tcp
