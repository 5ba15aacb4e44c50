#pragma once
/// @file pathways.hpp
/// @brief From bottleneck nodes to gene sets: node x set scores, a permutation null of random
/// gene sets of the same size, z-scores, empirical p-values, Benjamini-Hochberg q-values, and
/// group contrasts.
///
/// The score of node i and set j (Kinalis et al. 2019) is the mean over cells of the median
/// |saliency| of node i over the set's genes. The alternative rank score is the AUC of the
/// set's genes against all other genes in node i's ranking by mean |saliency|. By default each
/// gene's |saliency| is first divided by its mean over all nodes and cells (see
/// PathwayOptions::normalize_genes): on trained models this is what lets planted programs be
/// told apart by node rather than by their genes' overall saliency.
///
/// How it stays fast and bounded. A first pass over all nodes gives each gene's mean |saliency|
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
/// p-values come from each pair's own null (exact) or, for large collections such as GO, from
/// all pairs' null z-scores pooled (PathwayOptions::null).

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

/// The score's name in reports and on the command line: "median" or "rank_auc".
inline std::string to_string(SetScore s) { return s == SetScore::rank_auc ? "rank_auc" : "median"; }

/// Parses "median" or "rank_auc"; throws scae::Error otherwise.
inline SetScore set_score_from_string(const std::string& name) {
    if (name == "median") return SetScore::median_saliency;
    if (name == "rank_auc") return SetScore::rank_auc;
    throw Error("unknown set score '" + name + "' (expected median or rank_auc)");
}

/// Which null distribution the p-values come from.
enum class NullDistribution {
    per_set, ///< each pair's own random sets: exact, but p is never below 1 / (1 + permutations)
    pooled   ///< every pair's null z-scores together (as GSEA's FDR pools them): p below 1 / (1 + permutations)
};

/// The null's name in reports and on the command line: "per-set" or "pooled".
inline std::string to_string(NullDistribution n) { return n == NullDistribution::pooled ? "pooled" : "per-set"; }

/// Parses "per-set" or "pooled"; throws scae::Error otherwise.
inline NullDistribution null_distribution_from_string(const std::string& name) {
    if (name == "per-set") return NullDistribution::per_set;
    if (name == "pooled") return NullDistribution::pooled;
    throw Error("unknown null distribution '" + name + "' (expected per-set or pooled)");
}

