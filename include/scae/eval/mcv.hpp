#pragma once
/// @file mcv.hpp
/// @brief Denoising measured on molecules the denoiser never saw: molecular cross-validation
/// (Batson, Royer & Webber 2019) for counts, a masked protocol for anything else.
///
/// MCV splits every count X into Xa ~ Binomial(X, p) and Xb = X - Xa. For Poisson-like
/// sampling the two halves are independent given the true rates, so a denoiser given Xa can be
/// scored against Xb over *every* entry, zeros included, without the bias of hiding entries
/// (a hidden entry is a zero in the denoiser's input, which punishes any input-dependent
/// predictor). Predictions made at Xa's depth are scaled by (1 - p) / p to Xb's depth.
/// Binomial thinning keeps a negative binomial's shape, so the NB deviance uses the model's
/// dispersions unchanged.
///
/// MCV needs integer counts. Other values (TPM, log-normalised) cannot be thinned; for them the
/// masked protocol hides a fraction of the nonzero entries *and* as many zero entries, and
/// scores only those, labelled as such.
///
/// Scoring runs batch by batch: only one batch of predictions is dense at a time.

#include "scae/core/parallelize.hpp"
#include "scae/core/enum_names.hpp"
#include "scae/core/error.hpp"
#include "scae/core/types.hpp"
#include "scae/core/random.hpp"
#include "scae/data/subset.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace scae::eval {

/// A denoiser as the scoring sees it: expected counts (cells x genes, dense) of a batch of
/// cells, predicted from that batch's counts alone (at the batch's depth).
using RatePredictor = std::function<Matrix<float>(const Csr<float>& batch)>;

/// How the held-back data were made.
enum class Protocol {
    molecular_cross_validation, ///< binomial thinning of integer counts; all entries scored
    masked,                     ///< hidden nonzeros plus as many sampled zeros; only those scored
};

/// The protocols' names in reports.
inline constexpr EnumNames<Protocol, 2> protocol_names{
    {{Protocol::molecular_cross_validation, "molecular_cross_validation"}, {Protocol::masked, "masked_nonzeros_and_zeros"}}};

/// The protocol's name in reports.
/// @param p the protocol
/// @return "molecular_cross_validation" or "masked_nonzeros_and_zeros"
inline std::string to_string(Protocol p) { return enum_name(p, protocol_names); }

/// The first stored value of `counts` that is not a non-negative integer, described as
/// "value V at cell R, gene C" (0-based), or nothing when all are counts.
/// @param counts the values to check, cells x genes
/// @return the description of the first offending stored value, or std::nullopt
inline std::optional<std::string> first_non_count(const Csr<float>& counts) {
    for (Index r = 0; r < counts.rows(); ++r)
        for (Csr<float>::InnerIterator it(counts, r); it; ++it) {
            const float v = it.value();
            if (!(v >= 0) || !std::isfinite(v) || v != std::floor(v)) {
                std::ostringstream s;
                s << "value " << v << " at cell " << r << ", gene " << it.col();
                return s.str();
            }
        }
    return std::nullopt;
}

/// Settings of `split_for_denoising`.
struct SplitOptions {
    /// MCV: the chance that each molecule goes to the denoiser's input Xa (default 1/2, as in
    /// Batson et al.). Masked protocol: the share of nonzero entries hidden.
    double fraction = 0.5;
    /// Seed of the split; each cell draws from its own stream, so the split of a cell does not
    /// depend on the other cells or on the thread count.
    std::uint64_t seed = 0;
    /// Non-integer data fall back to the masked protocol (default); false: throw scae::Error.
    bool allow_masked = true;
};

/// Data split for scoring a denoiser.
struct DenoiseSplit {
    Protocol protocol = Protocol::molecular_cross_validation; ///< how it was made
    double fraction = 0.5;  ///< SplitOptions::fraction used
    Csr<float> input;       ///< what the denoiser sees: Xa, or the counts with the hidden entries removed
    /// What it is scored against: Xb (MCV), or the hidden entries with their values, sampled
    /// zeros stored as explicit zeros (masked).
    Csr<float> target;
    double target_scale = 1; ///< predictions are multiplied by this: (1 - p) / p for MCV, 1 when masked
    std::string note;        ///< why the masked protocol was used ("" for MCV)
};

