#pragma once
/// @file calibrate.hpp
/// @brief Calibration of a model applied to new data: a foreign model carries its training
/// tissue's gene levels; rescaling its predicted rates to the levels of the data being denoised
/// removes that, without touching the weights.
///
/// For gene g with observed total O_g and predicted total P_g over the cells being denoised:
/// - `genes`: factor O_g / P_g, so each gene's predicted total matches the data exactly;
/// - `genes_shrunk`: the posterior mean (O_g + k) / (P_g + k) of a factor with a Gamma(k, k)
///   prior (mean 1) when O_g ~ Poisson(factor * P_g), the empirical Bayes estimate of a ratio
///   of observed to expected counts (Clayton & Kaldor 1987, Biometrics 43:671). Genes with few
///   counts keep much of the model's own level (a gene seen 0 times is not predicted absent).
///   k maximises the negative binomial marginal likelihood of the O_g, so a model whose levels
///   fit (its own tissue) is shrunk hard towards factor 1 and a foreign one is not.
/// - `groups` (default): genes_shrunk, then the same estimate per gene within each group of
///   similar cells (k-means of the calibrated predicted profiles): a foreign model misses the
///   programs that only the new tissue has, and those are shared by cells of one kind, so the
///   ratio observed / predicted of a gene differs between groups. k is estimated once over all
///   (group, gene) pairs; the groups are used only when they lower the deviance of a molecular
///   cross-validation split *within* the input by more than `group_min_gain`, so a model whose
///   groups already fit (its own tissue) keeps the per-gene factors alone.
/// - `blend`: genes_shrunk, then a mixture a * model + b * the cell's own counts +
///   (1 - a - b) * gene mean (each cell's library times each gene's share of the data), the
///   weights (0.1 grid, b <= 0.5) chosen by molecular cross-validation within the input (on at
///   most `blend_max_cells` cells): the posterior-mean idea of SAVER-like denoisers, with the
///   model as the prior. It lowers the deviance most, but it is a generic shrinkage that also
///   changes a model on its own tissue by 20% (docs/denoising.md), so it is not the default.
/// Everything is fitted on the input alone (under molecular cross-validation: on Xa), so it
/// never sees the counts it is scored against.
///
/// Spread over ranks (`scae denoise --shard`: a SpreadCells, each rank holding a block of the
/// cells), the totals (per gene, per group and gene, gene shares) are partial sums added over
/// the ranks, and the seeded samples of at most `blend_max_cells` cells (the inner split, the
/// cells the groups are found on) are drawn over all cells and gathered on every rank, which then
/// fits the same calibration: on one rank, the one-process calibration bit for bit.

#include "scae/eval/kmeans.hpp"
#include "scae/eval/mcv.hpp"
#include "scae/transfer/spread_cells.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <numeric>

