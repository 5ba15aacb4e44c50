#pragma once
/// @file block_pool.hpp
/// @brief The thread pool behind scae::parallelize_blocks (parallelize.hpp): helpers that take
/// fixed blocks of one call as they become free, and a caller that never waits for a late one.
/// An implementation detail; use parallelize_blocks.

#include "scae/core/types.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace scae {

namespace detail {

/// The threads that share the blocks of one call of `parallelize_blocks` (parallelize.hpp).
///
/// Not an OpenMP loop, for one reason: an OpenMP loop ends at a barrier that waits for every
/// thread of the team to arrive, also for a thread the operating system has not yet woken or
/// has parked on a node shared with other jobs, and a training step has ten such joins. Here
/// the caller takes blocks too and returns as soon as every block is done: a helper that wakes
/// late finds nothing left and goes back to sleep, so a busy core costs at most the block its
/// helper holds. Between calls, helpers wait awake for a bounded time (`awake`), then sleep on
/// a condition variable, and their number follows the OpenMP thread count
/// (`omp_set_num_threads`, `OMP_NUM_THREADS`).
///
/// Blocks are claimed from one 64-bit word holding the call's number and the next block, so a
/// helper still holding an earlier call's number cannot claim a block of the current one.
class BlockPool {
public:
    /// The process' pool. Never destroyed: its helpers sleep until the process ends, and a
    /// forked child, which has none of them, still runs every block on the calling thread.
    static BlockPool& instance() {
        static BlockPool* pool = new BlockPool();
        return *pool;
    }

    /// Runs `body(b)` for b in [0, count) on `threads` threads (this one included); false when
    /// another call is running (the caller then runs the blocks itself). Every block runs; then
    /// the exception of the lowest block that threw, if any, is rethrown here.
    template <class Body>
    bool run(Index count, int threads, Body& body) {
        std::unique_lock<std::mutex> caller(call_, std::try_to_lock);
        if (!caller.owns_lock()) return false;
        grow(threads - 1);
        const std::uint64_t call = ++calls_;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // Close the previous call before its job is overwritten. A helper late in that call
            // may hold its last state (every block claimed) and then read this call's larger
            // count: without the closing, its claim would still succeed and run a block of this
            // call that another thread runs too. The job's release stores order the closing
            // before them, so a helper that reads this call's count fails that claim.
            next_.store(((call - 1) << 32) | closed, std::memory_order_relaxed);
            job_.store(&invoke<Body>, std::memory_order_release);
            body_.store(const_cast<void*>(static_cast<const void*>(&body)), std::memory_order_release);
            count_.store(std::uint64_t(count), std::memory_order_release);
            helpers_ = threads - 1;
            done_.store(0, std::memory_order_relaxed);
            next_.store(call << 32, std::memory_order_release);
        }
        wake_.notify_all();
        work(call);
        // Every block is claimed; wait for the ones still running on helpers: awake for a
        // while (a helper's last block often ends about now), then asleep, so that the core
        // goes to the helper if they share one.
        const std::uint64_t blocks = std::uint64_t(count);
        stay_awake([&] { return done_.load(std::memory_order_acquire) >= blocks; });
        if (done_.load(std::memory_order_acquire) < blocks) {
            std::unique_lock<std::mutex> lock(mutex_);
            finished_.wait(lock, [&] { return done_.load(std::memory_order_acquire) >= blocks; });
        }
        std::exception_ptr error;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            std::swap(error, error_);
        }
        if (error) std::rethrow_exception(error);
        return true;
    }

    /// True on a helper thread (a block that calls parallelize_blocks runs its blocks itself).
    static bool& on_helper() {
        thread_local bool helper = false;
        return helper;
    }

private:
    BlockPool() = default;

    template <class Body>
    static void invoke(void* body, Index b) { (*static_cast<Body*>(body))(b); }

    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    /// How long a thread that has nothing to do waits awake before it sleeps. Waking a sleeping
    /// thread goes through the kernel, which on a virtual machine's idle core took 30-50 us,
    /// longer than the small ops of a step; the next op's call, or a helper's last block, comes
    /// sooner than that. Measured on 2 cores (reference workload, docs/benchmarks.md): 2 threads
    /// ran at 1.61x one thread with no wait awake, 1.78x with 50 us. The wait is bounded, so a
    /// shared node loses at most this much of a core per idle gap.
    static constexpr auto awake = std::chrono::microseconds(50);

    /// Waits awake until `ready()` or for `awake`, whichever comes first.
    template <class Ready>
    static void stay_awake(Ready ready) {
        const auto until = std::chrono::steady_clock::now() + awake;
        while (!ready()) {
            for (int i = 0; i < 16; ++i) pause();
            if (std::chrono::steady_clock::now() >= until) return;
        }
    }

    void grow(int helpers) {
        while (int(threads_.size()) < helpers) {
            const int index = int(threads_.size());
            threads_.emplace_back([this, index] { serve(index); });
            threads_.back().detach();
        }
    }

    /// Claims and runs blocks of call `call` until none is left.
    void work(std::uint64_t call) {
        for (;;) {
            std::uint64_t state = next_.load(std::memory_order_acquire);
            if ((state >> 32) != call) return;
            // The job read after the state: if the claim below succeeds, the call is still
            // `call` (it cannot end before this block is done, and the next call closes it
            // before writing its job; see run()), so the job is that call's.
            void (*job)(void*, Index) = job_.load(std::memory_order_acquire);
            void* body = body_.load(std::memory_order_acquire);
            const std::uint64_t count = count_.load(std::memory_order_acquire);
            const std::uint64_t b = state & 0xffffffffu;
            if (b >= count) return;
            if (!next_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) continue;
            try {
                job(body, Index(b));
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_ || Index(b) < error_block_) {
                    error_ = std::current_exception();
                    error_block_ = Index(b);
                }
            }
            if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
                std::lock_guard<std::mutex> lock(mutex_);
                finished_.notify_one();
            }
        }
    }

    void serve(int index) {
        on_helper() = true;
        std::uint64_t seen = 0;
        for (;;) {
            std::uint64_t call;
            stay_awake([&] { return (next_.load(std::memory_order_acquire) >> 32) != seen; });
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return (next_.load(std::memory_order_relaxed) >> 32) != seen; });
                call = next_.load(std::memory_order_relaxed) >> 32;
                seen = call;
                if (index >= helpers_) continue; // fewer threads asked for than exist
            }
            work(call);
        }
    }

    std::mutex call_;  // one call at a time
    std::mutex mutex_; // guards the job's description and the sleeps
    std::condition_variable wake_, finished_;
    std::vector<std::thread> threads_; // detached: they serve until the process ends
    std::uint64_t calls_ = 0;
    std::atomic<std::uint64_t> next_{0}; // call number << 32 | next block
    static constexpr std::uint64_t closed = 0xffffffffu; // a next block no call has: the call is over
    std::atomic<std::uint64_t> done_{0};
    // The job, read by helpers without the lock: atomics, as a late helper may read them while
    // the next call writes them (its claim then fails).
    std::atomic<void (*)(void*, Index)> job_{nullptr};
    std::atomic<void*> body_{nullptr};
    std::atomic<std::uint64_t> count_{0};
    int helpers_ = 0;
    std::exception_ptr error_; // the exception of the lowest block that threw
    Index error_block_ = 0;
};

} // namespace detail

} // namespace scae
