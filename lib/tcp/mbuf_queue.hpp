// A FIFO of single-segment mbufs linked through m->next, holding payload
// bytes only (headers stripped). Used for the receive queue (zero copy: the
// received mbufs themselves) and the send queue.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

namespace tcpterm::tcp {

struct MbufQueue {
    rte_mbuf* head = nullptr;
    rte_mbuf* tail = nullptr;
    uint32_t bytes = 0;

    bool empty() const { return head == nullptr; }

    void push_back(rte_mbuf* m) {
        m->next = nullptr;
        if (tail)
            tail->next = m;
        else
            head = m;
        tail = m;
        bytes += m->data_len;
    }

    // Drops n bytes from the front (n <= bytes), freeing emptied mbufs.
    void drop_front(uint32_t n) {
        bytes -= n;
        while (n > 0) {
            uint32_t take = n < head->data_len ? n : head->data_len;
            if (take == head->data_len) {
                rte_mbuf* done = head;
                head = head->next;
                if (!head)
                    tail = nullptr;
                done->next = nullptr;
                rte_pktmbuf_free_seg(done);
            } else {
                rte_pktmbuf_adj(head, static_cast<uint16_t>(take));
            }
            n -= take;
        }
    }

    void clear() {
        while (head) {
            rte_mbuf* next = head->next;
            head->next = nullptr;
            rte_pktmbuf_free_seg(head);
            head = next;
        }
        tail = nullptr;
        bytes = 0;
    }

    // Copies len bytes starting offset bytes into the queue to out.
    void copy_out(uint32_t offset, uint32_t len, uint8_t* out) const {
        const rte_mbuf* m = head;
        while (offset >= m->data_len) {
            offset -= m->data_len;
            m = m->next;
        }
        while (len > 0) {
            uint32_t take = m->data_len - offset;
            if (take > len)
                take = len;
            memcpy(out, rte_pktmbuf_mtod_offset(m, const uint8_t*, offset), take);
            out += take;
            len -= take;
            offset = 0;
            m = m->next;
        }
    }
};

}  // namespace tcpterm::tcp
