#pragma once
/// @file subset.hpp
/// @brief Row and column subsets of sparse count matrices, moving columns (map_columns(), and
/// map_columns_in_place() in the matrix's own memory), and building a CSR matrix from row lengths.

#include "scae/core/parallelize.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace scae::data {

/// Allocates a compressed (cells x genes) matrix whose row `r` has room for `row_lengths[r]`
/// nonzeros; the caller fills `innerIndexPtr()` and `valuePtr()` row by row.
/// Throws scae::Error when the total does not fit Eigen's `int` storage index.
/// @param rows         number of rows
/// @param cols         number of columns
/// @param row_lengths  nonzeros of each row, `rows` entries
/// @return the matrix with its row starts set and its column indices and values uninitialised
/// @throws Error when the lengths add up to more than 2^31 - 1
template <class T>
Csr<T> csr_with_row_lengths(Index rows, Index cols, const std::vector<Index>& row_lengths) {
    Index total = 0;
    for (Index length : row_lengths) total += length;
    if (total > static_cast<Index>(std::numeric_limits<int>::max())) {
        throw Error("sparse matrix: " + std::to_string(total) +
                    " nonzeros exceed the 2^31-1 that a CSR matrix with int indices can hold");
    }
    Csr<T> out(rows, cols);
    out.resizeNonZeros(total);
    int* row_start = out.outerIndexPtr();
    row_start[0] = 0;
    for (Index r = 0; r < rows; ++r) {
        row_start[r + 1] = row_start[r] + static_cast<int>(row_lengths[static_cast<std::size_t>(r)]);
    }
    return out;
}

/// Rows `rows` of `m`, in the order given (an index may repeat).
/// @param m     the matrix
/// @param rows  row indices of `m`; an empty list gives a 0-row matrix
/// @return `rows.size()` x `m.cols()`
/// @throws Error when an index is outside the rows of `m`
template <class T>
Csr<T> select_rows(const Csr<T>& m, const std::vector<Index>& rows) {
    std::vector<Index> lengths(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i] < 0 || rows[i] >= m.rows()) {
            throw Error("select_rows: row " + std::to_string(rows[i]) + " is outside 0.." +
                        std::to_string(m.rows() - 1));
        }
        lengths[i] = m.row(rows[i]).nonZeros();
    }
    Csr<T> out = csr_with_row_lengths<T>(static_cast<Index>(rows.size()), m.cols(), lengths);
    parallelize_each([&](Index i) {
        int at = out.outerIndexPtr()[i];
        for (typename Csr<T>::InnerIterator it(m, rows[static_cast<std::size_t>(i)]); it; ++it, ++at) {
            out.innerIndexPtr()[at] = static_cast<int>(it.col());
            out.valuePtr()[at] = it.value();
        }
    }, out.rows(), 0, double(out.nonZeros()));
    return out;
}

