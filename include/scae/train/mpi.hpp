#pragma once
/// @file mpi.hpp
/// @brief Data-parallel training over MPI ranks: starting and ending MPI, and the
/// train::Communicator that sums gradients the same way on every rank.
///
/// Optional: include it only where MPI is available (the command line does so when built with
/// SCAE_WITH_MPI); no other scae header needs it. Sums add every rank's values in rank order, in
/// double, each value on one rank (reduce-scatter, then all-gather): each rank gets the same
/// bits, the same ranks give the same model run after run (an MPI_Allreduce leaves the order of
/// additions to the library), and a rank's traffic and buffer do not grow with the rank count.

#include "scae/train/train.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <limits>
#include <new>
#include <string>
#include <vector>

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
/// waiting in a collective. Does nothing without an active MPI world of several ranks. Flush
/// what the caller printed first (the command line flushes its error stream): MPI_Abort ends the
/// process at once.
/// @param code  the exit status every rank ends with.
inline void abort_all(int code) {
    if (!active()) return;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

namespace detail {

/// The sum of train::Communicator over MPI_COMM_WORLD's `size` ranks, as reduce-scatter then
/// all-gather: `values` is cut into `size` pieces of near-equal length (piece r goes to rank r);
/// MPI_Alltoallv hands every rank its piece from all ranks; each rank adds its piece's R
/// contributions in rank order, in double; MPI_Allgatherv returns every summed piece to every
/// rank. Each value is thus added in rank order as before, by one rank, and every rank gets the
/// same bits. Per rank, per call, the traffic and the buffer are about twice and once the
/// length of the pass, whatever the rank count (an all-gather of whole vectors is R times it).
/// Vectors longer than 2^21 doubles are summed in passes of that many, so the buffer stays at
/// 16 MiB for any model.
class RankOrderSum {
public:
    explicit RankOrderSum(int size) : size_(size) {}

    void operator()(std::vector<double>& values) {
        const std::size_t pass = std::size_t(1) << 21;
        const std::size_t ranks = std::size_t(size_);
        for (std::size_t begin = 0; begin < values.size(); begin += pass) {
            const std::size_t n = std::min(pass, values.size() - begin);
            // Piece r: [n r / R, n (r + 1) / R) of this pass.
            counts_.assign(ranks, 0);
            offsets_.assign(ranks, 0);
            for (std::size_t r = 0; r < ranks; ++r) {
                offsets_[r] = int(n * r / ranks);
                counts_[r] = int(n * (r + 1) / ranks) - offsets_[r];
            }
            int rank = 0;
            MPI_Comm_rank(MPI_COMM_WORLD, &rank);
            const int mine = counts_[std::size_t(rank)];
            received_.resize(std::size_t(mine) * ranks);
            mine_counts_.assign(ranks, mine);
            mine_offsets_.resize(ranks);
            for (std::size_t r = 0; r < ranks; ++r) mine_offsets_[r] = int(r) * mine;
            double* data = values.data() + begin;
            if (MPI_Alltoallv(data, counts_.data(), offsets_.data(), MPI_DOUBLE, received_.data(), mine_counts_.data(),
                              mine_offsets_.data(), MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
                throw Error("MPI_Alltoallv failed while summing gradients over the ranks");
            summed_.resize(std::size_t(mine));
            for (int i = 0; i < mine; ++i) {
                double total = 0;
                for (std::size_t r = 0; r < ranks; ++r) total += received_[r * std::size_t(mine) + std::size_t(i)];
                summed_[std::size_t(i)] = total;
            }
            if (MPI_Allgatherv(summed_.data(), mine, MPI_DOUBLE, data, counts_.data(), offsets_.data(), MPI_DOUBLE, MPI_COMM_WORLD) !=
                MPI_SUCCESS)
                throw Error("MPI_Allgatherv failed while summing gradients over the ranks");
        }
    }

private:
    int size_;
    std::vector<int> counts_, offsets_, mine_counts_, mine_offsets_;
    std::vector<double> received_, summed_;
};

} // namespace detail

/// The world as a train::Communicator: rank and size, a sum of doubles over the ranks added in
/// rank order (detail::RankOrderSum: reduce-scatter and all-gather, so a rank's cost does not
/// grow with the rank count), and a gather of every rank's doubles in rank order. One process
/// (the default communicator) when MPI is not active.
/// @return the communicator; its functions own their buffers, may be copied, and throw Error when an MPI call fails.
inline train::Communicator world() {
    train::Communicator c;
    if (!active()) return c;
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    auto sum = std::make_shared<detail::RankOrderSum>(c.size);
    c.sum = [sum](std::vector<double>& values) { (*sum)(values); };
    const int size = c.size;
    c.gather = [size](const std::vector<double>& mine, std::vector<double>& all) {
        if (mine.size() > std::size_t(std::numeric_limits<int>::max()))
            throw Error("gathering over the ranks: " + std::to_string(mine.size()) + " values on one rank, expected fewer than 2^31");
        const int n = int(mine.size());
        std::vector<int> counts(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
        if (MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD) != MPI_SUCCESS)
            throw Error("gathering over the ranks: MPI_Allgather of the lengths failed");
        long long total = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
            offsets[r] = int(std::min<long long>(total, std::numeric_limits<int>::max()));
            total += counts[r];
        }
        if (total > std::numeric_limits<int>::max())
            throw Error("gathering over the ranks: " + std::to_string(total) + " values in all, expected fewer than 2^31");
        all.resize(std::size_t(total));
        if (MPI_Allgatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
            throw Error("gathering over the ranks: MPI_Allgatherv failed");
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

namespace detail {

/// Every rank's block shape (rows, columns), learned by every rank, with the same checks on
/// each so that a refusal throws on all ranks alike: the same width everywhere, fewer than 2^31
/// rows in all. `what` starts the messages ("gathering the ranks' rows").
/// @return the rows of each rank's block, in rank order; `cols` gets the common width
inline std::vector<long long> block_rows(const Matrix<float>& block, const train::Communicator& c, const std::string& what, long long& cols) {
    const long long shape[2] = {static_cast<long long>(block.rows()), static_cast<long long>(block.cols())};
    std::vector<long long> shapes(2 * std::size_t(c.size));
    if (MPI_Allgather(shape, 2, MPI_LONG_LONG, shapes.data(), 2, MPI_LONG_LONG, MPI_COMM_WORLD) != MPI_SUCCESS)
        throw Error(what + ": MPI_Allgather of the block shapes failed");
    cols = shapes[1];
    std::vector<long long> rows(std::size_t(c.size));
    long long total = 0;
    for (int r = 0; r < c.size; ++r) {
        if (shapes[2 * std::size_t(r) + 1] != cols)
            throw Error(what + ": rank " + std::to_string(r) + " has " + std::to_string(shapes[2 * std::size_t(r) + 1]) +
                        " columns and rank 0 " + std::to_string(cols) + "; expected the same width on every rank");
        rows[std::size_t(r)] = shapes[2 * std::size_t(r)];
        total += rows[std::size_t(r)];
    }
    if (total > std::numeric_limits<int>::max())
        throw Error(what + ": " + std::to_string(total) + " rows in all, expected fewer than 2^31 (scae indexes rows with int)");
    return rows;
}

} // namespace detail

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
    long long cols = 0;
    const std::vector<long long> block_rows = detail::block_rows(block, c, "gathering the ranks' rows", cols);
    long long rows = 0;
    std::vector<int> counts(std::size_t(c.size)), offsets(std::size_t(c.size));
    for (int r = 0; r < c.size; ++r) {
        offsets[std::size_t(r)] = int(rows); // below 2^31, as block_rows checked
        counts[std::size_t(r)] = int(block_rows[std::size_t(r)]);
        rows += block_rows[std::size_t(r)];
    }
    if (cols > std::numeric_limits<int>::max())
        throw Error("gathering the ranks' rows: " + std::to_string(cols) + " columns, expected fewer than 2^31");
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

/// Hands every rank's `block` to `write` on rank 0, in rank order, a piece of at most
/// `piece_values` values (whole rows) at a time: rank 0 passes its own block whole, then receives
/// each other rank's rows piece by piece into one buffer, so it never holds more than its block
/// and one piece (`scae denoise --shard` writes a table of all cells this way). Other ranks send
/// their rows and never call `write`. Every rank must call it. Every check is made on every rank
/// with the same outcome before any rows move.
/// @param block         this rank's rows (its block of cells, in rank order), all ranks the same width
/// @param write         on rank 0: called as write(rows, first) for each piece, `rows` a Matrix<float>
///                      holding rows [first, first + rows.rows()) of all ranks' rows stacked
/// @param piece_values  at most this many values per piece sent (default 2^22: 16 MB), at least one row
/// @throws Error on every rank when the ranks' blocks differ in width or hold 2^31 rows or more;
/// what `write` throws on rank 0 (every rank then ends through the command's MPI_Abort)
template <class Write>
void stream_rows_to_first(const Matrix<float>& block, Write&& write, long long piece_values = 1LL << 22) {
    const train::Communicator c = world();
    if (c.size == 1) {
        write(block, Index(0));
        return;
    }
    long long cols = 0;
    const std::vector<long long> block_rows = detail::block_rows(block, c, "sending the ranks' rows to rank 0", cols);
    long long rows = 0;
    for (long long n : block_rows) rows += n;
    const long long piece_rows = std::max(1LL, std::min<long long>(piece_values / std::max(1LL, cols), std::numeric_limits<int>::max() / std::max(1LL, cols)));
    if (cols == 0) {
        if (c.rank == 0) write(Matrix<float>(Index(rows), 0), Index(0));
        return;
    }
    if (c.rank != 0) {
        for (long long at = 0; at < block.rows(); at += piece_rows) {
            const long long n = std::min(piece_rows, block.rows() - at);
            if (MPI_Send(block.data() + at * cols, int(n * cols), MPI_FLOAT, 0, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
                throw Error("sending the ranks' rows to rank 0: MPI_Send failed");
        }
        return;
    }
    write(block, Index(0));
    Index first = Index(block.rows());
    Matrix<float> piece;
    for (int r = 1; r < c.size; ++r) {
        const long long their = block_rows[std::size_t(r)];
        for (long long at = 0; at < their; at += piece_rows) {
            const long long n = std::min(piece_rows, their - at);
            piece.resize(Index(n), Index(cols));
            if (MPI_Recv(piece.data(), int(n * cols), MPI_FLOAT, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                throw Error("sending the ranks' rows to rank 0: MPI_Recv from rank " + std::to_string(r) + " failed");
            write(piece, first);
            first += Index(n);
        }
    }
}

} // namespace scae::mpi
