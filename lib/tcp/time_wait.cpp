#include "lib/tcp/time_wait.hpp"

#include <stdexcept>

#include <rte_errno.h>
#include <rte_hash.h>

namespace tcpterm::tcp {

TimeWaitTable::TimeWaitTable(const std::string& name, uint32_t capacity) : entries_(capacity) {
    rte_hash_parameters params{};
    std::string hash_name = "tw_" + name;
    params.name = hash_name.c_str();
    params.entries = capacity < 8 ? 8 : capacity;
    params.key_len = sizeof(FlowKey);
    params.hash_func = flow_hash;
    params.socket_id = SOCKET_ID_ANY;
    hash_ = rte_hash_create(&params);
    if (!hash_)
        throw std::runtime_error("cannot create the TIME_WAIT table " + hash_name + ": " +
                                 rte_strerror(rte_errno));
    for (size_t i = entries_.size(); i-- > 0;) {
        entries_[i].next_free = free_;
        free_ = &entries_[i];
    }
}

TimeWaitTable::~TimeWaitTable() { rte_hash_free(hash_); }

TimeWaitEntry* TimeWaitTable::find(const FlowKey& key) const {
    void* data = nullptr;
    if (rte_hash_lookup_data(hash_, &key, &data) < 0)
        return nullptr;
    return static_cast<TimeWaitEntry*>(data);
}

TimeWaitEntry* TimeWaitTable::find(const FlowKey& key, uint32_t hash) const {
    void* data = nullptr;
    if (rte_hash_lookup_with_hash_data(hash_, &key, hash, &data) < 0)
        return nullptr;
    return static_cast<TimeWaitEntry*>(data);
}

TimeWaitEntry* TimeWaitTable::insert(const TimeWaitEntry& state) {
    if (!free_)
        return nullptr;
    TimeWaitEntry* e = free_;
    if (rte_hash_add_key_data(hash_, &state.key, e) != 0)
        return nullptr;
    free_ = e->next_free;
    *e = state;
    e->timer = TimerNode{};
    e->timer.owner = kTimerOwner;
    e->next_free = nullptr;
    ++size_;
    return e;
}

std::vector<TimeWaitEntry*> TimeWaitTable::entries() const {
    std::vector<TimeWaitEntry*> out;
    out.reserve(size_);
    const void* key = nullptr;
    void* data = nullptr;
    uint32_t next = 0;
    while (rte_hash_iterate(hash_, &key, &data, &next) >= 0)
        out.push_back(static_cast<TimeWaitEntry*>(data));
    return out;
}

void TimeWaitTable::erase(TimeWaitEntry& e) {
    rte_hash_del_key(hash_, &e.key);
    e.next_free = free_;
    free_ = &e;
    --size_;
}

}  // namespace tcpterm::tcp
