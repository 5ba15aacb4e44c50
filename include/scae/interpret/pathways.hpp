#pragma once
/// @file pathways.hpp
/// @brief From bottleneck nodes to gene sets: node x set scores, a null of random gene sets of
/// the same size, z-scores, p-values, Benjamini-Hochberg q-values, and group contrasts.
///
/// Two ways to score, both kept by name (docs/interpretation.md has every method's figures):
/// - The default (PathwayOptions{}): each gene's attribution to node i is the integrated
///   gradient from the mean cell, averaged over cells with each cell's weight for the node
///   (activity_weights(): how far the cell raises the node). It says which genes raise the
///   node in the cells that raise it, signed. The score of set j is the AUC of its genes in
///   node i's ranking of all genes by that attribution (a competitive rank test), and p is the
///   rank-sum test's, exact in mean and variance for random sets of the size, with no
///   permutation floor. A pair it calls stays called only when a second test confirms it
///   against random sets matched to the set's genes' expression strata
///   (NullDistribution::confirmed, confirm_calls()): that keeps most sets of abundant genes from
///   being called on nodes that do not use them. Both tests stay available alone
///   (NullDistribution::rank_sum, NullDistribution::matched).
/// - The reference (reference_pathway_options(), Kinalis et al. 2019): guided backprop, the mean
///   over cells of the median |saliency| of node i over the set's genes, and a permutation null.
///
/// With the reference, each gene's |saliency| is first divided by its mean over all nodes and
/// cells (PathwayOptions::normalize_genes): for |saliency| this is what lets planted programs be
/// told apart by node rather than by their genes' overall saliency.
///
/// The steps are free functions with one job each: choose_cells(), observe (summaries and
/// rankings), the null (rank_sum_test(), or draw_median_null() per node), adjust_q_values().
///
/// How the median score stays fast and bounded. A first pass over all nodes gives each gene's mean |saliency|
/// (overall and per group). Then nodes are processed one at a time: the node's |saliency| for
/// every analysed cell is one gene-major matrix (genes x cells), so a set's per-cell medians
/// are a comparator network over whole rows (median_network.hpp), for every cell at once. Null
/// sets are drawn once per set size and shared by all nodes and all sets of that size. A
/// (node, size) pair stops drawing once every set of that size has met `stop_exceedances` null
/// scores at least as high as its own (Besag & Clifford 1991): such a set cannot become
/// significant, and the pairs that can still get all `permutations` draws. The test runs on a
/// seeded subsample of `test_cells` cells (its cost grows with the cells, its information
/// hardly). Memory is the node's genes x cells matrix, which `max_cells` bounds by scoring a
/// seeded subsample of the cells when there are more.
///
/// Its p-values come from each pair's own null (exact; pairs that may still become significant
/// draw up to `max_permutations`) or, for large collections such as GO, from all pairs' null
/// z-scores pooled (PathwayOptions::null).

#include "scae/core/enum_names.hpp"
#include "scae/core/parallelize.hpp"
#include "scae/data/hvg.hpp"
#include "scae/data/random.hpp"
#include "scae/data/subset.hpp"
#include "scae/interpret/gene_set_match.hpp"
#include "scae/interpret/median_network.hpp"
#include "scae/interpret/node_activity.hpp"
#include "scae/interpret/statistics.hpp"
#include "scae/interpret/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace scae::interpret {

/// How a node x gene-set pair is scored.
enum class SetScore {
    median_saliency, ///< mean over cells of the median |saliency| over the set's genes (the reference's score)
    rank_auc         ///< AUC of the set's genes against all others in the node's mean-|saliency| ranking
};

/// The scores' names in reports and on the command line.
inline constexpr EnumNames<SetScore, 2> set_score_names{{{SetScore::median_saliency, "median"}, {SetScore::rank_auc, "rank_auc"}}};

/// The score's name in reports and on the command line: "median" or "rank_auc".
/// @param s  the score
/// @return its name
inline std::string to_string(SetScore s) { return enum_name(s, set_score_names); }

/// Parses "median" or "rank_auc"; throws scae::Error otherwise.
/// @param name  a score name, as to_string() writes it
/// @return the score
inline SetScore set_score_from_string(const std::string& name) { return enum_from_name(name, set_score_names, "set score"); }

/// Which null distribution the p-values come from.
enum class NullDistribution {
    per_set,  ///< each pair's own random sets: exact, but p is never below 1 / (1 + draws)
    pooled,   ///< every pair's null z-scores together (as GSEA's FDR pools them): p below 1 / (1 + permutations)
    rank_sum, ///< rank score only: the rank-sum test against random sets (rank_sum_test()), no draws, no floor
    /// rank score only: the rank-sum test against random sets matched to the set's genes'
    /// expression strata (stratified_rank_sum_test()), no draws, no floor
    matched,
    /// rank score only, the default: the rank-sum test's z, p and q, and a pair called by it
    /// (q < PathwayOptions::alpha) stays called only when the matched test confirms it:
    /// Benjamini-Hochberg of the matched p over the called pairs (confirm_calls())
    confirmed
};

/// The nulls' names in reports and on the command line.
inline constexpr EnumNames<NullDistribution, 5> null_distribution_names{{{NullDistribution::per_set, "per-set"},
                                                                         {NullDistribution::pooled, "pooled"},
                                                                         {NullDistribution::rank_sum, "rank-sum"},
                                                                         {NullDistribution::matched, "matched"},
                                                                         {NullDistribution::confirmed, "confirmed"}}};

/// Whether a null is one of the rank-sum tests (no draws; the rank score only).
/// @param n  the null
/// @return true for rank_sum, matched and confirmed
inline bool is_rank_sum(NullDistribution n) {
    return n == NullDistribution::rank_sum || n == NullDistribution::matched || n == NullDistribution::confirmed;
}

/// The null's name in reports and on the command line: "per-set", "pooled", "rank-sum",
/// "matched" or "confirmed".
/// @param n  the null
/// @return its name
inline std::string to_string(NullDistribution n) { return enum_name(n, null_distribution_names); }

