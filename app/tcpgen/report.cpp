#include "app/tcpgen/report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <ctime>

#include <tbb/parallel_sort.h>

namespace tcpterm::tcpgen {

namespace {

double nearest_rank(const std::vector<float>& sorted, double p) {
    size_t n = sorted.size();
    size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(n)));
    rank = std::clamp<size_t>(rank, 1, n);
    return sorted[rank - 1];
}

// JSON number, or null when there is nothing to report.
std::string num(double v, bool present = true) {
    if (!present || !std::isfinite(v))
        return "null";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", v);
    return buf;
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (static_cast<unsigned char>(ch) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", ch);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

std::string fmt_us(const Percentiles& p, double v) {
    if (p.count == 0)
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof(buf), v < 100 ? "%.1f" : "%.0f", v);
    return buf;
}

}  // namespace

Percentiles percentiles(std::vector<float>& v) {
    Percentiles p;
    p.count = v.size();
    if (v.empty())
        return p;
    if (v.size() > 100000)
        tbb::parallel_sort(v.begin(), v.end());  // off the packet path: at the end only
    else
        std::sort(v.begin(), v.end());
    p.p50 = nearest_rank(v, 0.50);
    p.p99 = nearest_rank(v, 0.99);
    p.p999 = nearest_rank(v, 0.999);
    p.max = v.back();
    double sum = 0;
    for (float x : v)
        sum += x;
    p.mean = sum / static_cast<double>(v.size());
    return p;
}

Report::Report(const Options& o, const RunInfo& info, uint64_t hz) : o_(o), info_(info), hz_(hz) {}

SecondRecord Report::sample(uint64_t now_tsc, const Clients& c, const Flood* f) {
    SecondRecord r;
    r.t = static_cast<double>(now_tsc - start_tsc_) / static_cast<double>(hz_);
    r.flood_sent = f ? f->stats().sent.load(std::memory_order_relaxed) : 0;
    r.flood_synack = c.rx().flood_synack;
    r.flood_rst = c.rx().flood_rst;
    r.flood_other = c.rx().flood_other;
    r.tried = c.counters().tried;
    r.completed = c.counters().completed;
    r.failed = c.counters().failed();
    r.live = c.live();
    return r;
}

void Report::start(uint64_t now_tsc, const Clients& c, const Flood* f) {
    start_tsc_ = now_tsc;
    next_tick_ = now_tsc + hz_;
    last_ = sample(now_tsc, c, f);
    samples_seen_ = c.handshake_us().size();
}

void Report::tick(uint64_t now_tsc, const Clients& c, const Flood* f) {
    if (now_tsc < next_tick_)
        return;
    next_tick_ += hz_;
    if (next_tick_ <= now_tsc)
        next_tick_ = now_tsc + hz_;
    SecondRecord now = sample(now_tsc, c, f);
    SecondRecord d = now;
    double dt = now.t - last_.t;
    if (dt <= 0)
        dt = 1;
    d.flood_sent = now.flood_sent - last_.flood_sent;
    d.flood_synack = now.flood_synack - last_.flood_synack;
    d.flood_rst = now.flood_rst - last_.flood_rst;
    d.flood_other = now.flood_other - last_.flood_other;
    d.tried = now.tried - last_.tried;
    d.completed = now.completed - last_.completed;
    d.failed = now.failed - last_.failed;
    const auto& all = c.handshake_us();
    std::vector<float> window(all.begin() + static_cast<std::ptrdiff_t>(samples_seen_), all.end());
    samples_seen_ = all.size();
    d.handshake = percentiles(window);
    last_ = now;
    seconds_.push_back(d);
    if (!o_.quiet) {
        std::printf("[%5.1fs] flood %9.0f pps | rx synack %8.0f/s rst %6" PRIu64 " other %5" PRIu64
                    " | clients tried %5" PRIu64 " ok %5" PRIu64 " fail %4" PRIu64 " live %5u"
                    " | handshake us p50 %s p99 %s p999 %s\n",
                    now.t, static_cast<double>(d.flood_sent) / dt,
                    static_cast<double>(d.flood_synack) / dt, d.flood_rst, d.flood_other, d.tried,
                    d.completed, d.failed, d.live, fmt_us(d.handshake, d.handshake.p50).c_str(),
                    fmt_us(d.handshake, d.handshake.p99).c_str(),
                    fmt_us(d.handshake, d.handshake.p999).c_str());
        std::fflush(stdout);
    }
}

