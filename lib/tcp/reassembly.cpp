#include "lib/tcp/reassembly.hpp"

namespace tcpterm::tcp {

bool ReassemblyQueue::insert(rte_mbuf* m, Seq seq) {
    Seq end = seq + m->data_len;
    rte_mbuf* prev = nullptr;
    rte_mbuf* cur = head_;
    if (tail_ && seq >= end_of(tail_)) {  // beyond everything held: no walk
        prev = tail_;
        cur = nullptr;
    }
    while (cur && seq_of(cur) < seq) {
        prev = cur;
        cur = cur->next;
    }
    // Trim against the segment before: it may cover our start.
    if (prev && end_of(prev) > seq) {
        if (end_of(prev) >= end) {
            rte_pktmbuf_free_seg(m);  // nothing new
            return false;
        }
        uint32_t overlap = static_cast<uint32_t>(end_of(prev) - seq);
        rte_pktmbuf_adj(m, static_cast<uint16_t>(overlap));
        seq = seq + overlap;
    }
    // Segments we cover entirely go; one that covers our tail trims us.
    while (cur && end >= end_of(cur)) {
        rte_mbuf* gone = cur;
        cur = cur->next;
        bytes_ -= gone->data_len;
        --count_;
        gone->next = nullptr;
        rte_pktmbuf_free_seg(gone);
    }
    if (cur && end > seq_of(cur)) {
        rte_pktmbuf_trim(m, static_cast<uint16_t>(end - seq_of(cur)));
        end = seq_of(cur);
    }
    if (m->data_len == 0 || count_ >= kMaxSegments) {
        if (prev)
            prev->next = cur;
        else
            head_ = cur;
        if (!cur)
            tail_ = prev;
        rte_pktmbuf_free_seg(m);
        return false;
    }
    m->hash.usr = seq.v;
    m->next = cur;
    if (prev)
        prev->next = m;
    else
        head_ = m;
    if (!cur)
        tail_ = m;
    bytes_ += m->data_len;
    ++count_;
    for (uint8_t i = recent_count_ < 4 ? recent_count_++ : 3; i > 0; --i)
        recent_[i] = recent_[i - 1];
    recent_[0] = seq;
    return true;
}

Seq ReassemblyQueue::drain_in_order(Seq rcv_nxt, MbufQueue& into) {
    while (head_ && seq_of(head_) <= rcv_nxt) {
        rte_mbuf* m = head_;
        head_ = m->next;
        bytes_ -= m->data_len;
        --count_;
        if (!head_)
            tail_ = nullptr;
        if (end_of(m) <= rcv_nxt) {  // all old
            m->next = nullptr;
            rte_pktmbuf_free_seg(m);
            continue;
        }
        uint32_t overlap = static_cast<uint32_t>(rcv_nxt - seq_of(m));
        rte_pktmbuf_adj(m, static_cast<uint16_t>(overlap));
        rcv_nxt += m->data_len;
        into.push_back(m);
    }
    return rcv_nxt;
}

// Calls f(block) for each contiguous run of held data, in sequence order,
// until f returns false.
template <typename F>
void ReassemblyQueue::for_each_run(F&& f) const {
    const rte_mbuf* m = head_;
    while (m) {
        SackBlock run{seq_of(m).v, end_of(m).v};
        for (m = m->next; m && Seq(run.right) == seq_of(m); m = m->next)
            run.right = end_of(m).v;
        if (!f(run))
            return;
    }
}

uint8_t ReassemblyQueue::sack_blocks(SackBlock* out, uint8_t max) const {
    uint8_t written = 0;
    auto add = [&](const SackBlock& run) {
        for (uint8_t i = 0; i < written; ++i)
            if (out[i].left == run.left)
                return;
        out[written++] = run;
    };
    // The runs holding the most recent arrivals first, newest first; then
    // the rest in sequence order.
    for (uint8_t r = 0; r < recent_count_ && written < max; ++r)
        for_each_run([&](const SackBlock& run) {
            if (Seq(run.left) <= recent_[r] && recent_[r] < Seq(run.right)) {
                add(run);
                return false;
            }
            return true;
        });
    for_each_run([&](const SackBlock& run) {
        if (written >= max)
            return false;
        add(run);
        return true;
    });
    return written;
}

void ReassemblyQueue::clear() {
    while (head_) {
        rte_mbuf* next = head_->next;
        head_->next = nullptr;
        rte_pktmbuf_free_seg(head_);
        head_ = next;
    }
    tail_ = nullptr;
    bytes_ = 0;
    count_ = 0;
    recent_count_ = 0;
}

}  // namespace tcpterm::tcp
