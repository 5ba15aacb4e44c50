#pragma once
/// @file parallelize.hpp
/// @brief The one way scae splits work over threads, in two shapes: contiguous ranges of tasks,
/// one per thread (`parallelize`, after tatami's; `parallelize_each`), and fixed blocks that threads
/// take as they become free (`parallelize_blocks`, for the training step's kernels). Serial without
/// OpenMP.
///
/// Every parallel loop in the library goes through one of them, so that the thread count, the
/// serial threshold (parallel_min_work, via parallel_threads()) and the error handling (the
/// exception of the lowest task that threw reaches the caller) are decided once, here, and so
/// that `#pragma omp` appears in this file only. Each task must write only its own outputs; then
/// results do not depend on the number of threads.

#include "scae/core/block_pool.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <exception>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae {

/// Work, in scalar operations (multiply-adds, values read or written), below which a loop runs on
/// one thread: starting an OpenMP team and waking its threads costs a few microseconds, about what
/// 65,536 such operations take, so smaller loops are faster serial. Callers pass their estimate as
/// `parallelize`'s `work`; loops whose tasks are each heavy (a model's pass over a block of cells)
/// leave it at its default, which always counts as enough.
constexpr double parallel_min_work = 65536;

/// Sets OpenMP's default thread count (what `parallelize` and nested library calls use when asked
/// for 0 threads) for a scope, and restores it afterwards: how an Options struct's `threads` field
/// reaches every loop below it. By default it also keeps Eigen's own products on one thread while
/// it lives: training and saliency split their products over threads themselves, and Eigen's
/// threads spin-wait between products, which stalls on shared cores. Code whose large products
/// are Eigen's own (applying a model to cells) asks for `EigenThreads::same` instead.
class ThreadScope {
public:
    /// How many threads Eigen's own products may use inside the scope.
    enum class EigenThreads {
        one, ///< one (the library splits its products itself)
        same ///< the scope's thread count
    };

    /// @param threads threads to use inside the scope; 0 or less keeps the current default
    /// @param eigen   Eigen's threads inside the scope (default one)
    explicit ThreadScope(int threads, EigenThreads eigen = EigenThreads::one) : eigen_previous_(Eigen::nbThreads()) {
#ifdef _OPENMP
        previous_ = omp_get_max_threads();
        if (threads > 0) omp_set_num_threads(threads);
        Eigen::setNbThreads(eigen == EigenThreads::one ? 1 : omp_get_max_threads());
#else
        (void)threads;
        (void)eigen;
        Eigen::setNbThreads(1);
#endif
    }
    ~ThreadScope() {
#ifdef _OPENMP
        omp_set_num_threads(previous_);
#endif
        Eigen::setNbThreads(eigen_previous_);
    }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;

private:
    int eigen_previous_;
    [[maybe_unused]] int previous_ = 1; // used with OpenMP only
};

/// The number of threads `parallelize` and `parallelize_blocks` use for `tasks` tasks of `work`
/// operations in all when asked for `threads` (0 or less: OpenMP's current default,
/// `omp_get_max_threads()`, which `OMP_NUM_THREADS` or an enclosing ThreadScope sets). One without
/// OpenMP, inside another parallel region or a pool helper (no nested teams), below
/// parallel_min_work, or for fewer than two tasks; never more than `tasks`.
/// @param tasks    number of tasks.
/// @param threads  threads asked for (0 or less: OpenMP's default).
/// @param work     the loop's total work in scalar operations.
/// @return the thread count, at least 1 and at most `tasks` (when tasks >= 1).
inline int parallel_threads(Index tasks, int threads = 0, double work = parallel_min_work) {
#ifdef _OPENMP
    if (tasks < 2 || work < parallel_min_work || omp_in_parallel() || detail::BlockPool::on_helper()) return 1;
    const int wanted = threads > 0 ? threads : omp_get_max_threads();
    return int(std::max<Index>(1, std::min<Index>(Index(wanted), tasks)));
#else
    (void)tasks, (void)threads, (void)work;
    return 1;
#endif
}

