#pragma once
/// @file csr_builder.hpp
/// @brief Builds CSR from entries in any order, in the final storage, without a map.
///
/// The entry count is known up front (Matrix Market declares it), so the final CSR arrays are
/// allocated once and never copied: peak memory is the CSR itself. Entries that arrive grouped
/// by row (10x files are sorted by cell) are stored as they come. When a row index goes
/// backwards, the builder only counts entries per row from then on; the caller then reads the
/// entries a second time and place() puts each straight into its row (a counting sort over the
/// file, trading a second parse for memory).

#include "scae/core/parallelize.hpp"
#include "scae/core/types.hpp"
#include "scae/io/count_matrix.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace scae::io {

/// A (row, column) listed more than once, in the builder's coordinates.
struct DuplicateEntry {
    int row; ///< 0-based row
    int col; ///< 0-based column
};

/// Collects exactly `entries` entries of a rows x cols matrix and turns them into CSR.
template <class T>
class CsrBuilder {
public:
    /// Allocates the final storage; throws std::bad_alloc when it does not fit in memory.
    /// @param rows     rows of the matrix.
    /// @param cols     columns of the matrix.
    /// @param entries  exactly the number of entries add() will be given.
    CsrBuilder(Index rows, Index cols, Index entries) : matrix_(rows, cols) {
        matrix_.data().resize(entries);
        prefer_huge_pages(matrix_.innerIndexPtr(), static_cast<std::size_t>(entries) * sizeof(int));
        prefer_huge_pages(matrix_.valuePtr(), static_cast<std::size_t>(entries) * sizeof(T));
    }

    /// First pass: adds one entry in file order. The caller has checked that row and col are in
    /// range and that fewer than `entries` entries were added before.
    /// @param row    0-based row, in [0, rows).
    /// @param col    0-based column, in [0, cols).
    /// @param value  the entry's value.
    void add(int row, int col, T value) {
        const Index k = added_++;
        grouped_ = grouped_ && row >= last_row_;
        if (grouped_) {
            matrix_.innerIndexPtr()[k] = col;
            matrix_.valuePtr()[k] = value;
        }
        ++matrix_.outerIndexPtr()[row + 1];
        last_row_ = row;
    }

    /// Number of entries added so far.
    /// @return entries given to add().
    Index added() const { return added_; }

    /// True while every entry so far came in row order; false means a second pass is needed:
    /// call begin_placing(), then place() every entry again.
    /// @return whether the storage already holds the entries (no second pass).
    bool grouped() const { return grouped_; }

    /// Starts the second pass: turns the row counts into row starts.
    void begin_placing() {
        to_row_starts();
        next_.assign(matrix_.outerIndexPtr(), matrix_.outerIndexPtr() + matrix_.rows());
    }

    /// Second pass: puts one entry at the next free slot of its row. Returns false when the row
    /// is already full, which means the entries differ from the first pass.
    /// @param row    0-based row of the entry, as in the first pass.
    /// @param col    0-based column of the entry.
    /// @param value  the entry's value.
    /// @return false when the row already holds as many entries as the first pass counted.
    bool place(int row, int col, T value) {
        int& slot = next_[static_cast<std::size_t>(row)];
        if (slot == matrix_.outerIndexPtr()[row + 1]) return false;
        matrix_.innerIndexPtr()[slot] = col;
        matrix_.valuePtr()[slot] = value;
        ++slot;
        return true;
    }

    /// Sorts each row by column and applies `policy` to repeated (row, column) pairs. With
    /// Duplicates::error, returns the repeat in the lowest row (the caller reports it with file
    /// lines); otherwise returns nothing.
    /// @param policy  what to do with a (row, column) listed more than once.
    /// @return the first repeat under Duplicates::error; nothing when there is none or repeats were summed.
    std::optional<DuplicateEntry> finish(Duplicates policy) {
        if (grouped_) to_row_starts();
        std::vector<int>().swap(next_);
        return sort_rows(policy);
    }

    /// Hands the finished matrix to `out` (call after finish()). A swap, because Eigen 3.4's
    /// SparseMatrix has no move constructor and would copy.
    /// @param out  receives the matrix; the builder is left empty.
    void release_into(Csr<T>& out) { out.swap(matrix_); }

private:
    /// Asks Linux to back a large, untouched array with 2 MiB pages: fewer page faults while
    /// filling it and far fewer TLB misses when the second pass writes all over it. A hint only.
    static void prefer_huge_pages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
        const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
        const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
        if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
        (void)data;
        (void)bytes;
#endif
    }

    void to_row_starts() {
        int* outer = matrix_.outerIndexPtr();
        for (Index r = 0; r < matrix_.rows(); ++r) outer[r + 1] += outer[r];
    }

    /// Sorts rows whose columns are not strictly increasing, then finds or sums repeats.
    std::optional<DuplicateEntry> sort_rows(Duplicates policy) {
        int* outer = matrix_.outerIndexPtr();
        int* inner = matrix_.innerIndexPtr();
        T* values = matrix_.valuePtr();
        const int rows = static_cast<int>(matrix_.rows());
        std::vector<int> kept;
        if (policy == Duplicates::sum) kept.assign(static_cast<std::size_t>(rows), 0);
        // Per-thread results, merged in thread order: thread t holds rows before thread t + 1's.
        const double work = double(matrix_.nonZeros()) + double(rows);
        const int threads = parallel_threads(rows, 0, work);
        std::vector<char> repeats(static_cast<std::size_t>(threads), 0);
        std::vector<std::optional<DuplicateEntry>> firsts(static_cast<std::size_t>(threads));
        parallelize([&](int thread, Index start, Index length) {
          for (int r = int(start); r < int(start + length); ++r) {
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
            repeats[std::size_t(thread)] = 1;
            if (policy == Duplicates::error && !firsts[std::size_t(thread)])
                firsts[std::size_t(thread)] = DuplicateEntry{r, *std::adjacent_find(inner + begin, inner + end)};
          }
        }, rows, 0, work);
        const bool any_repeat = std::find(repeats.begin(), repeats.end(), 1) != repeats.end();
        std::optional<DuplicateEntry> first;
        for (const auto& found : firsts)
            if (found && !first) first = found;
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
    Index added_ = 0;
    int last_row_ = 0;
    bool grouped_ = true;
    std::vector<int> next_; ///< next free slot of each row during the second pass
};

} // namespace scae::io
