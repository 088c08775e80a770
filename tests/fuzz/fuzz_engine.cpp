// libFuzzer target: tcp::Engine::input driven by a sequence of segments from
// a fuzzed peer, with a fake clock, against a listener whose service echoes
// (engine_driver.hpp). Sequence and acknowledgment numbers are given relative
// to what the engine last sent on the flow, so that random bytes get past the
// acceptability checks and reach the deep states: handshake (with and without
// cookies), data both ways, loss recovery, zero windows, FIN in every state,
// RST, TIME_WAIT and its reuse, and every timer. Invariants are checked after
// each record; at the end the engine is torn down and every mbuf must be back
// in the pool.
//
// Input layout (tests/fuzz/make_corpus.py writes the same):
//   3 setup bytes
//     s0: bits 0-1 cookie mode (auto, always, off, auto with threshold 1),
//         2 timestamps off, 3 SACK off, 4 keepalive on, 5 4 KiB buffers,
//         6 user timeout advertised, 7 active open to the peer's port 9000
//     s1: bits 0-1 accept backlog (128, 1, 2, 128), 2 service never accepts,
//         3 rfc1337 off, 4 ECN requested, 5 ECN refused, 6 SYN backlog 1,
//         7 tail loss probe off
//     s2: bit 0 TCP-AO: a key covers the peer and every segment it sends
//         is signed (with up to 24 raw option bytes then), 1 AES-128-CMAC
//         instead of HMAC-SHA-1, 2 tables of 2 connections and 1 TIME_WAIT
//         entry (full-table paths)
//   then records of 11 bytes plus r8's raw option bytes:
//     r0  time to advance first: < 200 ms as is, else (r0 - 199) seconds
//     r1  TCP flags
//     r2  bits 0-1 flow (0, 1: to the listener; 2: the active open;
//         3: to a closed port), 2-3 IPv4 ECN field, 4-6 service action on
//         the flow's connection before the segment (4 shutdown_write,
//         5 close, 6 abort, 7 send 3000 bytes, else none), 7 sequence
//         number relative to the peer's ISN instead of the engine's RCV.NXT
//     r3-4 sequence number offset (int16, big endian)
//     r5-6 acknowledgment offset from the engine's SND.MAX (int16)
//     r7  window: 0, or r7 * 256 + 255
//     r8  bits 0-5 raw option bytes following the record (at most 40
//         with what is generated), 6 generated timestamps (peer clock,
//         the engine's last TSval echoed), 7 generated SYN options
//         (MSS 1460, SACK permitted, window scale 7)
//     r9  payload: r9 * 7 bytes (at most 1785: with 40 bytes of options
//         the datagram still fits one mbuf)
//     r10 generated SACK blocks (not on SYNs): bits 0-1 how many (up to 3),
//         bits 2-7 h; block i is [A + (h+1+2i) * 724, A + (h+2+2i) * 724)
//         where A is the segment's acknowledgment number: holes the engine
//         must retransmit into (RFC 6675)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lib/tcp/options.hpp"
#include "lib/tcp/segment.hpp"
#include "tests/fuzz/engine_driver.hpp"
#include "tests/fuzz/fuzz_eal.hpp"

using namespace tcpterm;

