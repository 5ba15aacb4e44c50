#pragma once
/// @file calibrate.hpp
/// @brief Per-gene calibration of a model applied to new data: a foreign model carries its
/// training tissue's gene levels; rescaling each gene's predicted rates to the level of the data
/// being denoised removes that, without touching the weights.
///
/// For gene g with observed total O_g and predicted total P_g over the cells being denoised:
/// - `genes`: factor O_g / P_g, so each gene's predicted total matches the data exactly;
/// - `genes_shrunk` (default): the posterior mean (O_g + k) / (P_g + k) of a factor with a
///   Gamma(k, k) prior (mean 1) when O_g ~ Poisson(factor * P_g). Genes with few counts keep
///   much of the model's own level instead of being set to their noisy total (a gene seen 0
///   times is not predicted to be absent). k is estimated from the data by default (empirical
///   Bayes: it maximises the negative binomial marginal likelihood of the O_g), so a model whose
///   levels fit (its own tissue) is shrunk hard towards factor 1 and a foreign one is not.
/// - `blend` (default): genes_shrunk, then a mixture a * model + b * the cell's own counts +
///   (1 - a - b) * gene mean (each cell's library times each gene's share of the data), the
///   weights (0.1 grid, b <= 0.5) chosen by molecular cross-validation *within* the input (a
///   second binomial split of it, on at most `blend_max_cells` cells): the posterior-mean idea
///   of SAVER-like denoisers, with the model as the prior. A foreign model knows the programs of
///   its training tissue, not the new tissue's; the cell's own counts carry those, and the gene
///   mean hedges where its cell-specific predictions are off. Where the model alone is within
///   `blend_min_gain` of the best mixture (its own tissue), it is kept as it is.
/// Factors are fitted on the input alone (under molecular cross-validation: on Xa), so they
/// never see the counts they are scored against. A model applied to its own training data has
/// O_g close to P_g and barely changes.

#include "scae/transfer/mcv.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <numeric>

