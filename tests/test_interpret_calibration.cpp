// Calibration of the pathway p-values: the rank-sum test against its exact distribution (its
// normal tail must be conservative where p is small), p uniform on random sets, no calls on
// shuffled genes, the adaptive permutation draws of the per-set null, and the silent-node rule.
#include "support.hpp"
#include <doctest/doctest.h>

#include "scae/interpret/pathway_report.hpp"
#include "scae/interpret/pathways.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace test_interpret_calibration {

using namespace scae;

namespace {

/// P(rank sum >= s) for a uniform random n-subset of ranks 1..G, exactly, by counting subsets.
std::vector<double> exact_rank_sum_tail(int genes, int n) {
    const int most = n * genes;
    std::vector<std::vector<double>> count(std::size_t(n + 1), std::vector<double>(std::size_t(most + 1), 0.0));
    count[0][0] = 1;
    for (int r = 1; r <= genes; ++r)
        for (int k = std::min(n, r); k >= 1; --k)
            for (int s = most; s >= r; --s) count[std::size_t(k)][std::size_t(s)] += count[std::size_t(k - 1)][std::size_t(s - r)];
    double total = 0;
    for (double c : count[std::size_t(n)]) total += c;
    std::vector<double> tail(std::size_t(most + 2), 0.0);
    for (int s = most; s >= 0; --s) tail[std::size_t(s)] = tail[std::size_t(s + 1)] + count[std::size_t(n)][std::size_t(s)] / total;
    return tail;
}

/// Uniformly random distinct genes.
std::vector<Index> random_set(Rng& rng, Index genes, std::size_t size) {
    std::vector<Index> pool(static_cast<std::size_t>(genes));
    std::iota(pool.begin(), pool.end(), Index(0));
    for (std::size_t i = 0; i < size; ++i) std::swap(pool[i], pool[i + rng.below(pool.size() - i)]);
    pool.resize(size);
    return pool;
}

std::vector<std::string> symbols(Index genes) {
    std::vector<std::string> s;
    for (Index g = 0; g < genes; ++g) s.push_back("Gene" + std::to_string(g));
    return s;
}

using scae_test::NamedSet;
using scae_test::random_counts;

} // namespace

TEST_CASE("the rank-sum test is conservative against the exact distribution where p is small") {
    for (const auto& size : std::vector<std::pair<int, int>>{{30, 5}, {30, 2}, {50, 3}, {60, 1}, {40, 10}, {200, 5}, {200, 10}}) {
        const int genes = size.first, n = size.second; // not a structured binding: CAPTURE's lambda (clang 14, C++17)
        CAPTURE(genes);
        CAPTURE(n);
        const std::vector<double> exact = exact_rank_sum_tail(genes, n);
        std::vector<double> ranks(static_cast<std::size_t>(genes));
        std::iota(ranks.begin(), ranks.end(), 1.0);
        const interpret::RankSumNull null = interpret::rank_sum_null(ranks);
        CHECK(null.tie_term == 0);
        // Every attainable rank sum, from the set of the n lowest ranks shifted up one by one.
        std::vector<Index> set(static_cast<std::size_t>(n));
        std::iota(set.begin(), set.end(), Index(0));
        int checked = 0;
        for (;;) {
            int sum = 0;
            for (Index g : set) sum += int(g) + 1;
            const interpret::RankSumTest t = interpret::rank_sum_test(ranks, null, set);
            const double p_exact = exact[std::size_t(sum)];
            CAPTURE(sum);
            CHECK(t.auc == doctest::Approx((sum - n * (n + 1) / 2.0) / (n * double(genes - n))));
            if (p_exact < 0.035) CHECK(t.p >= p_exact);
            if (p_exact <= 0.05) CHECK(t.p >= 0.95 * p_exact);
            CHECK(std::abs(t.p - p_exact) < 0.06);
            ++checked;
            // The next set: raise the highest member that can go up, keeping the rest packed below.
            Index i = Index(n) - 1;
            while (i >= 0 && set[std::size_t(i)] == Index(genes - n) + i) --i;
            if (i < 0) break;
            ++set[std::size_t(i)];
            for (Index j = i + 1; j < Index(n); ++j) set[std::size_t(j)] = set[std::size_t(j - 1)] + 1;
            if (checked > 20000) break;
        }
        CHECK(checked > 0);
    }
    // Ties shrink the variance: the correction is what the exact null with ties gives.
    const std::vector<double> tied{1, 2.5, 2.5, 4, 6, 6, 6};
    CHECK(interpret::rank_sum_null(tied).tie_term == doctest::Approx(6.0 + 24.0));
    CHECK(std::isnan(interpret::rank_sum_test(tied, interpret::rank_sum_null(tied), {}).p));
}

