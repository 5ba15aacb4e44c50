#pragma once
// R ranks as threads of one process, for tests and benchmarks of sharded training without MPI
// (tests/test_train_sharded.cpp, benchmarks/rank_gap.cpp): a train::Communicator per rank whose
// sum adds every rank's values in rank order, as train/mpi.hpp does.
#include <scae/train/train.hpp>

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scae_testing {

using scae::train::Communicator;

/// R ranks as threads of this process: a sum in rank order, and a barrier.
class ThreadRanks {
public:
    explicit ThreadRanks(int size) : size_(size), slots_(std::size_t(size)) {}

    /// The communicator of rank `rank`; `gather` left empty (made from the sum) unless asked for.
    Communicator at(int rank, bool with_gather = false) {
        Communicator c;
        c.rank = rank;
        c.size = size_;
        c.sum = [this, rank](std::vector<double>& values) {
            slots_[std::size_t(rank)] = values;
            barrier();
            std::vector<double> total(values.size(), 0.0);
            for (int r = 0; r < size_; ++r)
                for (std::size_t i = 0; i < total.size(); ++i) total[i] += slots_[std::size_t(r)].at(i);
            barrier(); // nobody writes its slot again before everyone has read them
            values = total;
        };
        if (with_gather)
            c.gather = [this, rank](const std::vector<double>& mine, std::vector<double>& all) {
                slots_[std::size_t(rank)] = mine;
                barrier();
                all.clear();
                for (int r = 0; r < size_; ++r) all.insert(all.end(), slots_[std::size_t(r)].begin(), slots_[std::size_t(r)].end());
                barrier();
            };
        return c;
    }

    /// Runs `work(rank)` on every rank's thread and waits for all; an exception on any rank is rethrown (the first by rank).
    void run(const std::function<void(int)>& work) {
        std::vector<std::thread> threads;
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size_));
        for (int r = 0; r < size_; ++r)
            threads.emplace_back([&, r] {
                try {
                    work(r);
                } catch (...) {
                    errors[std::size_t(r)] = std::current_exception();
                }
            });
        for (auto& t : threads) t.join();
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    }

private:
    void barrier() {
        std::unique_lock<std::mutex> lock(mutex_);
        const long generation = generation_;
        if (++arrived_ == size_) {
            arrived_ = 0;
            ++generation_;
            changed_.notify_all();
        } else {
            changed_.wait(lock, [&] { return generation_ != generation; });
        }
    }

    int size_;
    std::vector<std::vector<double>> slots_;
    std::mutex mutex_;
    std::condition_variable changed_;
    int arrived_ = 0;
    long generation_ = 0;
};

} // namespace scae_testing
