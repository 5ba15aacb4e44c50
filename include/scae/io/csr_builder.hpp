#pragma once
/// @file csr_builder.hpp
/// @brief Builds CSR from entries in any order, in the final storage, without a map.
///
/// The entry count is known up front (Matrix Market declares it), so column indices and values
/// go straight into the final CSR arrays while a per-row count is kept. Entries that arrive
/// grouped by row (10x files are sorted by cell) need nothing more: peak memory is the CSR
/// itself. Only when a row index goes backwards does the builder start recording each entry's
/// row (4 bytes per entry, so at most 1.5x the CSR of a float matrix) and, at the end, move the
/// entries into their rows with an in-place counting sort.

#include "scae/core/types.hpp"
#include "scae/io/count_matrix.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace scae::io {

/// A (row, column) listed more than once, in the builder's coordinates.
struct DuplicateEntry {
    int row;
    int col;
};

/// Collects exactly `entries` entries of a rows x cols matrix and turns them into CSR.
template <class T>
class CsrBuilder {
public:
    /// Allocates the final storage; throws std::bad_alloc when it does not fit in memory.
    CsrBuilder(Index rows, Index cols, Index entries) : matrix_(rows, cols), entries_(entries) {
        matrix_.data().resize(entries);
    }

    /// Adds one entry. The caller has checked that row and col are in range and that fewer
    /// than `entries` entries were added before.
    void add(int row, int col, T value) {
        const Index k = added_++;
        matrix_.innerIndexPtr()[k] = col;
        matrix_.valuePtr()[k] = value;
        if (row < last_row_ && !scattered_) start_recording_rows(k);
        if (scattered_) row_of_[static_cast<std::size_t>(k)] = row;
        ++matrix_.outerIndexPtr()[row + 1];
        last_row_ = row;
    }

    /// Number of entries added so far.
    Index added() const { return added_; }

    /// Groups the entries by row, sorts each row by column and applies `policy` to repeated
    /// (row, column) pairs. With Duplicates::error, returns the repeat in the lowest row (the
    /// caller reports it with file lines); otherwise returns nothing.
    std::optional<DuplicateEntry> finish(Duplicates policy) {
        int* outer = matrix_.outerIndexPtr();
        const int rows = static_cast<int>(matrix_.rows());
        for (int r = 0; r < rows; ++r) outer[r + 1] += outer[r];
        if (scattered_) move_entries_into_rows();
        return sort_rows(policy);
    }

    /// Hands the finished matrix to `out` (call after finish()). A swap, because Eigen 3.4's
    /// SparseMatrix has no move constructor and would copy.
    void release_into(Csr<T>& out) { out.swap(matrix_); }

private:
    /// Called when the first out-of-order row arrives at position `k`: entries before it are
    /// grouped by row, so their rows follow from the counts so far.
    void start_recording_rows(Index k) {
        row_of_.resize(static_cast<std::size_t>(entries_));
        const int* counts = matrix_.outerIndexPtr() + 1;
        std::size_t position = 0;
        for (int r = 0; position < static_cast<std::size_t>(k); ++r)
            for (int n = 0; n < counts[r] && position < static_cast<std::size_t>(k); ++n)
                row_of_[position++] = r;
        scattered_ = true;
    }

    /// In-place counting sort ("American flag" permutation): every swap puts one entry into
    /// the next free slot of its row, so each entry moves at most once more.
    void move_entries_into_rows() {
        const int* outer = matrix_.outerIndexPtr();
        int* inner = matrix_.innerIndexPtr();
        T* values = matrix_.valuePtr();
        const int rows = static_cast<int>(matrix_.rows());
        std::vector<int> next(outer, outer + rows);
        for (int r = 0; r < rows; ++r) {
            while (next[r] < outer[r + 1]) {
                const int i = next[r];
                const int home = row_of_[static_cast<std::size_t>(i)];
                if (home == r) {
                    ++next[r];
                    continue;
                }
                const int j = next[home]++;
                std::swap(inner[i], inner[j]);
                std::swap(values[i], values[j]);
                std::swap(row_of_[static_cast<std::size_t>(i)], row_of_[static_cast<std::size_t>(j)]);
            }
        }
        std::vector<int>().swap(row_of_);
    }

