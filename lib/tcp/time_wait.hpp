// TIME_WAIT without the TCB (as Linux's tcp_minisocks.c): once both FINs are
// exchanged, a connection shrinks to this record of what a late segment from
// the old incarnation needs to be answered, and the full TCB goes back to the
// pool. TIME_WAIT exists so that a lost final ACK can be repeated and so that
// old duplicates die out before the 4-tuple is reused (RFC 9293 §3.6.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/tcp/seq.hpp"
#include "lib/tcp/tcb.hpp"
#include "lib/tcp/timer_wheel.hpp"

struct rte_hash;

namespace tcpterm::tcp {

struct TimeWaitEntry {
    TimerNode timer;            // first: the wheel hands back &timer
    FlowKey key;
    Seq snd_nxt;                // our sequence number after our FIN
    Seq rcv_nxt;                // after the peer's FIN
    uint32_t ts_recent = 0;     // the peer's last TSval (RFC 6191)
    uint32_t ts_offset = 0;     // our TSval clock offset
    uint32_t ts_recent_ms = 0;  // when ts_recent was taken (engine clock, ms): tw_reuse waits 1 s
    uint32_t last_ack_ms = 0;   // for rate-limiting ACKs to junk
    uint16_t window = 0;        // window field we advertise
    bool ts_ok = false;
    // TCP-AO: the key and what the traffic keys and SNEs derive from, so
    // that TIME_WAIT checks what arrives and signs its ACKs (RFC 5925).
    const AoKey* ao = nullptr;
    Seq ao_iss, ao_irs;
    Seq ao_snd_ref, ao_rcv_ref;
    uint32_t ao_snd_sne = 0, ao_rcv_sne = 0;
    TimeWaitEntry* next_free = nullptr;
};

class TimeWaitTable {
public:
    static constexpr uint8_t kTimerOwner = 1;  // TimerNode::owner of entries

    TimeWaitTable(const std::string& name, uint32_t capacity);
    ~TimeWaitTable();
    TimeWaitTable(const TimeWaitTable&) = delete;
    TimeWaitTable& operator=(const TimeWaitTable&) = delete;

    TimeWaitEntry* find(const FlowKey& key) const;
    // With the key's hash already computed (both tables hash alike).
    TimeWaitEntry* find(const FlowKey& key, uint32_t hash) const;
    // An entry holding state's fields (its key included; timer and free-list
    // link are the table's), or nullptr when the table is full.
    TimeWaitEntry* insert(const TimeWaitEntry& state);
    // The caller cancels the entry's timer first.
    void erase(TimeWaitEntry& entry);
    // Every entry now held (a copy of the list: the caller may erase them).
    std::vector<TimeWaitEntry*> entries() const;
    uint32_t size() const { return size_; }

private:
    rte_hash* hash_ = nullptr;
    std::vector<TimeWaitEntry> entries_;
    TimeWaitEntry* free_ = nullptr;
    uint32_t size_ = 0;
};

}  // namespace tcpterm::tcp
