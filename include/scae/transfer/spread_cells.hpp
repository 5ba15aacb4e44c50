#pragma once
/// @file spread_cells.hpp
/// @brief Cells spread over the ranks of a train::Communicator, each rank holding consecutive rows
/// of all cells (its block of io::read_counts_slab, the blocks of ranks 0, 1, ... following one
/// another): where this rank's rows lie among all of them, sums over the ranks, and chosen rows of
/// all cells gathered on every rank. The sharded calibration (calibrate.hpp), `scae denoise
/// --shard`, `scae pathways --shard` and train_model_sharded() use it. Needs no MPI itself
/// (train/mpi.hpp makes the communicator).

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/subset.hpp"
#include "scae/train/train.hpp"

#include <string>
#include <vector>

namespace scae::transfer {

/// Rows `rows` (ascending) of `m`, from every rank, stacked in rank order on every rank: each row
/// travels as its length, its columns and its values (doubles, which hold ints and floats
/// exactly). Every rank must call it, each with its own rows (any number, none included).
/// @param m      this rank's cells (CSR, compressed)
/// @param rows   rows of `m` to send, ascending
/// @param ranks  the ranks
/// @return every rank's chosen rows in rank order, with `m`'s columns
/// @throws Error when a gather over the ranks fails
template <class T>
Csr<T> gather_rows_over_ranks(const Csr<T>& m, const std::vector<Index>& rows, const train::Communicator& ranks) {
    std::vector<double> packed;
    for (Index r : rows) {
        const int begin = m.outerIndexPtr()[r], end = m.outerIndexPtr()[r + 1];
        packed.push_back(double(end - begin));
        for (int k = begin; k < end; ++k) packed.push_back(double(m.innerIndexPtr()[k]));
        for (int k = begin; k < end; ++k) packed.push_back(double(m.valuePtr()[k]));
    }
    const std::vector<double> all = train::gather_over_ranks(ranks, packed);
    Index cells = 0;
    std::size_t entries = 0;
    for (std::size_t at = 0; at < all.size(); ++cells) {
        const std::size_t length = std::size_t(all[at]);
        entries += length;
        at += 1 + 2 * length;
    }
    Csr<T> out(cells, m.cols());
    out.resizeNonZeros(Index(entries));
    int* outer = out.outerIndexPtr();
    int* inner = out.innerIndexPtr();
    T* values = out.valuePtr();
    outer[0] = 0;
    std::size_t at = 0;
    for (Index c = 0; c < cells; ++c) {
        const int length = int(all[at++]);
        for (int k = 0; k < length; ++k) inner[outer[c] + k] = int(all[at + std::size_t(k)]);
        for (int k = 0; k < length; ++k) values[outer[c] + k] = T(all[at + std::size_t(length + k)]);
        at += 2 * std::size_t(length);
        outer[c + 1] = outer[c] + length;
    }
    return out;
}

/// Every rank's `mine` in rank order, on every rank (each string travels as its length and its
/// bytes). Every rank must call it.
/// @param mine   this rank's strings
/// @param ranks  the ranks (one process: `mine`)
/// @return all ranks' strings in rank order
/// @throws Error when a gather over the ranks fails
inline std::vector<std::string> gather_strings_over_ranks(const std::vector<std::string>& mine, const train::Communicator& ranks) {
    if (ranks.size <= 1) return mine;
    std::vector<double> packed;
    for (const std::string& s : mine) {
        packed.push_back(double(s.size()));
        for (unsigned char ch : s) packed.push_back(double(ch));
    }
    const std::vector<double> all = train::gather_over_ranks(ranks, packed);
    std::vector<std::string> out;
    for (std::size_t at = 0; at < all.size();) {
        const std::size_t length = std::size_t(all[at++]);
        std::string s;
        for (std::size_t c = 0; c < length; ++c) s.push_back(char(static_cast<unsigned char>(all[at + c])));
        at += length;
        out.push_back(std::move(s));
    }
    return out;
}

/// The cells of a computation spread over ranks, this rank holding rows [first, first + its
/// rows) of `total` cells. Default: not spread (the counts at hand are all the cells), and then
/// every function below is what one process does without it.
struct SpreadCells {
    train::Communicator ranks{}; ///< the ranks holding the cells (default: one process)
    Index first = 0;             ///< the row, among all cells, of this rank's first cell
    Index total = -1;            ///< all cells over the ranks; negative (default): not spread

    /// Whether the cells are spread over ranks (made by spread_cells()).
    /// @return total >= 0
    bool spread() const { return total >= 0; }

    /// All cells' count.
    /// @param local  the rows this rank holds
    /// @return total when spread, else `local`
    Index all_rows(Index local) const { return spread() ? total : local; }

    /// Replaces this rank's partial sums by their sums over the ranks (rank order, in double: the
    /// same bits on every rank); nothing when not spread or on one rank.
    /// @param values  partial sums, as long on every rank
    void sum(std::vector<double>& values) const {
        if (spread() && ranks.size > 1) ranks.sum(values);
    }

    /// sum() of Eigen arrays of doubles in place (each its partial sums), in one sum over the ranks.
    /// @param arrays  Eigen objects of doubles with data() and size()
    template <class... Arrays>
    void sum_arrays(Arrays&... arrays) const {
        if (!(spread() && ranks.size > 1)) return;
        std::vector<double> packed;
        (packed.insert(packed.end(), arrays.data(), arrays.data() + arrays.size()), ...);
        ranks.sum(packed);
        std::size_t at = 0;
        ((std::copy(packed.begin() + std::ptrdiff_t(at), packed.begin() + std::ptrdiff_t(at + std::size_t(arrays.size())), arrays.data()),
          at += std::size_t(arrays.size())),
         ...);
    }

    /// Rows `rows` of all cells (ascending), gathered on every rank in that order; when not
    /// spread (or on one rank) data::select_rows() of `local`. Every rank must call it alike.
    /// @param local  this rank's cells
    /// @param rows   rows among all cells, ascending
    /// @return those rows, all columns of `local`
    /// @throws Error when a row is outside all cells, or a gather fails
    template <class T>
    Csr<T> gather(const Csr<T>& local, const std::vector<Index>& rows) const {
        if (!spread()) return data::select_rows(local, rows);
        std::vector<Index> mine;
        for (Index r : rows) {
            if (r < 0 || r >= total)
                throw Error("SpreadCells::gather: row " + std::to_string(r) + " is outside the " + std::to_string(total) + " cells");
            if (r >= first && r < first + local.rows()) mine.push_back(r - first);
        }
        return ranks.size > 1 ? gather_rows_over_ranks(local, mine, ranks) : data::select_rows(local, mine);
    }
};

/// The SpreadCells of `local_rows` cells on this rank of `ranks` (ranks 0, 1, ... holding
/// consecutive blocks): gathers every rank's row count. Every rank must call it.
/// @param ranks       the ranks
/// @param local_rows  the cells this rank holds
/// @return where this rank's cells lie among all, and their total
/// @throws Error when the gather fails
inline SpreadCells spread_cells(const train::Communicator& ranks, Index local_rows) {
    SpreadCells s;
    s.ranks = ranks;
    const std::vector<double> rows = train::gather_over_ranks(ranks, {double(local_rows)});
    s.first = 0;
    s.total = 0;
    for (int r = 0; r < int(rows.size()); ++r) {
        if (r < ranks.rank) s.first += Index(rows[std::size_t(r)]);
        s.total += Index(rows[std::size_t(r)]);
    }
    return s;
}

} // namespace scae::transfer