namespace detail {

/// Sampler for one cell's stream.
inline Rng cell_rng(std::uint64_t seed, Index cell) {
    return Rng(derive_seed(derive_seed(seed, 0) ^ std::uint64_t(cell), 0));
}

/// Binomial(n, p) by counting successes: exact, portable, and as costly as the count itself
/// (single-cell counts are mostly 1 to 3).
inline std::int64_t binomial_variate(Rng& rng, std::int64_t n, double p) {
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < n; ++i) k += rng.uniform() < p;
    return k;
}

/// Builds a CSR matrix from per-row (column, value) lists, keeping explicit zeros.
inline Csr<float> csr_from_rows(Index rows, Index cols, const std::vector<std::vector<std::pair<int, float>>>& entries) {
    std::vector<Index> lengths(entries.size());
    for (std::size_t r = 0; r < entries.size(); ++r) lengths[r] = Index(entries[r].size());
    Csr<float> out = data::csr_with_row_lengths<float>(rows, cols, lengths);
    for (std::size_t r = 0; r < entries.size(); ++r) {
        int at = out.outerIndexPtr()[r];
        for (const auto& [c, v] : entries[r]) out.innerIndexPtr()[at] = c, out.valuePtr()[at++] = v;
    }
    return out;
}

} // namespace detail

/// Molecular cross-validation split: Xa ~ Binomial(X, fraction) entry by entry, Xb = X - Xa.
/// Throws scae::Error, naming the first offending entry, when `counts` holds a value that is
/// not a non-negative integer, or when fraction is outside (0, 1).
/// @param counts integer counts, cells x genes
/// @param fraction p, the chance that each molecule goes to Xa
/// @param seed seed of the split (one stream per cell: independent of the thread count)
/// @return input Xa, target Xb and target_scale (1 - p) / p
/// @throws Error when a value is not a count or fraction is outside (0, 1)
inline DenoiseSplit thin_counts(const Csr<float>& counts, double fraction, std::uint64_t seed) {
    if (!(fraction > 0 && fraction < 1)) throw Error("thin_counts: fraction must be in (0, 1)");
    if (const auto bad = first_non_count(counts))
        throw Error("molecular cross-validation needs integer counts, but the data hold " + *bad +
                    " (TPM, normalised or log values cannot be split into molecules; use the masked protocol)");
    const std::size_t n = std::size_t(counts.rows());
    std::vector<std::vector<std::pair<int, float>>> a(n), b(n);
    parallelize_each([&](Index r) {
        Rng rng = detail::cell_rng(seed, r);
        for (Csr<float>::InnerIterator it(counts, r); it; ++it) {
            const auto x = std::int64_t(it.value());
            const auto k = detail::binomial_variate(rng, x, fraction);
            if (k > 0) a[std::size_t(r)].emplace_back(int(it.col()), float(k));
            if (x - k > 0) b[std::size_t(r)].emplace_back(int(it.col()), float(x - k));
        }
    }, counts.rows(), 0, 16.0 * double(counts.nonZeros()));
    DenoiseSplit s;
    s.protocol = Protocol::molecular_cross_validation;
    s.fraction = fraction;
    s.input = detail::csr_from_rows(counts.rows(), counts.cols(), a);
    s.target = detail::csr_from_rows(counts.rows(), counts.cols(), b);
    s.target_scale = (1 - fraction) / fraction;
    return s;
}

