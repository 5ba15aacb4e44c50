#pragma once
/// @file normalize.hpp
/// @brief Library sizes and library-size normalisation on sparse counts: zeros stay zeros, sparsity is
/// kept. (The model's own input transform, with log1p, is nn::transform_input.)

#include "scae/core/error.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace scae::data {

/// Total count of each cell (row sums, accumulated in double).
/// @param counts  cells x genes
/// @return one total per cell
template <class T>
std::vector<double> library_sizes(const Csr<T>& counts) {
    std::vector<double> sizes(static_cast<std::size_t>(counts.rows()), 0.0);
    parallelize_each([&](Index r) {
        double total = 0;
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) total += static_cast<double>(it.value());
        sizes[static_cast<std::size_t>(r)] = total;
    }, counts.rows(), 0, double(counts.nonZeros() + counts.rows()));
    return sizes;
}

/// Total count of each cell over the columns `columns` only (each listed at most once).
/// @param counts   cells x genes
/// @param columns  the columns to sum, each in [0, counts.cols())
/// @return one total per cell
/// @throws Error when a column is outside the matrix
template <class T>
std::vector<double> library_sizes(const Csr<T>& counts, const std::vector<Index>& columns) {
    std::vector<char> counted(static_cast<std::size_t>(counts.cols()), 0);
    for (Index c : columns) {
        if (c < 0 || c >= counts.cols())
            throw Error("library_sizes: column " + std::to_string(c) + " is outside 0.." + std::to_string(counts.cols() - 1));
        counted[static_cast<std::size_t>(c)] = 1;
    }
    std::vector<double> sizes(static_cast<std::size_t>(counts.rows()), 0.0);
    for (Index r = 0; r < counts.rows(); ++r) {
        double total = 0;
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it)
            if (counted[static_cast<std::size_t>(it.col())]) total += static_cast<double>(it.value());
        sizes[static_cast<std::size_t>(r)] = total;
    }
    return sizes;
}

/// Median of `values` (mean of the two middle values for an even count). Throws on an empty input.
/// @param values  the values, taken by copy (reordered inside)
/// @return their median
/// @throws Error when `values` is empty
inline double median(std::vector<double> values) {
    if (values.empty()) throw Error("median: no values");
    const std::size_t mid = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
    const double upper = values[mid];
    if (values.size() % 2 == 1) return upper;
    const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
    return 0.5 * (lower + upper);
}

/// Scales every row of `m` so that it sums to `target_sum` (scanpy's `normalize_total`).
/// Rows that sum to zero are left at zero rather than divided by zero.
/// @param m           cells x genes, scaled in place
/// @param target_sum  the total of every nonzero row afterwards, positive and finite
/// @throws Error when `target_sum` is not positive and finite
template <class T>
void normalize_total_in_place(Csr<T>& m, double target_sum) {
    if (!(target_sum > 0) || !std::isfinite(target_sum)) {
        throw Error("normalize_total: target sum must be a positive finite number, got " +
                    std::to_string(target_sum));
    }
    parallelize_each([&](Index r) {
        double total = 0;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) total += static_cast<double>(it.value());
        if (total == 0) return;
        const double scale = target_sum / total;
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            it.valueRef() = static_cast<T>(static_cast<double>(it.value()) * scale);
        }
    }, m.rows(), 0, 2.0 * double(m.nonZeros() + m.rows()));
}

} // namespace scae::data
