#pragma once
/// @file hvg.hpp
/// @brief Highly variable gene selection: Seurat v3's standardised variance of counts, and the
/// older binned-dispersion method.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/data/loess.hpp"
#include "scae/data/normalize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace scae::data {

/// How gene variability is scored.
enum class HvgFlavor {
    /// Seurat v3 (scanpy `flavor="seurat_v3"`): on raw counts, fit log10(variance) against
    /// log10(mean) with loess, standardise each gene by the fitted variance after clipping its
    /// counts at mean + sqrt(n_cells) * fitted sd, and rank by the standardised variance.
    /// The loess is evaluated exactly at every gene (R's surface = "direct"); scanpy's default
    /// kd-tree interpolation moves the trend by a few percent, so the last genes admitted can differ.
    seurat_v3,
    /// Seurat's original dispersion method (scanpy `flavor="seurat"`): on library-size-normalised
    /// counts, the log dispersion (variance / mean) z-scored within 20 equal-width bins of log1p(mean).
    dispersion,
};

/// Options of highly_variable_genes().
struct HvgOptions {
    HvgFlavor flavor = HvgFlavor::seurat_v3; ///< scoring method
    Index n_top_genes = 2000;               ///< genes to keep; 0 disables selection in fit_preprocessing()
    double span = 0.3;                      ///< seurat_v3: loess span of the mean-variance trend
    Index n_bins = 20;                      ///< dispersion: number of mean bins
    double target_sum = 0;                  ///< dispersion: per-cell total before scoring; 0 = median library size
};

/// Per-gene statistics and the chosen genes.
struct HvgResult {
    std::vector<Index> selected;   ///< columns of the chosen genes, ascending (input order)
    std::vector<double> means;     ///< per gene: mean over cells of the scored values
    std::vector<double> variances; ///< per gene: variance over cells (n - 1 denominator)
    std::vector<double> scores;    ///< per gene: standardised variance or normalised dispersion; NaN if undefined
    std::vector<double> trend;     ///< seurat_v3: per gene loess-fitted variance (1 where the variance is 0); dispersion: empty
};

/// The cells of one process: the statistics of a fit over cells need no combining. Cell
/// statistics take such a type as a parameter (`Cells`), so that the same code serves cells
/// spread over processes (data/sharded_preprocess.hpp: the cells of every MPI rank).
struct LocalCells {
    /// Sums `values` over the processes holding cells: here, nothing to add.
    /// @param values  per-process partial sums, replaced by the totals
    void sum(std::vector<double>& values) const { (void)values; }
    /// Median of the values of every process's cells: here, data::median().
    /// @param values  one value per cell of this process
    /// @return their median
    /// @throws Error when there are none
    double median(std::vector<double> values) const { return data::median(std::move(values)); }
};

/// Per-gene mean and unbiased variance of the columns of `m`, accumulated in double in a fixed order
/// so that the result does not depend on the thread count. With cells spread over processes
/// (`cells`), the per-process sums are added by `cells.sum`: counts (whole numbers) give the
/// same bits however the cells are spread, as their sums are exact.
/// @param m          cells x genes
/// @param means      receives one mean per column
/// @param variances  receives one variance per column (0 with fewer than 2 rows)
/// @param cells      where the other cells are (default: nowhere; `m` holds every cell)
/// @return the number of cells over all processes
template <class T, class Cells = LocalCells>
double column_mean_variance(const Csr<T>& m, std::vector<double>& means, std::vector<double>& variances, const Cells& cells = {}) {
    const std::size_t genes = static_cast<std::size_t>(m.cols());
    std::vector<double> sums(2 * genes + 1, 0.0); // sum, then sum of squares, then rows
    double* sum = sums.data();
    double* sum_sq = sums.data() + genes;
    for (Index r = 0; r < m.rows(); ++r) {
        for (typename Csr<T>::InnerIterator it(m, r); it; ++it) {
            const double v = static_cast<double>(it.value());
            sum[static_cast<std::size_t>(it.col())] += v;
            sum_sq[static_cast<std::size_t>(it.col())] += v * v;
        }
    }
    sums[2 * genes] = static_cast<double>(m.rows());
    cells.sum(sums);
    sum = sums.data();
    sum_sq = sums.data() + genes;
    const double n = sums[2 * genes];
    means.assign(genes, 0.0);
    variances.assign(genes, 0.0);
    for (std::size_t g = 0; g < genes; ++g) {
        const double mean = sum[g] / n;
        means[g] = mean;
        // Sum of squared deviations = sum(v^2) - n * mean^2; clamp the rounding below zero.
        variances[g] = n > 1 ? std::max(0.0, (sum_sq[g] - n * mean * mean) / (n - 1)) : 0.0;
    }
    return n;
}