/// Moves the columns of `m` to new places: column c of `m` goes to output columns
/// `targets[starts[c]] .. targets[starts[c + 1] - 1]` (none: it is dropped), and values that meet
/// in one output column of a row are added. The one column kernel behind select_columns() and
/// apply_alignment(); `starts` has `m.cols() + 1` entries and every target is in [0, out_cols).
/// @param m         the matrix
/// @param starts    for each column c of `m`, its targets begin at `starts[c]`; `m.cols() + 1` entries
/// @param targets   output columns, grouped by source column
/// @param out_cols  columns of the result
/// @return `m.rows()` x `out_cols`, with sorted, merged rows
template <class T>
Csr<T> map_columns(const Csr<T>& m, const std::vector<int>& starts, const std::vector<int>& targets, Index out_cols) {
    // Rows come out sorted without work when the targets, taken in source column order, increase.
    bool in_order = true;
    for (std::size_t k = 1; k < targets.size(); ++k) in_order = in_order && targets[k] > targets[k - 1];

    const Index n = m.rows();
    std::vector<Index> lengths(static_cast<std::size_t>(n), 0);
    const double work = double(m.nonZeros());
    parallelize_each([&](Index r) {
        Index length = 0;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const std::size_t c = static_cast<std::size_t>(it.col());
            length += starts[c + 1] - starts[c];
        }
        lengths[static_cast<std::size_t>(r)] = length;
    }, n, 0, work);
    // First lay out every (output column, value) contribution, then sort and merge each row.
    Csr<T> spread = csr_with_row_lengths<T>(n, out_cols, lengths);
    parallelize_each([&](Index r) {
        const int begin = spread.outerIndexPtr()[r];
        int at = begin;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const std::size_t c = static_cast<std::size_t>(it.col());
            for (int k = starts[c]; k < starts[c + 1]; ++k, ++at) {
                spread.innerIndexPtr()[at] = targets[static_cast<std::size_t>(k)];
                spread.valuePtr()[at] = it.value();
            }
        }
        if (in_order) return;
        std::vector<std::pair<int, T>> row;
        row.reserve(static_cast<std::size_t>(at - begin));
        for (int k = begin; k < at; ++k) row.emplace_back(spread.innerIndexPtr()[k], spread.valuePtr()[k]);
        std::sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::size_t merged = 0;
        for (std::size_t k = 0; k < row.size(); ++k) {
            if (merged > 0 && row[merged - 1].first == row[k].first) {
                row[merged - 1].second += row[k].second;
            } else {
                row[merged++] = row[k];
            }
        }
        for (std::size_t k = 0; k < merged; ++k) {
            spread.innerIndexPtr()[begin + static_cast<int>(k)] = row[k].first;
            spread.valuePtr()[begin + static_cast<int>(k)] = row[k].second;
        }
        lengths[static_cast<std::size_t>(r)] = static_cast<Index>(merged);
    }, n, 0, work * (in_order ? 1.0 : 8.0));
    Index total = 0;
    for (Index length : lengths) total += length;
    if (total == spread.nonZeros()) return spread; // nothing was merged

    // Merged rows are shorter: close the gaps.
    Csr<T> out = csr_with_row_lengths<T>(n, out_cols, lengths);
    parallelize_each([&](Index r) {
        const int from = spread.outerIndexPtr()[r];
        const int to = out.outerIndexPtr()[r];
        std::copy_n(spread.innerIndexPtr() + from, lengths[static_cast<std::size_t>(r)], out.innerIndexPtr() + to);
        std::copy_n(spread.valuePtr() + from, lengths[static_cast<std::size_t>(r)], out.valuePtr() + to);
    }, n, 0, double(total));
    return out;
}

namespace detail {

/// Tells the system it may take back the whole pages of [begin, end), whose contents are no
/// longer needed; they read as zeros if touched again. A hint: elsewhere than Linux, nothing.
inline void release_pages(const void* begin, const void* end) {
#if defined(__linux__) && defined(MADV_DONTNEED)
    const std::uintptr_t page = std::uintptr_t(sysconf(_SC_PAGESIZE));
    const std::uintptr_t from = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const std::uintptr_t to = reinterpret_cast<std::uintptr_t>(end) / page * page;
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
#else
    (void)begin;
    (void)end;
#endif
}

/// Moves the first `rows` rows of `m` (their row starts already final in m's outer index) into
/// a rows x cols matrix with storage of exactly their size. The old storage's pages are given
/// back as they are copied, so the data never exist twice; Eigen's own shrinking
/// (makeCompressed) copies all of them first, which for an atlas is gigabytes.
template <class T>
void move_to_exact_storage(Csr<T>& m, Index rows, Index cols) {
    const int* outer = m.outerIndexPtr();
    const Index entries = outer[rows];
    Csr<T> out(rows, cols);
    out.resizeNonZeros(entries);
    std::copy(outer, outer + rows + 1, out.outerIndexPtr());
    const int* inner = m.innerIndexPtr();
    const T* values = m.valuePtr();
    constexpr Index chunk = Index(1) << 24; // entries per step: 64 MB of indices
    for (Index k = 0; k < entries; k += chunk) {
        const Index n = std::min(chunk, entries - k);
        std::copy(inner + k, inner + k + n, out.innerIndexPtr() + k);
        std::copy(values + k, values + k + n, out.valuePtr() + k);
        release_pages(inner + k, inner + k + n);
        release_pages(values + k, values + k + n);
    }
    m.swap(out);
}

} // namespace detail