    /// Sorts rows whose columns are not strictly increasing, then finds or sums repeats.
    std::optional<DuplicateEntry> sort_rows(Duplicates policy) {
        int* outer = matrix_.outerIndexPtr();
        int* inner = matrix_.innerIndexPtr();
        T* values = matrix_.valuePtr();
        const int rows = static_cast<int>(matrix_.rows());
        std::vector<int> kept;
        if (policy == Duplicates::sum) kept.assign(static_cast<std::size_t>(rows), 0);
        std::optional<DuplicateEntry> first;
        bool any_repeat = false;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(|| : any_repeat)
#endif
        for (int r = 0; r < rows; ++r) {
            const int begin = outer[r], end = outer[r + 1];
            bool sorted = true, repeat = false;
            for (int i = begin + 1; i < end; ++i) {
                sorted = sorted && inner[i - 1] <= inner[i];
                repeat = repeat || inner[i - 1] >= inner[i];
            }
            if (!sorted) sort_row(inner + begin, values + begin, end - begin);
            if (repeat && !sorted)
                repeat = std::adjacent_find(inner + begin, inner + end) != inner + end;
            if (policy == Duplicates::sum)
                kept[static_cast<std::size_t>(r)] =
                    repeat ? sum_repeats(inner + begin, values + begin, end - begin) : end - begin;
            if (!repeat) continue;
            any_repeat = true;
            if (policy == Duplicates::error) {
                const int col = *std::adjacent_find(inner + begin, inner + end);
#ifdef _OPENMP
#pragma omp critical(scae_io_first_duplicate)
#endif
                if (!first || r < first->row) first = DuplicateEntry{r, col};
            }
        }
        if (policy == Duplicates::sum && any_repeat) close_gaps(kept);
        return first;
    }

    /// Sorts one row by column index; stable so that summed repeats add in file order.
    static void sort_row(int* inner, T* values, int n) {
        std::vector<std::pair<int, T>> row(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) row[static_cast<std::size_t>(i)] = {inner[i], values[i]};
        std::stable_sort(row.begin(), row.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (int i = 0; i < n; ++i) std::tie(inner[i], values[i]) = row[static_cast<std::size_t>(i)];
    }

    /// Adds up runs of equal column indices in a sorted row; returns the entries left.
    static int sum_repeats(int* inner, T* values, int n) {
        int kept = 0;
        for (int i = 0; i < n; ++i) {
            if (kept > 0 && inner[kept - 1] == inner[i]) {
                values[kept - 1] += values[i];
            } else {
                inner[kept] = inner[i];
                values[kept] = values[i];
                ++kept;
            }
        }
        return kept;
    }

    /// Shifts rows left over the slots freed by summing and shrinks the storage.
    void close_gaps(const std::vector<int>& kept) {
        int* outer = matrix_.outerIndexPtr();
        int* inner = matrix_.innerIndexPtr();
        T* values = matrix_.valuePtr();
        const int rows = static_cast<int>(matrix_.rows());
        int write = 0;
        for (int r = 0; r < rows; ++r) {
            const int begin = outer[r];
            const int n = kept[static_cast<std::size_t>(r)];
            if (write != begin) {
                std::copy(inner + begin, inner + begin + n, inner + write);
                std::copy(values + begin, values + begin + n, values + write);
            }
            outer[r] = write;
            write += n;
        }
        outer[rows] = write;
        matrix_.data().resize(write);
        matrix_.data().squeeze();
    }

    Csr<T> matrix_;
    Index entries_;
    Index added_ = 0;
    int last_row_ = 0;
    bool scattered_ = false;
    std::vector<int> row_of_; ///< row of each entry, recorded only once rows arrive out of order
};

} // namespace scae::io
