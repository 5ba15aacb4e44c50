// parallelize: every task once, contiguous ranges in thread order, worker exceptions carried to
// the caller, the serial threshold, and ThreadScope restoring OpenMP's default; parallelize_blocks:
// every block once on any thread count (the pool, stressed), the lowest block's exception.
#include <doctest/doctest.h>

#include "scae/core/error.hpp"
#include "scae/core/parallelize.hpp"

#include <array>
#include <atomic>
#include <string>
#include <vector>

namespace test_core_parallelize {

using namespace scae;

TEST_CASE("parallelize covers every task once, in contiguous ranges ordered by thread") {
    for (Index tasks : {Index(0), Index(1), Index(2), Index(7), Index(1000)}) {
        for (int threads : {0, 1, 2, 3, 8}) {
            CAPTURE(tasks);
            CAPTURE(threads);
            const int used = parallel_threads(tasks, threads);
            CHECK(used >= 1);
            CHECK(Index(used) <= std::max<Index>(1, tasks));
            std::vector<int> hits(std::size_t(tasks), 0);
            std::vector<Index> starts(std::size_t(used), -1), lengths(std::size_t(used), 0);
            std::atomic<bool> bad_thread{false};
            parallelize([&](int thread, Index start, Index length) {
                if (thread < 0 || thread >= used) {
                    bad_thread = true;
                    return;
                }
                starts[std::size_t(thread)] = start;
                lengths[std::size_t(thread)] = length;
                for (Index i = start; i < start + length; ++i) ++hits[std::size_t(i)];
            }, tasks, threads);
            CHECK_FALSE(bad_thread.load());
            for (int h : hits) CHECK(h == 1);
            Index next = 0; // thread t's range follows thread t - 1's
            for (int t = 0; t < used && tasks > 0; ++t) {
                if (lengths[std::size_t(t)] == 0) continue;
                CHECK(starts[std::size_t(t)] == next);
                next += lengths[std::size_t(t)];
            }
            CHECK(next == tasks);
        }
    }
}

TEST_CASE("parallelize_each calls every index once") {
    std::vector<std::atomic<int>> hits(500);
    parallelize_each([&](Index i) { ++hits[std::size_t(i)]; }, 500, 4);
    for (const auto& h : hits) CHECK(h.load() == 1);
}

TEST_CASE("an exception in a worker reaches the caller, that of the lowest thread when several throw") {
    const auto throwing = [](int thread, Index start, Index) {
        throw Error("task range starting at " + std::to_string(start) + " on thread " + std::to_string(thread));
    };
    CHECK_THROWS_WITH_AS(parallelize(throwing, 100, 4), "task range starting at 0 on thread 0", Error);
    CHECK_THROWS_AS(parallelize_each([](Index i) { if (i == 77) throw Error("task 77"); }, 100, 4), Error);
    // Serial loops (one task, too little work) throw the same way.
    CHECK_THROWS_WITH_AS(parallelize(throwing, 1, 4), "task range starting at 0 on thread 0", Error);
    CHECK_THROWS_AS(parallelize(throwing, 100, 4, parallel_min_work / 2), Error);
}

TEST_CASE("below parallel_min_work, inside a parallel loop and without OpenMP, one thread") {
    CHECK(parallel_threads(1000, 4, parallel_min_work / 2) == 1);
    CHECK(parallel_threads(1, 4) == 1);
    CHECK(parallel_threads(0, 4) == 1);
#ifdef _OPENMP
    CHECK(parallel_threads(1000, 4) == 4);
    CHECK(parallel_threads(3, 4) == 3);
    std::vector<int> inner(4, 0);
    parallelize([&](int thread, Index, Index) { inner[std::size_t(thread)] = parallel_threads(1000, 4); }, 4, 4);
    for (int n : inner) CHECK(n == 1); // no nested teams
#else
    CHECK(parallel_threads(1000, 4) == 1);
#endif
}

TEST_CASE("ThreadScope sets OpenMP's default thread count for its scope only") {
#ifdef _OPENMP
    const int before = omp_get_max_threads();
    {
        const ThreadScope scope(3);
        CHECK(omp_get_max_threads() == 3);
        CHECK(parallel_threads(1000) == 3);
        {
            const ThreadScope keep(0); // 0 keeps the current default
            CHECK(omp_get_max_threads() == 3);
        }
        CHECK(omp_get_max_threads() == 3);
    }
    CHECK(omp_get_max_threads() == before);
#else
    const ThreadScope scope(3);
    CHECK(parallel_threads(1000) == 1);
#endif
}

} // namespace test_core_parallelize

