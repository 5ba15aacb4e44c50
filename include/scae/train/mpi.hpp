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
#include <limits>
#include <new>
#include <string>
#include <vector>
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
/// other ranks get an empty matrix. Every rank must call it. Rows travel as one MPI datatype of
/// a row's values, so counts are rows, never values: a block of any size (over 2^31 values too)
/// fits MPI's int counts. Every check is made on every rank with the same outcome before any
/// rows move, so a refusal throws on all ranks alike and none is left waiting in a collective.
/// @param block  this rank's rows (row-major, as every scae::Matrix), all ranks with the same number of columns.
/// @return on rank 0, all ranks' rows in rank order; on other ranks an empty matrix with block's columns.
/// @throws Error on every rank when the ranks' blocks differ in width, or rank 0 cannot hold
/// all the rows (naming how many it needs)
inline Matrix<float> gather_rows(const Matrix<float>& block) {
    const train::Communicator c = world();
    if (c.size == 1) return block;
    // Every rank learns every block's shape: the checks below then agree on all ranks.
    const long long shape[2] = {static_cast<long long>(block.rows()), static_cast<long long>(block.cols())};
    std::vector<long long> shapes(2 * std::size_t(c.size));
    if (MPI_Allgather(shape, 2, MPI_LONG_LONG, shapes.data(), 2, MPI_LONG_LONG, MPI_COMM_WORLD) != MPI_SUCCESS)
        throw Error("gathering the ranks' rows: MPI_Allgather of the block shapes failed");
    const long long cols = shapes[1];
    long long rows = 0;
    std::vector<int> counts(std::size_t(c.size)), offsets(std::size_t(c.size));
    for (int r = 0; r < c.size; ++r) {
        if (shapes[2 * std::size_t(r) + 1] != cols)
            throw Error("gathering the ranks' rows: rank " + std::to_string(r) + " has " + std::to_string(shapes[2 * std::size_t(r) + 1]) +
                        " columns and rank 0 " + std::to_string(cols) + "; expected the same width on every rank");
        offsets[std::size_t(r)] = int(rows); // rows of a matrix: below 2^31 (Index is int)
        counts[std::size_t(r)] = int(shapes[2 * std::size_t(r)]);
        rows += shapes[2 * std::size_t(r)];
    }
    if (cols > std::numeric_limits<int>::max())
        throw Error("gathering the ranks' rows: " + std::to_string(cols) + " columns, expected fewer than 2^31");
    if (rows > std::numeric_limits<int>::max())
        throw Error("gathering the ranks' rows: " + std::to_string(rows) + " rows in all, expected fewer than 2^31 (scae indexes rows with int)");
    // Rank 0 allocates the result; every rank learns whether it could before any rows move.
    Matrix<float> all;
    int allocated = 1;
    if (c.rank == 0) {
        try {
            all.resize(Index(rows), Index(cols));
        } catch (const std::bad_alloc&) {
            allocated = 0;
        }
    }
    MPI_Bcast(&allocated, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!allocated)
        throw Error("gathering the ranks' rows: rank 0 has not enough memory for " + std::to_string(rows) + " x " + std::to_string(cols) +
                    " values (" + std::to_string(double(rows) * double(cols) * 4 / double(1 << 30)) + " GiB); fewer cells per job may help");
    if (cols == 0) return c.rank == 0 ? all : Matrix<float>(0, block.cols());
    MPI_Datatype row;
    MPI_Type_contiguous(int(cols), MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    const int result = MPI_Gatherv(block.data(), int(block.rows()), row, all.data(), counts.data(), offsets.data(), row, 0, MPI_COMM_WORLD);
    MPI_Type_free(&row);
    if (result != MPI_SUCCESS) throw Error("gathering the ranks' rows: MPI_Gatherv failed");
    if (c.rank != 0) return Matrix<float>(0, block.cols());
    return all;
}

} // namespace scae::mpi
