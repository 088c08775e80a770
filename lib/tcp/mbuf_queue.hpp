// A FIFO of single-segment mbufs linked through m->next, holding payload
// bytes only (headers stripped). Used for the receive queue (zero copy: the
// received mbufs themselves) and the send queue.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

namespace tcpterm::tcp {

struct MbufQueue {
    rte_mbuf* head = nullptr;
    rte_mbuf* tail = nullptr;
    uint32_t bytes = 0;
    uint32_t mbufs = 0;  // what the queue holds, for memory accounting

    bool empty() const { return head == nullptr; }

    void push_back(rte_mbuf* m) {
        m->next = nullptr;
        if (tail)
            tail->next = m;
        else
            head = m;
        tail = m;
        bytes += m->data_len;
        ++mbufs;
    }

    // Appends len bytes to the tail mbuf's own buffer when they fit there
    // (Linux's receive coalescing): a peer sending tiny segments then costs
    // one buffer per buffer-full, not one per segment. Only a direct,
    // unshared tail may be written.
    bool append_to_tail(const uint8_t* data, uint16_t len) {
        if (!tail || !RTE_MBUF_DIRECT(tail) || rte_mbuf_refcnt_read(tail) != 1 ||
            rte_pktmbuf_tailroom(tail) < len)
            return false;
        memcpy(rte_pktmbuf_append(tail, len), data, len);
        bytes += len;
        return true;
    }

    // Takes the front mbuf out (the queue must not be empty).
    rte_mbuf* pop_front() {
        rte_mbuf* m = head;
        head = m->next;
        if (!head)
            tail = nullptr;
        m->next = nullptr;
        bytes -= m->data_len;
        --mbufs;
        return m;
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
                --mbufs;
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
        mbufs = 0;
    }

    // Zero copy: indirect mbufs from pool referencing [offset, offset + len)
    // of the queue, chained (nb_segs, pkt_len set), to hang behind a
    // segment's headers; the queue's own mbufs stay until they are
    // acknowledged, and each reference frees its share once sent. nullptr
    // when the pool is out, or when more than max_segs would be needed
    // (tiny buffers): the caller copies instead.
    rte_mbuf* reference(uint32_t offset, uint32_t len, rte_mempool* pool, uint16_t max_segs) const {
        rte_mbuf* m = head;
        while (offset >= m->data_len) {
            offset -= m->data_len;
            m = m->next;
        }
        rte_mbuf* first = nullptr;
        rte_mbuf* last = nullptr;
        uint16_t segs = 0;
        uint32_t total = len;
        while (len > 0) {
            rte_mbuf* c = ++segs <= max_segs ? rte_pktmbuf_alloc(pool) : nullptr;
            if (!c) {
                rte_pktmbuf_free(first);
                return nullptr;
            }
            rte_pktmbuf_attach(c, m);
            uint32_t take = m->data_len - offset < len ? m->data_len - offset : len;
            c->data_off = static_cast<uint16_t>(c->data_off + offset);
            c->data_len = static_cast<uint16_t>(take);
            c->pkt_len = take;
            if (last)
                last->next = c;
            else
                first = c;
            last = c;
            len -= take;
            offset = 0;
            m = m->next;
        }
        first->nb_segs = segs;
        first->pkt_len = total;
        return first;
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
