#pragma once
/// @file row_products.hpp
/// @brief Products of a tall matrix (cells in rows) split into row chunks
/// run by OpenMP threads. Inside a parallel region each Eigen product runs
/// single-threaded, so Eigen's own spin-waiting GEMM threads never start:
/// they cost far more than they save on a busy machine, and on products like
/// X^T X with a tiny result and a huge inner dimension. Chunks are fixed
/// by the shape alone, so results do not depend on the thread count.

#include "scae/core/parallelize.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <vector>

namespace scae::eval {

/// Number of row chunks for `rows` rows: at most 16, at least 64 rows each.
/// @param rows  rows of the matrix
/// @return the chunk count, 1..16
inline Index row_chunks(Index rows) { return std::clamp<Index>(rows / 64, 1, 16); }

/// First row of chunk `c` of `chunks` over `rows` rows (c == chunks gives rows).
/// @param rows    rows of the matrix
/// @param chunks  number of chunks (row_chunks())
/// @param c       the chunk, 0..chunks
/// @return its first row
inline Index chunk_start(Index rows, Index chunks, Index c) { return rows * c / chunks; }

/// A * B, each chunk of A's rows multiplied by one thread.
/// @param A  the tall left factor
/// @param B  the right factor, A.cols() rows
/// @return A.rows() x B.cols()
template <class DerivedB>
Matrix<double> rows_times(const Matrix<double>& A, const Eigen::MatrixBase<DerivedB>& B) {
    Matrix<double> out(A.rows(), B.cols());
    const Index chunks = row_chunks(A.rows());
    parallelize_each([&](Index c) {
        const Index first = chunk_start(A.rows(), chunks, c);
        const Index count = chunk_start(A.rows(), chunks, c + 1) - first;
        out.middleRows(first, count).noalias() = A.middleRows(first, count) * B;
    }, chunks, 0, double(A.rows()) * double(A.cols()) * double(B.cols()));
    return out;
}

/// A^T * B for A and B with the same rows: per-chunk products A_c^T B_c,
/// summed in chunk order. (A template, so that including this header compiles no product.)
/// @param A  the left factor, transposed
/// @param B  the right factor, as many rows as `A`
/// @return A.cols() x B.cols()
template <class Real>
Matrix<Real> transpose_times(const Matrix<Real>& A, const Matrix<Real>& B) {
    const Index chunks = row_chunks(A.rows());
    std::vector<Matrix<Real>> partial(static_cast<std::size_t>(chunks));
    parallelize_each([&](Index c) {
        const Index first = chunk_start(A.rows(), chunks, c);
        const Index count = chunk_start(A.rows(), chunks, c + 1) - first;
        partial[static_cast<std::size_t>(c)].noalias() =
            A.middleRows(first, count).transpose() * B.middleRows(first, count);
    }, chunks, 0, double(A.rows()) * double(A.cols()) * double(B.cols()));
    Matrix<Real> out = std::move(partial[0]);
    for (std::size_t c = 1; c < partial.size(); ++c) out += partial[c];
    return out;
}

} // namespace scae::eval
