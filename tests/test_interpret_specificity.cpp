// Specific node names (issue 24): a gene set whose only trait is that its genes are abundant
// should not be called for a node that does not use it. The matched test (random sets drawn
// within the set's expression strata) against its exact moments, its calibration on random
// sets, its refusal of abundant decoys where the rank-sum test calls them, the confirmed test
// (rank-sum calls confirmed by the matched test), and a harder planted truth on the simulator:
// weak programs of 15 to 120 genes in cell types of 35% down to 3% of the cells, 24 random
// decoys and 12 decoys of highly expressed genes; and sequencing depth, which that model sees
// (a depth-matched baseline, depth-residual activity weights, a model that scales depth away).
#include <doctest/doctest.h>

#include "scae/data/filter.hpp"
#include "scae/data/simulate.hpp"
#include "scae/interpret/model_input.hpp"
#include "scae/interpret/recovery.hpp"
#include "scae/train/train.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace test_interpret_specificity {

using namespace scae;

namespace {

/// Uniformly random distinct genes out of `pool`.
std::vector<Index> random_subset(Rng& rng, std::vector<Index> pool, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) std::swap(pool[i], pool[i + rng.below(pool.size() - i)]);
    pool.resize(size);
    return pool;
}

std::vector<Index> all_genes(Index genes) {
    std::vector<Index> g(static_cast<std::size_t>(genes));
    std::iota(g.begin(), g.end(), Index(0));
    return g;
}

/// A ranking in which a gene's stratum moves its value (as expression moves attributions):
/// `genes` genes in `strata` strata of equal size, value = stratum + 2 x uniform noise, with half
/// of the lowest stratum tied at zero (unexpressed genes).
struct StrataRanking {
    std::vector<int> stratum;
    std::vector<double> ranks;
};

StrataRanking strata_ranking(Index genes, int strata, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> level(static_cast<std::size_t>(genes)), value(level.size());
    for (std::size_t g = 0; g < level.size(); ++g) level[g] = rng.uniform();
    StrataRanking r{interpret::quantile_strata(level, strata), {}};
    for (std::size_t g = 0; g < value.size(); ++g) value[g] = r.stratum[g] == 0 && rng.uniform() < 0.5 ? 0.0 : double(r.stratum[g]) + 2.0 * rng.uniform();
    r.ranks = interpret::mid_ranks(value);
    return r;
}

} // namespace

TEST_CASE("quantile strata: equal sizes, lowest levels first, ties together") {
    const std::vector<int> s = interpret::quantile_strata({5, 1, 4, 2, 3, 6}, 3);
    CHECK(s == std::vector<int>{2, 0, 1, 0, 1, 2});
    const std::vector<int> tied = interpret::quantile_strata({1, 1, 1, 1, 9, 9}, 2);
    CHECK(tied[0] == tied[3]); // tied levels share a stratum
    CHECK(tied[4] == 1);
    CHECK(interpret::quantile_strata({3, 1, 2}, 1) == std::vector<int>{0, 0, 0});
    CHECK_THROWS_AS(interpret::quantile_strata({1, 2}, 0), Error);
    CHECK_THROWS_AS(interpret::stratified_rank_sum_null({1, 2}, {0}, 1), Error);
    CHECK_THROWS_AS(interpret::stratified_rank_sum_null({1, 2}, {0, 2}, 2), Error);
}