/// Parses "per-set", "pooled", "rank-sum", "matched" or "confirmed"; throws scae::Error otherwise.
/// @param name  a null's name, as to_string() writes it
/// @return the null
inline NullDistribution null_distribution_from_string(const std::string& name) {
    return enum_from_name(name, null_distribution_names, "null distribution");
}

/// How a node's saliency is averaged over cells into one attribution per gene.
enum class CellWeighting {
    uniform, ///< mean |saliency| over all cells (the reference's)
    activity ///< signed saliency averaged with each cell's activity_weights() for the node
};

/// The weightings' names in reports and on the command line.
inline constexpr EnumNames<CellWeighting, 2> cell_weighting_names{{{CellWeighting::uniform, "uniform"}, {CellWeighting::activity, "activity"}}};

/// The weighting's name in reports and on the command line: "uniform" or "activity".
/// @param w  the weighting
/// @return its name
inline std::string to_string(CellWeighting w) { return enum_name(w, cell_weighting_names); }

/// Parses "uniform" or "activity"; throws scae::Error otherwise.
/// @param name  a weighting's name, as to_string() writes it
/// @return the weighting
inline CellWeighting cell_weighting_from_string(const std::string& name) {
    return enum_from_name(name, cell_weighting_names, "cell weighting");
}

/// Settings of score_pathways().
struct PathwayOptions {
    /// Saliency method (default integrated gradients from the mean cell, 64 steps).
    SaliencyOptions saliency = [] {
        SaliencyOptions s;
        s.method = Method::integrated_gradients;
        s.baseline = Baseline::mean_cell;
        return s;
    }();
    CellWeighting weighting = CellWeighting::activity; ///< how cells are averaged (default activity)
    SetScore score = SetScore::rank_auc;        ///< the node x set score (default rank AUC)
    std::size_t min_genes = 10;                 ///< sets with fewer model genes are not scored (default 10)
    std::size_t permutations = 1000;            ///< random sets per (node, set size) (default 1000)
    /// Per-set null: a (node, size) pair whose sets have not all met `stop_exceedances` after
    /// `permutations` draws may still be significant, so it keeps drawing up to this many
    /// (sequential, as Besag & Clifford 1991); p then resolves down to 1 / (1 + max_permutations)
    /// where it is small, at the cost of the few pairs that need it. 0: no more than `permutations`.
    /// Default 0.
    std::size_t max_permutations = 0;
    /// Stop drawing for a (node, size) pair once each of its sets has this many null scores at
    /// least as high as its own: its p-value is then at least about this / permutations and
    /// cannot become small. 0 draws every permutation for every pair. Default 10.
    std::size_t stop_exceedances = 10;
    std::size_t permutation_batch = 20;         ///< null sets drawn at a time, also the fewest per pair (default 20)
    std::uint64_t seed = 42;                    ///< null sets and the cell subsample
    int threads = 1;                            ///< threads for all the work (default 1; 0: OpenMP's default); results do not depend on it
    /// Where p comes from (default rank-sum: the rank-sum test against random sets of the set's
    /// size). `confirmed` keeps only the calls that the matched test (random sets within the set's
    /// expression strata, `expression_strata`) confirms: half as many calls of sets of merely
    /// abundant genes on the simulator, but it lost the interferon response on stimulated cells
    /// that rank-sum names (docs/interpretation.md), so it is not the default. The rank-sum tests need no
    /// draws and have no floor. With many pairs, per-set p-values cannot pass Benjamini-Hochberg:
    /// 1,000 permutations give p >= 1/1001, and 64 nodes x 2,000 GO sets make q >= 0.05 for all
    /// unless ~2,500 pairs reach that floor. The pooled null compares each pair's z with the
    /// z-scores of all null draws of all pairs (each draw standardised by its own pair's null mean
    /// and sd), so its resolution is 1 / (1 + all draws). It assumes that standardised null
    /// scores are alike across set sizes and nodes.
    NullDistribution null = NullDistribution::rank_sum;
    /// The matched and confirmed nulls: genes are cut into this many strata of equal size by
    /// their mean model input over the analysed cells (their expression level), and a set is
    /// compared with random sets holding as many genes of each stratum as it does. Abundant genes
    /// get large attributions, both ways, on nodes that do not use them; a test that treats all
    /// genes alike calls sets of them (docs/interpretation.md: 70 of 96 such decoys on the
    /// simulator). 1 is the rank-sum test. Default 10.
    int expression_strata = 10;
    /// The confirmed null: the q-value below which the rank-sum test calls a pair, each such
    /// call then to be confirmed by the matched test at the same level. Use the threshold calls
    /// are read at (scae pathways --alpha). In (0, 1]; default 0.05.
    double alpha = 0.05;
    /// Divide each gene's attribution by its mean |saliency| over all nodes and cells before
    /// scoring. A gene's overall scale (its expression level, the norm of its input weights) is
    /// shared by every node, so raw |saliency| ranks the same high-scale sets first on every node;
    /// divided out, what remains is how specific a node is to a set. A constant per gene, applied
    /// alike to real and random sets, so the null stays exact. The default's activity-weighted
    /// integrated gradients need no such division: each gene's attribution is its share of the
    /// node's rise (they sum to it), which a gene's overall scale does not inflate on every node,
    /// and dividing it out lifts the genes that hardly move any node (docs/interpretation.md has
    /// both). Default off; reference_pathway_options() turns it on.
    bool normalize_genes = false;
    /// Score at most this many cells, a seeded random subsample when there are more (memory is
    /// genes x max_cells values); 0 scores every cell. Default 5000.
    Index max_cells = 5000;
    /// A node is silent when its activation's standard deviation over the analysed cells is
    /// below this fraction of the median node's (silent_nodes()). Silent nodes are scored but
    /// left out of Benjamini-Hochberg (their q is NaN): such a node carries almost nothing about
    /// these cells, yet its saliency still follows the first layer's weights, which the other
    /// nodes trained, so its calls would describe the first layer rather than the node (on PBMC
    /// with 5,000 genes, 27 of 38 calls fell on silent nodes). Leaving them out is independent filtering: a
    /// node's activation says nothing about which genes a random set holds. 0 tests every node.
    /// Default 0.05. With groups, a node whose AUC for some group is at least `marker_auc` is
    /// never silent (silent_nodes()).
    double silent_fraction = 0.05;
    /// With groups, a node that marks a group this well (NodeActivity AUC) is never silent
    /// (default 0.9).
    double marker_auc = 0.9;
    /// Run the permutation test (z, p) on at most this many of the scored cells, a seeded
    /// subsample: the null's cost grows with the cells, while the spread of a set's score over
    /// random sets comes from the choice of genes, which a few hundred cells already average
    /// well. The test compares like with like (observed and null on the same cells), so it
    /// stays exact; `score` is still the mean over all scored cells. 0: all. Default 500.
    Index test_cells = 500;
};

