#pragma once
/// @file sparse_products.hpp
/// @brief Products of a sparse cells x features matrix (any value type) with dense double
/// matrices, for factorisations that must not densify the data (sparse PCA). Work is split
/// into row chunks fixed by the shape alone (row_products.hpp), so results do not depend on
/// the thread count.

#include "scae/core/parallelize.hpp"
#include "scae/core/csr_view.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/row_products.hpp"

#include <vector>

namespace scae::eval {

/// A * B for sparse A (n x p) and dense B (p x s).
/// @param a  sparse n x p; only read during the call
/// @param b  dense p x s
/// @return n x s
template <class T>
Matrix<double> sparse_rows_times(const CsrView<T>& a, const Matrix<double>& b) {
    Matrix<double> out = Matrix<double>::Zero(a.rows, b.cols());
    const Index chunks = row_chunks(a.rows);
    parallelize_each([&](Index c) {
        const Index last = chunk_start(a.rows, chunks, c + 1);
        for (Index r = chunk_start(a.rows, chunks, c); r < last; ++r) {
            auto row = out.row(r);
            for (int k = a.outer[r]; k < a.outer[r + 1]; ++k) row.noalias() += double(a.values[k]) * b.row(a.inner[k]);
        }
    }, chunks, 0, double(a.outer[a.rows]) * double(b.cols()));
    return out;
}

namespace detail {

/// Sum over fixed row chunks of `rows`: `add(sum, first, last)` adds rows [first, last) into a
/// zeroed out_rows x out_cols matrix per chunk; the partial sums are added in chunk order.
template <class Add>
Matrix<double> sum_over_row_chunks(Index rows, Index out_rows, Index out_cols, const Add& add) {
    const Index chunks = row_chunks(rows);
    std::vector<Matrix<double>> partial(static_cast<std::size_t>(chunks));
    parallelize_each([&](Index c) {
        Matrix<double>& sum = partial[static_cast<std::size_t>(c)];
        sum = Matrix<double>::Zero(out_rows, out_cols);
        add(sum, chunk_start(rows, chunks, c), chunk_start(rows, chunks, c + 1));
    }, chunks);
    Matrix<double> out = std::move(partial[0]);
    for (std::size_t c = 1; c < partial.size(); ++c) out += partial[c];
    return out;
}

} // namespace detail

/// A^T * Q for sparse A (n x p) and dense Q (n x s): one partial sum per row chunk, added in
/// chunk order.
/// @param a  sparse n x p; only read during the call
/// @param q  dense n x s
/// @return p x s
template <class T>
Matrix<double> sparse_transpose_times(const CsrView<T>& a, const Matrix<double>& q) {
    return detail::sum_over_row_chunks(a.rows, a.cols, q.cols(), [&](Matrix<double>& sum, Index first, Index last) {
        for (Index r = first; r < last; ++r) {
            const auto row = q.row(r);
            for (int k = a.outer[r]; k < a.outer[r + 1]; ++k) sum.row(a.inner[k]).noalias() += double(a.values[k]) * row;
        }
    });
}

/// A^T A for sparse A (n x p), as a dense p x p matrix (for few features: the covariance solver).
/// @param a  sparse n x p; only read during the call
/// @return p x p, symmetric
template <class T>
Matrix<double> sparse_gram(const CsrView<T>& a) {
    return detail::sum_over_row_chunks(a.rows, a.cols, a.cols, [&](Matrix<double>& sum, Index first, Index last) {
        for (Index r = first; r < last; ++r)
            for (int i = a.outer[r]; i < a.outer[r + 1]; ++i)
                for (int j = a.outer[r]; j < a.outer[r + 1]; ++j)
                    sum(a.inner[i], a.inner[j]) += double(a.values[i]) * double(a.values[j]);
    });
}

} // namespace scae::eval
