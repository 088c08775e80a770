#include "lib/tcp/timer_wheel.hpp"

namespace tcpterm::tcp {

TimerWheel::TimerWheel(uint32_t slots, uint64_t tick_us, uint64_t now_us)
    : slots_(slots), mask_(slots - 1), tick_us_(tick_us), current_tick_(now_us / tick_us) {
    for (Slot& s : slots_)
        s.head.next = s.head.prev = &s.head;
}

void TimerWheel::link(Slot& slot, TimerNode& node) {
    node.next = slot.head.next;
    node.prev = &slot.head;
    slot.head.next->prev = &node;
    slot.head.next = &node;
}

void TimerWheel::unlink(TimerNode& node) {
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.next = node.prev = nullptr;
}

void TimerWheel::schedule(TimerNode& node, uint64_t deadline_us) {
    if (node.armed())
        unlink(node);
    else
        ++armed_;
    uint64_t tick = (deadline_us + tick_us_ - 1) / tick_us_;
    if (tick <= current_tick_)
        tick = current_tick_ + 1;  // the earliest a future advance() can fire
    node.deadline = tick;
    link(slots_[tick & mask_], node);
}

void TimerWheel::cancel(TimerNode& node) {
    if (!node.armed())
        return;
    unlink(node);
    --armed_;
}

}  // namespace tcpterm::tcp