namespace test_core_parallelize_blocks {

using namespace scae;

// The pool behind parallelize_blocks (training's case: Eigen's own threads off), stressed with
// many small calls so that late helpers meet later calls.
TEST_CASE("parallelize_blocks runs every block once, on any thread count, and passes the lowest block's exception on") {
    const int eigen_threads = Eigen::nbThreads();
    Eigen::setNbThreads(1);
#ifdef _OPENMP
    const int omp_threads = omp_get_max_threads();
#endif
    for (int threads : {1, 2, 3, 5}) {
#ifdef _OPENMP
        omp_set_num_threads(threads);
#endif
        for (int call = 0; call < 2000; ++call) {
            const Index count = 1 + call % 9;
            std::vector<std::atomic<int>> runs(static_cast<std::size_t>(count));
            for (auto& r : runs) r = 0;
            parallelize_blocks([&](Index b) {
                runs[std::size_t(b)] += 1;
                // A call from inside a block (the pool is busy) still runs each block once.
                if (b == 0) parallelize_blocks([&](Index) { runs[0] += 100; }, 3, 0, 1e6);
            }, count, 0, 1e6);
            bool once = runs[0] == 301;
            for (Index b = 1; b < count; ++b) once = once && runs[std::size_t(b)] == 1;
            if (!once) {
                CAPTURE(threads);
                CAPTURE(call);
                CHECK(once);
                break;
            }
        }
        std::atomic<int> ran{0};
        CHECK_THROWS_AS(parallelize_blocks([&](Index b) {
                            ++ran;
                            if (b == 7) throw Error("block 7");
                        }, 40, 0, 1e6),
                        Error);
        // Several blocks throw: the caller gets the lowest block's exception, whichever ran first.
        CHECK_THROWS_WITH_AS(parallelize_blocks([&](Index b) {
                                 if (b == 3 || b == 30) throw Error("block " + std::to_string(b));
                             }, 40, 0, 1e6),
                             "block 3", Error);
#ifdef _OPENMP
        // The pool runs the other blocks before it rethrows, so no block is left half written.
        if (threads > 1) CHECK(ran == 40);
#endif
        CHECK(ran >= 8);
    }
#ifdef _OPENMP
    omp_set_num_threads(omp_threads);
#endif
    Eigen::setNbThreads(eigen_threads);
}

TEST_CASE("parallelize_blocks runs each block once when helpers come late: short calls, more threads than cores") {
    // Calls of a few tiny blocks, one after another, with more threads than this machine has
    // cores: a helper is often descheduled in the middle of a call and resumes in the next one,
    // which must not make it run one of the next call's blocks a second time (it did, about once
    // in 20,000 calls, before a call closed the previous one).
    const int eigen_threads = Eigen::nbThreads();
    Eigen::setNbThreads(1);
    std::size_t wrong = 0, calls = 0;
    for (int threads : {3, 5})
        for (int call = 0; call < 40000; ++call, ++calls) {
            const Index count = 1 + call % 9;
            std::array<std::atomic<int>, 9> runs{};
            parallelize_blocks([&](Index b) { runs[std::size_t(b)] += 1; }, count, threads, 1e6);
            for (Index b = 0; b < count; ++b) wrong += runs[std::size_t(b)] != 1;
        }
    CAPTURE(calls);
    CHECK(wrong == 0);
    Eigen::setNbThreads(eigen_threads);
}

} // namespace test_core_parallelize_blocks
