#include "lib/tcp/reassembly.hpp"

#include <algorithm>

namespace tcpterm::tcp {

bool ReassemblyQueue::insert(rte_mbuf* m, Seq seq) {
    Seq end = seq + m->data_len;
    Seq arrived = seq;
    last_grew_recent_ = false;
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
    report(arrived, end);
    return true;
}

// [left, right) is now held: the first block grows to every block it
// touches (they are one run now) and moves to the front.
void ReassemblyQueue::report(Seq left, Seq right) {
    uint8_t kept = 0;
    uint8_t merged = 0;
    last_grew_recent_ = mru_count_ > 0 && Seq(mru_[0].right) == left;
    for (uint8_t i = 0; i < mru_count_; ++i) {
        Seq l(mru_[i].left), r(mru_[i].right);
        if (l <= right && left <= r) {  // overlapping or adjacent: merge
            left = seq_min(left, l);
            right = seq_max(right, r);
            ++merged;
        } else {
            mru_[kept++] = mru_[i];
        }
    }
    last_grew_recent_ = last_grew_recent_ && merged == 1;
    uint8_t count = std::min<uint8_t>(kept + 1, kMaxSackBlocks);
    for (uint8_t i = count - 1; i > 0; --i)
        mru_[i] = mru_[i - 1];
    mru_[0] = SackBlock{left.v, right.v};
    mru_count_ = count;
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
    // Blocks now below RCV.NXT are acknowledged: no longer reported.
    uint8_t kept = 0;
    for (uint8_t i = 0; i < mru_count_; ++i)
        if (Seq(mru_[i].right) > rcv_nxt)
            mru_[kept++] = SackBlock{seq_max(Seq(mru_[i].left), rcv_nxt).v, mru_[i].right};
    mru_count_ = head_ ? kept : 0;
    return rcv_nxt;
}

uint8_t ReassemblyQueue::sack_blocks(SackBlock* out, uint8_t max) const {
    uint8_t n = std::min(max, mru_count_);
    for (uint8_t i = 0; i < n; ++i)
        out[i] = mru_[i];
    return n;
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
    mru_count_ = 0;
    last_grew_recent_ = false;
}

}  // namespace tcpterm::tcp