/// The score of one group of cells against all the others, for every node and set.
struct GroupContrast {
    std::string group;       ///< the group's label
    Index cells = 0;         ///< analysed cells in the group
    Matrix<double> in_group; ///< nodes x sets: the score on the group's cells
    Matrix<double> rest;     ///< nodes x sets: the score on the other cells
};

/// The reference method of Kinalis et al. (2019) as this library runs it: guided backprop,
/// mean |saliency| over cells, the median score and each pair's own permutation null, with
/// each gene's |saliency| divided by its mean (normalize_genes; off gives the paper's raw score).
/// @return the options; the others keep PathwayOptions' defaults
inline PathwayOptions reference_pathway_options() {
    PathwayOptions o;
    o.saliency = SaliencyOptions{};
    o.weighting = CellWeighting::uniform;
    o.score = SetScore::median_saliency;
    o.null = NullDistribution::per_set;
    o.normalize_genes = true;
    return o;
}

/// Everything score_pathways() finds.
struct PathwayResult {
    std::vector<MatchedSet> sets;      ///< scored sets (columns of the matrices), in input order
    std::vector<MatchedSet> too_small; ///< sets left out for having fewer than min_genes model genes
    std::vector<MatchedSet> covering;  ///< sets left out for holding every model gene (MatchedSets::covering)
    Matrix<double> score;              ///< nodes x sets
    Matrix<double> z;                  ///< (statistic - null mean) / null sd, on the test cells
    Matrix<double> null_mean;          ///< the mean score of the pair's random sets, on the test cells
    Matrix<double> p;                  ///< p-value: empirical (1 + #null >= statistic) / (1 + #null), or the rank-sum test's
    Matrix<double> q;                  ///< Benjamini-Hochberg q-values over the pairs of nodes that are not silent (NaN for those)
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> permutations; ///< null draws behind z and p
    SaliencySummary summary;           ///< every node's mean |saliency| and mean saliency per gene (raw; weighted with activity weighting)
    /// nodes x genes: the attribution the rank score ranks genes by and top_genes() shows:
    /// mean |saliency| or the activity-weighted signed mean, times `gene_scale`.
    Matrix<double> attribution;
    std::vector<SaliencySummary> group_summaries; ///< the same per group, in the order of `contrasts`
    SaliencySummary ungrouped;         ///< the same over the cells without a group
    RowVector<double> gene_scale;      ///< what each gene's |saliency| was multiplied by before scoring
    RowVector<double> input_sd;        ///< each gene's standard deviation of the model input over the analysed cells
    std::vector<GroupContrast> contrasts; ///< one per group label, in order of first appearance
    NodeActivity activity;             ///< with groups: which groups activate each node
    RowVector<double> activation_sd;   ///< each node's standard deviation of activation over the analysed cells
    std::vector<Index> silent;         ///< silent nodes (PathwayOptions::silent_fraction), left out of the q-values
    std::vector<Index> cells;          ///< rows of the input that were analysed
    Index test_cells = 0;              ///< how many of them the permutation test ran on
    Method method = Method::guided;    ///< the saliency method used
    Baseline baseline = Baseline::zeros; ///< its baseline (integrated gradients)
    CellWeighting weighting = CellWeighting::uniform; ///< how cells were averaged
    SetScore score_kind = SetScore::median_saliency; ///< the score used
    NullDistribution null = NullDistribution::rank_sum; ///< where p came from
    /// Each gene's expression stratum (quantile_strata() of `input_mean`), which the matched test
    /// draws within; empty with the nulls other than matched and confirmed.
    std::vector<int> stratum;
    /// nodes x sets: the matched test's p (stratified_rank_sum_test()), with the matched and
    /// confirmed nulls; empty otherwise.
    Matrix<double> matched_p;
    RowVector<double> input_mean;      ///< each gene's mean model input over the analysed cells
    /// nodes x sets, with activity weighting (empty otherwise): which way the set raises the node,
    /// as presence_share() of its genes' positive attributions. Near 1 the set's presence raises
    /// the node (its genes are up in the node's cells); near 0 its absence does (its genes are
    /// down there and lower the node where present). NaN where no gene of the set has a positive
    /// attribution.
    Matrix<double> presence;
    std::size_t pooled_draws = 0;      ///< with the pooled null: how many null z-scores it holds
};

namespace detail {

/// Random gene sets of one size, drawn on demand and kept: the same draws serve every node.
class NullSets {
public:
    NullSets(std::size_t size, Index genes, std::uint64_t seed)
        : size_(size), rng_(derive_seed(seed ^ (0x9e3779b97f4a7c15ULL * (size + 1)), 0)), pool_(std::size_t(genes)) {
        std::iota(pool_.begin(), pool_.end(), Index(0));
    }

    /// Makes sure at least `count` sets exist (draws are kept: a set is drawn once for all nodes).
    void reserve(std::size_t count) {
        while (sets_.size() < count) {
            // A partial Fisher-Yates shuffle of the (persistent) pool: a uniform draw each time.
            for (std::size_t i = 0; i < size_; ++i) std::swap(pool_[i], pool_[i + rng_.below(pool_.size() - i)]);
            std::vector<Index> set(pool_.begin(), pool_.begin() + std::ptrdiff_t(size_));
            std::sort(set.begin(), set.end()); // ascending rows read faster
            sets_.push_back(std::move(set));
        }
    }