TEST_CASE("p is uniform on random sets: the false-call rate at alpha is alpha") {
    Rng rng(3);
    const Index genes = 2000;
    std::vector<double> values(static_cast<std::size_t>(genes));
    for (double& v : values) v = rng.uniform() < 0.2 ? 0.0 : rng.uniform(); // a fifth tied at zero, as unexpressed genes are
    const std::vector<double> ranks = interpret::mid_ranks(values);
    const interpret::RankSumNull null = interpret::rank_sum_null(ranks);
    const int draws = 20000;
    std::vector<double> p;
    for (int d = 0; d < draws; ++d) p.push_back(interpret::rank_sum_test(ranks, null, random_set(rng, genes, 5 + std::size_t(d % 150))).p);
    for (double alpha : {0.001, 0.01, 0.05, 0.1, 0.5}) {
        const double rate = double(std::count_if(p.begin(), p.end(), [&](double x) { return x < alpha; })) / draws;
        const double sd = std::sqrt(alpha * (1 - alpha) / draws);
        CAPTURE(alpha);
        CHECK(rate < alpha + 4 * sd);  // never liberal beyond chance
        CHECK(rate > alpha - 4 * sd - 0.1 * alpha); // and not much wasted
    }
    // Kolmogorov-Smirnov distance to the uniform.
    std::sort(p.begin(), p.end());
    double ks = 0;
    for (std::size_t i = 0; i < p.size(); ++i) ks = std::max(ks, std::abs(p[i] - double(i + 1) / double(p.size())));
    CHECK(ks < 0.02);
}

TEST_CASE("shuffled genes give no calls: the default pipeline's false-call rate at alpha") {
    // A small random network on random counts: the sets name random genes, so every pair is null.
    nn::AutoencoderOptions a;
    a.encoder_sizes = {32, 8};
    a.seed = 3;
    const nn::Autoencoder<float> model(300, a);
    const Csr<float> counts = random_counts(120, 300, 5);
    Rng rng(17);
    std::vector<NamedSet> sets;
    for (int s = 0; s < 40; ++s) {
        NamedSet set{"SET_" + std::to_string(s), {}};
        for (Index g : random_set(rng, 300, 10 + std::size_t(s % 5) * 10)) set.genes.push_back("Gene" + std::to_string(g));
        sets.push_back(set);
    }
    interpret::PathwayOptions o; // the default: activity-weighted IG from the mean cell, rank-sum test
    o.saliency.steps = 8;
    std::size_t pairs = 0, below = 0, calls = 0;
    for (int shuffle = 0; shuffle < 6; ++shuffle) {
        std::vector<std::string> names = symbols(300);
        Rng order(std::uint64_t(100 + shuffle));
        order.shuffle(names);
        const auto r = interpret::score_pathways(model, counts, names, sets, o);
        for (Index i = 0; i < r.p.size(); ++i) {
            ++pairs;
            below += r.p.data()[i] < 0.05;
            calls += r.q.data()[i] < 0.05;
        }
    }
    const double rate = double(below) / double(pairs);
    MESSAGE("shuffled genes: " << below << " of " << pairs << " pairs at p < 0.05, " << calls << " calls at q < 0.05");
    // The pairs of one set share its genes across nodes, so the rate varies more than binomially.
    CHECK(rate < 0.05 + 0.04);
    CHECK(calls <= 2);
}

TEST_CASE("the per-set null draws on where p may still be small, up to max_permutations") {
    // Node 0 is driven by genes 20..31 only: the set of them beats every random set.
    nn::AutoencoderOptions a;
    a.encoder_sizes = {3, 3};
    a.activation = nn::Activation::identity;
    a.seed = 1;
    nn::Autoencoder<float> model(200, a);
    Matrix<float>& w1 = model.layers[0].weight.value;
    w1.setConstant(0.01f);
    w1.block(20, 0, 12, 1).setConstant(0.5f);
    model.layers[1].weight.value.setIdentity();
    const Csr<float> counts = random_counts(40, 200, 4);
    std::vector<NamedSet> sets{{"NODE0", {}}, {"OTHER", {}}};
    for (int g = 20; g < 32; ++g) sets[0].genes.push_back("Gene" + std::to_string(g));
    for (int g = 100; g < 112; ++g) sets[1].genes.push_back("Gene" + std::to_string(g));
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.saliency.method = interpret::Method::vanilla;
    o.permutations = 100;
    const auto fixed = interpret::score_pathways(model, counts, symbols(200), sets, o);
    CHECK(fixed.p(0, 0) == doctest::Approx(1.0 / 101));
    o.max_permutations = 2000;
    const auto adaptive = interpret::score_pathways(model, counts, symbols(200), sets, o);
    CHECK(adaptive.permutations(0, 0) == 2000);
    CHECK(adaptive.p(0, 0) == doctest::Approx(1.0 / 2001));
    // Where every set of the size is decided, drawing stops as before.
    for (Index k = 1; k < 3; ++k)
        if (adaptive.p(k, 0) > 0.2 && adaptive.p(k, 1) > 0.2) CHECK(adaptive.permutations(k, 0) < 100);
    CHECK(adaptive.p(0, 0) < fixed.p(0, 0) / 10);
}