void Report::finish(uint64_t now_tsc, const Clients& c, const Flood* f) {
    end_tsc_ = now_tsc;
    if (run_end_tsc_ == 0)
        run_end_tsc_ = now_tsc;
    auto secs = [&](uint64_t a, uint64_t b) {
        return b > a ? static_cast<double>(b - a) / static_cast<double>(hz_) : 0.0;
    };
    run_s_ = secs(start_tsc_, run_end_tsc_);
    total_s_ = secs(start_tsc_, end_tsc_);
    if (f) {
        flood_sent_ = f->stats().sent.load(std::memory_order_relaxed);
        flood_tx_full_ = f->stats().tx_full.load(std::memory_order_relaxed);
        flood_alloc_failed_ = f->stats().alloc_failed.load(std::memory_order_relaxed);
        flood_s_ = secs(f->stats().start_tsc.load(std::memory_order_relaxed),
                        f->stats().end_tsc.load(std::memory_order_relaxed));
    }
    rx_ = c.rx();
    clients_ = c.counters();
    std::vector<float> all = c.handshake_us();
    handshake_ = percentiles(all);
    std::vector<float> done = c.completion_us();
    completion_ = percentiles(done);
    const tcp::Counters& t = c.tcp_counters();
    engine_counters_ = {{"ActiveOpens", t.ActiveOpens},     {"AttemptFails", t.AttemptFails},
                        {"EstabResets", t.EstabResets},     {"RetransSegs", t.RetransSegs},
                        {"TCPTimeouts", t.TCPTimeouts},     {"InSegs", t.InSegs},
                        {"OutSegs", t.OutSegs},             {"OutRsts", t.OutRsts},
                        {"InCsumErrors", t.InCsumErrors},   {"TCPSendAllocFail", t.TCPSendAllocFail},
                        {"TCPNoEphemeralPort", t.TCPNoEphemeralPort},
                        {"TxDropped", c.net_counters().TxDropped},
                        {"MbufAllocFailed", c.net_counters().MbufAllocFailed},
                        {"ArpHeldDropped", c.net_counters().ArpHeldDropped},
                        {"IpInHdrErrors", c.net_counters().IpInHdrErrors}};
}

void Report::print_summary(std::FILE* out) const {
    double flood_pps = flood_s_ > 0 ? static_cast<double>(flood_sent_) / flood_s_ : 0;
    double synack_ps = total_s_ > 0 ? static_cast<double>(rx_.flood_synack) / total_s_ : 0;
    std::fprintf(out, "tcpgen: summary after %.2f s (run %.2f s, drain %.2f s)\n", total_s_, run_s_,
                 total_s_ - run_s_);
    std::fprintf(out, "  flood: sent %" PRIu64 " SYNs in %.2f s = %.0f pps (asked %s), "
                 "%u-byte frames, options %s; tx-full bursts %" PRIu64 ", pool-empty %" PRIu64 "\n",
                 flood_sent_, flood_s_, flood_pps,
                 o_.flood_max ? "max" : std::to_string(o_.flood_rate).c_str(), info_.syn_frame_len,
                 describe_syn_options(o_.syn).c_str(), flood_tx_full_, flood_alloc_failed_);
    std::fprintf(out, "  to flood addresses: SYN-ACK %" PRIu64 " (%.0f/s), RST %" PRIu64 ", other %" PRIu64
                 "; ARP requests answered %" PRIu64 "\n",
                 rx_.flood_synack, synack_ps, rx_.flood_rst, rx_.flood_other, rx_.flood_arp_replies);
    const ClientCounters& c = clients_;
    double ratio = c.tried ? static_cast<double>(c.completed) / static_cast<double>(c.tried) : 0;
    std::fprintf(out, "  clients: tried %" PRIu64 ", established %" PRIu64 ", completed %" PRIu64
                 " (%.4f), failed %" PRIu64 " (timeout %" PRIu64 ", reset %" PRIu64 ", bad response %" PRIu64
                 ", other %" PRIu64 ", local %" PRIu64 "), unfinished %" PRIu64 ", capped %" PRIu64 "\n",
                 c.tried, c.established, c.completed, ratio, c.failed(), c.failed_timeout, c.failed_reset,
                 c.failed_response, c.failed_other, c.connect_errors, c.unfinished, c.capped);
    if (handshake_.count)
        std::fprintf(out, "  handshake us (connect -> established, %zu): p50 %.1f p99 %.1f p999 %.1f max %.1f mean %.1f\n",
                     handshake_.count, handshake_.p50, handshake_.p99, handshake_.p999, handshake_.max,
                     handshake_.mean);
    if (completion_.count)
        std::fprintf(out, "  completed connection us (connect -> clean close, %zu): p50 %.1f p99 %.1f p999 %.1f max %.1f\n",
                     completion_.count, completion_.p50, completion_.p99, completion_.p999, completion_.max);
    std::fprintf(out, "  main loop: %" PRIu64 " turns more than 100 us apart, longest gap %" PRIu64 " us\n",
                 rx_.loop_stalls, rx_.loop_max_gap_us);
    std::fprintf(out, "  engine:");
    for (auto& [name, v] : engine_counters_)
        std::fprintf(out, " %s %" PRIu64, name.c_str(), v);
    std::fprintf(out, "\n");
    std::fflush(out);
}