namespace scae::transfer {

/// How predicted rates are rescaled per gene.
enum class Calibration {
    none,         ///< the model's rates as they are
    genes,        ///< observed / predicted total per gene
    genes_shrunk, ///< (observed + k) / (predicted + k) per gene
    blend,        ///< genes_shrunk mixed with the gene mean, the weight chosen by MCV within the input
};

/// Name used on the command line and in reports.
inline std::string to_string(Calibration c) {
    switch (c) {
    case Calibration::none: return "none";
    case Calibration::genes: return "genes";
    case Calibration::genes_shrunk: return "genes_shrunk";
    case Calibration::blend: return "blend";
    }
    return "?";
}

/// Parses "none", "genes", "genes_shrunk" or "blend"; throws scae::Error otherwise.
inline Calibration calibration_from_string(const std::string& name) {
    for (Calibration c : {Calibration::none, Calibration::genes, Calibration::genes_shrunk, Calibration::blend})
        if (name == to_string(c)) return c;
    throw Error("unknown calibration '" + name + "' (expected none, genes, genes_shrunk or blend)");
}

/// Settings of `fit_calibration`.
struct CalibrationOptions {
    Calibration method = Calibration::blend; ///< default: what serves a foreign model best (measured; see docs/tutorial.md)
    /// k of genes_shrunk: counts of evidence a gene needs to move half way to its observed
    /// level; NaN (default): estimated from the data (see estimate_prior_counts).
    double prior_counts = std::numeric_limits<double>::quiet_NaN();
    Index batch_cells = 512;   ///< cells predicted at once while summing
    Index blend_max_cells = 5000; ///< blend: cells (a seeded sample) of the inner split that choose the weights
    double blend_min_gain = 0.02; ///< blend: a mixture must lower the inner MCV deviance by this share to replace the model
    std::uint64_t seed = 0;       ///< blend: the inner split and the sample
};

/// Fitted per-gene factors and what they came from.
struct GeneCalibration {
    Calibration method = Calibration::none; ///< how the factors were made
    double prior_counts = 0;                ///< k used (genes_shrunk)
    bool prior_estimated = false;           ///< whether k was estimated from the data
    Index cells = 0;                        ///< cells the totals were summed over
    RowVector<double> observed;             ///< per-gene total of the data
    RowVector<double> predicted;            ///< per-gene total of the model's rates on the same cells
    RowVector<float> factors;               ///< multiply column g of the rates by factors(g); always finite and >= 0
    double model_weight = 1;                ///< blend: weight of the calibrated model
    double observed_weight = 0;             ///< blend: weight of the cell's own counts (the gene mean has the rest)
    double blend_gain = 0;                  ///< blend: relative drop of the inner MCV deviance against the model alone
    RowVector<double> shares;               ///< blend: each gene's share of the data (gene_shares)
};

/// Each gene's share of all counts in `reference`; a gene absent from it counts as half a
/// count, so every share is positive.
inline RowVector<double> gene_shares(const Csr<float>& reference) {
    RowVector<double> share = RowVector<double>::Zero(reference.cols());
    for (Index r = 0; r < reference.rows(); ++r)
        for (Csr<float>::InnerIterator it(reference, r); it; ++it) share(it.col()) += it.value();
    if (share.sum() <= 0) throw Error("gene_shares: the reference cells hold no counts");
    share = share.cwiseMax(0.5);
    return share / share.sum();
}

/// Applies `calibration` in place to `rates` predicted from `counts` (same cells and genes).
inline void apply_calibration(Matrix<float>& rates, const Csr<float>& counts, const GeneCalibration& calibration) {
    if (calibration.method == Calibration::none) return;
    if (rates.cols() != calibration.factors.size()) throw Error("apply_calibration: rates and factors differ in genes");
    if (rates.rows() != counts.rows()) throw Error("apply_calibration: rates and counts differ in cells");
    rates.array().rowwise() *= calibration.factors.array();
    if (calibration.method != Calibration::blend || calibration.model_weight == 1) return;
    const float w = float(calibration.model_weight), v = float(calibration.observed_weight), u = 1 - w - v;
    const RowVector<float> shares = calibration.shares.cast<float>();
    for (Index r = 0; r < rates.rows(); ++r) {
        rates.row(r) = w * rates.row(r) + u * float(counts.row(r).sum()) * shares;
        for (Csr<float>::InnerIterator it(counts, r); it; ++it) rates(r, it.col()) += v * it.value();
    }
}

/// `predict` followed by `calibration` (which must outlive the result).
inline RatePredictor calibrated(RatePredictor predict, const GeneCalibration& calibration) {
    return [predict = std::move(predict), &calibration](const Csr<float>& batch) {
        Matrix<float> rates = predict(batch);
        apply_calibration(rates, batch, calibration);
        return rates;
    };
}

/// The k of a Gamma(k, k) prior on per-gene factors that best explains observed totals
/// `observed` given predicted totals `predicted`: the maximiser of the marginal likelihood
/// sum_g log NB(O_g; mean P_g, size k), searched on a log grid over [1e-3, 1e6] and refined by
/// golden sections. Genes predicted at zero carry no information and are skipped.
inline double estimate_prior_counts(const RowVector<double>& observed, const RowVector<double>& predicted) {
    const auto log_likelihood = [&](double log_k) {
        const double k = std::exp(log_k);
        double total = 0;
        for (Index g = 0; g < observed.size(); ++g) {
            const double o = observed(g), p = predicted(g);
            if (!(p > 0)) continue;
            total += std::lgamma(o + k) - std::lgamma(k) + k * std::log(k / (k + p)) + o * std::log(p / (k + p));
        }
        return total;
    };
    const double lo = std::log(1e-3), hi = std::log(1e6), step = (hi - lo) / 60;
    double best = lo, best_value = log_likelihood(lo);
    for (int i = 1; i <= 60; ++i) {
        const double v = log_likelihood(lo + step * i);
        if (v > best_value) best_value = v, best = lo + step * i;
    }
    double a = std::max(lo, best - step), b = std::min(hi, best + step);
    const double ratio = 0.6180339887498949;
    for (int i = 0; i < 40; ++i) {
        const double c = b - ratio * (b - a), d = a + ratio * (b - a);
        if (log_likelihood(c) > log_likelihood(d)) b = d;
        else a = c;
    }
    return std::exp(0.5 * (a + b));
}

inline GeneCalibration fit_calibration(const Csr<float>& counts, const RatePredictor& predict, const CalibrationOptions& options = {});

namespace detail {

/// Inner MCV deviance of every (model, observed) weight pair in `grid` (gene mean: the rest),
/// one model pass over `split`.
inline std::vector<double> blend_deviances(const DenoiseSplit& split, const RatePredictor& predict, const GeneCalibration& trial,
                                           const std::vector<std::pair<double, double>>& grid, Index batch_cells) {
    std::vector<double> total(grid.size(), 0.0);
    double entries = 0;
    const bool all_entries = split.protocol == Protocol::molecular_cross_validation;
    const RowVector<double> shares = trial.shares;
    std::vector<Index> rows;
    for (Index first = 0; first < split.input.rows(); first += batch_cells) {
        const Index n = std::min(batch_cells, split.input.rows() - first);
        rows.resize(std::size_t(n));
        for (Index i = 0; i < n; ++i) rows[std::size_t(i)] = first + i;
        const Csr<float> batch = data::select_rows(split.input, rows);
        Matrix<float> model = predict(batch);
        model.array().rowwise() *= trial.factors.array();
        const Matrix<float> observed(batch);
        for (Index i = 0; i < n; ++i) {
            const double library = batch.row(i).sum();
            const auto add = [&](Index g, double y) {
                const double m = model(i, g), o = observed(i, g), gm = library * shares(g);
                for (std::size_t k = 0; k < grid.size(); ++k) {
                    const double mu = (grid[k].first * m + grid[k].second * o + (1 - grid[k].first - grid[k].second) * gm) * split.target_scale;
                    total[k] += poisson_unit_deviance(y, std::max(mu, 1e-8));
                }
                entries += 1;
            };
            Csr<float>::InnerIterator it(split.target, first + i);
            if (all_entries) {
                for (Index g = 0; g < batch.cols(); ++g) {
                    double y = 0;
                    if (it && it.col() == g) y = it.value(), ++it;
                    add(g, y);
                }
            } else {
                for (; it; ++it) add(it.col(), it.value());
            }
        }
    }
    for (double& t : total) t /= std::max(1.0, entries);
    return total;
}

/// blend's weights: genes_shrunk refitted on Xa of a second split of `counts` (a sample of
/// cells), then every weight pair on a 0.1 grid scored against its Xb. The model alone is kept
/// unless a mixture lowers that deviance by more than `blend_min_gain`, so a model whose
/// predictions fit (its own tissue) is left as it is.
inline void choose_blend(GeneCalibration& c, const Csr<float>& counts, const RatePredictor& predict, const CalibrationOptions& options) {
    c.shares = gene_shares(counts);
    std::vector<Index> cells(static_cast<std::size_t>(counts.rows()));
    std::iota(cells.begin(), cells.end(), Index(0));
    if (counts.rows() > options.blend_max_cells) {
        Rng rng(derive_seed(options.seed ^ 0xb1e4du, 0));
        for (std::size_t i = cells.size() - 1; i > 0; --i) std::swap(cells[i], cells[std::size_t(rng.uniform() * double(i + 1))]);
        cells.resize(std::size_t(options.blend_max_cells));
        std::sort(cells.begin(), cells.end());
    }
    SplitOptions inner_options;
    inner_options.seed = options.seed + 17;
    const DenoiseSplit inner = split_for_denoising(data::select_rows(counts, cells), inner_options);
    CalibrationOptions shrunk = options;
    shrunk.method = Calibration::genes_shrunk;
    GeneCalibration trial = fit_calibration(inner.input, predict, shrunk);
    trial.shares = gene_shares(inner.input);
    std::vector<std::pair<double, double>> grid; // (model, observed); grid[0] is the model alone
    for (int m = 10; m >= 0; --m)
        for (int o = 0; o + m <= 10 && o <= 5; ++o) grid.emplace_back(m / 10.0, o / 10.0);
    const std::vector<double> deviance = blend_deviances(inner, predict, trial, grid, options.batch_cells);
    std::size_t best = 0;
    for (std::size_t k = 1; k < grid.size(); ++k)
        if (deviance[k] < deviance[best]) best = k;
    if (!(deviance[best] < deviance[0] * (1 - options.blend_min_gain))) best = 0;
    c.model_weight = grid[best].first;
    c.observed_weight = grid[best].second;
    c.blend_gain = 1 - deviance[best] / deviance[0];
}

} // namespace detail

/// Per-gene factors for `predict` on `counts` (cells x genes, model gene order).
inline GeneCalibration fit_calibration(const Csr<float>& counts, const RatePredictor& predict, const CalibrationOptions& options) {
    if (!std::isnan(options.prior_counts) && !(options.prior_counts >= 0 && std::isfinite(options.prior_counts)))
        throw Error("fit_calibration: prior_counts must be >= 0 (or NaN: estimated)");
    if (options.batch_cells < 1) throw Error("fit_calibration: batch_cells must be positive");
    GeneCalibration c;
    c.method = options.method;
    c.cells = counts.rows();
    const Index genes = counts.cols();
    c.factors = RowVector<float>::Ones(genes);
    c.observed = RowVector<double>::Zero(genes);
    c.predicted = RowVector<double>::Zero(genes);
    if (options.method == Calibration::none) return c;
    std::vector<Index> rows;
    for (Index first = 0; first < counts.rows(); first += options.batch_cells) {
        const Index n = std::min(options.batch_cells, counts.rows() - first);
        rows.resize(std::size_t(n));
        for (Index i = 0; i < n; ++i) rows[std::size_t(i)] = first + i;
        const Csr<float> batch = data::select_rows(counts, rows);
        const Matrix<float> rates = predict(batch);
        if (rates.rows() != n || rates.cols() != genes) throw Error("fit_calibration: the predictor returned rates of the wrong shape");
        c.predicted += rates.cast<double>().colwise().sum();
        for (Index r = 0; r < n; ++r)
            for (Csr<float>::InnerIterator it(batch, r); it; ++it) c.observed(it.col()) += it.value();
    }
    const bool shrunk = options.method == Calibration::genes_shrunk || options.method == Calibration::blend;
    if (shrunk)
        c.prior_counts = std::isnan(options.prior_counts) ? estimate_prior_counts(c.observed, c.predicted) : options.prior_counts;
    c.prior_estimated = shrunk && std::isnan(options.prior_counts);
    const double k = c.prior_counts;
    for (Index g = 0; g < genes; ++g) {
        const double o = c.observed(g), p = c.predicted(g);
        if (!std::isfinite(p)) throw Error("fit_calibration: the model predicts non-finite rates for gene " + std::to_string(g));
        // A gene the model never predicts keeps factor 1 (nothing to rescale); one the data
        // never shows goes to 0 (genes) or towards the model's level (genes_shrunk).
        c.factors(g) = float(p + k > 0 ? (o + k) / (p + k) : 1.0);
    }
    if (options.method == Calibration::blend) detail::choose_blend(c, counts, predict, options);
    return c;
}

/// Summary for reports: method, k, and the spread of the factors.
inline nlohmann::json calibration_json(const GeneCalibration& c) {
    nlohmann::json j = {{"method", to_string(c.method)}, {"cells", c.cells}};
    if (c.method == Calibration::none) return j;
    if (c.method != Calibration::genes) j["prior_counts"] = c.prior_counts, j["prior_counts_estimated"] = c.prior_estimated;
    if (c.method == Calibration::blend)
        j["model_weight"] = c.model_weight, j["observed_weight"] = c.observed_weight,
        j["gene_mean_weight"] = 1 - c.model_weight - c.observed_weight, j["inner_mcv_gain"] = c.blend_gain;
    std::vector<float> f(c.factors.data(), c.factors.data() + c.factors.size());
    std::sort(f.begin(), f.end());
    if (!f.empty()) j["factor_min"] = f.front(), j["factor_median"] = f[f.size() / 2], j["factor_max"] = f.back();
    j["genes_without_counts"] = (c.observed.array() == 0).count();
    return j;
}

} // namespace scae::transfer