/// Calls `fn(thread, start, length)` on contiguous ranges that cover tasks [0, tasks) in order,
/// one range per thread (thread `t` gets the `t`-th range; lengths differ by at most one). Threads
/// as parallel_threads(tasks, threads, work) decides. An exception thrown by `fn` on any thread is
/// rethrown here, on the calling thread, once all threads have finished (that of the lowest thread,
/// which holds the lowest tasks, when several throw), so that the caller sees scae::Error rather
/// than std::terminate.
/// @param fn called as fn(int thread, Index start, Index length); `thread` indexes per-thread
///        buffers sized by parallel_threads()
/// @param tasks number of tasks (0 or less: nothing is called)
/// @param threads threads asked for (0: OpenMP's default)
/// @param work the loop's total work in scalar operations; below parallel_min_work it runs serially
template <class Fn>
void parallelize(Fn&& fn, Index tasks, int threads = 0, double work = parallel_min_work) {
    if (tasks <= 0) return;
    const int used = parallel_threads(tasks, threads, work);
    if (used == 1) {
        fn(0, Index(0), tasks);
        return;
    }
#ifdef _OPENMP
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(used));
    const Index base = tasks / used, extra = tasks % used;
#pragma omp parallel num_threads(used)
    {
        const int t = omp_get_thread_num();
        const Index start = Index(t) * base + std::min<Index>(Index(t), extra);
        const Index length = base + (Index(t) < extra ? 1 : 0);
        try {
            if (length > 0) fn(t, start, length);
        } catch (...) {
            errors[std::size_t(t)] = std::current_exception();
        }
    }
    for (const std::exception_ptr& error : errors)
        if (error) std::rethrow_exception(error);
#endif
}

/// Calls `fn(task)` for every task in [0, tasks), split over threads as `parallelize` splits them,
/// with the same exception handling.
/// @param fn called as fn(Index task)
/// @param tasks number of tasks
/// @param threads threads asked for (0: OpenMP's default)
/// @param work the loop's total work in scalar operations; below parallel_min_work it runs serially
template <class Fn>
void parallelize_each(Fn&& fn, Index tasks, int threads = 0, double work = parallel_min_work) {
    parallelize([&](int, Index start, Index length) {
        for (Index task = start; task < start + length; ++task) fn(task);
    }, tasks, threads, work);
}

/// Calls `fn(block)` for every block in [0, blocks): fixed pieces of work (ad::Blocks cuts them)
/// that threads take one at a time as they become free, in any order and on any thread. Threads
/// as parallel_threads(blocks, threads, work) decides. Each block should compute the same way
/// whichever thread runs it and write only its own part of the result; then the result does not
/// depend on the thread count. Every block runs, and then the exception of the lowest block that
/// threw, if any, is rethrown here (serially, the first exception ends the loop: it is the lowest).
///
/// With Eigen's own threads off (`Eigen::setNbThreads(1)`, as training sets) the blocks go to
/// detail::BlockPool, whose caller never waits for a late thread. Otherwise they go to an OpenMP
/// loop, inside which Eigen keeps each block's products on one thread (outside one, on the pool's
/// threads, it would start threads of its own for every block).
/// @param fn       called as fn(Index block); writes only its block's part of the result
/// @param blocks   number of blocks (ad::Blocks::count())
/// @param threads  threads asked for (0: OpenMP's default)
/// @param work     the loop's total work in scalar operations (multiply-adds); below parallel_min_work
///                 every block runs on the calling thread
template <class Fn>
void parallelize_blocks(Fn&& fn, Index blocks, int threads = 0, double work = parallel_min_work) {
    if (blocks <= 0) return;
    const int used = parallel_threads(blocks, threads, work);
    if (used == 1) {
        for (Index b = 0; b < blocks; ++b) fn(b);
        return;
    }
#ifdef _OPENMP
    if (Eigen::nbThreads() == 1 && detail::BlockPool::instance().run(blocks, used, fn)) return;
    std::exception_ptr error;
    Index error_block = blocks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(used)
    for (Index b = 0; b < blocks; ++b) {
        try {
            fn(b);
        } catch (...) {
#pragma omp critical(scae_parallelize_blocks_error)
            if (b < error_block) {
                error = std::current_exception();
                error_block = b;
            }
        }
    }
    if (error) std::rethrow_exception(error);
#endif
}

} // namespace scae
