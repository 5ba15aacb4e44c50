#pragma once
/// @file input_transform.hpp
/// @brief What the model does to raw counts before its first layer. The loss always
/// compares the output with the raw counts; only the input is transformed.

#include "scae/core/csr_view.hpp"

#include <cmath>

namespace scae::nn {

/// Per-cell transform of raw counts into the encoder's input. Part of the model, so a
/// foreign model applies to new data exactly what it was trained with.
///
/// With library-size normalisation (target_sum > 0) the encoder no longer sees a cell's
/// depth, so the decoder predicts counts at depth target_sum and the model multiplies them
/// by the cell's size factor (its total count / target_sum), as DCA does. Without it the
/// raw depth is visible to the encoder, as in Kinalis et al. 2019.
struct InputTransform {
    /// Scale each cell to this many total counts first; 0 (default) keeps raw counts.
    double target_sum = 0;
    /// Then take log(1 + x) (default on, as in the reference work).
    bool log1p = true;
};

/// Writes the transformed value of every stored count of `counts` (compressed) to `out`, in
/// storage order: the values of `transform_input(counts)` without copying the structure.
/// `out` may be `counts.valuePtr()` (in place).
/// @param counts     raw counts, cells x genes, compressed.
/// @param transform  the model's input transform.
/// @param out        one value per stored count (`counts.nonZeros()` of them).
/// @throws Error when `counts` is not compressed.
template <class T>
void transform_values(const Csr<T>& counts, const InputTransform& transform, T* out) {
    if (!counts.isCompressed()) throw Error("transform_values: the sparse matrix must be compressed");
    const int* outer = counts.outerIndexPtr();
    const T* values = counts.valuePtr();
    for (Index r = 0; r < counts.rows(); ++r) {
        double scale = 1;
        if (transform.target_sum > 0) {
            T total = 0; // summed in T, in order, as Eigen sums a row
            for (int p = outer[r]; p < outer[r + 1]; ++p) total += values[p];
            scale = total > 0 ? transform.target_sum / double(total) : 1.0;
        }
        for (int p = outer[r]; p < outer[r + 1]; ++p) {
            const double v = double(values[p]) * scale;
            out[p] = T(transform.log1p ? std::log1p(v) : v);
        }
    }
}

/// Applies `transform` to every row of `counts`. Zeros stay zeros, so sparsity is kept.
/// @param counts     raw counts, cells x genes.
/// @param transform  the model's input transform.
/// @return a compressed copy with transformed values.
template <class T>
Csr<T> transform_input(const Csr<T>& counts, const InputTransform& transform) {
    Csr<T> out = counts;
    out.makeCompressed();
    transform_values(out, transform, out.valuePtr());
    return out;
}

/// Each cell's total count divided by `target_sum` (all ones when target_sum is 0);
/// `out` is resized to one factor per row. Empty cells get factor 1.
/// @param counts      raw counts, cells x genes.
/// @param target_sum  total count a cell is scaled to; 0 or less gives factor 1 for every cell.
/// @param out         one factor per cell.
template <class T>
void size_factors(const CsrView<T>& counts, double target_sum, Vector<T>& out) {
    out.resize(counts.rows);
    for (Index r = 0; r < counts.rows; ++r) {
        double total = 0;
        for (int p = counts.outer[r]; p < counts.outer[r + 1]; ++p) total += counts.values[p];
        out(r) = T(target_sum > 0 && total > 0 ? total / target_sum : 1.0);
    }
}

} // namespace scae::nn