/// Settings of score_pathways().
struct PathwayOptions {
    SaliencyOptions saliency{};                 ///< saliency method (default guided backprop)
    SetScore score = SetScore::median_saliency; ///< the node x set score (default the reference's median)
    std::size_t min_genes = 10;                 ///< sets with fewer model genes are not scored (default 10)
    std::size_t permutations = 1000;            ///< random sets per (node, set size), at most (default 1000)
    /// Stop drawing for a (node, size) pair once each of its sets has this many null scores at
    /// least as high as its own: its p-value is then at least about this / permutations and
    /// cannot become small. 0 draws every permutation for every pair. Default 10.
    std::size_t stop_exceedances = 10;
    std::size_t permutation_batch = 20;         ///< null sets drawn at a time, also the fewest per pair (default 20)
    std::uint64_t seed = 42;                    ///< null sets and the cell subsample
    /// Where p comes from (default per_set). With many pairs, per-set p-values cannot pass
    /// Benjamini-Hochberg: 1,000 permutations give p >= 1/1001, and 64 nodes x 2,000 GO sets
    /// make q >= 0.05 for all unless ~2,500 pairs reach that floor. The pooled null compares each
    /// pair's z with the z-scores of all null draws of all pairs (each draw standardised by its
    /// own pair's null mean and sd), so its resolution is 1 / (1 + all draws). It assumes that
    /// standardised null scores are alike across set sizes and nodes.
    NullDistribution null = NullDistribution::per_set;
    /// Divide each gene's |saliency| by its mean over all nodes and cells before scoring.
    /// A gene's overall scale (its expression level, the norm of its input weights) is shared
    /// by every node, so raw scores rank the same high-scale sets first on every node; divided
    /// out, what remains is how specific a node is to a set. A constant per gene, applied alike
    /// to real and random sets, so the permutation test stays exact. Default on; off gives the
    /// reference's raw score.
    bool normalize_genes = true;
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
    /// Default 0.05.
    double silent_fraction = 0.05;
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

/// Everything score_pathways() finds.
struct PathwayResult {
    std::vector<MatchedSet> sets;      ///< scored sets (columns of the matrices), in input order
    std::vector<MatchedSet> too_small; ///< sets left out for having fewer than min_genes model genes
    Matrix<double> score;              ///< nodes x sets
    Matrix<double> z;                  ///< (statistic - null mean) / null sd, on the test cells
    Matrix<double> null_mean;          ///< the mean score of the pair's random sets, on the test cells
    Matrix<double> p;                  ///< empirical p-value, (1 + #null >= statistic) / (1 + #null), from `null`
    Matrix<double> q;                  ///< Benjamini-Hochberg q-values over the pairs of nodes that are not silent (NaN for those)
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> permutations; ///< null draws behind z and p
    SaliencySummary summary;           ///< every node's mean |saliency| and mean saliency per gene (raw)
    std::vector<SaliencySummary> group_summaries; ///< the same per group, in the order of `contrasts`
    RowVector<double> gene_scale;      ///< what each gene's |saliency| was multiplied by before scoring
    RowVector<double> input_sd;        ///< each gene's standard deviation of the model input over the analysed cells
    std::vector<GroupContrast> contrasts; ///< one per group label, in order of first appearance
    NodeActivity activity;             ///< with groups: which groups activate each node
    RowVector<double> activation_sd;   ///< each node's standard deviation of activation over the analysed cells
    std::vector<Index> silent;         ///< silent nodes (PathwayOptions::silent_fraction), left out of the q-values
    std::vector<Index> cells;          ///< rows of the input that were analysed
    Index test_cells = 0;              ///< how many of them the permutation test ran on
    Method method = Method::guided;    ///< the saliency method used
    SetScore score_kind = SetScore::median_saliency; ///< the score used
    NullDistribution null = NullDistribution::per_set; ///< where p came from
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

    /// Makes sure at least `count` sets exist.
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
inline std::size_t pairs_at_p_floor(const PathwayResult& r) {
    std::size_t n = 0;
    for (Index i = 0; i < r.p.size(); ++i)
        n += !std::isnan(r.q.data()[i]) && r.p.data()[i] * (1.0 + double(r.permutations.data()[i])) <= 1.0 + 1e-9;
    return n;
}

/// Scores every bottleneck node of `model` against every gene set for the cells of raw `counts`
/// (cells x genes in model gene order), with a permutation null and q-values; see the file
/// comment. `gene_symbols` names the model's genes (matched to the sets case-insensitively).
/// `groups` (optional) labels each cell ("" for none): each label gets a contrast of its cells
/// against the rest. `Set` is any type with `name` and `genes` (io::GeneSet, data::GeneSet).
/// Throws scae::Error when lengths disagree or no set has min_genes model genes.
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
    MatchedSets matched = match_gene_sets(gene_sets, gene_symbols, std::max<std::size_t>(options.min_genes, 1));
    if (matched.sets.empty())
        throw Error("score_pathways: none of the " + std::to_string(gene_sets.size()) + " gene sets has at least " +
                    std::to_string(options.min_genes) + " of the model's genes (symbols are compared ignoring case)");

    PathwayResult result;
    result.sets = std::move(matched.sets);
    result.too_small = std::move(matched.too_small);
    result.method = options.saliency.method;
    result.score_kind = options.score;
    result.null = options.null;