namespace scae::transfer {

/// How predicted rates are rescaled per gene.
enum class Calibration {
    none,         ///< the model's rates as they are
    genes,        ///< observed / predicted total per gene
    genes_shrunk, ///< (observed + k) / (predicted + k) per gene
    blend,        ///< genes_shrunk mixed with the cell's own counts and the gene mean, weights by MCV within the input
    groups,       ///< genes_shrunk, then (observed + k) / (predicted + k) per gene within each group of similar cells
};

/// The methods' names on the command line and in reports.
inline constexpr EnumNames<Calibration, 5> calibration_names{{{Calibration::none, "none"},
                                                              {Calibration::genes, "genes"},
                                                              {Calibration::genes_shrunk, "genes_shrunk"},
                                                              {Calibration::groups, "groups"},
                                                              {Calibration::blend, "blend"}}};

/// Name used on the command line and in reports.
/// @param c the method
/// @return its name, as calibration_from_string() reads it; "unknown" for a value outside the enum
inline std::string to_string(Calibration c) { return enum_name(c, calibration_names); }

/// Parses "none", "genes", "genes_shrunk", "groups" or "blend"; throws scae::Error otherwise.
/// @param name the method's name (as to_string() writes it; case-sensitive)
/// @return the method
/// @throws Error when `name` is none of these
inline Calibration calibration_from_string(const std::string& name) { return enum_from_name(name, calibration_names, "calibration"); }

/// Settings of `fit_calibration`.
struct CalibrationOptions {
    /// Default groups: of the methods that leave a model on its own tissue within 2%, the one
    /// that serves a foreign model best (measured; see docs/denoising.md).
    Calibration method = Calibration::groups;
    /// k of genes_shrunk: counts of evidence a gene needs to move half way to its observed
    /// level; NaN (default): estimated from the data (see estimate_prior_counts).
    double prior_counts = std::numeric_limits<double>::quiet_NaN();
    Index batch_cells = 512;   ///< cells predicted at once while summing
    Index blend_max_cells = 5000; ///< blend, groups: cells (a seeded sample) of the inner split, and that the groups are found on
    double blend_min_gain = 0.02; ///< blend: a mixture must lower the inner MCV deviance by this share to replace the model
    Index groups = 10;            ///< groups: k-means groups of cells (fewer when there are few cells)
    Index group_min_cells = 20;   ///< groups: at least this many cells per group on average (under 2 groups: none)
    double group_min_gain = 0.02; ///< groups: used only if they lower the inner MCV deviance by this share (0: always)
    std::uint64_t seed = 0;       ///< blend, groups: the inner split, the sample and k-means
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
    Matrix<double> group_centroids;         ///< groups: k-means centres of profile_features (empty: no groups)
    Matrix<float> group_factors;            ///< groups: factor per group (rows) and gene, after `factors`
    double group_prior_counts = 0;          ///< groups: k of the within-group factors (estimated)
    double group_gain = 0;                  ///< groups: relative drop of the inner MCV deviance against the per-gene factors
};

/// Each gene's share of all counts in `reference`; a gene absent from it counts as half a
/// count, so every share is positive.
/// @param reference counts, cells x genes
/// @param cells where `reference` lies among cells spread over ranks (default: it is all of them)
/// @return one share per gene (column of `reference`), positive, summing to 1
/// @throws Error when `reference` holds no counts
template <class T = float>
RowVector<double> gene_shares(const Csr<T>& reference, const SpreadCells& cells = {}) {
    RowVector<Double<T>> share = RowVector<Double<T>>::Zero(reference.cols());
    for (Index r = 0; r < reference.rows(); ++r)
        for (typename Csr<T>::InnerIterator it(reference, r); it; ++it) share(it.col()) += it.value();
    cells.sum_arrays(share);
    if (share.sum() <= 0) throw Error("gene_shares: the reference cells hold no counts");
    share = share.cwiseMax(0.5);
    return share / share.sum();
}

/// Whether `method` rescales each gene within groups of similar cells.
/// @param method the calibration method
/// @return true for Calibration::groups
inline bool grouped(Calibration method) { return method == Calibration::groups; }

namespace detail {

/// What groups are made of: log1p of each cell's (calibrated) predicted profile scaled to 10^4,
/// so cells group by what the model says they express, not by depth.
template <class T = float>
Matrix<double> profile_features(const Matrix<T>& rates) {
    Matrix<Double<T>> f = rates.template cast<double>();
    for (Index r = 0; r < f.rows(); ++r) {
        const double total = f.row(r).sum();
        f.row(r) = (f.row(r) * (total > 0 ? 1e4 / total : 0.0)).array().log1p().matrix();
    }
    return f;
}

} // namespace detail

/// Applies `calibration` in place to `rates` predicted from `counts` (same cells and genes).
/// @param rates expected counts, cells x model genes, rescaled in place
/// @param counts the observed counts the rates were predicted from (blend mixes them in)
/// @param calibration factors (and groups or blend weights) from fit_calibration()
/// @throws Error when rates, counts and factors differ in cells or genes
template <class T = float>
void apply_calibration(Matrix<T>& rates, const Csr<T>& counts, const GeneCalibration& calibration) {
    if (calibration.method == Calibration::none) return;
    if (rates.cols() != calibration.factors.size()) throw Error("apply_calibration: rates and factors differ in genes");
    if (rates.rows() != counts.rows()) throw Error("apply_calibration: rates and counts differ in cells");
    rates.array().rowwise() *= calibration.factors.array();
    if (grouped(calibration.method) && calibration.group_centroids.rows() > 0) {
        std::vector<int> group(std::size_t(rates.rows()));
        Vector<Double<T>> distance(rates.rows());
        eval::assign_to_nearest(detail::profile_features(rates), calibration.group_centroids, group, distance);
        for (Index r = 0; r < rates.rows(); ++r) rates.row(r).array() *= calibration.group_factors.row(group[std::size_t(r)]).array();
    }
    if (calibration.method != Calibration::blend || (calibration.model_weight == 1 && calibration.observed_weight == 0)) return;
    const float w = float(calibration.model_weight), v = float(calibration.observed_weight), u = 1 - w - v;
    const RowVector<T> shares = calibration.shares.template cast<T>();
    for (Index r = 0; r < rates.rows(); ++r) {
        rates.row(r) = w * rates.row(r) + u * float(counts.row(r).sum()) * shares;
        for (typename Csr<T>::InnerIterator it(counts, r); it; ++it) rates(r, it.col()) += v * it.value();
    }
}

/// `predict` followed by `calibration` (which must outlive the result).
/// @param predict the uncalibrated predictor, moved into the result
/// @param calibration applied to every batch; held by reference
/// @return a predictor of calibrated rates
template <class T = float>
eval::RatePredictor calibrated(eval::RatePredictor predict, const GeneCalibration& calibration) {
    return [predict = std::move(predict), &calibration](const Csr<T>& batch) {
        Matrix<T> rates = predict(batch);
        apply_calibration(rates, batch, calibration);
        return rates;
    };
}

/// The k of a Gamma(k, k) prior on per-gene factors that best explains observed totals
/// `observed` given predicted totals `predicted`: the maximiser of the marginal likelihood
/// sum_g log NB(O_g; mean P_g, size k), searched on a log grid over [1e-3, 1e6] and refined by
/// golden sections. Genes predicted at zero carry no information and are skipped.
/// @param observed per-gene total counts of the data
/// @param predicted per-gene total of the model's rates on the same cells (same length)
/// @return k, in [1e-3, 1e6]: large when the predicted levels already fit
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

template <class T = float>
GeneCalibration fit_calibration(const Csr<T>& counts, const eval::RatePredictor& predict, const CalibrationOptions& options = {},
                                const SpreadCells& cells = {});

namespace detail {

/// Inner MCV deviance (mean over the scored entries) of every (model, observed) weight pair in
/// `grid`, the gene mean taking the rest, with `trial` applied to the model; one model pass.
template <class T = float>
std::vector<double> mixture_deviances(const eval::DenoiseSplit& split, const eval::RatePredictor& predict, const GeneCalibration& trial,
                                             const std::vector<std::pair<double, double>>& grid, Index batch_cells) {
    std::vector<double> total(grid.size(), 0.0);
    double entries = 0;
    const bool all_entries = split.protocol == eval::Protocol::molecular_cross_validation;
    const RowVector<Double<T>> shares = gene_shares(split.input);
    std::vector<Index> rows;
    for (Index first = 0; first < split.input.rows(); first += batch_cells) {
        const Index n = std::min(batch_cells, split.input.rows() - first);
        rows.resize(std::size_t(n));
        for (Index i = 0; i < n; ++i) rows[std::size_t(i)] = first + i;
        const Csr<T> batch = data::select_rows(split.input, rows);
        Matrix<T> model = predict(batch);
        apply_calibration(model, batch, trial);
        const Matrix<T> observed(batch);
        for (Index i = 0; i < n; ++i) {
            const double library = batch.row(i).sum();
            const auto add = [&](Index g, double y) {
                const double m = model(i, g), o = observed(i, g), gm = library * shares(g);
                for (std::size_t k = 0; k < grid.size(); ++k) {
                    const double mu = (grid[k].first * m + grid[k].second * o + (1 - grid[k].first - grid[k].second) * gm) * split.target_scale;
                    total[k] += eval::poisson_unit_deviance(y, std::max(mu, 1e-8));
                }
                entries += 1;
            };
            typename Csr<T>::InnerIterator it(split.target, first + i);
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

/// A second molecular cross-validation split of the data being calibrated (a seeded sample of
/// at most blend_max_cells cells), on which the data-driven steps are chosen: they never see
/// the counts the calibrated model is later scored against.
template <class T = float>
eval::DenoiseSplit inner_split(const Csr<T>& counts, const CalibrationOptions& options, const SpreadCells& spread = {}) {
    const Index all = spread.all_rows(counts.rows());
    std::vector<Index> cells(static_cast<std::size_t>(all));
    std::iota(cells.begin(), cells.end(), Index(0));
    if (all > options.blend_max_cells) {
        Rng rng(derive_seed(options.seed ^ 0xb1e4du, 0));
        for (std::size_t i = cells.size() - 1; i > 0; --i) std::swap(cells[i], cells[std::size_t(rng.uniform() * double(i + 1))]);
        cells.resize(std::size_t(options.blend_max_cells));
        std::sort(cells.begin(), cells.end());
    }
    eval::SplitOptions inner_options;
    inner_options.seed = options.seed + 17;
    return eval::split_for_denoising(spread.gather(counts, cells), inner_options);
}

/// Inner MCV deviance of `trial` applied to `predict` on `inner`.
template <class T = float>
double inner_deviance(const eval::DenoiseSplit& inner, const eval::RatePredictor& predict, const GeneCalibration& trial, Index batch_cells) {
    return mixture_deviances(inner, predict, trial, {{1.0, 0.0}}, batch_cells)[0];
}

/// Within-group factors: k-means (on at most blend_max_cells cells) of the calibrated
/// profiles, then per group g and gene (O + k) / (P + k) on the totals of the group's cells,
/// k estimated as for genes_shrunk over all (group, gene) pairs: where the model's levels fit
/// every group (its own tissue), k is large and the factors stay near 1.
template <class T = float>
void fit_groups(GeneCalibration& c, const Csr<T>& counts, const eval::RatePredictor& predict, const CalibrationOptions& options,
                const SpreadCells& spread = {}) {
    const Index genes = counts.cols(), all = spread.all_rows(counts.rows());
    const Index k = std::min(options.groups, all / std::max<Index>(1, options.group_min_cells));
    if (k < 2) return;
    GeneCalibration global = c;
    global.method = Calibration::genes_shrunk;
    std::vector<Index> cells(static_cast<std::size_t>(all));
    std::iota(cells.begin(), cells.end(), Index(0));
    if (all > options.blend_max_cells) {
        Rng rng(derive_seed(options.seed ^ 0x9e0u, 0));
        for (std::size_t i = cells.size() - 1; i > 0; --i) std::swap(cells[i], cells[std::size_t(rng.uniform() * double(i + 1))]);
        cells.resize(std::size_t(options.blend_max_cells));
        std::sort(cells.begin(), cells.end());
    }
    const Csr<T> sample = spread.gather(counts, cells);
    Matrix<T> sample_rates = predict(sample);
    apply_calibration(sample_rates, sample, global);
    eval::KMeansOptions km;
    km.restarts = 3;
    km.seed = options.seed;
    c.group_centroids = eval::kmeans(detail::profile_features(sample_rates), k, km).centroids;
    Matrix<Double<T>> observed = Matrix<Double<T>>::Zero(k, genes), predicted = Matrix<Double<T>>::Zero(k, genes);
    std::vector<Index> rows;
    std::vector<int> group;
    Vector<Double<T>> distance;
    for (Index first = 0; first < counts.rows(); first += options.batch_cells) {
        const Index n = std::min(options.batch_cells, counts.rows() - first);
        rows.resize(std::size_t(n));
        for (Index i = 0; i < n; ++i) rows[std::size_t(i)] = first + i;
        const Csr<T> batch = data::select_rows(counts, rows);
        Matrix<T> rates = predict(batch);
        apply_calibration(rates, batch, global);
        group.resize(std::size_t(n));
        distance.resize(n);
        eval::assign_to_nearest(detail::profile_features(rates), c.group_centroids, group, distance);
        for (Index r = 0; r < n; ++r) {
            const int gr = group[std::size_t(r)];
            predicted.row(gr) += rates.row(r).template cast<double>();
            for (typename Csr<T>::InnerIterator it(batch, r); it; ++it) observed(gr, it.col()) += it.value();
        }
    }
    spread.sum_arrays(observed, predicted);
    const Eigen::Map<const RowVector<double>> o(observed.data(), observed.size()), p(predicted.data(), predicted.size());
    c.group_prior_counts = estimate_prior_counts(o, p);
    const double prior = c.group_prior_counts;
    c.group_factors = ((observed.array() + prior) / (predicted.array() + prior)).template cast<T>().matrix();
    for (Index i = 0; i < c.group_factors.size(); ++i)
        if (!std::isfinite(c.group_factors.data()[i])) c.group_factors.data()[i] = 1;
}

/// blend's weights: the same calibration refitted on Xa of an inner split of `counts`, then every
/// weight pair on a 0.1 grid scored against its Xb. The model alone is kept unless a mixture
/// lowers that deviance by more than `blend_min_gain`.
template <class T = float>
void choose_blend(GeneCalibration& c, const Csr<T>& counts, const eval::RatePredictor& predict, const CalibrationOptions& options,
                  const SpreadCells& spread = {}) {
    c.shares = gene_shares(counts, spread);
    const eval::DenoiseSplit inner = inner_split(counts, options, spread);
    CalibrationOptions shrunk = options;
    shrunk.method = Calibration::genes_shrunk;
    const GeneCalibration trial = fit_calibration(inner.input, predict, shrunk);
    std::vector<std::pair<double, double>> grid; // (model, observed); grid[0] is the model alone
    for (int m = 10; m >= 0; --m)
        for (int o = 0; o + m <= 10 && o <= 5; ++o) grid.emplace_back(m / 10.0, o / 10.0);
    const std::vector<double> deviance = mixture_deviances(inner, predict, trial, grid, options.batch_cells);
    std::size_t best = 0;
    for (std::size_t k = 1; k < grid.size(); ++k)
        if (deviance[k] < deviance[best]) best = k;
    if (!(deviance[best] < deviance[0] * (1 - options.blend_min_gain))) best = 0;
    c.model_weight = grid[best].first;
    c.observed_weight = grid[best].second;
    c.blend_gain = 1 - deviance[best] / deviance[0];
}

} // namespace detail

/// Calibration of `predict` on `counts` (cells x genes, model gene order): per-gene factors,
/// then (groups) within-group factors or (blend) mixing weights, as `options.method` says.
/// @param counts the data being calibrated, cells x genes in the model's gene order
/// @param predict the model's rates of a batch of `counts` rows (same genes)
/// @param options method, prior, batch size and the groups/blend settings
/// @param cells where `counts` lies among cells spread over ranks (default: they are all the
/// cells); every rank then calls it with its own block and gets the same calibration
/// @return the fitted factors and what they came from; method none: all factors 1
/// @throws Error when an option is out of range, or the predictor returns rates of the wrong
/// shape or non-finite totals
template <class T>
GeneCalibration fit_calibration(const Csr<T>& counts, const eval::RatePredictor& predict, const CalibrationOptions& options,
                                const SpreadCells& cells) {
    if (!std::isnan(options.prior_counts) && !(options.prior_counts >= 0 && std::isfinite(options.prior_counts)))
        throw Error("fit_calibration: prior_counts must be >= 0 (or NaN: estimated)");
    if (options.batch_cells < 1) throw Error("fit_calibration: batch_cells must be positive");
    if (options.groups < 0 || options.group_min_cells < 1 || !(options.group_min_gain >= 0 && options.group_min_gain < 1))
        throw Error("fit_calibration: groups must be >= 0, group_min_cells >= 1 and group_min_gain in [0, 1)");
    GeneCalibration c;
    c.method = options.method;
    c.cells = cells.all_rows(counts.rows());
    const Index genes = counts.cols();
    c.factors = RowVector<T>::Ones(genes);
    c.observed = RowVector<double>::Zero(genes);
    c.predicted = RowVector<double>::Zero(genes);
    if (options.method == Calibration::none) return c;
    std::vector<Index> rows;
    for (Index first = 0; first < counts.rows(); first += options.batch_cells) {
        const Index n = std::min(options.batch_cells, counts.rows() - first);
        rows.resize(std::size_t(n));
        for (Index i = 0; i < n; ++i) rows[std::size_t(i)] = first + i;
        const Csr<T> batch = data::select_rows(counts, rows);
        const Matrix<T> rates = predict(batch);
        if (rates.rows() != n || rates.cols() != genes) throw Error("fit_calibration: the predictor returned rates of the wrong shape");
        c.predicted += rates.template cast<double>().colwise().sum();
        for (Index r = 0; r < n; ++r)
            for (typename Csr<T>::InnerIterator it(batch, r); it; ++it) c.observed(it.col()) += it.value();
    }
    cells.sum_arrays(c.observed, c.predicted);
    const bool shrunk = options.method != Calibration::genes;
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
    if (grouped(options.method)) {
        bool use = true;
        if (options.group_min_gain > 0 && c.cells >= 2 * options.group_min_cells) {
            // Groups only where they beat the per-gene factors by group_min_gain on an inner split
            // (a sample of the cells, gathered on every rank when they are spread).
            const eval::DenoiseSplit inner = detail::inner_split(counts, options, cells);
            CalibrationOptions o = options;
            o.method = Calibration::genes_shrunk;
            const GeneCalibration plain = fit_calibration(inner.input, predict, o);
            o.method = Calibration::groups;
            o.group_min_gain = 0;
            const GeneCalibration trial = fit_calibration(inner.input, predict, o);
            const double d0 = detail::inner_deviance(inner, predict, plain, options.batch_cells);
            const double d1 = detail::inner_deviance(inner, predict, trial, options.batch_cells);
            c.group_gain = d0 > 0 ? 1 - d1 / d0 : 0;
            use = trial.group_centroids.rows() > 0 && d1 < d0 * (1 - options.group_min_gain);
        }
        if (use) detail::fit_groups(c, counts, predict, options, cells);
    }
    if (options.method == Calibration::blend) detail::choose_blend(c, counts, predict, options, cells);
    return c;
}

/// Summary for reports: method, k, and the spread of the factors.
/// @param c a fitted calibration
/// @return a JSON object: method, cells, and what that method fitted
template <class Json = nlohmann::json>
Json calibration_json(const GeneCalibration& c) {
    Json j = {{"method", to_string(c.method)}, {"cells", c.cells}};
    if (c.method == Calibration::none) return j;
    if (c.method != Calibration::genes) j["prior_counts"] = c.prior_counts, j["prior_counts_estimated"] = c.prior_estimated;
    if (c.method == Calibration::blend)
        j["model_weight"] = c.model_weight, j["observed_weight"] = c.observed_weight,
        j["gene_mean_weight"] = 1 - c.model_weight - c.observed_weight, j["inner_mcv_gain"] = c.blend_gain;
    std::vector<float> f(c.factors.data(), c.factors.data() + c.factors.size());
    std::sort(f.begin(), f.end());
    if (!f.empty()) j["factor_min"] = f.front(), j["factor_median"] = f[f.size() / 2], j["factor_max"] = f.back();
    if (grouped(c.method)) j["groups"] = c.group_centroids.rows(), j["group_prior_counts"] = c.group_prior_counts, j["inner_group_gain"] = c.group_gain;
    j["genes_without_counts"] = (c.observed.array() == 0).count();
    return j;
}

} // namespace scae::transfer
