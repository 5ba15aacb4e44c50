#pragma once
/// @file statistics.hpp
/// @brief The small statistics of the pathway analysis: empirical p-values, Benjamini-Hochberg
/// q-values, mid-ranks, a set's rank AUC, the rank-sum test against random sets (all genes alike
/// or matched within strata) and the AUROC of a score against a truth.

#include "scae/core/error.hpp"
#include "scae/core/types.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <limits>
#include <numeric>
#include <vector>

namespace scae::interpret {

/// The permutation p-value (1 + exceed) / (1 + drawn): `exceed` of `drawn` null scores were at
/// least the observed one. Never zero, so it stays valid with few permutations.
/// @param exceed  null scores at least the observed one
/// @param drawn  null scores drawn
/// @return the p-value, in (0, 1] when `exceed` <= `drawn`
inline double empirical_p(std::size_t exceed, std::size_t drawn) { return double(1 + exceed) / double(1 + drawn); }

/// Benjamini-Hochberg adjusted p-values (q-values) in the order of `p`. NaN entries are not
/// tests: they stay NaN and do not count towards the number of tests.
/// @param p  p-values, NaN for no test
/// @return the q-values, one per entry of `p`
inline std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (!std::isnan(p[i])) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    std::vector<double> q(p.size(), std::numeric_limits<double>::quiet_NaN());
    const double m = double(order.size());
    double running = 1.0; // q_(i) = min over j >= i of p_(j) m / j, walking from the largest p down
    for (std::size_t k = 0; k < order.size(); ++k) {
        const double rank = m - double(k);
        running = std::min(running, p[order[k]] * m / rank);
        q[order[k]] = running;
    }
    return q;
}

/// 1-based ranks of `values` in ascending order, ties sharing their mean rank.
/// @param values  the values to rank (no NaN: they have no order)
/// @return one rank per value, in its order
inline std::vector<double> mid_ranks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
        const double mid = 0.5 * double(i + j) + 1.0;
        for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = mid;
        i = j + 1;
    }
    return ranks;
}

/// The AUC of the genes `set` against all other genes, given every gene's mid-rank (higher rank:
/// more salient): the chance that a set gene outranks an outside gene, ties counting half
/// (Mann-Whitney U / (n (G - n))). 0.5 means no enrichment. NaN for an empty or full set.
/// @param ranks  every gene's mid-rank (mid_ranks())
/// @param set  the set's genes, indices into `ranks`, each once
/// @return the AUC in [0, 1], or NaN
inline double set_rank_auc(const std::vector<double>& ranks, const std::vector<Index>& set) {
    const double n = double(set.size()), total = double(ranks.size());
    if (n == 0 || n >= total) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (Index g : set) sum += ranks[std::size_t(g)];
    return (sum - n * (n + 1) / 2) / (n * (total - n));
}

/// The null of a set's rank sum among `genes` ranked genes when the set is a uniform random
/// draw of its size: the Mann-Whitney U statistic, whose mean and variance are exact for
/// random sets, with the correction for ties (`tie_term` = sum over tied groups of t^3 - t).
struct RankSumNull {
    double genes = 0;    ///< genes ranked
    double tie_term = 0; ///< sum over groups of tied ranks of t^3 - t
};

/// The RankSumNull of a ranking (mid_ranks() output).
/// @param ranks  every gene's mid-rank
/// @return the number of genes and the tie term
inline RankSumNull rank_sum_null(const std::vector<double>& ranks) {
    std::vector<double> sorted(ranks);
    std::sort(sorted.begin(), sorted.end());
    RankSumNull null{double(ranks.size()), 0.0};
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        const double t = double(j - i);
        null.tie_term += t * t * t - t;
        i = j;
    }
    return null;
}

/// A rank-sum test of `set` in a ranking: z and the one-sided p-value that a random set of the
/// same size ranks at least as high. z uses the exact null mean and variance with a continuity
/// correction of 1/2; p is its normal upper tail. The rank sum's null is bounded and less
/// heavy-tailed than the normal, so the normal tail is conservative where p is small: against
/// the exact distribution (sets of 1 to 10 of 30 to 200 genes), p >= the exact p wherever that
/// is below 0.035, and at most 4% below it up to 0.05 (tests/test_interpret_calibration.cpp).
/// p resolves any value a double holds: no permutation floor. NaN for an empty or full set.
struct RankSumTest {
    double auc = 0; ///< set_rank_auc()
    double z = 0;   ///< (U - mean - 1/2) / sd
    double p = 1;   ///< upper normal tail of z
};

