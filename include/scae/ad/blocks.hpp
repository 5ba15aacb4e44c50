#pragma once
/// @file blocks.hpp
/// @brief Fixed work blocks for the fused ops: a dimension cut into ranges that do not depend
/// on the thread count, which scae::parallelize_blocks (core/parallelize.hpp) hands to threads
/// as they become free; the dense product cut into such blocks (add_product, which matmul uses);
/// and finding a sparse row's entries in a block of columns.
///
/// Every block runs the same sequence of kernels whichever thread takes it and writes its own
/// part of the result. So a result does not depend on the number of threads or on which
/// thread ran what, and a thread that the operating system parks (a shared node) delays only
/// its current block.

#include "scae/core/csr_view.hpp"
#include "scae/core/parallelize.hpp"

#include <algorithm>
#include <utility>

namespace scae::ad {

/// A dimension of `size` cut into blocks of `width` (the last may be shorter).
struct Blocks {
    Index size = 0;  ///< length of the dimension
    Index width = 1; ///< block width (positive)

    /// Number of blocks.
    /// @return ceil(size / width); 0 for an empty dimension.
    Index count() const { return (size + width - 1) / width; }
    /// First index of block `b`.
    /// @param b  block index, in [0, count()).
    /// @return b * width.
    Index first(Index b) const { return b * width; }
    /// Length of block `b`.
    /// @param b  block index, in [0, count()).
    /// @return `width`, or what is left of the dimension for the last block.
    Index length(Index b) const { return std::min(width, size - b * width); }
};

namespace detail {

/// Rows of one block of add_product()'s result.
constexpr Index product_block_rows = 32;
/// Columns of one block of add_product()'s result.
constexpr Index product_block_cols = 256;

/// out += lhs * rhs, cut into fixed blocks of product_block_rows x product_block_cols that
/// threads take as they become free (parallelize_blocks, as the fused ops do). Each block is one
/// serial product of the same shape whichever thread runs it, so the result does not depend on
/// the thread count (slices sized by the thread count did: Eigen sums a slice's leftover rows,
/// and small slices, in another order), and threads never wait on each other mid-product.
template <class T, class Lhs, class Rhs>
void add_product(Matrix<T>& out, const Lhs& lhs, const Rhs& rhs) {
    const Blocks rows{out.rows(), product_block_rows}, cols{out.cols(), product_block_cols};
    parallelize_blocks([&](Index b) {
        const Index r0 = rows.first(b / cols.count()), nr = rows.length(b / cols.count());
        const Index c0 = cols.first(b % cols.count()), nc = cols.length(b % cols.count());
        out.block(r0, c0, nr, nc).noalias() += lhs.middleRows(r0, nr) * rhs.middleCols(c0, nc);
    }, rows.count() * cols.count(), 0, double(out.size()) * double(lhs.cols()));
}

} // namespace detail

/// True when the column indices of every row of `s` increase (what Eigen's compressed
/// matrices and scae's readers give), so a row's columns in a range can be found by bisection.
/// @param s  sparse rows to check.
/// @return false as soon as one row has a column index not above the one before it.
template <class T>
bool rows_sorted(const CsrView<T>& s) {
    for (Index r = 0; r < s.rows; ++r)
        for (int p = s.outer[r] + 1; p < s.outer[r + 1]; ++p)
            if (s.inner[p - 1] >= s.inner[p]) return false;
    return true;
}

/// The stored entries of row `r` of `s` whose column lies in [first, last): positions [begin, end).
/// @param s      sparse rows with increasing column indices in each row (rows_sorted()).
/// @param r      row of `s`.
/// @param first  first column of the range.
/// @param last   one past the last column of the range.
/// @return positions [begin, end) into `s.inner` / `s.values`; begin == end when the row has no entry there.
template <class T>
std::pair<int, int> row_range(const CsrView<T>& s, Index r, Index first, Index last) {
    const int* row_begin = s.inner + s.outer[r];
    const int* row_end = s.inner + s.outer[r + 1];
    const int* b = std::lower_bound(row_begin, row_end, int(first));
    const int* e = std::lower_bound(b, row_end, int(last));
    return {int(b - s.inner), int(e - s.inner)};
}

/// Where row `r` of `s` enters each block of `cols`, in one pass over the row (an op that visits
/// every row anyway finds them for the blocks that later visit every row once per block):
/// `out[b]` is the position of the row's first entry in block b or after it, `out[cols.count()]`
/// the row's end, so block b's entries are positions [out[b], out[b + 1]).
/// @param s     sparse rows with increasing column indices in each row (rows_sorted()).
/// @param r     row of `s`.
/// @param cols  the blocks of `s`'s columns.
/// @param out   cols.count() + 1 positions.
template <class T>
void row_block_starts(const CsrView<T>& s, Index r, const Blocks& cols, int* out) {
    int p = s.outer[r];
    const int end = s.outer[r + 1];
    for (Index b = 0; b < cols.count(); ++b) {
        out[b] = p;
        const Index last = cols.first(b) + cols.length(b);
        while (p < end && s.inner[p] < last) ++p;
    }
    out[cols.count()] = end;
}

} // namespace scae::ad