    /// Set number `i` (after reserve(i + 1)).
    const std::vector<Index>& operator[](std::size_t i) const { return sets_[i]; }

private:
    std::size_t size_;
    Rng rng_;
    std::vector<Index> pool_;
    std::vector<std::vector<Index>> sets_;
};

/// The pooled null: z-scores of null draws counted in bins 1/512 wide over [-64, 64) (the end
/// bins take what falls outside). Counting the whole bin of an observed z as reaching it makes p
/// conservative by less than 1/512 in z, at a fixed 512 KiB however many draws.
class PooledNull {
public:
    PooledNull() : counts_(bins, 0) {}

    void add(double z) {
        ++counts_[bin(z)];
        ++draws_;
    }
    std::size_t draws() const { return draws_; }

    /// (1 + #null z-scores >= z) / (1 + #null), for any number of calls after the last add().
    double p(double z) {
        if (!summed_) { // counts_ becomes "at least this bin"
            for (std::size_t b = bins - 1; b-- > 0;) counts_[b] += counts_[b + 1];
            summed_ = true;
        }
        return (1.0 + double(counts_[bin(z)])) / (1.0 + double(draws_));
    }

private:
    static constexpr std::size_t bins = 128 * 512;
    static std::size_t bin(double z) {
        const double at = std::floor((z + 64.0) * 512.0);
        return at <= 0 ? 0 : at >= double(bins - 1) ? bins - 1 : std::size_t(at);
    }
    std::vector<std::uint64_t> counts_;
    std::size_t draws_ = 0;
    bool summed_ = false;
};

/// Per-cell medians over `genes` of the gene-major `values` (genes x cells) into `out`.
template <class T>
void set_medians(const Matrix<T>& values, const std::vector<Index>& genes, const MedianNetwork& network,
                 std::vector<T>& scratch, std::vector<T>& out) {
    const Index cells = values.cols();
    scratch.resize(genes.size() * std::size_t(cells));
    out.resize(std::size_t(cells));
    for (std::size_t i = 0; i < genes.size(); ++i)
        std::copy_n(values.row(genes[i]).data(), cells, scratch.data() + i * std::size_t(cells));
    network.median(scratch.data(), cells, out.data());
}

/// The median score of a method whose maps vanish with the input is 0 in every cell that
/// expresses fewer than half of a set's genes. Where that is most cells, a set's score counts
/// its expressed genes: random sets score about 0, and any set of well-expressed genes looks
/// significant on every node (on PBMC, one set on all 64 nodes with z up to 1,561). Throws
/// scae::Error then, naming the scores that do work.
template <class T>
void check_median_is_informative(const Csr<T>& counts, Method method) {
    std::vector<double> expressed(std::size_t(counts.rows()));
    for (Index c = 0; c < counts.rows(); ++c) {
        Index nonzero = 0;
        for (typename Csr<T>::InnerIterator it(counts, c); it; ++it) nonzero += it.value() != T(0);
        expressed[std::size_t(c)] = double(nonzero) / double(std::max<Index>(1, counts.cols()));
    }
    if (expressed.empty()) return;
    const double median = data::median(std::move(expressed));
    if (median >= 0.5) return;
    throw Error("score_pathways: the median score does not work with " + to_string(method) +
                " here: its maps are zero wherever a gene is not expressed, and the median cell expresses " +
                std::to_string(int(std::lround(100 * median))) +
                "% of the model's genes, so a set's median is 0 in most cells and its score counts expressed genes "
                "rather than the node. Use the rank score (--score rank_auc) or a gradient method (guided, vanilla, "
                "or ig with --baseline mean)");
}

} // namespace detail

/// How many tested node x set pairs (q not NaN) have the smallest p-value their own random sets allow,
/// 1 / (1 + draws): more permutations could make them smaller. Benjamini-Hochberg over m pairs
/// needs p near alpha / m for a lone strong pair, so with the per-set null a few pairs at this
/// floor often mean that the permutations, not the data, kept q above alpha.
/// @param r  the result of score_pathways()
/// @return the number of such pairs; meaningful for the per-set null only (with the rank-sum
/// null no pair has draws, so every tested pair counts)
inline std::size_t pairs_at_p_floor(const PathwayResult& r) {
    std::size_t n = 0;
    for (Index i = 0; i < r.p.size(); ++i)
        n += !std::isnan(r.q.data()[i]) && r.p.data()[i] * (1.0 + double(r.permutations.data()[i])) <= 1.0 + 1e-9;
    return n;
}

/// The rows to analyse out of `rows`: all of them, or a seeded random subsample of `most` in
/// ascending order when there are more (`most` 0: all).
/// @param rows  rows to choose from (0 or less: none)
/// @param most  most rows to keep, 0 for all
/// @param seed  seed of the subsample; the same seed picks the same rows
/// @return row indices, ascending
inline std::vector<Index> choose_cells(Index rows, Index most, std::uint64_t seed) {
    std::vector<Index> chosen(std::size_t(std::max<Index>(rows, 0)));
    std::iota(chosen.begin(), chosen.end(), Index(0));
    if (most > 0 && rows > most) {
        Rng rng(seed);
        rng.shuffle(chosen);
        chosen.resize(std::size_t(most));
        std::sort(chosen.begin(), chosen.end());
    }
    return chosen;
}

