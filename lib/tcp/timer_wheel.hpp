// A per-lcore hashed timing wheel (Varghese & Lauck, scheme 6). Each
// connection embeds one TimerNode; the wheel never allocates. Timers further
// out than one revolution stay in their slot and are skipped until due, so
// long 2MSL or keepalive timers cost a look per revolution, not a cascade.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcpterm::tcp {

struct TimerNode {
    TimerNode* next = nullptr;
    TimerNode* prev = nullptr;
    uint64_t deadline = 0;  // in wheel ticks
    uint8_t owner = 0;      // what kind of record embeds this node
    bool armed() const { return prev != nullptr; }
};

class TimerWheel {
public:
    // slots must be a power of two; tick_us is the resolution.
    TimerWheel(uint32_t slots, uint64_t tick_us, uint64_t now_us);

    // (Re)arms node to fire at the first tick at or after deadline_us.
    void schedule(TimerNode& node, uint64_t deadline_us);
    void cancel(TimerNode& node);

    // Fires, in no particular order within a tick, every node due by now_us.
    // fire(node) may re-arm or cancel that node and arm or cancel others.
    template <typename Fire>
    void advance(uint64_t now_us, Fire&& fire);

    uint64_t tick_us() const { return tick_us_; }
    size_t armed_count() const { return armed_; }

private:
    struct Slot {
        TimerNode head;  // sentinel of a circular list
    };
    void link(Slot& slot, TimerNode& node);
    static void unlink(TimerNode& node);

    std::vector<Slot> slots_;
    uint64_t mask_;
    uint64_t tick_us_;
    uint64_t current_tick_;  // every tick <= this has been processed
    size_t armed_ = 0;
};

template <typename Fire>
void TimerWheel::advance(uint64_t now_us, Fire&& fire) {
    uint64_t target = now_us / tick_us_;
    if (target <= current_tick_)
        return;
    // Past one full revolution every slot is visited once; nothing is missed
    // because a node is fired whenever its deadline is <= the tick reached.
    uint64_t first = current_tick_ + 1;
    if (target - current_tick_ > slots_.size())
        first = target - slots_.size() + 1;
    for (uint64_t tick = first; tick <= target; ++tick) {
        Slot& slot = slots_[tick & mask_];
        // Detach the slot's list so fire() can re-arm into this same slot.
        TimerNode pending;
        if (slot.head.next == &slot.head)
            continue;
        pending.next = slot.head.next;
        pending.prev = slot.head.prev;
        pending.next->prev = &pending;
        pending.prev->next = &pending;
        slot.head.next = slot.head.prev = &slot.head;
        while (pending.next != &pending) {
            TimerNode* node = pending.next;
            unlink(*node);
            if (node->deadline <= target) {
                --armed_;
                fire(*node);
            } else {
                link(slot, *node);
            }
        }
    }
    current_tick_ = target;
}

}  // namespace tcpterm::tcp