/// Masked split for data that are not counts: in each cell, each nonzero entry is hidden with
/// chance `fraction`, and as many of the cell's zero entries (uniformly, without replacement)
/// join the hidden set, so a predictor is judged on where expression is absent as well as
/// present. Negative or non-finite values are an error.
/// @param values non-negative expression values, cells x genes
/// @param fraction share of each cell's nonzero entries hidden
/// @param seed seed of the mask (one stream per cell)
/// @return input without the hidden entries, target holding them (sampled zeros as explicit
/// zeros), target_scale 1
/// @throws Error when a value is negative or non-finite, or fraction is outside (0, 1)
inline DenoiseSplit mask_entries(const Csr<float>& values, double fraction, std::uint64_t seed) {
    if (!(fraction > 0 && fraction < 1)) throw Error("mask_entries: fraction must be in (0, 1)");
    const std::size_t n = std::size_t(values.rows());
    std::vector<std::vector<std::pair<int, float>>> visible(n), hidden(n);
    for (Index r = 0; r < values.rows(); ++r) {
        Rng rng = detail::cell_rng(seed, r);
        std::vector<char> stored(std::size_t(values.cols()), 0);
        auto& v = visible[std::size_t(r)];
        auto& h = hidden[std::size_t(r)];
        for (Csr<float>::InnerIterator it(values, r); it; ++it) {
            if (!(it.value() >= 0) || !std::isfinite(it.value()))
                throw Error("masked denoising score: value " + std::to_string(it.value()) + " at cell " + std::to_string(r) +
                            ", gene " + std::to_string(it.col()) + " (expected non-negative expression values)");
            if (it.value() == 0) continue;
            stored[std::size_t(it.col())] = 1;
            if (rng.uniform() < fraction) h.emplace_back(int(it.col()), it.value());
            else v.emplace_back(int(it.col()), it.value());
        }
        // As many zeros as hidden nonzeros (fewer when the cell has fewer zeros): selection sampling.
        Index zeros = values.cols() - Index(std::count(stored.begin(), stored.end(), 1));
        Index wanted = std::min<Index>(Index(h.size()), zeros);
        for (Index c = 0; c < values.cols() && wanted > 0; ++c) {
            if (stored[std::size_t(c)]) continue;
            if (rng.uniform() * double(zeros) < double(wanted)) h.emplace_back(int(c), 0.0f), --wanted;
            --zeros;
        }
        std::sort(h.begin(), h.end());
    }
    DenoiseSplit s;
    s.protocol = Protocol::masked;
    s.fraction = fraction;
    s.input = detail::csr_from_rows(values.rows(), values.cols(), visible);
    s.target = detail::csr_from_rows(values.rows(), values.cols(), hidden);
    s.target_scale = 1;
    return s;
}

/// The split a demanding user expects: MCV for integer counts; for anything else the masked
/// protocol with a note saying why (or scae::Error when `allow_masked` is false).
/// @param values counts or other expression values, cells x genes
/// @param options fraction, seed and whether the masked fallback is allowed
/// @return the split, with its protocol and (masked) the note
/// @throws Error when the data are not counts and `allow_masked` is false, or as thin_counts()
/// and mask_entries() do
inline DenoiseSplit split_for_denoising(const Csr<float>& values, const SplitOptions& options = {}) {
    const auto bad = first_non_count(values);
    if (!bad) return thin_counts(values, options.fraction, options.seed);
    const std::string why = "the data are not integer counts (" + *bad +
                            "), so molecular cross-validation cannot split them into molecules";
    if (!options.allow_masked) throw Error(why);
    DenoiseSplit s = mask_entries(values, options.fraction, options.seed);
    s.note = why + "; scored instead on hidden nonzero entries and an equal number of sampled zero entries";
    return s;
}

/// Settings of `score_denoiser`.
struct ScoreOptions {
    Index batch_cells = 512; ///< cells predicted at once: the only dense block held
    bool per_gene = false;   ///< fill DenoiseScore::gene_deviance
    bool per_cell = false;   ///< fill DenoiseScore::cell_deviance
    /// Genes left out of every score, one flag per gene (empty: none): model genes the target
    /// lacks, whose zeros are absence, not counts.
    std::vector<bool> skip_genes;
};