TEST_CASE("the matched null's mean and variance are exact: every matched set counted") {
    // 12 genes in 3 strata of 4, ranks with ties; a set with 2 genes in stratum 0, 1 in stratum 2.
    const std::vector<double> ranks = interpret::mid_ranks({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8});
    const std::vector<int> stratum{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
    const interpret::StratifiedRankSumNull null = interpret::stratified_rank_sum_null(ranks, stratum, 3);
    // Every set with 2 of genes 0-3 and 1 of genes 8-11: 6 x 4 = 24, equally likely.
    std::vector<double> sums;
    for (int a = 0; a < 4; ++a)
        for (int b = a + 1; b < 4; ++b)
            for (int c = 8; c < 12; ++c) sums.push_back(ranks[std::size_t(a)] + ranks[std::size_t(b)] + ranks[std::size_t(c)]);
    const double mean = std::accumulate(sums.begin(), sums.end(), 0.0) / double(sums.size());
    double variance = 0;
    for (double x : sums) variance += (x - mean) * (x - mean) / double(sums.size());
    // z = (sum - mean - 1/2) / sd, so two sets recover the moments.
    const std::vector<Index> one{0, 1, 8}, two{2, 3, 11};
    const interpret::RankSumTest t1 = interpret::stratified_rank_sum_test(ranks, null, one);
    const interpret::RankSumTest t2 = interpret::stratified_rank_sum_test(ranks, null, two);
    const double s1 = ranks[0] + ranks[1] + ranks[8], s2 = ranks[2] + ranks[3] + ranks[11];
    const double sd = (s1 - s2) / (t1.z - t2.z);
    CHECK(sd == doctest::Approx(std::sqrt(variance)).epsilon(1e-12));
    CHECK(s1 - 0.5 - t1.z * sd == doctest::Approx(mean).epsilon(1e-12));
    CHECK(t1.auc == doctest::Approx(interpret::set_rank_auc(ranks, one)));
    // One stratum is the rank-sum test: the same z, and without ties (no skew) the same p; with
    // ties the skewness guard may only raise p.
    const interpret::StratifiedRankSumNull single = interpret::stratified_rank_sum_null(ranks, std::vector<int>(12, 0), 1);
    const interpret::RankSumTest plain = interpret::rank_sum_test(ranks, interpret::rank_sum_null(ranks), one);
    CHECK(interpret::stratified_rank_sum_test(ranks, single, one).z == doctest::Approx(plain.z).epsilon(1e-12));
    CHECK(interpret::stratified_rank_sum_test(ranks, single, one).p >= plain.p);
    const std::vector<double> untied = interpret::mid_ranks({3, 1, 4, 15, 5, 9, 2, 6, 11, 13, 7, 8});
    const interpret::RankSumTest untied_plain = interpret::rank_sum_test(untied, interpret::rank_sum_null(untied), one);
    const interpret::RankSumTest untied_single =
        interpret::stratified_rank_sum_test(untied, interpret::stratified_rank_sum_null(untied, std::vector<int>(12, 0), 1), one);
    CHECK(untied_single.z == doctest::Approx(untied_plain.z).epsilon(1e-12));
    CHECK(untied_single.p == doctest::Approx(untied_plain.p).epsilon(1e-12));
    // A set that fills its strata has no matched alternative.
    const interpret::RankSumTest full = interpret::stratified_rank_sum_test(ranks, null, {0, 1, 2, 3});
    CHECK(full.z == 0);
    CHECK(full.p == 1);
    CHECK(std::isnan(interpret::stratified_rank_sum_test(ranks, null, {}).p));
}

TEST_CASE("the matched null is calibrated on random sets and calls no set for its genes' expression") {
    const Index genes = 2000;
    const int strata = 10;
    const StrataRanking r = strata_ranking(genes, strata, 5);
    const interpret::StratifiedRankSumNull matched = interpret::stratified_rank_sum_null(r.ranks, r.stratum, strata);
    const interpret::RankSumNull plain = interpret::rank_sum_null(r.ranks);
    Rng rng(9);
    // Random sets of any genes: p uniform.
    const int draws = 20000;
    std::vector<double> p;
    for (int d = 0; d < draws; ++d)
        p.push_back(interpret::stratified_rank_sum_test(r.ranks, matched, random_subset(rng, all_genes(genes), 5 + std::size_t(d % 150))).p);
    for (double alpha : {0.001, 0.01, 0.05, 0.1, 0.5}) {
        const double rate = double(std::count_if(p.begin(), p.end(), [&](double x) { return x < alpha; })) / draws;
        const double sd = std::sqrt(alpha * (1 - alpha) / draws);
        CAPTURE(alpha);
        CHECK(rate < alpha + 4 * sd);                // never liberal beyond chance
        CHECK(rate > alpha - 4 * sd - 0.3 * alpha);  // and not much wasted
    }
    std::sort(p.begin(), p.end());
    double ks = 0;
    for (std::size_t i = 0; i < p.size(); ++i) ks = std::max(ks, std::abs(p[i] - double(i + 1) / double(p.size())));
    CHECK(ks < 0.02);

    // Decoys of abundant genes: random sets of the top two strata. All genes alike, the rank-sum
    // test calls nearly all of them; matched, at most 5% (alpha) are called.
    std::vector<Index> abundant;
    for (Index g = 0; g < genes; ++g)
        if (r.stratum[std::size_t(g)] >= strata - 2) abundant.push_back(g);
    const int decoys = 2000;
    int called_plain = 0, called_matched = 0;
    for (int d = 0; d < decoys; ++d) {
        const std::vector<Index> set = random_subset(rng, abundant, 15 + std::size_t(d % 106));
        called_plain += interpret::rank_sum_test(r.ranks, plain, set).p < 0.05;
        called_matched += interpret::stratified_rank_sum_test(r.ranks, matched, set).p < 0.05;
    }
    MESSAGE("abundant decoys at p < 0.05: rank-sum " << called_plain << ", matched " << called_matched << " of " << decoys);
    CHECK(called_plain > decoys * 9 / 10); // the weakness the matched null removes is real here
    CHECK(double(called_matched) <= 0.05 * decoys + 4 * std::sqrt(0.05 * 0.95 * decoys));
    // A set that a node does use still stands out among genes like its own: 30 abundant genes
    // ranked at the top of their strata.
    std::vector<Index> used;
    for (Index g : abundant) {
        const int s = r.stratum[std::size_t(g)];
        Index above = 0;
        for (Index h : abundant) above += r.stratum[std::size_t(h)] == s && r.ranks[std::size_t(h)] > r.ranks[std::size_t(g)];
        if (above < 15) used.push_back(g);
    }
    CHECK(used.size() == 30);
    CHECK(interpret::stratified_rank_sum_test(r.ranks, matched, used).p < 1e-6);
}

TEST_CASE("confirmed calls: the rank-sum test's calls stand where the matched test confirms them") {
    // Not the default: it lost the foreign-species interferon call (docs/interpretation.md).
    CHECK(interpret::PathwayOptions{}.null == interpret::NullDistribution::rank_sum);
    CHECK(interpret::to_string(interpret::NullDistribution::confirmed) == "confirmed");
    CHECK(interpret::null_distribution_from_string("matched") == interpret::NullDistribution::matched);
    CHECK(interpret::null_distribution_from_string("rank-sum") == interpret::NullDistribution::rank_sum);
    CHECK(interpret::is_rank_sum(interpret::NullDistribution::confirmed));
    CHECK(!interpret::is_rank_sum(interpret::NullDistribution::pooled));

    interpret::PathwayResult r;
    r.q.resize(2, 3);
    r.q << 0.01, 0.02, 0.30, //
        0.04, std::nan(""), 0.049;
    r.matched_p.resize(2, 3);
    r.matched_p << 0.001, 0.2, 0.0001, //
        0.01, 0.0, 0.02;
    interpret::confirm_calls(r, 0.05);
    // Called pairs: 0.01, 0.02, 0.04, 0.049 with matched p 0.001, 0.2, 0.01, 0.02; BH over these
    // four: 0.004, 0.2, 0.02, 0.02(6...) -> q = max of the two.
    const std::vector<double> bh = interpret::benjamini_hochberg({0.001, 0.2, 0.01, 0.02});
    CHECK(r.q(0, 0) == doctest::Approx(std::max(0.01, bh[0])));
    CHECK(r.q(0, 1) == doctest::Approx(0.2)); // not confirmed: no longer called
    CHECK(r.q(1, 0) == doctest::Approx(std::max(0.04, bh[2])));
    CHECK(r.q(1, 2) == doctest::Approx(std::max(0.049, bh[3])));
    CHECK(r.q(0, 2) == 0.30);         // not called: unchanged
    CHECK(std::isnan(r.q(1, 1)));     // a silent node stays untested
    r.matched_p.resize(1, 3);
    CHECK_THROWS_AS(interpret::confirm_calls(r, 0.05), Error);
}

namespace {

/// The harder planted truth: one tissue, 8 cell types of 35% down to 3% of the cells, 12 weak
/// programs (fold change about 2 to 2.7 at full activity) of 15 to 120 genes, 24 random decoys of the programs'
/// sizes and 12 decoys of the most expressed genes no program uses.
data::Simulation hard_simulation(std::uint64_t seed) {
    data::SimulationOptions o;
    o.n_genes = 3000;
    o.n_programs = 12;
    // Dealt to types p % 8: the 4 most common types get two programs, the 4 rarest one each.
    o.program_sizes = {120, 15, 90, 25, 60, 40, 20, 80, 30, 100, 50, 70};
    o.n_decoy_sets = 24;
    o.n_expressed_decoy_sets = 12;
    o.n_tissues = 1;
    o.cells_per_tissue = 2400;
    o.shared_program_fraction = 1.0;
    o.cell_types_per_tissue = 8;
    o.shared_cell_types = 8;
    o.cell_type_fractions = {0.35, 0.20, 0.14, 0.10, 0.08, 0.06, 0.04, 0.03};
    o.programs_per_cell_type = 1;
    o.graded_fraction = 0.5;
    // A fully active program multiplies its genes by exp(1) = 2.7 times exp(N(0, 0.25^2)) per gene,
    // at type levels 0.7 to 1, and graded programs by a uniform fraction of that.
    o.program_log_fold_change = 1.0;
    o.seed = seed;
    return data::simulate(o);
}

/// Figures of one analysis against the planted truth.
struct Figures {
    double auroc = 0;          ///< of z against the truth of evaluate_recovery() (signed: r >= 0.5)
    double unsigned_auroc = 0; ///< of z against |r| >= 0.5 (what evaluate_recovery() used before)
    std::size_t programs = 0, called = 0;          ///< planted programs scored; called at q < 0.05 on their best node
    std::size_t random_decoys = 0, random_called = 0;     ///< random decoys; called at q < 0.05 on any node
    std::size_t expressed_decoys = 0, expressed_called = 0; ///< decoys of abundant genes; likewise
};

Figures figures(const interpret::PathwayResult& result, const data::Simulation& sim, const Matrix<double>& correlation) {
    std::vector<std::string> programs;
    for (const auto& p : sim.programs) programs.push_back(p.name);
    const interpret::Recovery rec = interpret::evaluate_recovery(result, programs, correlation);
    Figures f;
    f.auroc = rec.auroc;
    f.programs = rec.programs.size();
    interpret::PathwayResult as_unsigned;
    as_unsigned.sets = result.sets;
    as_unsigned.z = result.z;
    as_unsigned.weighting = interpret::CellWeighting::uniform;
    f.unsigned_auroc = interpret::evaluate_recovery(as_unsigned, programs, correlation).auroc;
    for (std::size_t j = 0; j < result.sets.size(); ++j) {
        const std::string& name = result.sets[j].name;
        const Index col = Index(j);
        if (name.rfind("PROGRAM_", 0) == 0) {
            Index best = 0;
            result.z.col(col).maxCoeff(&best);
            f.called += result.q(best, col) < 0.05;
            continue;
        }
        const bool called = (result.q.col(col).array() < 0.05).any();
        if (name.rfind("EXPRESSED_DECOY_", 0) == 0) {
            ++f.expressed_decoys;
            f.expressed_called += called;
        } else {
            ++f.random_decoys;
            f.random_called += called;
        }
    }
    return f;
}

/// Replaces z and p of `r` by the rank-sum test of each node's `values` (nodes x genes) ranked,
/// with the matched null when `stratum` is given (with `location_only`, its mean and the
/// unmatched variance), and recomputes q.
interpret::PathwayResult retested(interpret::PathwayResult r, const Matrix<double>& values, const std::vector<int>* stratum, int strata,
                                  bool location_only = false) {
    for (Index k = 0; k < values.rows(); ++k) {
        const RowVector<double> row = values.row(k);
        const std::vector<double> ranks = interpret::mid_ranks(std::vector<double>(row.data(), row.data() + row.size()));
        const interpret::RankSumNull plain = interpret::rank_sum_null(ranks);
        const interpret::StratifiedRankSumNull matched =
            stratum ? interpret::stratified_rank_sum_null(ranks, *stratum, strata) : interpret::StratifiedRankSumNull{};
        for (std::size_t j = 0; j < r.sets.size(); ++j) {
            interpret::RankSumTest t = stratum ? interpret::stratified_rank_sum_test(ranks, matched, r.sets[j].genes)
                                               : interpret::rank_sum_test(ranks, plain, r.sets[j].genes);
            if (location_only) {
                const double n = double(r.sets[j].genes.size()), g = double(ranks.size());
                double sum = 0, mean = 0;
                for (Index i : r.sets[j].genes) {
                    sum += ranks[std::size_t(i)];
                    mean += matched.mean[std::size_t((*stratum)[std::size_t(i)])];
                }
                const double variance = n * (g - n) / 12.0 * ((g + 1) - plain.tie_term / (g * (g - 1)));
                t.z = (sum - mean - 0.5) / std::sqrt(variance);
                t.p = 0.5 * std::erfc(t.z / std::sqrt(2.0));
            }
            r.z(k, Index(j)) = t.z;
            r.p(k, Index(j)) = t.p;
        }
    }
    interpret::adjust_q_values(r);
    return r;
}

/// Within-stratum residual ranks: each gene's attribution as its quantile among its stratum's genes.
Matrix<double> within_stratum_quantiles(const Matrix<double>& attribution, const std::vector<int>& stratum, int strata) {
    Matrix<double> out(attribution.rows(), attribution.cols());
    for (Index k = 0; k < attribution.rows(); ++k)
        for (int s = 0; s < strata; ++s) {
            std::vector<Index> members;
            std::vector<double> values;
            for (Index g = 0; g < attribution.cols(); ++g)
                if (stratum[std::size_t(g)] == s) {
                    members.push_back(g);
                    values.push_back(attribution(k, g));
                }
            const std::vector<double> ranks = interpret::mid_ranks(values);
            for (std::size_t i = 0; i < members.size(); ++i) out(k, members[i]) = (ranks[i] - 0.5) / double(members.size());
        }
    return out;
}

/// Activity weights of each node's activation after its least-squares line on the cells' centred
/// log depth is taken out: max(0, residual) (the residual's mean is 0).
Matrix<double> depth_residual_weights(const Matrix<double>& latent, const Vector<double>& depth) {
    Matrix<double> w(latent.rows(), latent.cols());
    for (Index k = 0; k < latent.cols(); ++k) {
        const Vector<double> a = latent.col(k).array() - latent.col(k).mean();
        const double slope = depth.squaredNorm() > 0 ? depth.dot(a) / depth.squaredNorm() : 0.0;
        w.col(k) = (a - slope * depth).cwiseMax(0.0);
    }
    return w;
}

/// The rank-sum test of `r`'s sets on the activity-weighted attributions of `baseline` with the
/// weights `w` (cells x nodes).
interpret::PathwayResult reweighted(const interpret::PathwayResult& r, const nn::Autoencoder<float>& model, const Csr<float>& counts,
                                    interpret::SaliencyOptions saliency, interpret::Baseline baseline, const Matrix<double>& w) {
    saliency.baseline = baseline;
    const interpret::NodeSaliency<float> s(model, counts, saliency);
    const std::vector<interpret::SaliencySummary> all =
        interpret::summarize_node_saliency(s, std::vector<int>(std::size_t(counts.rows()), 0), 1, saliency.block_cells, w);
    return retested(r, all[0].weighted, nullptr, 1);
}

} // namespace

TEST_CASE("hard planted truth: weak programs in rare types are called, decoys of abundant genes are not") {
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1); // the trained model, hence the check, is bit-identical for one thread count
#endif
    // SCAE_HARD_SEED reruns the figures on another simulation (docs/interpretation.md sums seeds 1-7
    // and 24, with SCAE_FIGURES=1 for every candidate's).
    const char* seed = std::getenv("SCAE_HARD_SEED");
    const data::Simulation sim = hard_simulation(seed ? std::strtoull(seed, nullptr, 10) : 24);
    const auto& tissue = sim.tissues[0];
    const std::vector<Index> kept = data::genes_in_at_least(tissue.counts, tissue.counts.rows() / 20);
    const Csr<float> counts = data::select_columns(tissue.counts, kept);
    std::vector<std::string> symbols;
    for (Index g : kept) symbols.push_back(tissue.gene_symbols[std::size_t(g)]);

    nn::AutoencoderOptions architecture;
    architecture.encoder_sizes = {64, 16};
    nn::Autoencoder<float> model(counts.cols(), architecture);
    train::TrainOptions t;
    t.epochs = 60;
    t.batch_size = 64;
    t.learning_rate = 3e-3;
    t.validation_fraction = 0;
    t.patience = 0;
    t.threads = 1;
    train::fit(model, counts, t);
    const Matrix<double> correlation = interpret::activation_correlation(model.encode(counts), tissue.program_activity);

    // Every candidate's figures, for docs/interpretation.md; the checks follow.
    interpret::PathwayOptions o;
    o.null = interpret::NullDistribution::confirmed;
    const interpret::PathwayResult confirmed = interpret::score_pathways(model, counts, symbols, sim.gene_sets, o);
    o.null = interpret::NullDistribution::rank_sum;
    const interpret::PathwayResult plain = interpret::score_pathways(model, counts, symbols, sim.gene_sets, o);
    o.null = interpret::NullDistribution::matched;
    const interpret::PathwayResult matched = interpret::score_pathways(model, counts, symbols, sim.gene_sets, o);
    std::vector<std::pair<std::string, interpret::PathwayResult>> candidates;
    candidates.emplace_back("rank-sum, calls confirmed by the matched test", confirmed);
    candidates.emplace_back("default: rank-sum (all genes alike)", plain);
    candidates.emplace_back("matched, 10 strata of mean input", matched);
    // The other candidates are figures only (docs/interpretation.md), and take most of the time:
    // SCAE_FIGURES=1 computes and prints them all.
    if (std::getenv("SCAE_FIGURES")) {
        const int strata = o.expression_strata;
        for (int s : {5, 20}) {
            o.expression_strata = s;
            candidates.emplace_back("matched, " + std::to_string(s) + " strata", interpret::score_pathways(model, counts, symbols, sim.gene_sets, o));
        }
        {
            interpret::PathwayResult filtered = plain; // called by rank-sum and matched p < 0.05, unadjusted
            for (Index i = 0; i < filtered.q.size(); ++i)
                if (!(matched.p.data()[i] < 0.05)) filtered.q.data()[i] = 1;
            candidates.emplace_back("rank-sum q, and matched p < 0.05", filtered);
        }
        candidates.emplace_back("matched mean, unmatched variance", retested(plain, matched.attribution, &matched.stratum, strata, true));
        candidates.emplace_back("within-stratum residual ranks, rank-sum",
                                retested(plain, within_stratum_quantiles(matched.attribution, matched.stratum, strata), nullptr, strata));
        Matrix<double> centred = matched.attribution; // what this node uses more than the average node does
        centred.rowwise() -= matched.attribution.colwise().mean();
        candidates.emplace_back("node minus mean node, rank-sum", retested(plain, centred, nullptr, strata));
        candidates.emplace_back("node minus mean node, matched", retested(plain, centred, &matched.stratum, strata));
        Matrix<double> per_sd = matched.attribution; // the attribution per sd of the gene's input
        for (Index g = 0; g < per_sd.cols(); ++g) per_sd.col(g) /= std::max(1e-12, matched.input_sd(g));
        candidates.emplace_back("attribution / input sd, rank-sum", retested(plain, per_sd, nullptr, strata));
        candidates.emplace_back("attribution / input sd, matched", retested(plain, per_sd, &matched.stratum, strata));
        {
            // Both directions: genes up in the node's cells (their presence raises it, or lowers
            // it) and genes down there (their loss raises it, or lowers it).
            const Matrix<double> delta =
                interpret::input_shift(interpret::model_input(model, counts), interpret::activity_weights(model.encode(counts)));
            Matrix<double> presence = matched.attribution, loss = matched.attribution;
            for (Index i = 0; i < presence.size(); ++i) {
                if (delta.data()[i] <= 0) presence.data()[i] = 0;
                if (delta.data()[i] >= 0) loss.data()[i] = 0;
            }
            candidates.emplace_back("presence (genes up in the node's cells), rank-sum", retested(plain, presence, nullptr, strata));
            candidates.emplace_back("presence, matched", retested(plain, presence, &matched.stratum, strata));
            candidates.emplace_back("loss (genes down in the node's cells), rank-sum", retested(plain, loss, nullptr, strata));
        }
        {
            // A self-contained test: are the set's genes' attributions mostly positive at the node
            // (a sign test against 1/2)? Alone, and with the rank-sum test (called where both q < 0.05).
            interpret::PathwayResult sign = plain, both = plain;
            for (Index k = 0; k < plain.attribution.rows(); ++k)
                for (std::size_t j = 0; j < plain.sets.size(); ++j) {
                    int pos = 0, n = 0;
                    for (Index g : plain.sets[j].genes) {
                        const double a = plain.attribution(k, g);
                        if (a != 0) ++n, pos += a > 0;
                    }
                    // P(X >= pos), X ~ Binomial(n, 1/2), normal approximation with continuity.
                    const double z = n ? (pos - 0.5 - 0.5 * n) / std::sqrt(0.25 * n) : 0;
                    sign.z(k, Index(j)) = z;
                    sign.p(k, Index(j)) = 0.5 * std::erfc(z / std::sqrt(2.0));
                }
            interpret::adjust_q_values(sign);
            for (Index i = 0; i < both.q.size(); ++i) both.q.data()[i] = std::max(both.q.data()[i], sign.q.data()[i]);
            candidates.emplace_back("sign test (self-contained)", sign);
            candidates.emplace_back("rank-sum and sign test", both);
        }
        {
            // Sequencing depth: the model sees each cell's depth (log1p of raw counts), and a node that
            // follows it credits every abundant gene in deep cells. The baseline of each cell the mean
            // cell at its depth; activity weights from the activation with its line on depth taken out;
            // both.
            interpret::PathwayOptions d;
            d.saliency.baseline = interpret::Baseline::depth;
            candidates.emplace_back("depth baseline, rank-sum", interpret::score_pathways(model, counts, symbols, sim.gene_sets, d));
            d.null = interpret::NullDistribution::confirmed;
            candidates.emplace_back("depth baseline, confirmed", interpret::score_pathways(model, counts, symbols, sim.gene_sets, d));
            const Matrix<double> w =
                depth_residual_weights(model.encode(counts).cast<double>(), interpret::centred_log_depth(counts).cast<double>());
            candidates.emplace_back("depth-residual activity weights, rank-sum",
                                    reweighted(plain, model, counts, d.saliency, interpret::Baseline::mean_cell, w));
            candidates.emplace_back("depth baseline and depth-residual weights, rank-sum",
                                    reweighted(plain, model, counts, d.saliency, interpret::Baseline::depth, w));
            // A model that does not see depth, as `scae train` makes by default: each cell scaled to
            // the median total before log1p. The depth baseline is then the mean cell.
            std::vector<double> totals;
            for (Index c = 0; c < counts.rows(); ++c) totals.push_back(double(counts.row(c).sum()));
            nn::AutoencoderOptions scaled = architecture;
            scaled.input.target_sum = data::median(totals);
            nn::Autoencoder<float> normalised(counts.cols(), scaled);
            train::fit(normalised, counts, t);
            const Matrix<double> r_normalised = interpret::activation_correlation(normalised.encode(counts), tissue.program_activity);
            interpret::PathwayOptions n;
            const interpret::PathwayResult depth_free = interpret::score_pathways(normalised, counts, symbols, sim.gene_sets, n);
            n.null = interpret::NullDistribution::confirmed;
            const interpret::PathwayResult depth_free_confirmed = interpret::score_pathways(normalised, counts, symbols, sim.gene_sets, n);
            n.null = interpret::NullDistribution::rank_sum;
            n.saliency.baseline = interpret::Baseline::depth;
            const interpret::PathwayResult depth_free_depth = interpret::score_pathways(normalised, counts, symbols, sim.gene_sets, n);
            CHECK(depth_free_depth.z == depth_free.z); // the depth baseline changes nothing where depth is scaled away
            for (const auto& [name, result] : std::vector<std::pair<std::string, const interpret::PathwayResult*>>{
                     {"input scaled to the median depth (as scae train), rank-sum", &depth_free},
                     {"input scaled to the median depth, confirmed", &depth_free_confirmed}}) {
                const Figures f = figures(*result, sim, r_normalised);
                MESSAGE(name << ": AUROC " << f.auroc << " (against |r|: " << f.unsigned_auroc << "), programs called " << f.called << " of "
                             << f.programs << ", random decoys called " << f.random_called << " of " << f.random_decoys
                             << ", expressed decoys called " << f.expressed_called << " of " << f.expressed_decoys);
            }
        }
    }
    for (const auto& [name, result] : candidates) {
        const Figures f = figures(result, sim, correlation);
        MESSAGE(name << ": AUROC " << f.auroc << " (against |r|: " << f.unsigned_auroc << "), programs called " << f.called << " of "
                     << f.programs << ", random decoys called " << f.random_called << " of " << f.random_decoys
                     << ", expressed decoys called " << f.expressed_called << " of " << f.expressed_decoys);
    }
    const Figures all_alike = figures(plain, sim, correlation), like_own = figures(matched, sim, correlation),
                  by_default = figures(confirmed, sim, correlation);
    REQUIRE(like_own.programs == 12);
    REQUIRE(like_own.expressed_decoys == 12);
    // The setting is hard where it should be: all genes alike, most abundant decoys are called.
    CHECK(all_alike.expressed_called >= 6);
    // The matched test meets the bar here: the weak programs called, at most 5% of the decoys.
    CHECK(like_own.auroc >= 0.9);
    CHECK(like_own.called >= 10);
    CHECK(like_own.random_called + like_own.expressed_called <= 2);
    // The confirmed test calls what the rank-sum test calls, less than half of its abundant
    // decoys; it does not reach the matched test's specificity (docs/interpretation.md).
    CHECK(by_default.auroc >= 0.9);
    CHECK(by_default.called + 1 >= all_alike.called);
    CHECK(2 * by_default.expressed_called <= all_alike.expressed_called);
    CHECK(by_default.random_called <= all_alike.random_called);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
}

} // namespace test_interpret_specificity