namespace {

constexpr size_t kSetupLen = 3;
constexpr size_t kRecordLen = 11;
constexpr size_t kMaxRecords = 100;  // deep enough; keeps an input under a few ms

tcp::EngineConfig make_config(uint8_t s0, uint8_t s1) {
    tcp::EngineConfig c;
    c.tx_chains = (s1 & 0x80) != 0;  // payload by reference or copied
    c.max_connections = 8;
    c.max_time_wait = 8;
    c.isn_key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    c.cookie_key = {3, 4};
    c.ts_key = {1, 2};
    // Short lifetimes, so that the seconds a record can advance reach
    // TIME_WAIT's end, the FIN_WAIT_2 timeout and the retry limits.
    c.msl_us = 2'000'000;
    c.fin_timeout_us = 5'000'000;
    c.rto_max_us = 4'000'000;
    c.data_retries = 6;
    c.timestamps = !(s0 & 0x04);
    c.sack = !(s0 & 0x08);
    if (s0 & 0x10) {
        c.keepalive_idle_us = 2'000'000;
        c.keepalive_interval_us = 500'000;
        c.keepalive_probes = 3;
    }
    if (s0 & 0x20)
        c.rcvbuf = c.sndbuf = 4096;
    if (s0 & 0x40) {
        c.uto_advertise = true;
        c.user_timeout_us = 20'000'000;
        c.uto_min_us = 1'000'000;
    }
    c.rfc1337 = !(s1 & 0x08);
    c.ecn_request = s1 & 0x10;
    c.ecn_accept = !(s1 & 0x20);
    c.tail_loss_probe = !(s1 & 0x80);
    return c;
}

tcp::Listener make_listener(uint8_t s0, uint8_t s1) {
    tcp::Listener l;
    static constexpr tcp::CookieMode modes[4] = {tcp::CookieMode::Auto, tcp::CookieMode::Always,
                                                 tcp::CookieMode::Off, tcp::CookieMode::Auto};
    l.cookies = modes[s0 & 3];
    if ((s0 & 3) == 3)
        l.cookie_threshold = 1;
    static constexpr uint32_t backlogs[4] = {128, 1, 2, 128};
    l.accept_backlog = backlogs[s1 & 3];
    if (s1 & 0x40)
        l.syn_backlog = 1;
    return l;
}

// The engine's key for the peer (RFC 5925); the peer signs with
// test::peer_view of it.
tcp::AoKey engine_ao_key(uint8_t s2) {
    tcp::AoKey k;
    k.peer = {0xC6120000, 24};  // 198.18.0.0/24
    k.send_id = 3;
    k.recv_id = 4;
    k.alg = (s2 & 2) ? tcp::AoAlgorithm::AesCmac : tcp::AoAlgorithm::HmacSha1;
    k.secret = {'f', 'u', 'z', 'z', '-', 'a', 'o'};
    return k;
}

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// The options area of one record: generated ones, then the raw bytes, padded
// with End-of-options to a multiple of 4 (the header length counts words).
size_t build_options(uint8_t* out, const uint8_t* r, const uint8_t* raw, size_t raw_len,
                     uint32_t peer_ts, const fuzz::Flow& f, uint32_t ack, size_t room) {
    const uint8_t r8 = r[8];
    tcp::TcpOptions o;
    o.has_timestamps = r8 & 0x40;
    o.ts_val = peer_ts;
    o.ts_ecr = f.ts_val;
    // As many blocks as fit beside the timestamps (and AO, see room).
    size_t sack_room = (room - (o.has_timestamps ? 12 : 0) - 4) / 8;
    o.sack_count = uint8_t(std::min<size_t>(r[10] & 3, sack_room));
    for (uint32_t i = 0; i < o.sack_count; ++i) {
        constexpr uint32_t kHalfMss = 724;
        uint32_t h = r[10] >> 2;
        o.sack[i].left = ack + (h + 1 + 2 * i) * kHalfMss;
        o.sack[i].right = ack + (h + 2 + 2 * i) * kHalfMss;
    }
    size_t n = 0;
    if (r8 & 0x80) {
        o.has_mss = true;
        o.mss = 1460;
        o.sack_permitted = true;
        o.has_window_scale = true;
        o.window_scale = 7;
        n = tcp::write_syn_options(out, o);
    } else {
        n = tcp::write_data_options(out, o);
    }
    size_t take = raw_len < room - n ? raw_len : room - n;
    std::memcpy(out + n, raw, take);
    n += take;
    while (n % 4 != 0)
        out[n++] = tcp::kOptEnd;
    return n;
}

fuzz::Action action_of(uint8_t r2) {
    switch ((r2 >> 4) & 7) {
    case 4: return fuzz::Action::ShutdownWrite;
    case 5: return fuzz::Action::Close;
    case 6: return fuzz::Action::Abort;
    case 7: return fuzz::Action::Send;
    default: return fuzz::Action::None;
    }
}

void run(const uint8_t* data, size_t size) {
    const uint8_t s0 = data[0], s1 = data[1], s2 = data[2];
    fuzz::EngineDriver::Setup setup;
    setup.active_open = s0 & 0x80;
    setup.hold = s1 & 0x04;
    tcp::EngineConfig config = make_config(s0, s1);
    if (s2 & 4) {
        config.max_connections = 2;
        config.max_time_wait = 1;
    }
    const bool ao = s2 & 1;
    if (ao)
        config.ao_keys.push_back(engine_ao_key(s2));
    fuzz::EngineDriver d(config, make_listener(s0, s1), setup);
    if (ao)
        d.set_peer_ao_key(test::peer_view(config.ao_keys.front()));
    // The AO option takes 16 of the 40 bytes.
    const size_t option_room = ao ? 40 - tcp::kAoOptionLen : 40;
    uint32_t peer_ts = 1000;
    static const std::string pattern = [] {
        std::string s(255 * 7, 0);
        for (size_t i = 0; i < s.size(); ++i)
            s[i] = char('a' + i % 26);
        return s;
    }();
    size_t at = kSetupLen;
    for (size_t records = 0; records < kMaxRecords && at + kRecordLen <= size; ++records) {
        const uint8_t* r = data + at;
        size_t raw_len = r[8] & 0x3f;
        if (at + kRecordLen + raw_len > size)
            raw_len = size - at - kRecordLen;
        at += kRecordLen + raw_len;

        uint64_t ms = r[0] < 200 ? r[0] : uint64_t(r[0] - 199) * 1000;
        d.advance_us(ms * 1000);
        peer_ts += uint32_t(ms) + 1;
        size_t flow = r[2] & 3;
        d.act(flow, action_of(r[2]));

        const fuzz::Flow& f = d.flows[flow];
        uint32_t seq_base = (f.acked && !(r[2] & 0x80)) ? f.rcv_nxt : f.peer_isn;
        test::SegmentSpec spec;
        spec.flags = r[1];
        spec.ip_ecn = (r[2] >> 2) & 3;
        spec.seq = seq_base + uint32_t(int16_t(be16(r + 3)));
        spec.ack = (f.heard ? f.snd_max : 0) + uint32_t(int16_t(be16(r + 5)));
        spec.window = r[7] == 0 ? 0 : uint16_t(r[7] << 8 | 0xff);
        uint8_t opts[40];
        spec.raw_options = opts;
        spec.raw_options_len =
            build_options(opts, r, r + kRecordLen, raw_len, peer_ts, f, spec.ack, option_room);
        spec.payload.assign(pattern, 0, size_t(r[9]) * 7);
        d.deliver(flow, spec);
        d.check_invariants();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kSetupLen)
        return -1;
    fuzz::MbufLeakCheck leaks;
    run(data, size);  // the driver (and its engine) is gone when this returns
    leaks.check("fuzz_engine");
    return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::init_eal("engine");
    return 0;
}