namespace detail {

/// The per-gene values a node's ranking uses (see PathwayResult::attribution).
inline RowVector<double> node_attribution(const SaliencySummary& s, Index k, CellWeighting weighting, const RowVector<double>& scale) {
    return (weighting == CellWeighting::activity ? s.weighted.row(k) : s.mean_abs.row(k)).cwiseProduct(scale);
}

/// Mid-ranks of a row vector.
inline std::vector<double> ranks_of(const RowVector<double>& values) {
    return mid_ranks(std::vector<double>(values.data(), values.data() + values.size()));
}

/// Sets grouped by their number of genes, which is all the null depends on.
using SetsBySize = std::map<std::size_t, std::vector<std::size_t>>;

/// One node's null for the rank score by drawing random sets (per-set or pooled): z, the null
/// mean, the p-value and the draws of every set into row `k` of `r`.
inline void draw_rank_null(PathwayResult& r, Index k, const std::vector<double>& ranks, const SetsBySize& sets_of_size,
                           std::map<std::size_t, NullSets>& null_sets, const PathwayOptions& options, PooledNull* pooled);

/// Mean and sample sd of one size's null scores; with a pooled null, their z-scores join it.
inline std::pair<double, double> null_moments(const std::vector<double>& null_scores, PooledNull* pooled) {
    const double n = double(null_scores.size());
    const double mean = std::accumulate(null_scores.begin(), null_scores.end(), 0.0) / n;
    double squares = 0;
    for (double s : null_scores) squares += (s - mean) * (s - mean);
    const double sd = n > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
    if (pooled && sd > 0)
        for (double draw : null_scores) pooled->add((draw - mean) / sd);
    return {mean, sd};
}

/// The median score's null of one node, size by size: random sets are scored on the test cells
/// in batches until every set of the size is decided (Besag & Clifford), or up to
/// `max_permutations` while some may still be significant. `tested` is the node's scaled
/// |saliency| on the test cells (genes x cells), `observed` each set's score on them.
template <class T>
void draw_median_null(PathwayResult& r, Index k, const Matrix<T>& tested, const std::vector<double>& observed,
                      const SetsBySize& sets_of_size, const std::map<std::size_t, MedianNetwork>& networks,
                      std::map<std::size_t, NullSets>& null_sets, const PathwayOptions& options, PooledNull* pooled) {
    const std::size_t most = std::max(options.permutations, options.max_permutations);
    for (const auto& [size, members] : sets_of_size) {
        NullSets& draws = null_sets.at(size);
        const MedianNetwork& network = networks.at(size);
        std::vector<std::size_t> exceed(members.size(), 0);
        std::vector<double> null_scores;
        while (null_scores.size() < most) {
            const std::size_t from = null_scores.size();
            const std::size_t batch = std::min(options.permutation_batch, most - from);
            draws.reserve(from + batch);
            null_scores.resize(from + batch);
            parallelize([&](int, Index start, Index length) {
                std::vector<T> gathered, medians;
                for (Index b = start; b < start + length; ++b) {
                    set_medians(tested, draws[from + std::size_t(b)], network, gathered, medians);
                    double total = 0;
                    for (T m : medians) total += double(m);
                    null_scores[from + std::size_t(b)] = total / double(tested.cols());
                }
            }, Index(batch), 0, double(batch) * double(size) * double(tested.cols()));
            bool decided = options.stop_exceedances > 0;
            for (std::size_t m = 0; m < members.size(); ++m) {
                for (std::size_t b = from; b < from + batch; ++b) exceed[m] += null_scores[b] >= observed[members[m]];
                decided = decided && exceed[m] >= options.stop_exceedances;
            }
            if (decided || (null_scores.size() >= options.permutations && options.stop_exceedances == 0)) break;
        }
        const auto [mean, sd] = null_moments(null_scores, pooled);
        for (std::size_t m = 0; m < members.size(); ++m) {
            const Index j = Index(members[m]);
            r.z(k, j) = sd > 0 ? (observed[members[m]] - mean) / sd : 0.0;
            r.null_mean(k, j) = mean;
            r.p(k, j) = empirical_p(exceed[m], null_scores.size());
            r.permutations(k, j) = Index(null_scores.size());
        }
    }
}

inline void draw_rank_null(PathwayResult& r, Index k, const std::vector<double>& ranks, const SetsBySize& sets_of_size,
                           std::map<std::size_t, NullSets>& null_sets, const PathwayOptions& options, PooledNull* pooled) {
    for (const auto& [size, members] : sets_of_size) {
        NullSets& draws = null_sets.at(size);
        draws.reserve(options.permutations);
        std::vector<double> null_scores(options.permutations);
        for (std::size_t b = 0; b < options.permutations; ++b) null_scores[b] = set_rank_auc(ranks, draws[b]);
        const auto [mean, sd] = null_moments(null_scores, pooled);
        for (std::size_t m : members) {
            std::size_t exceed = 0;
            for (double s : null_scores) exceed += s >= r.score(k, Index(m));
            r.z(k, Index(m)) = sd > 0 ? (r.score(k, Index(m)) - mean) / sd : 0.0;
            r.null_mean(k, Index(m)) = mean;
            r.p(k, Index(m)) = empirical_p(exceed, null_scores.size());
            r.permutations(k, Index(m)) = Index(null_scores.size());
        }
    }
}

/// The mean AUC of random sets matched to `set`'s strata (the matched null's mean).
inline double matched_null_auc(const StratifiedRankSumNull& null, const std::vector<Index>& set, double genes) {
    const double n = double(set.size());
    double mean = 0;
    for (Index g : set) mean += null.mean[std::size_t(null.stratum[std::size_t(g)])];
    return (mean - n * (n + 1) / 2) / (n * (genes - n));
}

/// The rank score of every node and set, its null and the group contrasts, from the summaries.
inline void score_ranks(PathwayResult& r, const SetsBySize& sets_of_size, std::map<std::size_t, NullSets>& null_sets,
                        const PathwayOptions& options, PooledNull* pooled) {
    const Index nodes = r.attribution.rows(), n_sets = Index(r.sets.size());
    // Each group's complement, pooled from the other groups' summaries.
    std::vector<SaliencySummary> rest(r.group_summaries.size());
    for (std::size_t g = 0; g < rest.size(); ++g) {
        std::vector<SaliencySummary> others;
        for (std::size_t h = 0; h < r.group_summaries.size(); ++h)
            if (h != g) others.push_back(r.group_summaries[h]);
        if (r.ungrouped.cells > 0) others.push_back(r.ungrouped);
        rest[g] = pool_summaries(others);
    }
    for (Index k = 0; k < nodes; ++k) {
        const std::vector<double> ranks = ranks_of(r.attribution.row(k));
        const RankSumNull null = rank_sum_null(ranks);
        const bool matched = options.null == NullDistribution::matched, stratified = !r.stratum.empty();
        const StratifiedRankSumNull strata_null =
            stratified ? stratified_rank_sum_null(ranks, r.stratum, options.expression_strata) : StratifiedRankSumNull{};
        for (Index j = 0; j < n_sets; ++j) {
            const std::vector<Index>& genes = r.sets[std::size_t(j)].genes;
            const RankSumTest all_alike = rank_sum_test(ranks, null, genes);
            const RankSumTest like_its_own = stratified ? stratified_rank_sum_test(ranks, strata_null, genes) : RankSumTest{};
            if (stratified) r.matched_p(k, j) = like_its_own.p;
            const RankSumTest& t = matched ? like_its_own : all_alike;
            r.score(k, j) = t.auc;
            if (!is_rank_sum(options.null)) continue;
            r.z(k, j) = t.z;
            r.p(k, j) = t.p;
            r.null_mean(k, j) = matched ? matched_null_auc(strata_null, genes, double(ranks.size())) : 0.5;
        }
        if (!is_rank_sum(options.null)) draw_rank_null(r, k, ranks, sets_of_size, null_sets, options, pooled);
        for (std::size_t g = 0; g < r.contrasts.size(); ++g) {
            const auto in_ranks = ranks_of(node_attribution(r.group_summaries[g], k, options.weighting, r.gene_scale));
            const auto rest_ranks = ranks_of(rest[g].cells > 0 ? node_attribution(rest[g], k, options.weighting, r.gene_scale)
                                                               : RowVector<double>(RowVector<double>::Zero(r.attribution.cols())));
            for (Index j = 0; j < n_sets; ++j) {
                r.contrasts[g].in_group(k, j) = set_rank_auc(in_ranks, r.sets[std::size_t(j)].genes);
                r.contrasts[g].rest(k, j) = set_rank_auc(rest_ranks, r.sets[std::size_t(j)].genes);
            }
        }
    }
}

/// The median score of every node and set with its null and group contrasts: node by node, the
/// node's scaled |saliency| for every analysed cell (gene-major), per-cell medians over each set.
template <class T>
void score_medians(PathwayResult& r, const NodeSaliency<T>& saliency, const std::vector<int>& group_of,
                   const std::vector<Index>& test_columns, const SetsBySize& sets_of_size, std::map<std::size_t, NullSets>& null_sets,
                   const PathwayOptions& options, PooledNull* pooled) {
    const Index nodes = saliency.nodes(), genes = saliency.genes(), cells = saliency.cells();
    const std::size_t n_sets = r.sets.size(), n_groups = r.contrasts.size();
    std::map<std::size_t, MedianNetwork> networks;
    for (const auto& entry : sets_of_size) networks.emplace(entry.first, MedianNetwork(int(entry.first)));
    const RowVector<T> scale = r.gene_scale.cast<T>();
    const Index block_cells = options.saliency.block_cells, blocks = (cells + block_cells - 1) / block_cells;
    Matrix<T> values(genes, cells), test_values;
    std::vector<T> gathered, medians;
    std::vector<double> observed(n_sets); // each set's score on the test cells
    for (Index k = 0; k < nodes; ++k) {
        parallelize([&](int, Index start, Index length) {
            NodeGradients<T> gradients;
            MapScratch<T> map_scratch;
            Matrix<T> map;
            for (Index b = start; b < start + length; ++b) {
                const Index first = b * block_cells, n = std::min(block_cells, cells - first);
                std::vector<Index> block(static_cast<std::size_t>(n));
                std::iota(block.begin(), block.end(), first);
                saliency.gradients(std::move(block), k, 1, gradients);
                saliency.map(gradients, 0, map, map_scratch);
                values.middleCols(first, n) = (map.cwiseAbs().array().rowwise() * scale.array()).matrix().transpose();
            }
        }, blocks);
        if (!test_columns.empty()) test_values = values(Eigen::all, test_columns);
        const Matrix<T>& tested = test_columns.empty() ? values : test_values;
        for (std::size_t j = 0; j < n_sets; ++j) {
            const std::vector<Index>& set = r.sets[j].genes;
            set_medians(values, set, networks.at(set.size()), gathered, medians);
            double total = 0;
            std::vector<double> in_group(n_groups, 0.0);
            for (Index c = 0; c < cells; ++c) {
                total += double(medians[std::size_t(c)]);
                if (group_of[std::size_t(c)] >= 0) in_group[std::size_t(group_of[std::size_t(c)])] += double(medians[std::size_t(c)]);
            }
            r.score(k, Index(j)) = observed[j] = total / double(cells);
            if (!test_columns.empty()) {
                set_medians(tested, set, networks.at(set.size()), gathered, medians);
                observed[j] = std::accumulate(medians.begin(), medians.end(), 0.0) / double(tested.cols());
            }
            for (std::size_t g = 0; g < n_groups; ++g) {
                const Index in = r.contrasts[g].cells;
                r.contrasts[g].in_group(k, Index(j)) = in_group[g] / double(std::max<Index>(1, in));
                r.contrasts[g].rest(k, Index(j)) = (total - in_group[g]) / double(std::max<Index>(1, cells - in));
            }
        }
        draw_median_null(r, k, tested, observed, sets_of_size, networks, null_sets, options, pooled);
    }
}

} // namespace detail