/// The RankSumTest of `set` given every gene's mid-rank (`ranks`) and the ranking's `null`.
/// @param ranks  every gene's mid-rank (mid_ranks())
/// @param null  rank_sum_null() of `ranks`
/// @param set  the set's genes, indices into `ranks`, each once
/// @return the AUC, z and p (all NaN for an empty or full set; z 0 and p 1 when every rank ties)
inline RankSumTest rank_sum_test(const std::vector<double>& ranks, const RankSumNull& null, const std::vector<Index>& set) {
    const double n = double(set.size()), g = null.genes;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (n == 0 || n >= g) return {nan, nan, nan};
    double sum = 0;
    for (Index i : set) sum += ranks[std::size_t(i)];
    const double u = sum - n * (n + 1) / 2, m = n * (g - n);
    const double variance = m / 12.0 * ((g + 1) - null.tie_term / (g * (g - 1)));
    RankSumTest t;
    t.auc = u / m;
    if (!(variance > 0)) return {t.auc, 0.0, 1.0};
    t.z = (u - m / 2 - 0.5) / std::sqrt(variance);
    t.p = 0.5 * std::erfc(t.z / std::sqrt(2.0));
    return t;
}

/// Each gene's stratum: `strata` groups of about equal size by `level` (e.g. a gene's mean
/// input), the lowest levels in stratum 0. Tied levels share a stratum (the one of their mid-rank).
/// @param level  one value per gene (no NaN)
/// @param strata  number of strata, at least 1 (fewer genes than strata leave some empty)
/// @return one stratum in [0, strata) per gene
/// @throws Error when `strata` is below 1
inline std::vector<int> quantile_strata(const std::vector<double>& level, int strata) {
    if (strata < 1) throw Error("quantile_strata: " + std::to_string(strata) + " strata, expected at least 1");
    const std::vector<double> ranks = mid_ranks(level);
    const double genes = double(level.size());
    std::vector<int> stratum(level.size());
    for (std::size_t g = 0; g < level.size(); ++g)
        stratum[g] = std::min(strata - 1, int(std::floor((ranks[g] - 1.0) * double(strata) / genes)));
    return stratum;
}

/// The null of a set's rank sum when the set is drawn at random *within strata*: as many genes
/// from each stratum as the set has there, uniformly without replacement. A competitive test
/// that treats all genes as exchangeable calls any set whose genes share a trait that moves
/// their ranks on every node (high expression: large attributions whatever the node does); drawn
/// within expression strata, the random sets share that trait and the set must outrank genes
/// like its own. The rank sum's null moments are exact: per stratum s with N_s genes, mean rank
/// m_s and population central moments v_s (second) and w_s (third), a set with n_s genes there
/// adds n_s m_s to the mean, n_s v_s (N_s - n_s) / (N_s - 1) to the variance and
/// n_s w_s (N_s - n_s) (N_s - 2 n_s) / ((N_s - 1) (N_s - 2)) to the third central moment
/// (sampling without replacement), and the strata are independent.
struct StratifiedRankSumNull {
    std::vector<int> stratum;     ///< each gene's stratum
    std::vector<double> genes;    ///< genes per stratum
    std::vector<double> mean;     ///< mean rank per stratum
    std::vector<double> variance; ///< population variance of the ranks per stratum
    std::vector<double> third;    ///< population third central moment of the ranks per stratum
};

/// The StratifiedRankSumNull of a ranking and its genes' strata.
/// @param ranks  every gene's mid-rank (mid_ranks())
/// @param stratum  every gene's stratum, in [0, strata)
/// @param strata  number of strata
/// @return per-stratum counts, mean ranks and variances
/// @throws Error when the lengths differ or a stratum is out of range
inline StratifiedRankSumNull stratified_rank_sum_null(const std::vector<double>& ranks, const std::vector<int>& stratum, int strata) {
    if (ranks.size() != stratum.size())
        throw Error("stratified_rank_sum_null: " + std::to_string(ranks.size()) + " ranks for " + std::to_string(stratum.size()) +
                    " strata labels");
    StratifiedRankSumNull null{stratum, std::vector<double>(std::size_t(std::max(strata, 0)), 0.0), {}, {}, {}};
    null.mean = null.variance = null.third = null.genes;
    for (std::size_t g = 0; g < ranks.size(); ++g) {
        if (stratum[g] < 0 || stratum[g] >= strata)
            throw Error("stratified_rank_sum_null: gene " + std::to_string(g) + " is in stratum " + std::to_string(stratum[g]) +
                        ", expected one in [0, " + std::to_string(strata) + ")");
        null.genes[std::size_t(stratum[g])] += 1;
        null.mean[std::size_t(stratum[g])] += ranks[g];
    }
    for (std::size_t s = 0; s < null.mean.size(); ++s)
        if (null.genes[s] > 0) null.mean[s] /= null.genes[s];
    for (std::size_t g = 0; g < ranks.size(); ++g) {
        const double d = ranks[g] - null.mean[std::size_t(stratum[g])];
        null.variance[std::size_t(stratum[g])] += d * d;
        null.third[std::size_t(stratum[g])] += d * d * d;
    }
    for (std::size_t s = 0; s < null.variance.size(); ++s)
        if (null.genes[s] > 0) {
            null.variance[s] /= null.genes[s];
            null.third[s] /= null.genes[s];
        }
    return null;
}