bool Report::write_json(const std::string& path) const {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        return false;
    const ClientCounters& c = clients_;
    bool hs = handshake_.count > 0;
    char when[64];
    std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
    std::fprintf(f, "{\n  \"tool\": \"tcpgen\",\n  \"time\": %s,\n", quote(when).c_str());
    std::fprintf(f, "  \"config\": {\"target\": %s, \"client_address\": %s, \"flood_prefix\": %s, "
                 "\"flood_rate\": %s, \"flood_options\": %s, \"syn_frame_bytes\": %u, "
                 "\"clients_rate\": %" PRIu64 ", \"concurrency\": %u, \"timeout_ms\": %" PRIu64 ", "
                 "\"duration_s\": %u, \"drain_ms\": %u, \"lcores\": %u, \"queues\": %u, "
                 "\"driver\": %s, \"mac\": %s},\n",
                 quote(net::format_ipv4(o_.target_addr) + ":" + std::to_string(o_.target_port)).c_str(),
                 quote(net::format_ipv4(o_.client.addr) + "/" + std::to_string(o_.client.length)).c_str(),
                 quote(net::format_ipv4(o_.flood_prefix.addr) + "/" + std::to_string(o_.flood_prefix.length)).c_str(),
                 o_.flood_max ? "\"max\"" : std::to_string(o_.flood_rate).c_str(),
                 quote(describe_syn_options(o_.syn)).c_str(), info_.syn_frame_len, o_.clients_rate,
                 o_.concurrency, o_.timeout_us / 1000, o_.duration_s, o_.drain_ms, info_.lcores,
                 info_.queues, quote(info_.driver).c_str(), quote(info_.mac).c_str());
    std::fprintf(f, "  \"elapsed_s\": %s,\n  \"run_s\": %s,\n", num(total_s_).c_str(), num(run_s_).c_str());
    std::fprintf(f, "  \"flood\": {\"sent\": %" PRIu64 ", \"seconds\": %s, \"rate_pps\": %s, "
                 "\"tx_full_bursts\": %" PRIu64 ", \"pool_empty\": %" PRIu64 "},\n",
                 flood_sent_, num(flood_s_).c_str(),
                 num(flood_s_ > 0 ? static_cast<double>(flood_sent_) / flood_s_ : 0).c_str(),
                 flood_tx_full_, flood_alloc_failed_);
    std::fprintf(f, "  \"rx\": {\"frames\": %" PRIu64 ", \"flood_synack\": %" PRIu64
                 ", \"flood_synack_per_s\": %s, \"flood_rst\": %" PRIu64 ", \"flood_other\": %" PRIu64
                 ", \"flood_arp_replies\": %" PRIu64
                 ", \"loop_stalls\": %" PRIu64 ", \"loop_max_gap_us\": %" PRIu64 "},\n",
                 rx_.frames, rx_.flood_synack,
                 num(total_s_ > 0 ? static_cast<double>(rx_.flood_synack) / total_s_ : 0).c_str(),
                 rx_.flood_rst, rx_.flood_other, rx_.flood_arp_replies, rx_.loop_stalls,
                 rx_.loop_max_gap_us);
    std::fprintf(f, "  \"clients\": {\"tried\": %" PRIu64 ", \"established\": %" PRIu64
                 ", \"completed\": %" PRIu64 ", \"failed\": %" PRIu64 ", \"failed_timeout\": %" PRIu64
                 ", \"failed_reset\": %" PRIu64 ", \"failed_bad_response\": %" PRIu64
                 ", \"failed_other\": %" PRIu64 ", \"connect_errors\": %" PRIu64 ", \"unfinished\": %" PRIu64
                 ", \"capped\": %" PRIu64 ", \"response_bytes\": %" PRIu64 ", \"completion_ratio\": %s},\n",
                 c.tried, c.established, c.completed, c.failed(), c.failed_timeout, c.failed_reset,
                 c.failed_response, c.failed_other, c.connect_errors, c.unfinished, c.capped,
                 c.response_bytes,
                 num(c.tried ? static_cast<double>(c.completed) / static_cast<double>(c.tried) : 0,
                     c.tried > 0).c_str());
    std::fprintf(f, "  \"handshake_us\": {\"count\": %zu, \"p50\": %s, \"p99\": %s, \"p999\": %s, "
                 "\"max\": %s, \"mean\": %s},\n",
                 handshake_.count, num(handshake_.p50, hs).c_str(), num(handshake_.p99, hs).c_str(),
                 num(handshake_.p999, hs).c_str(), num(handshake_.max, hs).c_str(),
                 num(handshake_.mean, hs).c_str());
    bool cp = completion_.count > 0;
    std::fprintf(f, "  \"completion_us\": {\"count\": %zu, \"p50\": %s, \"p99\": %s, \"p999\": %s, "
                 "\"max\": %s, \"mean\": %s},\n",
                 completion_.count, num(completion_.p50, cp).c_str(), num(completion_.p99, cp).c_str(),
                 num(completion_.p999, cp).c_str(), num(completion_.max, cp).c_str(),
                 num(completion_.mean, cp).c_str());
    std::fprintf(f, "  \"engine\": {");
    for (size_t i = 0; i < engine_counters_.size(); ++i)
        std::fprintf(f, "%s%s: %" PRIu64, i ? ", " : "", quote(engine_counters_[i].first).c_str(),
                     engine_counters_[i].second);
    std::fprintf(f, "},\n  \"per_second\": [");
    for (size_t i = 0; i < seconds_.size(); ++i) {
        const SecondRecord& r = seconds_[i];
        bool h = r.handshake.count > 0;
        std::fprintf(f, "%s\n    {\"t\": %s, \"flood_sent\": %" PRIu64 ", \"flood_synack\": %" PRIu64
                     ", \"flood_rst\": %" PRIu64 ", \"tried\": %" PRIu64 ", \"completed\": %" PRIu64
                     ", \"failed\": %" PRIu64 ", \"live\": %u, \"handshakes\": %zu, \"p50_us\": %s, "
                     "\"p99_us\": %s, \"p999_us\": %s}",
                     i ? "," : "", num(r.t).c_str(), r.flood_sent, r.flood_synack, r.flood_rst, r.tried,
                     r.completed, r.failed, r.live, r.handshake.count, num(r.handshake.p50, h).c_str(),
                     num(r.handshake.p99, h).c_str(), num(r.handshake.p999, h).c_str());
    }
    std::fprintf(f, "\n  ]\n}\n");
    bool ok = std::ferror(f) == 0;
    return std::fclose(f) == 0 && ok;
}

}  // namespace tcpterm::tcpgen