/// Benjamini-Hochberg q-values of `r.p` over the nodes that are not `r.silent` (theirs are NaN).
/// @param r  a result with `p` (nodes x sets) and `silent` filled; `q` is overwritten
inline void adjust_q_values(PathwayResult& r) {
    const Index nodes = r.p.rows(), n_sets = r.p.cols();
    std::vector<char> tested(std::size_t(nodes), 1);
    for (Index k : r.silent) tested[std::size_t(k)] = 0;
    std::vector<double> p_tested;
    for (Index k = 0; k < nodes; ++k)
        if (tested[std::size_t(k)])
            for (Index j = 0; j < n_sets; ++j) p_tested.push_back(r.p(k, j));
    const std::vector<double> adjusted = benjamini_hochberg(p_tested);
    r.q.setConstant(nodes, n_sets, std::numeric_limits<double>::quiet_NaN());
    for (Index k = 0, at = 0; k < nodes; ++k)
        for (Index j = 0; tested[std::size_t(k)] && j < n_sets; ++j) r.q(k, j) = adjusted[std::size_t(at++)];
}

/// The second stage of the confirmed null. The pairs that the first stage calls (q < `alpha`)
/// are tested again, each against random sets matched to its genes' expression strata
/// (`r.matched_p`), with Benjamini-Hochberg over those pairs only; a called pair's q becomes the
/// larger of its two q-values, so it stays called only when both stages call it. The other
/// pairs keep their q. Why two stages: all genes alike, sets whose only trait is high expression
/// are called (abundant genes get large attributions on nodes that do not use them); matched
/// alone, cell-type markers, which are abundant genes themselves, lose most of their power
/// (docs/interpretation.md has both).
/// @param r  a result with `q` (adjust_q_values()) and `matched_p`; `q` is updated
/// @param alpha  the first stage's threshold, in (0, 1]
/// @throws Error when `matched_p` is not nodes x sets
inline void confirm_calls(PathwayResult& r, double alpha) {
    if (r.matched_p.rows() != r.q.rows() || r.matched_p.cols() != r.q.cols())
        throw Error("confirm_calls: matched p is " + std::to_string(r.matched_p.rows()) + " x " + std::to_string(r.matched_p.cols()) +
                    ", expected nodes x sets (" + std::to_string(r.q.rows()) + " x " + std::to_string(r.q.cols()) + ")");
    std::vector<double> called(std::size_t(r.q.size()), std::numeric_limits<double>::quiet_NaN());
    for (Index i = 0; i < r.q.size(); ++i)
        if (r.q.data()[i] < alpha) called[std::size_t(i)] = r.matched_p.data()[i];
    const std::vector<double> confirmed = benjamini_hochberg(called);
    for (Index i = 0; i < r.q.size(); ++i)
        if (r.q.data()[i] < alpha) r.q.data()[i] = std::max(r.q.data()[i], confirmed[std::size_t(i)]);
}