/// How well a denoiser's predictions match held-back data.
struct DenoiseScore {
    Protocol protocol = Protocol::molecular_cross_validation; ///< the split's protocol
    /// Mean Poisson deviance 2 (y log(y / mu) - (y - mu)) over the scored entries; lower is better.
    double poisson_deviance = 0;
    /// Mean negative binomial deviance with the given per-gene dispersions; NaN without them.
    double nb_deviance = std::numeric_limits<double>::quiet_NaN();
    /// Pearson correlation of log1p(y) with log1p(mu) over the scored entries; higher is better.
    double pearson_log1p = 0;
    Index entries = 0; ///< entries scored (cells x genes for MCV)
    Index cells = 0;   ///< cells scored
    std::vector<double> gene_deviance; ///< mean Poisson deviance per gene (ScoreOptions::per_gene; NaN for unscored genes)
    std::vector<double> cell_deviance; ///< mean Poisson deviance per cell (ScoreOptions::per_cell; NaN for unscored cells)
};

namespace detail {

/// Running mean, variances and covariance of (x, y) pairs, merged batch by batch (Chan et al.)
/// so that millions of cells x thousands of genes lose no precision.
struct Comoments {
    double n = 0, mean_x = 0, mean_y = 0, sxx = 0, syy = 0, sxy = 0;
    void merge(const Comoments& b) {
        if (b.n == 0) return;
        const double total = n + b.n, dx = b.mean_x - mean_x, dy = b.mean_y - mean_y;
        sxx += b.sxx + dx * dx * n * b.n / total;
        syy += b.syy + dy * dy * n * b.n / total;
        sxy += b.sxy + dx * dy * n * b.n / total;
        mean_x += dx * b.n / total;
        mean_y += dy * b.n / total;
        n = total;
    }
    double correlation() const { return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0; }
};

} // namespace detail

/// The Poisson unit deviance of a count.
/// @param y   the observed count
/// @param mu  the predicted rate (positive)
/// @return 2 (y log(y / mu) - (y - mu)), with y log(y / mu) = 0 at y = 0
inline double poisson_unit_deviance(double y, double mu) { return 2 * ((y > 0 ? y * std::log(y / mu) : 0.0) - (y - mu)); }

/// The negative binomial unit deviance of a count.
/// @param y      the observed count
/// @param mu     the predicted mean (positive)
/// @param theta  the dispersion (size; positive)
/// @return 2 (y log(y / mu) - (y + theta) log((y + theta) / (mu + theta)))
inline double nb_unit_deviance(double y, double mu, double theta) {
    return 2 * ((y > 0 ? y * std::log(y / mu) : 0.0) - (y + theta) * std::log((y + theta) / (mu + theta)));
}

