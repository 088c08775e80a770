// One object that a control thread replaces while workers read it without a
// lock (RCU with DPDK's QSBR): the control thread builds a new T completely,
// swaps the pointer (release), and frees the old T only once every online
// worker has reported a quiescent state since the swap, i.e. has finished
// the loop turn in which it might still have been reading the old one.
// Workers load the pointer (acquire) and never keep it past their turn.
#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

namespace tcpterm::app {

// The QSBR variable: reader ids 0..readers-1 (one per worker).
class Qsbr {
public:
    explicit Qsbr(uint32_t readers) {
        v_ = static_cast<rte_rcu_qsbr*>(
            rte_zmalloc("lb_qsbr", rte_rcu_qsbr_get_memsize(readers), RTE_CACHE_LINE_SIZE));
        if (!v_ || rte_rcu_qsbr_init(v_, readers) != 0)
            throw std::runtime_error("cannot set up the load balancer's RCU variable");
    }
    ~Qsbr() { rte_free(v_); }
    Qsbr(const Qsbr&) = delete;
    Qsbr& operator=(const Qsbr&) = delete;
    rte_rcu_qsbr* get() const { return v_; }

    // Reader side: a worker is waited for from online() to offline(), and
    // says after each loop turn that it holds no published pointer.
    void online(uint32_t id) {
        rte_rcu_qsbr_thread_register(v_, id);
        rte_rcu_qsbr_thread_online(v_, id);
    }
    void quiescent(uint32_t id) { rte_rcu_qsbr_quiescent(v_, id); }
    void offline(uint32_t id) {
        rte_rcu_qsbr_thread_offline(v_, id);
        rte_rcu_qsbr_thread_unregister(v_, id);
    }

private:
    rte_rcu_qsbr* v_ = nullptr;
};

template <typename T>
class Published {
public:
    // qsbr: the variable the readers report quiescent states on.
    Published(rte_rcu_qsbr* qsbr, std::unique_ptr<T> first) : qsbr_(qsbr), current_(first.release()) {}
    ~Published() {  // the readers have stopped
        reclaim(true);
        delete current_.load();
    }
    Published(const Published&) = delete;
    Published& operator=(const Published&) = delete;

    // Reader side: valid until the reader's next quiescent state.
    const T* get() const { return current_.load(std::memory_order_acquire); }

    // Writer side (one thread): the new object is complete before anyone
    // can see it; the old one waits for a grace period.
    void publish(std::unique_ptr<T> next) {
        const T* old = current_.exchange(next.release(), std::memory_order_acq_rel);
        retired_.push_back({old, rte_rcu_qsbr_start(qsbr_)});
        reclaim();
    }
    // Frees retired objects whose grace period is over (all of them when the
    // readers are known to be gone); never waits.
    void reclaim(bool readers_gone = false) {
        std::erase_if(retired_, [&](const Retired& r) {
            if (!readers_gone && rte_rcu_qsbr_check(qsbr_, r.token, false) != 1)
                return false;
            delete r.object;
            return true;
        });
    }
    size_t retired() const { return retired_.size(); }

private:
    struct Retired {
        const T* object;
        uint64_t token;
    };
    rte_rcu_qsbr* qsbr_;
    std::atomic<const T*> current_;
    std::vector<Retired> retired_;
};

}  // namespace tcpterm::app
