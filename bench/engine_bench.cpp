// Cycles per packet on the engine's fast paths, measured in-process with
// rte_rdtsc over millions of packets: no NIC, no I/O, only lib/tcp.
//   SYN -> cookie SYN-ACK (stateless, reply built in the SYN's mbuf)
//   cookie ACK -> ESTABLISHED (TCB created, service accepts)
//   SYN -> stateful SYN-ACK (TCB created, SYN-ACK built, timer armed)
// With --workers W the same runs on W engines at once (tbb::parallel_for),
// as W lcores would, to show that nothing is shared. Each path runs --rounds
// times on a fresh engine; the table gives the median round and the JSON every
// round, because a virtual machine's neighbours move single figures by 20 %.
// Prints a table and writes JSON (--json FILE). Figures, not a test.
#include <boost/program_options.hpp>
#include <tbb/parallel_for.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

using namespace tcpterm;

namespace {

constexpr uint32_t kServer = 0xC6120001;
constexpr uint16_t kBatch = 32;

// Takes what the engine sends and frees it in bursts of 32, as a PMD frees
// transmitted mbufs in bulk; optionally remembers each SYN-ACK's ISS.
struct Sink final : net::DatagramSink {
    std::vector<uint32_t>* seqs = nullptr;  // when set, every sent ISS in order
    rte_mbuf* sent[kBatch];
    unsigned pending = 0;
    void send_datagram(rte_mbuf* m) override {
        if (seqs) {
            auto* th = rte_pktmbuf_mtod_offset(m, rte_tcp_hdr*, sizeof(rte_ipv4_hdr));
            seqs->push_back(rte_be_to_cpu_32(th->sent_seq));
        }
        sent[pending++] = m;
        if (pending == kBatch)
            drain();
    }
    void drain() {
        rte_pktmbuf_free_bulk(sent, pending);
        pending = 0;
    }
    ~Sink() override { drain(); }
};

struct NullService final : tcp::Service {
    void on_accept(tcp::Connection) override {}
    void on_data(tcp::Connection c) override { c.consume(c.received()); }
};

// A client's SYN or ACK as it arrives: IPv4 + TCP, Linux's SYN options.
rte_mbuf* segment(rte_mempool* pool, uint32_t src, uint16_t sport, uint32_t seq, uint32_t ack,
                  uint8_t flags) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m)
        return nullptr;
    uint8_t opts[20] = {};
    size_t opt_len = 0;
    if (flags & tcp::kSyn) {
        tcp::TcpOptions o;
        o.has_mss = true;
        o.mss = 1460;
        o.has_window_scale = true;
        o.window_scale = 7;
        o.sack_permitted = true;
        o.has_timestamps = true;
        o.ts_val = 12345;
        opt_len = tcp::write_syn_options(opts, o);
    }
    uint16_t len = static_cast<uint16_t>(40 + opt_len);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
    if (!p) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
    memset(ip, 0, sizeof(*ip));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(len);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = rte_cpu_to_be_32(src);
    ip->dst_addr = rte_cpu_to_be_32(kServer);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(p + 20);
    memset(th, 0, sizeof(*th));
    th->src_port = rte_cpu_to_be_16(sport);
    th->dst_port = rte_cpu_to_be_16(80);
    th->sent_seq = rte_cpu_to_be_32(seq);
    th->recv_ack = rte_cpu_to_be_32(ack);
    th->data_off = static_cast<uint8_t>(((20 + opt_len) / 4) << 4);
    th->tcp_flags = flags;
    th->rx_win = rte_cpu_to_be_16(64240);
    memcpy(th + 1, opts, opt_len);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    th->cksum = rte_ipv4_udptcp_cksum(ip, th);
    m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;  // as a NIC would say; the verify is not timed here
    return m;
}

net::Ipv4Datagram datagram_of(rte_mbuf* m) {
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
    return {rte_be_to_cpu_32(ip->src_addr), kServer, 20,
            static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) - 20)};
}

void listen_on_80(tcp::Engine& engine, tcp::Service& service, tcp::CookieMode cookies,
                  uint32_t syn_backlog) {
    tcp::Listener l;
    l.port = 80;
    l.service = &service;
    l.cookies = cookies;
    l.syn_backlog = syn_backlog;
    engine.add_listener(l);
}

struct Result {
    uint64_t packets = 0;
    uint64_t cycles = 0;
};