/// Scores `predict` on `split`: predictions from split.input, batch by batch, times
/// split.target_scale, against split.target: every entry for MCV, the hidden ones when masked.
/// With `theta` (1 x genes, the NB dispersions of a model with a negative binomial loss) the NB
/// deviance is reported too. Rates are floored at 1e-8 so a zero prediction of a nonzero count
/// is a large, finite penalty.
/// @param split the data, from split_for_denoising()
/// @param predict the denoiser; it sees only batches of split.input
/// @param options batch size and whether to keep per-gene and per-cell deviances
/// @param theta NB dispersions, 1 x genes (not owned; read during the call), or nullptr for
/// no NB deviance
/// @return the mean deviances and log1p correlation over the scored entries
/// @throws Error when shapes disagree, batch_cells < 1, the predictor returns rates of the
/// wrong shape or non-finite rates, or nothing is scored
inline DenoiseScore score_denoiser(const DenoiseSplit& split, const RatePredictor& predict, const ScoreOptions& options = {},
                                   const RowVector<float>* theta = nullptr) {
    const Index cells = split.input.rows(), genes = split.input.cols();
    if (split.target.rows() != cells || split.target.cols() != genes) throw Error("score_denoiser: input and target differ in shape");
    if (theta && theta->size() != genes) throw Error("score_denoiser: one dispersion per gene expected");
    if (!options.skip_genes.empty() && Index(options.skip_genes.size()) != genes) throw Error("score_denoiser: one skip flag per gene expected");
    const auto skipped = [&](Index g) { return !options.skip_genes.empty() && options.skip_genes[std::size_t(g)]; };
    if (options.batch_cells < 1) throw Error("score_denoiser: batch_cells must be positive");
    const bool all_entries = split.protocol == Protocol::molecular_cross_validation;
    DenoiseScore s;
    s.protocol = split.protocol;
    s.cells = cells;
    std::vector<double> gene_sum(std::size_t(genes), 0.0), gene_n(std::size_t(genes), 0.0), cell_sum(std::size_t(cells), 0.0),
        cell_n(std::size_t(cells), 0.0);
    double poisson = 0, nb = 0;
    detail::Comoments log_moments;
    std::vector<Index> rows;
    for (Index first = 0; first < cells; first += options.batch_cells) {
        const Index count = std::min(options.batch_cells, cells - first);
        rows.resize(std::size_t(count));
        for (Index i = 0; i < count; ++i) rows[std::size_t(i)] = first + i;
        const Matrix<float> rates = predict(data::select_rows(split.input, rows));
        if (rates.rows() != count || rates.cols() != genes)
            throw Error("score_denoiser: the predictor returned " + std::to_string(rates.rows()) + " x " + std::to_string(rates.cols()) +
                        " rates for a batch of " + std::to_string(count) + " x " + std::to_string(genes));
        // Two passes over the batch: deviance and means, then centred co-moments.
        detail::Comoments batch;
        double sum_x = 0, sum_y = 0;
        const auto visit = [&](auto&& f) {
            for (Index i = 0; i < count; ++i) {
                const Index r = first + i;
                Csr<float>::InnerIterator it(split.target, r);
                if (all_entries) {
                    for (Index g = 0; g < genes; ++g) {
                        double y = 0;
                        if (it && it.col() == g) y = it.value(), ++it;
                        if (!skipped(g)) f(r, g, y, double(rates(i, g)));
                    }
                } else {
                    for (; it; ++it)
                        if (!skipped(it.col())) f(r, it.col(), double(it.value()), double(rates(i, it.col())));
                }
            }
        };
        visit([&](Index r, Index g, double y, double mu) {
            mu = std::max(mu * split.target_scale, 1e-8);
            if (!std::isfinite(mu)) throw Error("score_denoiser: the predictor returned a non-finite rate");
            const double d = poisson_unit_deviance(y, mu);
            poisson += d;
            if (theta) nb += nb_unit_deviance(y, mu, std::max(double((*theta)(g)), 1e-8));
            gene_sum[std::size_t(g)] += d, gene_n[std::size_t(g)] += 1;
            cell_sum[std::size_t(r)] += d, cell_n[std::size_t(r)] += 1;
            sum_x += std::log1p(y), sum_y += std::log1p(mu), batch.n += 1;
        });
        if (batch.n == 0) continue;
        batch.mean_x = sum_x / batch.n, batch.mean_y = sum_y / batch.n;
        visit([&](Index, Index, double y, double mu) {
            const double a = std::log1p(y) - batch.mean_x, b = std::log1p(std::max(mu * split.target_scale, 1e-8)) - batch.mean_y;
            batch.sxx += a * a, batch.syy += b * b, batch.sxy += a * b;
        });
        log_moments.merge(batch);
    }
    s.entries = Index(log_moments.n);
    if (s.entries == 0) throw Error("score_denoiser: nothing to score (no cells, or no hidden entries)");
    s.poisson_deviance = poisson / log_moments.n;
    if (theta) s.nb_deviance = nb / log_moments.n;
    s.pearson_log1p = log_moments.correlation();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (options.per_gene)
        for (std::size_t g = 0; g < gene_sum.size(); ++g) s.gene_deviance.push_back(gene_n[g] > 0 ? gene_sum[g] / gene_n[g] : nan);
    if (options.per_cell)
        for (std::size_t c = 0; c < cell_sum.size(); ++c) s.cell_deviance.push_back(cell_n[c] > 0 ? cell_sum[c] / cell_n[c] : nan);
    return s;
}

} // namespace scae::eval
