#pragma once
/// @file denoise.hpp
/// @brief Denoising scored on counts the model never saw: hide a fraction of the stored
/// counts, predict them from the rest, and compare at the hidden entries.

#include "scae/core/random.hpp"
#include "scae/core/types.hpp"
#include "scae/core/error.hpp"

#include <cmath>
#include <vector>

namespace scae::transfer {

/// A count matrix with some stored entries set to zero, and what they were.
struct MaskedCounts {
    Csr<float> visible;      ///< the counts with the hidden entries removed
    std::vector<int> rows;   ///< row of each hidden entry
    std::vector<int> cols;   ///< column of each hidden entry
    std::vector<float> values; ///< the hidden counts
};

/// Hides each stored (nonzero) count with probability `fraction`, from `seed`.
inline MaskedCounts hide_counts(const Csr<float>& counts, double fraction, std::uint64_t seed) {
    if (fraction <= 0 || fraction >= 1) throw Error("hide_counts: fraction must be in (0, 1)");
    Rng rng(seed);
    MaskedCounts out;
    std::vector<Eigen::Triplet<float>> kept;
    kept.reserve(std::size_t(counts.nonZeros()));
    for (Index r = 0; r < counts.rows(); ++r)
        for (Csr<float>::InnerIterator it(counts, r); it; ++it) {
            if (rng.uniform() < fraction) {
                out.rows.push_back(int(r));
                out.cols.push_back(int(it.col()));
                out.values.push_back(it.value());
            } else {
                kept.emplace_back(int(r), int(it.col()), it.value());
            }
        }
    out.visible.resize(counts.rows(), counts.cols());
    out.visible.setFromTriplets(kept.begin(), kept.end());
    out.visible.makeCompressed();
    return out;
}

/// Agreement between predicted rates and the hidden counts.
struct DenoiseScore {
    double poisson_deviance = 0; ///< mean of 2 (y log(y / mu) - (y - mu)); lower is better
    double pearson_log1p = 0;    ///< correlation of log1p(y) with log1p(mu); higher is better
    Index entries = 0;           ///< hidden entries scored
};

/// Scores `rates` (cells x genes, same shape as the masked matrix) at the hidden entries.
inline DenoiseScore score_hidden(const Matrix<float>& rates, const MaskedCounts& masked) {
    if (rates.rows() != masked.visible.rows() || rates.cols() != masked.visible.cols())
        throw Error("score_hidden: predictions and masked counts differ in shape");
    DenoiseScore s;
    s.entries = Index(masked.values.size());
    if (s.entries == 0) throw Error("score_hidden: no hidden entries to score");
    double deviance = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (std::size_t i = 0; i < masked.values.size(); ++i) {
        const double y = masked.values[i], mu = std::max(double(rates(masked.rows[i], masked.cols[i])), 1e-8);
        deviance += 2 * ((y > 0 ? y * std::log(y / mu) : 0.0) - (y - mu));
        const double a = std::log1p(y), b = std::log1p(mu);
        sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
    }
    const double n = double(s.entries);
    s.poisson_deviance = deviance / n;
    const double cov = sxy / n - sx / n * sy / n, vx = sxx / n - sx / n * sx / n, vy = syy / n - sy / n * sy / n;
    s.pearson_log1p = vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : 0.0;
    return s;
}

/// The baseline every denoiser must beat: each cell's visible library size times each
/// gene's share of all counts in `reference` (cells the baseline may learn from).
inline Matrix<float> gene_mean_rates(const Csr<float>& reference, const Csr<float>& visible) {
    RowVector<double> share = RowVector<double>::Zero(reference.cols());
    for (Index r = 0; r < reference.rows(); ++r)
        for (Csr<float>::InnerIterator it(reference, r); it; ++it) share(it.col()) += it.value();
    const double total = share.sum();
    if (total <= 0) throw Error("gene_mean_rates: the reference cells hold no counts");
    share /= total;
    Matrix<float> rates(visible.rows(), visible.cols());
    for (Index r = 0; r < visible.rows(); ++r) rates.row(r) = (share * double(visible.row(r).sum())).cast<float>();
    return rates;
}

} // namespace scae::transfer