/// Of the positive attribution of a set's genes at a node, the share that comes from genes up in
/// the node's cells (input_shift() > 0): 1 when the set's presence is what raises the node, 0
/// when its absence is.
/// @param attribution  one node's attribution per gene
/// @param shift        that node's input_shift() per gene
/// @param genes        the set's genes (columns)
/// @return the share in [0, 1], or NaN when no gene of the set has a positive attribution
template <class Attribution, class Shift>
double presence_share(const Attribution& attribution, const Shift& shift, const std::vector<Index>& genes) {
    double up = 0, total = 0;
    for (Index g : genes)
        if (attribution(g) > 0) {
            total += attribution(g);
            if (shift(g) > 0) up += attribution(g);
        }
    return total > 0 ? up / total : std::numeric_limits<double>::quiet_NaN();
}

/// Scores every bottleneck node of `model` against every gene set for the cells of raw `counts`
/// (cells x genes in model gene order), with a null and q-values; see the file comment.
/// `gene_symbols` names the model's genes (matched to the sets case-insensitively).
/// `groups` (optional) labels each cell ("" for none): each label gets a contrast of its cells
/// against the rest. `Set` is any type with `name` and `genes` (io::GeneSet).
/// Throws scae::Error when lengths disagree, options do not fit together, or no set has
/// min_genes model genes.
/// @param model  the trained model
/// @param counts  raw counts, cells x genes in model gene order
/// @param gene_symbols  one symbol per model gene, in column order
/// @param gene_sets  the gene sets, e.g. io::read_gmt()'s
/// @param options  the method, score, null and their settings (default: the rank score; see the file comment)
/// @param groups  one label per cell, or empty for no groups (then no contrasts or node activity)
/// @return the scores, statistics and everything behind them
/// @throws Error as said above, and for data whose genes do not match the model
template <class T, class Set>
PathwayResult score_pathways(const nn::Autoencoder<T>& model, const Csr<T>& counts, const std::vector<std::string>& gene_symbols,
                             const std::vector<Set>& gene_sets, const PathwayOptions& options = {},
                             const std::vector<std::string>& groups = {}) {
    if (Index(gene_symbols.size()) != model.genes())
        throw Error("score_pathways: " + std::to_string(gene_symbols.size()) + " gene symbols for a model of " +
                    std::to_string(model.genes()) + " genes");
    if (!groups.empty() && Index(groups.size()) != counts.rows())
        throw Error("score_pathways: " + std::to_string(groups.size()) + " group labels for " + std::to_string(counts.rows()) + " cells");
    if (options.permutations < 1 || options.permutation_batch < 1)
        throw Error("score_pathways: permutations and permutation_batch must be at least 1");
    if (is_rank_sum(options.null) && options.score != SetScore::rank_auc)
        throw Error("score_pathways: the " + to_string(options.null) +
                    " null needs the rank score (rank_auc); the median score takes per-set or pooled");
    if (options.expression_strata < 1)
        throw Error("score_pathways: expression_strata is " + std::to_string(options.expression_strata) + ", expected at least 1");
    if (!(options.alpha > 0 && options.alpha <= 1))
        throw Error("score_pathways: alpha is " + std::to_string(options.alpha) + ", expected a q-value threshold in (0, 1]");
    if (options.weighting == CellWeighting::activity && options.score != SetScore::rank_auc)
        throw Error("score_pathways: activity weighting averages signed attributions, which only the rank score (rank_auc) ranks; "
                    "the median score takes uniform weighting");
    MatchedSets matched = match_gene_sets(gene_sets, gene_symbols, std::max<std::size_t>(options.min_genes, 1));
    if (matched.sets.empty())
        throw Error("score_pathways: none of the " + std::to_string(gene_sets.size()) + " gene sets has at least " +
                    std::to_string(options.min_genes) + " of the model's genes (symbols are compared ignoring case)");

    const ThreadScope thread_scope(options.threads);
    PathwayResult result;
    result.sets = std::move(matched.sets);
    result.too_small = std::move(matched.too_small);
    result.covering = std::move(matched.covering);
    result.method = options.saliency.method;
    result.baseline = options.saliency.baseline;
    result.weighting = options.weighting;
    result.score_kind = options.score;
    result.null = options.null;

    // Choose the cells.
    result.cells = choose_cells(counts.rows(), options.max_cells, options.seed);
    const Csr<T> analysed = Index(result.cells.size()) == counts.rows() ? counts : data::select_rows(counts, result.cells);
    if (options.score == SetScore::median_saliency && vanishes_where_input_is_zero(options.saliency))
        detail::check_median_is_informative(analysed, options.saliency.method);
    std::vector<std::string> labels;
    for (Index c : result.cells) labels.push_back(groups.empty() ? std::string() : groups[std::size_t(c)]);
    std::vector<int> group_of;
    const std::vector<std::string> group_names = detail::group_index(labels, group_of);
    Matrix<double> weights;
    {
        const Matrix<T> latent = model.encode(analysed);
        result.activation_sd = activation_sd(latent);
        if (!group_names.empty()) result.activity = node_activity(latent, labels);
        if (options.weighting == CellWeighting::activity) weights = activity_weights(latent);
    }

    // Observe: per-gene summaries overall and per group (cells without a group form a bucket of
    // their own, so that the buckets pool to all cells), then the gene scale and attributions.
    NodeSaliency<T> saliency(model, analysed, options.saliency);
    const Index nodes = saliency.nodes(), genes = saliency.genes();
    const std::size_t n_sets = result.sets.size(), n_groups = group_names.size();
    {
        std::vector<int> bucket(group_of);
        for (int& b : bucket)
            if (b < 0) b = int(n_groups);
        std::vector<SaliencySummary> parts =
            summarize_node_saliency(saliency, bucket, int(n_groups) + 1, options.saliency.block_cells, weights);
        result.summary = pool_summaries(parts);
        result.group_summaries.assign(parts.begin(), parts.begin() + std::ptrdiff_t(n_groups));
        result.ungrouped = parts.back();
    }
    {
        std::vector<double> means, variances;
        data::column_mean_variance(saliency.input(), means, variances);
        result.input_sd = Eigen::Map<const RowVector<double>>(variances.data(), Index(variances.size())).cwiseSqrt();
        result.input_mean = Eigen::Map<const RowVector<double>>(means.data(), Index(means.size()));
        if (options.null == NullDistribution::matched || options.null == NullDistribution::confirmed) {
            result.stratum = quantile_strata(means, options.expression_strata);
            result.matched_p.setConstant(nodes, Index(n_sets), std::numeric_limits<double>::quiet_NaN());
        }
    }
    result.gene_scale = RowVector<double>::Ones(genes);
    if (options.normalize_genes) {
        const RowVector<double> mean = result.summary.mean_abs.colwise().mean();
        for (Index g = 0; g < genes; ++g) result.gene_scale(g) = mean(g) > 0 ? 1.0 / mean(g) : 0.0;
    }
    result.attribution.resize(nodes, genes);
    for (Index k = 0; k < nodes; ++k)
        result.attribution.row(k) = detail::node_attribution(result.summary, k, options.weighting, result.gene_scale);
    if (weights.size() > 0) { // activity weighting: which way each set raises each node
        const Matrix<double> shift = input_shift(saliency.input(), weights);
        result.presence.resize(nodes, Index(n_sets));
        for (Index k = 0; k < nodes; ++k)
            for (std::size_t j = 0; j < n_sets; ++j)
                result.presence(k, Index(j)) = presence_share(result.attribution.row(k), shift.row(k), result.sets[j].genes);
    }

    result.score.setZero(nodes, Index(n_sets));
    result.z = result.null_mean = result.p = result.score;
    result.permutations.setZero(nodes, Index(n_sets));
    for (std::size_t g = 0; g < n_groups; ++g)
        result.contrasts.push_back({group_names[g], result.group_summaries[g].cells, Matrix<double>::Zero(nodes, Index(n_sets)),
                                    Matrix<double>::Zero(nodes, Index(n_sets))});

    // Score and draw the null: one stream of null sets per size, shared by every node.
    detail::SetsBySize sets_of_size;
    for (std::size_t j = 0; j < n_sets; ++j) sets_of_size[result.sets[j].genes.size()].push_back(j);
    std::map<std::size_t, detail::NullSets> null_sets;
    for (const auto& entry : sets_of_size) null_sets.emplace(entry.first, detail::NullSets(entry.first, genes, options.seed));
    std::optional<detail::PooledNull> pooled; // only for NullDistribution::pooled (512 KiB of bins)
    if (options.null == NullDistribution::pooled) pooled.emplace();
    detail::PooledNull* pool = pooled ? &*pooled : nullptr;
    if (options.score == SetScore::rank_auc) {
        result.test_cells = Index(result.cells.size());
        detail::score_ranks(result, sets_of_size, null_sets, options, pool);
    } else {
        // The permutation test's cells: all scored cells, or a seeded subsample of them.
        std::vector<Index> test_columns = choose_cells(saliency.cells(), options.test_cells, derive_seed(options.seed + 1, 0));
        if (Index(test_columns.size()) == saliency.cells()) test_columns.clear();
        result.test_cells = test_columns.empty() ? saliency.cells() : Index(test_columns.size());
        detail::score_medians(result, saliency, group_of, test_columns, sets_of_size, null_sets, options, pool);
    }
    if (pooled) {
        result.pooled_draws = pooled->draws();
        for (Index i = 0; i < result.p.size(); ++i) result.p.data()[i] = pooled->p(result.z.data()[i]);
    }

    // Adjust, over the nodes that are not silent.
    result.silent = silent_nodes(result.activation_sd, options.silent_fraction, group_names.empty() ? nullptr : &result.activity,
                                 options.marker_auc);
    adjust_q_values(result);
    if (options.null == NullDistribution::confirmed) confirm_calls(result, options.alpha);
    return result;
}

} // namespace scae::interpret
