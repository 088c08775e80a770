// Measurements: a line a second, a summary at the end, and the JSON file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "app/tcpgen/clients.hpp"
#include "app/tcpgen/flood.hpp"
#include "app/tcpgen/options.hpp"

namespace tcpterm::tcpgen {

struct Percentiles {
    size_t count = 0;
    double p50 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

// Nearest-rank percentiles of the samples (sorted in place, in parallel).
Percentiles percentiles(std::vector<float>& samples);

struct SecondRecord {
    double t = 0;
    uint64_t flood_sent = 0;
    uint64_t flood_synack = 0, flood_rst = 0, flood_other = 0;
    uint64_t tried = 0, completed = 0, failed = 0;
    uint32_t live = 0;
    Percentiles handshake;
};

struct RunInfo {
    std::string driver;
    std::string mac;
    unsigned lcores = 1;
    uint16_t queues = 1;
    uint16_t syn_frame_len = 0;
};

class Report {
public:
    Report(const Options& o, const RunInfo& info, uint64_t hz);

    void start(uint64_t now_tsc, const Clients& c, const Flood* f);
    // Prints and records a line when a second has passed since the last one.
    void tick(uint64_t now_tsc, const Clients& c, const Flood* f);
    // Marks the end of the measured run (flood and new connections stop).
    void end_run(uint64_t now_tsc) { run_end_tsc_ = now_tsc; }
    void finish(uint64_t now_tsc, const Clients& c, const Flood* f);
    // Returns false if the file could not be written.
    bool write_json(const std::string& path) const;
    void print_summary(std::FILE* out) const;

private:
    SecondRecord sample(uint64_t now_tsc, const Clients& c, const Flood* f);

    const Options& o_;
    RunInfo info_;
    uint64_t hz_;
    uint64_t start_tsc_ = 0;
    uint64_t next_tick_ = 0;
    uint64_t run_end_tsc_ = 0;
    uint64_t end_tsc_ = 0;
    size_t samples_seen_ = 0;
    SecondRecord last_;            // cumulative values at the last tick
    std::vector<SecondRecord> seconds_;

    // Final figures.
    double run_s_ = 0, total_s_ = 0, flood_s_ = 0;
    uint64_t flood_sent_ = 0, flood_tx_full_ = 0, flood_alloc_failed_ = 0;
    RxCounters rx_;
    ClientCounters clients_;
    Percentiles handshake_;
    Percentiles completion_;
    std::vector<std::pair<std::string, uint64_t>> engine_counters_;
};

}  // namespace tcpterm::tcpgen
