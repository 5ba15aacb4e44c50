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

/// Applies `transform` to every row of `counts`. Zeros stay zeros, so sparsity is kept.
template <class T>
Csr<T> transform_input(const Csr<T>& counts, const InputTransform& transform) {
    Csr<T> out = counts;
    out.makeCompressed();
    for (Index r = 0; r < out.rows(); ++r) {
        double scale = 1;
        if (transform.target_sum > 0) {
            const double total = out.row(r).sum();
            scale = total > 0 ? transform.target_sum / total : 1.0;
        }
        for (typename Csr<T>::InnerIterator it(out, r); it; ++it) {
            const double v = double(it.value()) * scale;
            it.valueRef() = T(transform.log1p ? std::log1p(v) : v);
        }
    }
    return out;
}

/// Each cell's total count divided by `target_sum` (all ones when target_sum is 0);
/// `out` is resized to one factor per row. Empty cells get factor 1.
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
