#pragma once
/// @file mpi.hpp
/// @brief Data-parallel training over MPI ranks: starting and ending MPI, and the
/// train::Communicator that sums gradients the same way on every rank.
///
/// Optional: include it only where MPI is available (the command line does so when built with
/// SCAE_WITH_MPI); no other scae header needs it. Sums are made by gathering every rank's values
/// and adding them in rank order, in double: each rank gets the same bits, and the same ranks
/// give the same model run after run (an MPI_Allreduce leaves the order of additions to the
/// library). The gathered chunks are capped so the buffer stays small for any model.

#include "scae/train/train.hpp"

#include <mpi.h>

#include <cstdlib>
#include <iostream>

namespace scae::mpi {

/// True when this process was started by an MPI launcher (mpirun, mpiexec or srun), as seen in
/// the environment they set; plain runs then skip MPI's start-up.
/// @return true when one of the launchers' environment variables is set and not empty.
inline bool launched() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MPI_LOCALNRANKS"})
        if (const char* value = std::getenv(name); value && *value) return true;
    return false;
}

/// True once MPI is initialised and not yet finalised.
/// @return whether MPI calls can be made now.
inline bool active() {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

/// Starts MPI for its lifetime when the process was launched by MPI (and MPI is not started
/// already); on destruction, waits for every rank (so that rank 0 has written its files before
/// any rank exits) and finalises.
class Session {
public:
    Session() {
        if (!launched() || active()) return;
        int provided = 0;
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided); // only the main thread calls MPI
        owner_ = true;
    }
    ~Session() {
        if (!owner_ || !active()) return;
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Finalize();
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Processes in the world (1 without MPI).
    /// @return the size of MPI_COMM_WORLD, or 1 when MPI is not active.
    int size() const { return active() ? world_size() : 1; }

private:
    static int world_size() {
        int size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        return size;
    }
    bool owner_ = false;
};

/// Ends every rank with `code` (MPI_Abort), so that an error on one rank never leaves the others
/// waiting in a collective. Does nothing without an active MPI world of several ranks.
/// @param code  the exit status every rank ends with.
inline void abort_all(int code) {
    if (!active()) return;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) {
        std::cerr.flush();
        MPI_Abort(MPI_COMM_WORLD, code);
    }
}

/// The world as a train::Communicator: rank and size, and a sum of doubles over the ranks added
/// in rank order. One process (the default communicator) when MPI is not active.
/// @return the communicator; its `sum` owns its buffer, may be copied, and throws Error when MPI_Allgather fails.
inline train::Communicator world() {
    train::Communicator c;
    if (!active()) return c;
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    const int size = c.size;
    auto gathered = std::make_shared<std::vector<double>>();
    c.sum = [size, gathered](std::vector<double>& values) {
        // Chunks of at most 2^21 gathered doubles (16 MiB), whatever the model and the ranks.
        const std::size_t chunk = std::max<std::size_t>(1, (std::size_t(1) << 21) / std::size_t(size));
        for (std::size_t begin = 0; begin < values.size(); begin += chunk) {
            const std::size_t n = std::min(chunk, values.size() - begin);
            gathered->resize(n * std::size_t(size));
            if (MPI_Allgather(values.data() + begin, int(n), MPI_DOUBLE, gathered->data(), int(n), MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
                throw Error("MPI_Allgather failed while summing gradients over the ranks");
            for (std::size_t i = 0; i < n; ++i) {
                double total = 0;
                for (int r = 0; r < size; ++r) total += (*gathered)[std::size_t(r) * n + i];
                values[begin + i] = total;
            }
        }
    };
    return c;
}

/// Rows [begin, end) of `rows` cells that this rank takes in a job split by cells: contiguous
/// blocks, one per rank in rank order (all of them without an active MPI world).
/// @param rows  the total number of rows (cells) of the job.
/// @return [begin, end) of this rank's block; [0, rows) without an active world of several ranks.
inline std::pair<Index, Index> block_of_rows(Index rows) {
    const train::Communicator c = world();
    return {rows * c.rank / c.size, rows * (c.rank + 1) / c.size};
}

/// Stacks every rank's `block` (its block_of_rows, in rank order) into one matrix on rank 0;
/// other ranks get an empty matrix. Every rank must call it, with blocks of equal width.
/// @param block  this rank's rows, all ranks with the same number of columns.
/// @return on rank 0, all ranks' rows in rank order; on other ranks an empty matrix with block's columns.
/// @throws Error on rank 0 when the ranks hold more than 2^31 values in all.
inline Matrix<float> gather_rows(const Matrix<float>& block) {
    const train::Communicator c = world();
    if (c.size == 1) return block;
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowMajor mine = block;
    const int count = int(mine.size());
    std::vector<int> counts(std::size_t(c.size)), offsets(std::size_t(c.size));
    MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    long long total = 0;
    for (int r = 0; r < c.size; ++r) offsets[std::size_t(r)] = int(total), total += counts[std::size_t(r)];
    if (c.rank == 0 && total > std::numeric_limits<int>::max())
        throw Error("gathering the ranks' rows: more than 2^31 values; use more ranks or fewer cells per job");
    RowMajor all(c.rank == 0 ? Index(total / std::max<Index>(1, block.cols())) : 0, block.cols());
    MPI_Gatherv(mine.data(), count, MPI_FLOAT, all.data(), counts.data(), offsets.data(), MPI_FLOAT, 0, MPI_COMM_WORLD);
    return all;
}

} // namespace scae::mpi
