#pragma once
/// @file blocks.hpp
/// @brief Fixed work blocks for the fused ops: a dimension cut into ranges that do not depend
/// on the thread count, handed to threads as they become free.
///
/// Every block runs the same sequence of kernels whichever thread takes it, and blocks that
/// add into a shared result write partial results that are summed in block order. So a
/// result does not depend on the number of threads or on which thread ran what, and a
/// thread that the operating system parks (a shared node) delays only its current block.

#include "scae/core/csr_view.hpp"

#include <algorithm>

namespace scae::ad {

/// A dimension of `size` cut into blocks of `width` (the last may be shorter).
struct Blocks {
    Index size = 0;  ///< length of the dimension
    Index width = 1; ///< block width (positive)

    /// Number of blocks.
    Index count() const { return (size + width - 1) / width; }
    /// First index of block `b`.
    Index first(Index b) const { return b * width; }
    /// Length of block `b`.
    Index length(Index b) const { return std::min(width, size - b * width); }
};

/// Calls `body(b)` for every block index b in [0, count), spread over the OpenMP threads when
/// `work` (about the flops of the whole loop) pays for waking them.
template <class Body>
void for_each_block(Index count, double work, Body&& body) {
#ifdef _OPENMP
    if (count > 1 && work >= 2e5 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(dynamic, 1)
        for (Index b = 0; b < count; ++b) body(b);
        return;
    }
#endif
    (void)work;
    for (Index b = 0; b < count; ++b) body(b);
}

/// True when the column indices of every row of `s` increase (what Eigen's compressed
/// matrices and scae's readers give), so a row's columns in a range can be found by bisection.
template <class T>
bool rows_sorted(const CsrView<T>& s) {
    for (Index r = 0; r < s.rows; ++r)
        for (int p = s.outer[r] + 1; p < s.outer[r + 1]; ++p)
            if (s.inner[p - 1] >= s.inner[p]) return false;
    return true;
}

/// The stored entries of row `r` of `s` whose column lies in [first, last): positions [begin, end).
template <class T>
std::pair<int, int> row_range(const CsrView<T>& s, Index r, Index first, Index last) {
    const int* row_begin = s.inner + s.outer[r];
    const int* row_end = s.inner + s.outer[r + 1];
    const int* b = std::lower_bound(row_begin, row_end, int(first));
    const int* e = std::lower_bound(b, row_end, int(last));
    return {int(b - s.inner), int(e - s.inner)};
}

} // namespace scae::ad
