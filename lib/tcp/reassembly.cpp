#include "lib/tcp/reassembly.hpp"

#include <algorithm>

namespace tcpterm::tcp {

ReassemblyQueue::RunIter ReassemblyQueue::first_reaching(Seq s) {
    return std::lower_bound(runs_.begin(), runs_.end(), s,
                            [](const Run& r, Seq x) { return r.right < x; });
}

void ReassemblyQueue::free_run(const Run& r) {
    for (rte_mbuf* m = r.first; m != nullptr;) {
        rte_mbuf* next = m->next;
        bytes_ -= m->data_len;
        --count_;
        m->next = nullptr;
        rte_pktmbuf_free_seg(m);
        m = next;
    }
}

bool ReassemblyQueue::insert(rte_mbuf* m, Seq seq) {
    Seq s = seq;
    Seq e = seq + m->data_len;
    last_grew_recent_ = false;
    auto refuse = [m] {
        rte_pktmbuf_free_seg(m);
        return false;
    };
    if (m->data_len == 0)
        return refuse();
    if (runs_.capacity() == 0)  // the first hole: room for a few, once
        runs_.reserve(16);
    // The run that holds our start, if any, trims our front: we then
    // continue it.
    RunIter at = first_reaching(s);
    bool continues = at != runs_.end() && at->left <= s;
    if (continues) {
        if (e <= at->right) {  // nothing new; still, RFC 2018 §4: the
            report(seq, e);    // block holding it goes first in the ACK
            last_grew_recent_ = false;
            return refuse();
        }
        rte_pktmbuf_adj(m, static_cast<uint16_t>(at->right - s));
        s = at->right;
        ++at;
    }
    // Runs we cover entirely go (we hold their bytes now); the first one we
    // only reach into trims our tail.
    while (at != runs_.end() && at->left < e) {
        if (at->right <= e) {
            free_run(*at);
            at = runs_.erase(at);
            continue;
        }
        rte_pktmbuf_trim(m, static_cast<uint16_t>(e - at->left));
        e = at->left;
        break;
    }
    bool joins_next = at != runs_.end() && at->left == e;
    if (count_ >= kMaxSegments || (!continues && !joins_next && runs_.size() >= kMaxRuns))
        return refuse();
    m->hash.usr = s.v;
    m->next = nullptr;
    Seq run_right = e;  // of the run the arrival now belongs to
    if (continues) {
        RunIter before = at - 1;
        before->last->next = m;
        before->last = m;
        before->right = e;
        if (joins_next) {  // a hole filled: the two runs are one
            m->next = at->first;
            before->last = at->last;
            before->right = at->right;
            runs_.erase(at);
        }
        run_right = before->right;
    } else if (joins_next) {
        m->next = at->first;
        at->first = m;
        at->left = s;
        run_right = at->right;
    } else {
        runs_.insert(at, Run{s, e, m, m});
    }
    bytes_ += m->data_len;
    ++count_;
    // RFC 2018 §4: the first block is the whole contiguous run holding it.
    report(seq, run_right);
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
    // Runs never touch, so at most the first one reaches RCV.NXT.
    if (!runs_.empty() && runs_.front().left <= rcv_nxt) {
        rte_mbuf* m = runs_.front().first;
        runs_.erase(runs_.begin());
        while (m) {
            rte_mbuf* next = m->next;
            bytes_ -= m->data_len;
            --count_;
            m->next = nullptr;
            if (end_of(m) <= rcv_nxt) {  // all old
                rte_pktmbuf_free_seg(m);
            } else {
                if (seq_of(m) < rcv_nxt)
                    rte_pktmbuf_adj(m, static_cast<uint16_t>(rcv_nxt - seq_of(m)));
                rcv_nxt += m->data_len;
                into.push_back(m);
            }
            m = next;
        }
    }
    // Blocks now below RCV.NXT are acknowledged: no longer reported.
    uint8_t kept = 0;
    for (uint8_t i = 0; i < mru_count_; ++i)
        if (Seq(mru_[i].right) > rcv_nxt)
            mru_[kept++] = SackBlock{seq_max(Seq(mru_[i].left), rcv_nxt).v, mru_[i].right};
    mru_count_ = runs_.empty() ? 0 : kept;
    return rcv_nxt;
}

uint8_t ReassemblyQueue::sack_blocks(SackBlock* out, uint8_t max) const {
    uint8_t n = std::min(max, mru_count_);
    for (uint8_t i = 0; i < n; ++i)
        out[i] = mru_[i];
    return n;
}

void ReassemblyQueue::clear() {
    for (const Run& r : runs_)
        free_run(r);
    runs_.clear();
    bytes_ = 0;
    count_ = 0;
    mru_count_ = 0;
    last_grew_recent_ = false;
}

}  // namespace tcpterm::tcp