    // The analysed cells: all, or a seeded subsample in input order.
    result.cells.resize(std::size_t(counts.rows()));
    std::iota(result.cells.begin(), result.cells.end(), Index(0));
    if (options.max_cells > 0 && counts.rows() > options.max_cells) {
        Rng rng(options.seed);
        rng.shuffle(result.cells);
        result.cells.resize(std::size_t(options.max_cells));
        std::sort(result.cells.begin(), result.cells.end());
    }
    const Csr<T> analysed = Index(result.cells.size()) == counts.rows() ? counts : data::select_rows(counts, result.cells);
    if (options.score == SetScore::median_saliency && vanishes_where_input_is_zero(options.saliency))
        detail::check_median_is_informative(analysed, options.saliency.method);
    std::vector<std::string> labels;
    for (Index c : result.cells) labels.push_back(groups.empty() ? std::string() : groups[std::size_t(c)]);
    std::vector<int> group_of;
    const std::vector<std::string> group_names = detail::group_index(labels, group_of);
    {
        const Matrix<T> latent = model.encode(analysed);
        result.activation_sd = activation_sd(latent);
        if (!group_names.empty()) result.activity = node_activity(latent, labels);
    }

    NodeSaliency<T> saliency(model, analysed, options.saliency);
    const Index nodes = saliency.nodes(), genes = saliency.genes(), cells = saliency.cells();
    const std::size_t n_sets = result.sets.size(), n_groups = group_names.size();
    result.score.setZero(nodes, Index(n_sets));
    result.z = result.null_mean = result.p = result.q = result.score;
    result.permutations.setZero(nodes, Index(n_sets));
    std::vector<Index> group_cells(n_groups, 0);
    for (int g : group_of)
        if (g >= 0) ++group_cells[std::size_t(g)];
    for (std::size_t q = 0; q < n_groups; ++q)
        result.contrasts.push_back({group_names[q], group_cells[q], Matrix<double>::Zero(nodes, Index(n_sets)),
                                    Matrix<double>::Zero(nodes, Index(n_sets))});

    // First pass, all nodes at once: per-gene means overall and per group, and the gene scale.
    // Cells without a group form a bucket of their own, so that the buckets pool to all cells.
    {
        std::vector<int> bucket(group_of);
        for (int& b : bucket)
            if (b < 0) b = int(n_groups);
        std::vector<SaliencySummary> parts =
            summarize_node_saliency(saliency, bucket, int(n_groups) + 1, options.saliency.block_cells);
        result.summary = pool_summaries(parts);
        if (n_groups > 0) result.group_summaries.assign(parts.begin(), parts.begin() + std::ptrdiff_t(n_groups));
    }
    {
        std::vector<double> means, variances;
        data::column_mean_variance(saliency.input(), means, variances);
        result.input_sd = Eigen::Map<const RowVector<double>>(variances.data(), Index(variances.size())).cwiseSqrt();
    }
    result.gene_scale = RowVector<double>::Ones(genes);
    if (options.normalize_genes) {
        const RowVector<double> mean = result.summary.mean_abs.colwise().mean();
        for (Index g = 0; g < genes; ++g) result.gene_scale(g) = mean(g) > 0 ? 1.0 / mean(g) : 0.0;
    }

    // Sets by size: one median network and one stream of null sets per size.
    std::map<std::size_t, std::vector<std::size_t>> sets_of_size;
    for (std::size_t j = 0; j < n_sets; ++j) sets_of_size[result.sets[j].genes.size()].push_back(j);
    std::map<std::size_t, MedianNetwork> networks;
    std::map<std::size_t, detail::NullSets> null_sets;
    for (const auto& entry : sets_of_size) {
        if (options.score == SetScore::median_saliency) networks.emplace(entry.first, MedianNetwork(int(entry.first)));
        null_sets.emplace(entry.first, detail::NullSets(entry.first, genes, options.seed));
    }

    // The permutation test's cells: all scored cells, or a seeded subsample of them.
    std::vector<Index> test_columns;
    if (options.test_cells > 0 && cells > options.test_cells) {
        test_columns.resize(std::size_t(cells));
        std::iota(test_columns.begin(), test_columns.end(), Index(0));
        Rng rng(derive_seed(options.seed + 1, 0));
        rng.shuffle(test_columns);
        test_columns.resize(std::size_t(options.test_cells));
        std::sort(test_columns.begin(), test_columns.end());
    }
    const Index tested_cells = test_columns.empty() ? cells : Index(test_columns.size());
    result.test_cells = tested_cells;

