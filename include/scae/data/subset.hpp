#pragma once
/// @file subset.hpp
/// @brief Row and column subsets of sparse count matrices, moving columns (map_columns()), and
/// building a CSR matrix from row lengths.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

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
    const Index n = static_cast<Index>(rows.size());
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512)
#endif
    for (Index i = 0; i < n; ++i) {
        int at = out.outerIndexPtr()[i];
        for (typename Csr<T>::InnerIterator it(m, rows[static_cast<std::size_t>(i)]); it; ++it, ++at) {
            out.innerIndexPtr()[at] = static_cast<int>(it.col());
            out.valuePtr()[at] = it.value();
        }
    }
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
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512)
#endif
    for (Index r = 0; r < n; ++r) {
        Index length = 0;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const std::size_t c = static_cast<std::size_t>(it.col());
            length += starts[c + 1] - starts[c];
        }
        lengths[static_cast<std::size_t>(r)] = length;
    }
    // First lay out every (output column, value) contribution, then sort and merge each row.
    Csr<T> spread = csr_with_row_lengths<T>(n, out_cols, lengths);
    bool merged_any = false;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512) reduction(|| : merged_any)
#endif
    for (Index r = 0; r < n; ++r) {
        const int begin = spread.outerIndexPtr()[r];
        int at = begin;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const std::size_t c = static_cast<std::size_t>(it.col());
            for (int k = starts[c]; k < starts[c + 1]; ++k, ++at) {
                spread.innerIndexPtr()[at] = targets[static_cast<std::size_t>(k)];
                spread.valuePtr()[at] = it.value();
            }
        }
        if (in_order) continue;
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
        merged_any = merged_any || merged < row.size();
        lengths[static_cast<std::size_t>(r)] = static_cast<Index>(merged);
    }
    if (!merged_any) return spread;

    // Merged rows are shorter: close the gaps.
    Csr<T> out = csr_with_row_lengths<T>(n, out_cols, lengths);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512)
#endif
    for (Index r = 0; r < n; ++r) {
        const int from = spread.outerIndexPtr()[r];
        const int to = out.outerIndexPtr()[r];
        std::copy_n(spread.innerIndexPtr() + from, lengths[static_cast<std::size_t>(r)], out.innerIndexPtr() + to);
        std::copy_n(spread.valuePtr() + from, lengths[static_cast<std::size_t>(r)], out.valuePtr() + to);
    }
    return out;
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