/// The `n_top` genes with the highest score (NaN scores rank last; ties go to the lower column),
/// returned in ascending column order.
/// @param scores  one score per gene
/// @param n_top   genes to keep; all when there are fewer, none when 0
/// @return the chosen columns, ascending
inline std::vector<Index> top_scoring(const std::vector<double>& scores, Index n_top) {
    std::vector<Index> order(scores.size());
    std::iota(order.begin(), order.end(), Index{0});
    auto key = [&](Index g) {
        const double s = scores[static_cast<std::size_t>(g)];
        return std::isnan(s) ? -std::numeric_limits<double>::infinity() : s;
    };
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return key(a) > key(b); });
    order.resize(static_cast<std::size_t>(std::min<Index>(n_top, static_cast<Index>(order.size()))));
    std::sort(order.begin(), order.end());
    return order;
}

/// Seurat v3 standardised variances of raw `counts` (cells x genes); see HvgFlavor::seurat_v3.
/// Genes with zero variance get the fitted variance 1 (as scanpy) and score 0. The clipped sums
/// are kept as the sum of the counts below the clip plus the number clipped times the clip, so
/// that for counts they are exact, and equal however the cells are spread over processes.
/// @param counts  raw counts, cells x genes
/// @param span    loess span of the log10 mean-variance trend, in (0, 1]
/// @param cells   where the other cells are (default: nowhere; `counts` holds every cell)
/// @return means, variances, trend and scores of every gene; `selected` is left empty
/// @throws Error with fewer than 2 cells, or when the loess fit rejects the span
template <class T, class Cells = LocalCells>
HvgResult seurat_v3_scores(const Csr<T>& counts, double span, const Cells& cells = {}) {
    HvgResult result;
    const double n = column_mean_variance(counts, result.means, result.variances, cells);
    if (n < 2) throw Error("seurat_v3 HVG: needs at least 2 cells, got " + std::to_string(static_cast<long long>(n)));
    const std::size_t genes = result.means.size();

    std::vector<std::size_t> varying;
    std::vector<double> log_mean, log_var;
    for (std::size_t g = 0; g < genes; ++g) {
        if (result.variances[g] > 0) {
            varying.push_back(g);
            log_mean.push_back(std::log10(result.means[g]));
            log_var.push_back(std::log10(result.variances[g]));
        }
    }
    result.trend.assign(genes, 1.0);
    if (!varying.empty()) {
        const std::vector<double> fitted = loess_fit(log_mean, log_var, LoessOptions{span, 2});
        for (std::size_t k = 0; k < varying.size(); ++k) result.trend[varying[k]] = std::pow(10.0, fitted[k]);
    }
    std::vector<double> fitted_sd(genes);
    for (std::size_t g = 0; g < genes; ++g) fitted_sd[g] = std::sqrt(result.trend[g]);

    // Clip each count at mean + sqrt(N) * sd so that a single outlier cell cannot make a gene variable.
    std::vector<double> clip(genes), sums(3 * genes, 0.0); // below the clip: sum, sum of squares; then how many clipped
    for (std::size_t g = 0; g < genes; ++g) clip[g] = result.means[g] + std::sqrt(n) * fitted_sd[g];
    for (Index r = 0; r < counts.rows(); ++r) {
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) {
            const std::size_t g = static_cast<std::size_t>(it.col());
            const double v = static_cast<double>(it.value());
            if (v > clip[g]) {
                sums[2 * genes + g] += 1;
            } else {
                sums[g] += v;
                sums[genes + g] += v * v;
            }
        }
    }
    cells.sum(sums);
    std::vector<double> sum(genes), sum_sq(genes);
    for (std::size_t g = 0; g < genes; ++g) {
        const double clipped = sums[2 * genes + g];
        sum[g] = sums[g] + clipped * clip[g];
        sum_sq[g] = sums[genes + g] + clipped * (clip[g] * clip[g]);
    }
    result.scores.resize(genes);
    for (std::size_t g = 0; g < genes; ++g) {
        const double mean = result.means[g];
        // Variance of the clipped counts around the unclipped mean, over the fitted variance.
        result.scores[g] = (n * mean * mean + sum_sq[g] - 2 * sum[g] * mean) /
                           ((n - 1) * fitted_sd[g] * fitted_sd[g]);
    }
    return result;
}