    Matrix<T> values(genes, cells), test_values; // one node's scaled |saliency|, gene-major
    std::vector<T> scratch, medians;
    std::vector<double> observed(n_sets); // the test statistic of each set on the test cells
    std::optional<detail::PooledNull> pooled; // only for NullDistribution::pooled (512 KiB of bins)
    if (options.null == NullDistribution::pooled) pooled.emplace();
    const auto ranks_of = [&](const RowVector<double>& mean_abs) {
        return mid_ranks(std::vector<double>(mean_abs.data(), mean_abs.data() + genes));
    };
    for (Index k = 0; k < nodes; ++k) {
        // The node's scaled |saliency| for every analysed cell, gene-major; threads take blocks of cells.
        const RowVector<T> scale = result.gene_scale.cast<T>();
        const Index block_cells = options.saliency.block_cells, blocks = (cells + block_cells - 1) / block_cells;
#ifdef _OPENMP
#pragma omp parallel
#endif
        {
            NodeGradients<T> gradients;
            MapScratch<T> scratch;
            Matrix<T> map;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (Index b = 0; b < blocks; ++b) {
                const Index first = b * block_cells, n = std::min(block_cells, cells - first);
                std::vector<Index> block(static_cast<std::size_t>(n));
                std::iota(block.begin(), block.end(), first);
                saliency.gradients(std::move(block), k, 1, gradients);
                saliency.map(gradients, 0, map, scratch);
                values.middleCols(first, n) = (map.cwiseAbs().array().rowwise() * scale.array()).matrix().transpose();
            }
        }
        if (!test_columns.empty()) test_values = values(Eigen::all, test_columns);
        const Matrix<T>& tested = test_columns.empty() ? values : test_values;

        // Observed scores, overall and per group.
        std::vector<double> ranks;
        if (options.score == SetScore::rank_auc) {
            ranks = ranks_of(result.summary.mean_abs.row(k).cwiseProduct(result.gene_scale));
            for (std::size_t q = 0; q < n_groups; ++q) {
                const RowVector<double> in = result.group_summaries[q].mean_abs.row(k);
                const RowVector<double> rest = (result.summary.mean_abs.row(k) * double(cells) - in * double(group_cells[q])) /
                                               double(std::max<Index>(1, cells - group_cells[q]));
                const auto in_ranks = ranks_of(in.cwiseProduct(result.gene_scale));
                const auto rest_ranks = ranks_of(rest.cwiseProduct(result.gene_scale));
                for (std::size_t j = 0; j < n_sets; ++j) {
                    result.contrasts[q].in_group(k, Index(j)) = set_rank_auc(in_ranks, result.sets[j].genes);
                    result.contrasts[q].rest(k, Index(j)) = set_rank_auc(rest_ranks, result.sets[j].genes);
                }
            }
        }
        for (std::size_t j = 0; j < n_sets; ++j) {
            const std::vector<Index>& set = result.sets[j].genes;
            if (options.score == SetScore::rank_auc) {
                result.score(k, Index(j)) = observed[j] = set_rank_auc(ranks, set);
                continue;
            }
            detail::set_medians(values, set, networks.at(set.size()), scratch, medians);
            double total = 0;
            std::vector<double> in_group(n_groups, 0.0);
            for (Index c = 0; c < cells; ++c) {
                total += double(medians[std::size_t(c)]);
                if (group_of[std::size_t(c)] >= 0) in_group[std::size_t(group_of[std::size_t(c)])] += double(medians[std::size_t(c)]);
            }
            result.score(k, Index(j)) = observed[j] = total / double(cells);
            if (!test_columns.empty()) {
                detail::set_medians(tested, set, networks.at(set.size()), scratch, medians);
                observed[j] = std::accumulate(medians.begin(), medians.end(), 0.0) / double(tested_cells);
            }
            for (std::size_t q = 0; q < n_groups; ++q) {
                result.contrasts[q].in_group(k, Index(j)) = in_group[q] / double(std::max<Index>(1, group_cells[q]));
                result.contrasts[q].rest(k, Index(j)) = (total - in_group[q]) / double(std::max<Index>(1, cells - group_cells[q]));
            }
        }

        // The null, size by size, in batches until decided.
        for (const auto& [size, members] : sets_of_size) {
            detail::NullSets& draws = null_sets.at(size);
            std::vector<std::size_t> exceed(members.size(), 0);
            std::vector<double> null_scores;
            while (null_scores.size() < options.permutations) {
                const std::size_t from = null_scores.size();
                const std::size_t batch = std::min(options.permutation_batch, options.permutations - from);
                draws.reserve(from + batch);
                null_scores.resize(from + batch);
                if (options.score == SetScore::rank_auc) {
                    for (std::size_t b = 0; b < batch; ++b) null_scores[from + b] = set_rank_auc(ranks, draws[from + b]);
                } else {
                    const MedianNetwork& network = networks.at(size);
#ifdef _OPENMP
#pragma omp parallel
#endif
                    {
                        std::vector<T> thread_scratch, thread_medians;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
                        for (std::ptrdiff_t b = 0; b < std::ptrdiff_t(batch); ++b) {
                            detail::set_medians(tested, draws[from + std::size_t(b)], network, thread_scratch, thread_medians);
                            double total = 0;
                            for (T m : thread_medians) total += double(m);
                            null_scores[from + std::size_t(b)] = total / double(tested_cells);
                        }
                    }
                }
                bool decided = options.stop_exceedances > 0;
                for (std::size_t m = 0; m < members.size(); ++m) {
                    for (std::size_t b = from; b < from + batch; ++b) exceed[m] += null_scores[b] >= observed[members[m]];
                    decided = decided && exceed[m] >= options.stop_exceedances;
                }
                if (decided) break;
            }
            const double n = double(null_scores.size());
            const double mean = std::accumulate(null_scores.begin(), null_scores.end(), 0.0) / n;
            double squares = 0;
            for (double s : null_scores) squares += (s - mean) * (s - mean);
            const double sd = n > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
            if (pooled && sd > 0)
                for (double draw : null_scores) pooled->add((draw - mean) / sd);
            for (std::size_t m = 0; m < members.size(); ++m) {
                const Index j = Index(members[m]);
                result.z(k, j) = sd > 0 ? (observed[members[m]] - mean) / sd : 0.0;
                result.null_mean(k, j) = mean;
                result.p(k, j) = empirical_p(exceed[m], null_scores.size());
                result.permutations(k, j) = Index(null_scores.size());
            }
        }
    }
    if (pooled) {
        result.pooled_draws = pooled->draws();
        for (Index i = 0; i < result.p.size(); ++i) result.p.data()[i] = pooled->p(result.z.data()[i]);
    }
    // Benjamini-Hochberg over the nodes that are not silent.
    result.silent = silent_nodes(result.activation_sd, options.silent_fraction);
    std::vector<char> tested(std::size_t(nodes), 1);
    for (Index k : result.silent) tested[std::size_t(k)] = 0;
    std::vector<double> p_tested;
    for (Index k = 0; k < nodes; ++k)
        if (tested[std::size_t(k)]) p_tested.insert(p_tested.end(), result.p.row(k).data(), result.p.row(k).data() + n_sets);
    const std::vector<double> q = benjamini_hochberg(p_tested);
    result.q.setConstant(std::numeric_limits<double>::quiet_NaN());
    for (Index k = 0, at = 0; k < nodes; ++k)
        if (tested[std::size_t(k)]) {
            std::copy_n(q.begin() + std::ptrdiff_t(at), n_sets, result.q.row(k).data());
            at += Index(n_sets);
        }
    return result;
}

} // namespace scae::interpret
