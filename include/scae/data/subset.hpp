#pragma once
/// @file subset.hpp
/// @brief Row and column subsets of sparse count matrices, and building a CSR matrix from row lengths.

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

/// Columns `columns` of `m`, in the order given; each column may appear at most once.
template <class T>
Csr<T> select_columns(const Csr<T>& m, const std::vector<Index>& columns) {
    std::vector<int> new_of_old(static_cast<std::size_t>(m.cols()), -1);
    bool increasing = true;
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
        if (j > 0 && columns[j] < columns[j - 1]) increasing = false;
    }
    const Index n = m.rows();
    std::vector<Index> lengths(static_cast<std::size_t>(n), 0);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512)
#endif
    for (Index r = 0; r < n; ++r) {
        Index kept = 0;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            kept += new_of_old[static_cast<std::size_t>(it.col())] >= 0;
        }
        lengths[static_cast<std::size_t>(r)] = kept;
    }
    Csr<T> out = csr_with_row_lengths<T>(n, static_cast<Index>(columns.size()), lengths);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 512)
#endif
    for (Index r = 0; r < n; ++r) {
        const int begin = out.outerIndexPtr()[r];
        int at = begin;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const int target = new_of_old[static_cast<std::size_t>(it.col())];
            if (target < 0) continue;
            out.innerIndexPtr()[at] = target;
            out.valuePtr()[at] = it.value();
            ++at;
        }
        if (!increasing) {
            // A permuted column order leaves the row unsorted; CSR rows must be sorted by column.
            std::vector<std::pair<int, T>> row;
            row.reserve(static_cast<std::size_t>(at - begin));
            for (int k = begin; k < at; ++k) row.emplace_back(out.innerIndexPtr()[k], out.valuePtr()[k]);
            std::sort(row.begin(), row.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            for (int k = begin; k < at; ++k) {
                out.innerIndexPtr()[k] = row[static_cast<std::size_t>(k - begin)].first;
                out.valuePtr()[k] = row[static_cast<std::size_t>(k - begin)].second;
            }
        }
    }
    return out;
}

} // namespace scae::data
