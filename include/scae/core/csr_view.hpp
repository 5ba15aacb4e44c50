#pragma once
/// @file csr_view.hpp
/// @brief A non-owning view of consecutive rows of a CSR matrix, and the two
/// sparse x dense products the first layer needs.
///
/// Minibatches are row ranges of a (shuffled) count matrix, so a view costs
/// three pointers and no copy. The kernels are written out rather than taken
/// from Eigen so that both are parallel and give the same result on any thread count.

#include "scae/core/error.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <vector>

namespace scae {

/// Rows [first, first + rows) of a compressed row-major sparse matrix.
template <class T>
struct CsrView {
    Index rows = 0;            ///< rows in the view
    Index cols = 0;            ///< columns (genes)
    const int* outer = nullptr; ///< rows + 1 absolute offsets into `inner` / `values`
    const int* inner = nullptr; ///< column index of each stored value
    const T* values = nullptr;  ///< stored values

    /// The number of stored values in the view.
    /// @return outer[rows] - outer[0]; 0 for an empty view.
    Index nonzeros() const { return rows == 0 ? 0 : outer[rows] - outer[0]; }
};

/// A view of rows [first, first + count) of `m`, which must be compressed.
/// @param m      compressed sparse matrix; the view points into it and is valid while `m` is unchanged.
/// @param first  first row.
/// @param count  number of rows (0 gives an empty view).
/// @return the view.
/// @throws Error when `m` is not compressed or the range leaves its rows.
template <class T>
CsrView<T> view_rows(const Csr<T>& m, Index first, Index count) {
    if (!m.isCompressed()) throw Error("view_rows: the sparse matrix must be compressed (call makeCompressed())");
    if (first < 0 || count < 0 || first + count > m.rows()) throw Error("view_rows: row range out of bounds");
    return {count, m.cols(), m.outerIndexPtr() + first, m.innerIndexPtr(), m.valuePtr()};
}

/// A view of all rows of `m`.
/// @param m  compressed sparse matrix; the view points into it and is valid while `m` is unchanged.
/// @return the view.
/// @throws Error when `m` is not compressed.
template <class T>
CsrView<T> view_all(const Csr<T>& m) { return view_rows(m, 0, m.rows()); }

/// Rows of a sparse matrix copied into reusable buffers: a minibatch in shuffled order.
/// After the first few batches the buffers are large enough and no memory is allocated.
template <class T>
struct CsrBatch {
    std::vector<int> outer{0}; ///< rows + 1 offsets
    std::vector<int> inner;    ///< column indices
    std::vector<T> values;     ///< stored values
    Index cols = 0;            ///< columns of the source

    /// Copies rows `rows[0..count)` of `m` (compressed) into the buffers.
    /// @param m      compressed sparse matrix to copy from.
    /// @param rows   row indices into `m` (`count` of them), in the batch's order; not checked.
    /// @param count  number of rows to gather.
    void gather(const Csr<T>& m, const int* rows, Index count) {
        cols = m.cols();
        outer.resize(count + 1);
        outer[0] = 0;
        for (Index i = 0; i < count; ++i) outer[i + 1] = outer[i] + (m.outerIndexPtr()[rows[i] + 1] - m.outerIndexPtr()[rows[i]]);
        inner.resize(outer[count]);
        values.resize(outer[count]);
        for (Index i = 0; i < count; ++i) {
            const int from = m.outerIndexPtr()[rows[i]], length = outer[i + 1] - outer[i];
            std::copy_n(m.innerIndexPtr() + from, length, inner.data() + outer[i]);
            std::copy_n(m.valuePtr() + from, length, values.data() + outer[i]);
        }
    }

    /// A view of the gathered rows.
    /// @return a view that is valid until the next gather() or the batch's destruction.
    CsrView<T> view() const { return {Index(outer.size()) - 1, cols, outer.data(), inner.data(), values.data()}; }
};

/// Calls `body(first, last)` on contiguous row blocks of a rows x cols result, one per thread
/// when the result is large enough for threads to pay (parallelize's threshold on rows * cols),
/// else once on all rows. Each row has one writer, so a body that computes each row on its own
/// (elementwise work) gives results that do not depend on the thread count; a product over a
/// block of rows does not (Eigen's order depends on the block's size): ad::detail::add_product
/// uses fixed blocks instead.
/// @param rows  rows of the result.
/// @param cols  columns of the result (only to estimate the work).
/// @param body  called as body(Index first, Index last) on row range [first, last).
template <class Body>
void parallel_rows(Index rows, Index cols, Body&& body) {
    parallelize([&](int, Index first, Index length) { body(first, first + length); }, rows, 0, double(rows) * double(cols));
}

/// out = S * B, with S sparse (n x g) and B dense (g x k). Rows of `out` are independent.
/// @param s    sparse left operand, n x g.
/// @param b    dense right operand, g x k.
/// @param out  resized to n x k and overwritten.
template <class T>
void sparse_times_dense(const CsrView<T>& s, const Matrix<T>& b, Matrix<T>& out) {
    out.resize(s.rows, b.cols());
    parallelize_each([&](Index r) {
        auto row = out.row(r);
        row.setZero();
        for (int p = s.outer[r]; p < s.outer[r + 1]; ++p) row.noalias() += s.values[p] * b.row(s.inner[p]);
    }, s.rows, 0, double(s.nonzeros() + s.rows) * double(b.cols()));
}

/// out += S^T * G, with S sparse (n x g) and G dense (n x k): the weight gradient of a sparse
/// input layer. Threads split the k columns, so each output element has one writer and
/// a fixed summation order.
/// @param s    sparse operand, n x g.
/// @param g    dense operand, n x k.
/// @param out  g x k, added into (not resized).
template <class T>
void add_sparse_transpose_times_dense(const CsrView<T>& s, const Matrix<T>& g, Matrix<T>& out) {
    const Index k = g.cols();
    parallelize([&](int, Index begin, Index width) {
        for (Index r = 0; r < s.rows; ++r) {
            auto grad_row = g.row(r).segment(begin, width);
            for (int p = s.outer[r]; p < s.outer[r + 1]; ++p) out.row(s.inner[p]).segment(begin, width).noalias() += s.values[p] * grad_row;
        }
    }, k, 0, double(s.nonzeros()) * double(k));
}

} // namespace scae