/// Moves column c of the compressed `m` to column `new_of_old[c]` (-1: dropped) of an
/// `out_cols`-column result, keeping rows `rows` (ascending; nullptr: all), in place: entries
/// only move towards the front, values that meet in one column of a row are added, and the
/// result moves to storage of its size without a second copy of the data. The in-place
/// counterpart of map_columns() for maps that send each column to at most one place.
/// @param m           compressed; becomes the result
/// @param rows        rows to keep, ascending, or null for all
/// @param new_of_old  for each column of `m`, its column in the result or -1; `m.cols()` entries
/// @param out_cols    columns of the result; every entry of `new_of_old` is below it
template <class T>
void map_columns_in_place(Csr<T>& m, const std::vector<Index>* rows, const std::vector<int>& new_of_old, Index out_cols) {
    bool in_order = true; // kept columns that keep their order leave rows sorted and unmerged
    int last = -1;
    for (int target : new_of_old) {
        if (target < 0) continue;
        in_order = in_order && target > last;
        last = target;
    }
    const Index n_rows = rows ? static_cast<Index>(rows->size()) : m.rows();
    const std::vector<int> start(m.outerIndexPtr(), m.outerIndexPtr() + m.rows() + 1); // before it is overwritten
    int* outer = m.outerIndexPtr();
    int* inner = m.innerIndexPtr();
    T* values = m.valuePtr();
    std::vector<std::pair<int, T>> row;
    int at = 0;
    outer[0] = 0;
    for (Index i = 0; i < n_rows; ++i) {
        const std::size_t r = static_cast<std::size_t>(rows ? (*rows)[static_cast<std::size_t>(i)] : i);
        const int row_begin = at;
        for (int k = start[r]; k < start[r + 1]; ++k) {
            const int c = new_of_old[static_cast<std::size_t>(inner[k])];
            if (c < 0) continue;
            inner[at] = c;
            values[at++] = values[k];
        }
        if (!in_order) {
            row.clear();
            for (int k = row_begin; k < at; ++k) row.emplace_back(inner[k], values[k]);
            std::stable_sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            at = row_begin;
            for (std::size_t k = 0; k < row.size(); ++k) {
                if (at > row_begin && inner[at - 1] == row[k].first) {
                    values[at - 1] += row[k].second;
                } else {
                    inner[at] = row[k].first;
                    values[at++] = row[k].second;
                }
            }
        }
        outer[i + 1] = at;
    }
    detail::move_to_exact_storage(m, n_rows, out_cols);
}

/// Columns `columns` of `m`, in the order given; each column may appear at most once.
/// @param m        the matrix
/// @param columns  distinct column indices of `m`
/// @return `m.rows()` x `columns.size()`
/// @throws Error when an index is outside the columns of `m` or listed twice
template <class T>
Csr<T> select_columns(const Csr<T>& m, const std::vector<Index>& columns) {
    std::vector<int> new_of_old(static_cast<std::size_t>(m.cols()), -1);
    for (std::size_t j = 0; j < columns.size(); ++j) {
        const Index c = columns[j];
        if (c < 0 || c >= m.cols()) {
            throw Error("select_columns: column " + std::to_string(c) + " is outside 0.." +
                        std::to_string(m.cols() - 1));
        }
        if (new_of_old[static_cast<std::size_t>(c)] >= 0) {
            throw Error("select_columns: column " + std::to_string(c) + " is listed twice");
        }
        new_of_old[static_cast<std::size_t>(c)] = static_cast<int>(j);
    }
    std::vector<int> starts(static_cast<std::size_t>(m.cols()) + 1, 0), targets;
    targets.reserve(columns.size());
    for (std::size_t c = 0; c < new_of_old.size(); ++c) {
        if (new_of_old[c] >= 0) targets.push_back(new_of_old[c]);
        starts[c + 1] = static_cast<int>(targets.size());
    }
    return map_columns(m, starts, targets, static_cast<Index>(columns.size()));
}

} // namespace scae::data