// Times engine.input + flush over `count` segments made by make(i), built in
// untimed batches of 32 so that only the engine is measured: from the IPv4
// layer's hand-over (header already validated, as net::Interface does) to the
// reply handed to the sink, including freeing it as a NIC's TX would. RX
// checksums are marked good and TX checksums left to offload, as on a NIC
// that has them.
template <typename Make>
Result time_path(tcp::Engine& engine, Sink& sink, uint64_t count, uint64_t& now_us, Make&& make) {
    Result r;
    rte_mbuf* batch[kBatch];
    net::Ipv4Datagram ip[kBatch];  // what the IPv4 layer hands over, made untimed too
    for (uint64_t i = 0; i < count; i += kBatch) {
        uint16_t n = 0;
        for (; n < kBatch && i + n < count; ++n) {
            batch[n] = make(i + n);
            if (batch[n])
                ip[n] = datagram_of(batch[n]);
        }
        uint64_t start = rte_rdtsc_precise();
        for (uint16_t k = 0; k < n; ++k)
            if (batch[k])
                engine.input(batch[k], ip[k], now_us);
        engine.flush(now_us);
        sink.drain();
        r.cycles += rte_rdtsc_precise() - start;
        r.packets += n;
        now_us += 1;
    }
    return r;
}

struct WorkerRun {
    Result cookie_syn, cookie_ack, stateful_syn;
};

bool g_cookie_only = false;  // --cookie-only: for profiling the cookie SYN path alone
uint32_t g_cookie_only_table = 65536;  // --connections: its table size (tcpterm's default)