TEST_CASE("a node that marks a group with AUC >= 0.9 is never silent") {
    RowVector<double> sd(4);
    sd << 1.0, 0.001, 0.8, 0.002;
    CHECK(interpret::silent_nodes(sd, 0.05) == std::vector<Index>{1, 3});
    interpret::NodeActivity activity;
    activity.groups = {"rare", "common"};
    activity.cells = {3, 97};
    activity.auc.resize(2, 4);
    activity.auc << 0.5, 1.0, 0.5, 0.89, //
        0.5, 0.0, 0.5, 0.6;
    CHECK(interpret::silent_nodes(sd, 0.05, &activity) == std::vector<Index>{3});
    CHECK(interpret::silent_nodes(sd, 0.05, &activity, 0.85) == std::vector<Index>{});

    // Through score_pathways: node 1 is raised in three cells only (a rare type), far less spread
    // over all cells than the others, and it marks those cells perfectly.
    nn::AutoencoderOptions a;
    a.encoder_sizes = {4, 2};
    a.activation = nn::Activation::identity;
    a.seed = 2;
    nn::Autoencoder<float> model(40, a);
    model.layers[0].weight.value.setZero();
    model.layers[0].weight.value.col(0).setConstant(1.0f);
    model.layers[0].weight.value(39, 1) = 1e-4f; // gene 39 is expressed in the rare cells only
    model.layers[1].weight.value.setIdentity();
    Matrix<float> dense = Matrix<float>(random_counts(60, 40, 8));
    dense.col(39).setZero();
    std::vector<std::string> groups(60, "common");
    for (Index c : {5, 17, 40}) {
        dense(c, 39) = 20.0f;
        groups[std::size_t(c)] = "rare";
    }
    const Csr<float> counts = dense.sparseView();
    std::vector<NamedSet> sets{{"HALF", {}}};
    for (int g = 20; g < 40; ++g) sets[0].genes.push_back("Gene" + std::to_string(g));
    interpret::PathwayOptions o;
    o.saliency.steps = 4;
    const auto without = interpret::score_pathways(model, counts, symbols(40), sets, o);
    REQUIRE(without.activation_sd(1) < 0.05 * without.activation_sd(0));
    CHECK(without.silent == std::vector<Index>{1});
    const auto with = interpret::score_pathways(model, counts, symbols(40), sets, o, groups);
    CHECK(with.activity.groups.at(1) == "rare");
    CHECK(with.activity.auc(1, 1) == doctest::Approx(1.0));
    CHECK(with.silent.empty());
    CHECK(std::isfinite(with.q(1, 0)));
}

TEST_CASE("node calls: each group's best node, its top sets by z, its top genes by the same attribution") {
    interpret::PathwayResult r;
    r.weighting = interpret::CellWeighting::activity;
    r.sets = {{"S0", {0, 1}, 2, ""}, {"S1", {2, 3}, 2, ""}, {"S2", {4, 5}, 2, ""}, {"S3", {1, 5}, 2, ""}};
    r.activity.groups = {"A", "B"};
    r.activity.cells = {10, 20};
    r.activity.auc.resize(2, 3);
    r.activity.auc << 0.6, 0.95, 0.2, //
        0.7, 0.1, 0.8;
    r.z.resize(3, 4);
    r.z << 1, 2, 3, 4, //
        5, -1, 7, 6,   //
        0, 9, 1, 2;
    r.p = r.z;
    r.q = r.z;
    r.summary.weighted = Matrix<double>::Zero(3, 6);
    r.summary.weighted.row(1) << 0.1, 0.5, -2, 0.3, 0.0, 0.2;
    r.summary.weighted.row(2) << 3, 2, 1, 0, 0, 0;
    r.silent = {2};
    interpret::NodeCallOptions options;
    options.sets = 3;
    options.genes = 2;
    const std::vector<interpret::NodeCall> calls = interpret::node_calls(r, options);
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].group == "A");
    CHECK(calls[0].node == 1);
    CHECK(calls[0].auc == 0.95);
    CHECK(calls[0].sets == std::vector<Index>{2, 3, 0});
    CHECK(calls[0].genes == std::vector<Index>{1, 3}); // largest signed attribution first
    CHECK(!calls[0].silent);
    CHECK(calls[1].node == 2);
    CHECK(calls[1].silent);
    CHECK(calls[1].sets.front() == 1);
    const std::string tsv = interpret::node_calls_tsv(r, calls, {"g0", "g1", "g2", "g3", "g4", "g5"});
    CHECK(tsv.rfind("group\tcells\tnode\tauc\ttop_set\tz\tp\tq\tpresence\tsecond_set\tsecond_z\tthird_set\tthird_z\ttop_genes\n", 0) == 0);
    CHECK(tsv.find("\nA\t10\t1\t0.95\tS2\t7\t7\t7\tNaN\tS3\t6\tS0\t5\tg1,g3\n") != std::string::npos); // presence not computed: NaN
    // Uniform weighting ranks genes by mean |saliency| times the input's sd, as before.
    r.weighting = interpret::CellWeighting::uniform;
    r.summary.mean_abs = Matrix<double>::Ones(3, 6);
    r.input_sd = RowVector<double>::Ones(6);
    r.input_sd(4) = 3;
    CHECK(interpret::top_genes(r, 1, 1) == std::vector<Index>{4});
}

} // namespace test_interpret_calibration