/// The rank-sum test of `set` against random sets matched to its strata (StratifiedRankSumNull):
/// z = (rank sum - null mean - 1/2) / null sd, as rank_sum_test(). Ranks within a stratum need
/// not be spread evenly (in the most expressed stratum a few unexpressed-like genes sit far
/// below the rest), so the matched sum can be skewed, and the normal tail alone is then liberal
/// on the heavy side. p is the larger of the normal upper tail and its first Edgeworth
/// correction, Q(z) + phi(z) g (z^2 - 1) / 6 with g the exact skewness: never below the normal
/// tail, and above it where the null's upper tail is heavier (tests/test_interpret_specificity.cpp
/// checks the rate of p < alpha on random sets). With one stratum and no ties there is no skew
/// and the test is rank_sum_test(). The AUC is the set's against all genes (set_rank_auc()).
/// @param ranks  every gene's mid-rank (mid_ranks())
/// @param null  stratified_rank_sum_null() of `ranks`
/// @param set  the set's genes, indices into `ranks`, each once
/// @return the AUC, z and p (all NaN for an empty or full set; z 0 and p 1 when no matched
/// random set differs from it)
inline RankSumTest stratified_rank_sum_test(const std::vector<double>& ranks, const StratifiedRankSumNull& null,
                                            const std::vector<Index>& set) {
    const double n = double(set.size()), g = double(ranks.size());
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (n == 0 || n >= g) return {nan, nan, nan};
    std::vector<double> in_stratum(null.genes.size(), 0.0);
    double sum = 0;
    for (Index i : set) {
        sum += ranks[std::size_t(i)];
        in_stratum[std::size_t(null.stratum[std::size_t(i)])] += 1;
    }
    double mean = 0, variance = 0, third = 0;
    for (std::size_t s = 0; s < in_stratum.size(); ++s) {
        const double k = in_stratum[s], size = null.genes[s];
        mean += k * null.mean[s];
        if (size > 1) variance += k * null.variance[s] * (size - k) / (size - 1);
        if (size > 2) third += k * null.third[s] * (size - k) * (size - 2 * k) / ((size - 1) * (size - 2));
    }
    RankSumTest t;
    t.auc = (sum - n * (n + 1) / 2) / (n * (g - n));
    if (!(variance > 0)) return {t.auc, 0.0, 1.0};
    const double sd = std::sqrt(variance), skewness = third / (variance * sd);
    t.z = (sum - mean - 0.5) / sd;
    const double normal = 0.5 * std::erfc(t.z / std::sqrt(2.0));
    const double density = std::exp(-0.5 * t.z * t.z) / std::sqrt(2.0 * 3.14159265358979323846);
    t.p = std::min(1.0, std::max(normal, normal + density * skewness * (t.z * t.z - 1.0) / 6.0));
    return t;
}

/// The area under the ROC curve of `score` for telling `positive` entries from the others: the
/// chance that a positive outscores a negative, ties counting half. NaN when a class is empty.
/// @param score  one score per entry
/// @param positive  whether each entry is a positive; as long as `score`
/// @return the AUROC in [0, 1], or NaN
/// @throws Error when `score` and `positive` differ in length
inline double auroc(const std::vector<double>& score, const std::vector<bool>& positive) {
    if (score.size() != positive.size())
        throw Error("auroc: " + std::to_string(score.size()) + " scores for " + std::to_string(positive.size()) + " labels");
    const std::vector<double> ranks = mid_ranks(score);
    double sum = 0, positives = 0;
    for (std::size_t i = 0; i < score.size(); ++i)
        if (positive[i]) {
            sum += ranks[i];
            positives += 1;
        }
    const double negatives = double(score.size()) - positives;
    if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
    return (sum - positives * (positives + 1) / 2) / (positives * negatives);
}

} // namespace scae::interpret