WorkerRun run_worker(unsigned id, uint64_t count, rte_mempool* pool) {
    WorkerRun out;
    NullService service;
    tcp::EngineConfig cfg;
    cfg.max_connections = static_cast<uint32_t>(count + 64);
    cfg.max_time_wait = 1024;
    cfg.isn_key = {1, 2};
    cfg.ts_key = {3, 4};
    cfg.cookie_key = {5, 6};
    uint64_t now_us = 1'000'000;
    auto addr = [&](uint64_t i) { return 0xC6130000u | static_cast<uint32_t>(i / 60000 & 0xffff); };
    auto port = [&](uint64_t i) { return static_cast<uint16_t>(1024 + i % 60000); };
    if (g_cookie_only) {  // the SYN path alone, by default with tcpterm's default table size
        tcp::EngineConfig small = cfg;
        small.max_connections = g_cookie_only_table;
        small.max_time_wait = 65536;  // tcpterm's default
        Sink sink;
        tcp::Counters counters;
        tcp::Engine engine("bench_p" + std::to_string(id), small, counters, sink, pool, now_us);
        listen_on_80(engine, service, tcp::CookieMode::Always, 1024);
        out.cookie_syn = time_path(engine, sink, count, now_us, [&](uint64_t i) {
            return segment(pool, addr(i), port(i), 1000, 0, tcp::kSyn);
        });
        return out;
    }
    {
        Sink sink;
        tcp::Counters counters;
        tcp::Engine engine("bench_c" + std::to_string(id), cfg, counters, sink, pool, now_us);
        listen_on_80(engine, service, tcp::CookieMode::Always, 1024);
        // Cookie SYN-ACKs: remember each cookie to answer it below.
        std::vector<uint32_t> cookies;
        cookies.reserve(count);
        sink.seqs = &cookies;
        out.cookie_syn = time_path(engine, sink, count, now_us, [&](uint64_t i) {
            return segment(pool, addr(i), port(i), 1000, 0, tcp::kSyn);
        });
        sink.seqs = nullptr;
        // Cookie ACKs -> ESTABLISHED.
        out.cookie_ack = time_path(engine, sink, count, now_us, [&](uint64_t i) {
            return segment(pool, addr(i), port(i), 1001, cookies[i] + 1, tcp::kAck);
        });
        if (counters.SyncookiesRecv != count)
            std::fprintf(stderr, "worker %u: %lu of %lu cookie ACKs accepted\n", id,
                         static_cast<unsigned long>(counters.SyncookiesRecv),
                         static_cast<unsigned long>(count));
    }
    {
        Sink sink;
        tcp::Counters counters;
        tcp::Engine engine("bench_s" + std::to_string(id), cfg, counters, sink, pool, now_us);
        listen_on_80(engine, service, tcp::CookieMode::Off, static_cast<uint32_t>(count + 1));
        out.stateful_syn = time_path(engine, sink, count, now_us, [&](uint64_t i) {
            return segment(pool, addr(i), port(i), 1000, 0, tcp::kSyn);
        });
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    namespace po = boost::program_options;
    uint64_t count = 0;
    unsigned workers = 1;
    unsigned rounds = 5;
    std::string json;
    po::options_description desc("engine_bench options");
    desc.add_options()("help,h", "this help")(
        "packets", po::value<uint64_t>(&count)->default_value(1'000'000), "packets per path per worker")(
        "workers", po::value<unsigned>(&workers)->default_value(1), "engines run at once (TBB)")(
        "rounds", po::value<unsigned>(&rounds)->default_value(5), "fresh-engine rounds per path; the median is shown")(
        "cookie-only", po::bool_switch(&g_cookie_only), "run only the cookie SYN path (profiling)")(
        "connections", po::value<uint32_t>(&g_cookie_only_table)->default_value(65536),
        "connection table size for --cookie-only (TIME_WAIT table: 65536)")(
        "json", po::value<std::string>(&json)->default_value("bench/results/engine_bench.json"),
        "where to write the figures");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "engine_bench: %s\n", e.what());
        return 2;
    }
    if (vm.count("help")) {
        std::printf("%s\n", [&] { std::ostringstream o; o << desc; return o.str(); }().c_str());
        return 0;
    }
    if (count < kBatch || workers < 1 || workers > 64 || rounds < 1 || rounds > 101) {
        std::fprintf(stderr, "engine_bench: --packets must be >= 32, --workers 1..64, --rounds 1..101\n");
        return 2;
    }
    std::string runtime = "tt_bench_" + std::to_string(getpid());
    std::string prefix = "--file-prefix=" + runtime;
    const char* eal[] = {"engine_bench", "--no-huge", "-m", "4096", "--no-pci", "--no-shconf",
                         "--no-telemetry", "--log-level=error", "-l", "0", prefix.c_str()};
    if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), const_cast<char**>(eal)) < 0)
        return 1;
    rte_mempool* pool = rte_pktmbuf_pool_create("bench_pool", 65535, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!pool) {
        std::fprintf(stderr, "engine_bench: no mbuf pool\n");
        return 1;
    }
    std::vector<std::vector<WorkerRun>> runs(workers, std::vector<WorkerRun>(rounds));
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, workers);
    tbb::parallel_for(0u, workers, [&](unsigned w) {
        for (unsigned round = 0; round < rounds; ++round)
            runs[w][round] = run_worker(w, count, pool);
    });

    double hz = static_cast<double>(rte_get_tsc_hz());
    auto cpp = [](const Result& r) { return r.packets ? double(r.cycles) / double(r.packets) : 0.0; };
    std::printf("%-26s %6s %14s %10s %10s %14s\n", "path", "worker", "cycles/packet", "min", "max",
                "Mpps (1 core)");
    std::string out = "{\n  \"tsc_hz\": " + std::to_string(rte_get_tsc_hz()) +
                      ",\n  \"packets_per_path\": " + std::to_string(count) +
                      ",\n  \"rounds\": " + std::to_string(rounds) + ",\n  \"workers\": [\n";
    for (unsigned w = 0; w < workers; ++w) {
        Result WorkerRun::*paths[] = {&WorkerRun::cookie_syn, &WorkerRun::cookie_ack, &WorkerRun::stateful_syn};
        const char* names[] = {"syn_to_cookie_synack", "cookie_ack_to_established", "syn_to_stateful_synack"};
        out += "    {";
        for (size_t p = 0; p < (g_cookie_only ? 1 : 3); ++p) {
            std::vector<double> figures;
            for (const WorkerRun& r : runs[w])
                figures.push_back(cpp(r.*paths[p]));
            std::vector<double> sorted = figures;
            std::sort(sorted.begin(), sorted.end());
            double median = sorted[sorted.size() / 2];
            double mpps = median > 0 ? hz / median / 1e6 : 0.0;
            std::printf("%-26s %6u %14.1f %10.1f %10.1f %14.2f\n", names[p], w, median, sorted.front(),
                        sorted.back(), mpps);
            char buf[200];
            std::snprintf(buf, sizeof(buf), "%s\"%s\": {\"cycles_per_packet\": %.1f, \"mpps\": %.3f, \"rounds\": [",
                          p ? ", " : "", names[p], median, mpps);
            out += buf;
            for (size_t i = 0; i < figures.size(); ++i) {
                std::snprintf(buf, sizeof(buf), "%s%.1f", i ? ", " : "", figures[i]);
                out += buf;
            }
            out += "]}";
        }
        out += w + 1 < workers ? "},\n" : "}\n";
    }
    out += "  ]\n}\n";
    std::error_code dir_error;
    std::filesystem::create_directories(std::filesystem::path(json).parent_path(), dir_error);
    std::ofstream file(json);
    if (!(file << out))
        std::fprintf(stderr, "engine_bench: cannot write %s\n", json.c_str());
    std::printf("wrote %s\n", json.c_str());
    rte_mempool_free(pool);
    rte_eal_cleanup();
    std::error_code ignored;  // EAL leaves its runtime directory behind
    std::filesystem::remove_all("/var/run/dpdk/" + runtime, ignored);
    return 0;
}
