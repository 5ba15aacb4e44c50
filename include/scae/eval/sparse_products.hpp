#pragma once
/// @file sparse_products.hpp
/// @brief Products of a sparse cells x features matrix (any value type) with dense double
/// matrices, for factorisations that must not densify the data (sparse PCA). Work is split
/// into row chunks fixed by the shape alone (row_products.hpp), so results do not depend on
/// the thread count.

#include "scae/core/csr_view.hpp"
#include "scae/core/types.hpp"
#include "scae/eval/row_products.hpp"

#include <vector>

namespace scae::eval {

/// A * B for sparse A (n x p) and dense B (p x s).
template <class T>
Matrix<double> sparse_rows_times(const CsrView<T>& a, const Matrix<double>& b) {
    Matrix<double> out = Matrix<double>::Zero(a.rows, b.cols());
    const Index chunks = row_chunks(a.rows);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (Index c = 0; c < chunks; ++c) {
        const Index last = chunk_start(a.rows, chunks, c + 1);
        for (Index r = chunk_start(a.rows, chunks, c); r < last; ++r) {
            auto row = out.row(r);
            for (int k = a.outer[r]; k < a.outer[r + 1]; ++k) row.noalias() += double(a.values[k]) * b.row(a.inner[k]);
        }
    }
    return out;
}

/// A^T * Q for sparse A (n x p) and dense Q (n x s): one partial sum per row chunk, added in
/// chunk order.
template <class T>
Matrix<double> sparse_transpose_times(const CsrView<T>& a, const Matrix<double>& q) {
    const Index chunks = row_chunks(a.rows);
    std::vector<Matrix<double>> partial(static_cast<std::size_t>(chunks));
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (Index c = 0; c < chunks; ++c) {
        Matrix<double>& sum = partial[static_cast<std::size_t>(c)];
        sum = Matrix<double>::Zero(a.cols, q.cols());
        const Index last = chunk_start(a.rows, chunks, c + 1);
        for (Index r = chunk_start(a.rows, chunks, c); r < last; ++r) {
            const auto row = q.row(r);
            for (int k = a.outer[r]; k < a.outer[r + 1]; ++k) sum.row(a.inner[k]).noalias() += double(a.values[k]) * row;
        }
    }
    Matrix<double> out = std::move(partial[0]);
    for (std::size_t c = 1; c < partial.size(); ++c) out += partial[c];
    return out;
}

/// A^T A for sparse A (n x p), as a dense p x p matrix (for few features: the covariance solver).
template <class T>
Matrix<double> sparse_gram(const CsrView<T>& a) {
    const Index chunks = row_chunks(a.rows);
    std::vector<Matrix<double>> partial(static_cast<std::size_t>(chunks));
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (Index c = 0; c < chunks; ++c) {
        Matrix<double>& sum = partial[static_cast<std::size_t>(c)];
        sum = Matrix<double>::Zero(a.cols, a.cols);
        const Index last = chunk_start(a.rows, chunks, c + 1);
        for (Index r = chunk_start(a.rows, chunks, c); r < last; ++r)
            for (int i = a.outer[r]; i < a.outer[r + 1]; ++i)
                for (int j = a.outer[r]; j < a.outer[r + 1]; ++j)
                    sum(a.inner[i], a.inner[j]) += double(a.values[i]) * double(a.values[j]);
    }
    Matrix<double> out = std::move(partial[0]);
    for (std::size_t c = 1; c < partial.size(); ++c) out += partial[c];
    return out;
}

} // namespace scae::eval