/// Normalised dispersions of library-size-normalised values `normalized`; see HvgFlavor::dispersion.
/// Follows scanpy's `flavor="seurat"`: zero means become 1e-12, zero dispersions are undefined (NaN),
/// a bin holding a single defined dispersion scores it 1.
/// @param normalized  library-size-normalised counts, cells x genes
/// @param n_bins      number of equal-width bins of log1p(mean)
/// @param cells       where the other cells are (default: nowhere; `normalized` holds every cell).
///                    The normalised values are fractions: spread over processes, their sums
///                    agree with one process's within rounding.
/// @return means, variances and scores of every gene; `selected` and `trend` are left empty
/// @throws Error with fewer than 2 cells or fewer than 1 bin
template <class T, class Cells = LocalCells>
HvgResult dispersion_scores(const Csr<T>& normalized, Index n_bins, const Cells& cells = {}) {
    if (n_bins < 1) throw Error("dispersion HVG: n_bins must be at least 1, got " + std::to_string(n_bins));
    HvgResult result;
    const double n = column_mean_variance(normalized, result.means, result.variances, cells);
    if (n < 2) throw Error("dispersion HVG: needs at least 2 cells, got " + std::to_string(static_cast<long long>(n)));
    const std::size_t genes = result.means.size();
    const double nan = std::numeric_limits<double>::quiet_NaN();

    std::vector<double> log_dispersion(genes), log_mean(genes);
    for (std::size_t g = 0; g < genes; ++g) {
        const double mean = result.means[g] == 0 ? 1e-12 : result.means[g];
        const double dispersion = result.variances[g] / mean;
        log_dispersion[g] = dispersion == 0 ? nan : std::log(dispersion);
        log_mean[g] = std::log1p(mean);
    }
    result.scores.assign(genes, nan);
    if (genes == 0) return result;

    // Equal-width bins over the range of log1p(mean), right-closed, the lowest bin including the minimum.
    const auto [lowest, highest] = std::minmax_element(log_mean.begin(), log_mean.end());
    const double low = *lowest, width = (*highest - *lowest) / static_cast<double>(n_bins);
    std::vector<Index> bin(genes, 0);
    if (width > 0) {
        for (std::size_t g = 0; g < genes; ++g) {
            const double position = std::ceil((log_mean[g] - low) / width) - 1;
            bin[g] = std::clamp<Index>(static_cast<Index>(position), 0, n_bins - 1);
        }
    }
    const std::size_t bins = static_cast<std::size_t>(n_bins);
    std::vector<double> bin_sum(bins, 0.0), bin_count(bins, 0.0);
    for (std::size_t g = 0; g < genes; ++g) {
        if (std::isnan(log_dispersion[g])) continue;
        bin_sum[static_cast<std::size_t>(bin[g])] += log_dispersion[g];
        bin_count[static_cast<std::size_t>(bin[g])] += 1;
    }
    std::vector<double> bin_mean(bins, nan), bin_sd(bins, nan), bin_sq(bins, 0.0);
    for (std::size_t b = 0; b < bins; ++b) {
        if (bin_count[b] > 0) bin_mean[b] = bin_sum[b] / bin_count[b];
    }
    for (std::size_t g = 0; g < genes; ++g) {
        if (std::isnan(log_dispersion[g])) continue;
        const std::size_t b = static_cast<std::size_t>(bin[g]);
        bin_sq[b] += (log_dispersion[g] - bin_mean[b]) * (log_dispersion[g] - bin_mean[b]);
    }
    for (std::size_t b = 0; b < bins; ++b) {
        if (bin_count[b] > 1) {
            bin_sd[b] = std::sqrt(bin_sq[b] / (bin_count[b] - 1));
        } else if (bin_count[b] == 1) {
            bin_sd[b] = bin_mean[b];
            bin_mean[b] = 0;
        }
    }
    for (std::size_t g = 0; g < genes; ++g) {
        if (std::isnan(log_dispersion[g])) continue;
        const std::size_t b = static_cast<std::size_t>(bin[g]);
        result.scores[g] = (log_dispersion[g] - bin_mean[b]) / bin_sd[b];
    }
    return result;
}

/// Scores every gene of raw `counts` (cells x genes) with `options.flavor` and selects the
/// `options.n_top_genes` best (all genes when there are fewer).
/// @param counts   raw counts, cells x genes
/// @param options  flavour, number of genes and the flavour's parameters
/// @param cells    where the other cells are (default: nowhere; `counts` holds every cell)
/// @return the per-gene statistics and the selected columns
/// @throws Error on a negative `n_top_genes`, too few cells, or (dispersion) a zero median library size
template <class T, class Cells = LocalCells>
HvgResult highly_variable_genes(const Csr<T>& counts, const HvgOptions& options = {}, const Cells& cells = {}) {
    if (options.n_top_genes < 0) {
        throw Error("HVG: n_top_genes must be non-negative, got " + std::to_string(options.n_top_genes));
    }
    HvgResult result;
    if (options.flavor == HvgFlavor::seurat_v3) {
        result = seurat_v3_scores(counts, options.span, cells);
    } else {
        Csr<T> normalized = counts;
        const double target =
            options.target_sum > 0 ? options.target_sum : cells.median(library_sizes(counts));
        if (!(target > 0)) throw Error("dispersion HVG: the median library size is 0; set HvgOptions::target_sum");
        normalize_total_in_place(normalized, target);
        result = dispersion_scores(normalized, options.n_bins, cells);
    }
    result.selected = top_scoring(result.scores, options.n_top_genes);
    return result;
}

} // namespace scae::data
