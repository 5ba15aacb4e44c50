// From nodes to pathways: set matching, the median network, the statistics, the node x set
// scores against brute force, the permutation null, group contrasts and the report files.
#include "support.hpp"
#include <doctest/doctest.h>

#include <unistd.h>

#include "scae/interpret/pathway_report.hpp"
#include "scae/interpret/pathways.hpp"
#include "scae/io/gmt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace test_interpret_pathways {

using namespace scae;
using interpret::MedianNetwork;

namespace {

using scae_test::NamedSet;
using scae_test::random_counts;

std::vector<std::string> symbols(Index genes) {
    std::vector<std::string> s;
    for (Index g = 0; g < genes; ++g) s.push_back("Gene" + std::to_string(g));
    return s;
}

/// A small model and data with a few sets, shared by several tests.
struct Setup {
    nn::Autoencoder<float> model;
    Csr<float> counts;
    std::vector<std::string> genes;
    std::vector<NamedSet> sets;
    Setup() : model(60, [] {
                  nn::AutoencoderOptions o;
                  o.encoder_sizes = {16, 4};
                  o.seed = 5;
                  return o;
              }()),
              counts(random_counts(50, 60, 3)), genes(symbols(60)) {
        Rng rng(9);
        for (int s = 0; s < 5; ++s) {
            NamedSet set{"SET_" + std::to_string(s), {}};
            const int size = 10 + (s % 3) * 3; // sizes 10, 13, 16, 10, 13: shared null streams
            std::vector<int> pool(60);
            std::iota(pool.begin(), pool.end(), 0);
            rng.shuffle(pool);
            for (int i = 0; i < size; ++i) set.genes.push_back("gene" + std::to_string(pool[std::size_t(i)])); // lower case on purpose
            sets.push_back(set);
        }
        sets.push_back({"TOO_SMALL", {"Gene1", "Gene2", "NotAGene"}});
    }
};

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace

TEST_CASE("gene sets match model genes by symbol, ignoring case, with a minimum overlap") {
    const std::vector<std::string> model{"CD3E", "Cd4", "MS4A1", "", "CD3E"};
    const std::vector<NamedSet> sets{{"T", {"cd3e", "CD4", "FOO"}}, {"B", {"ms4a1"}}, {"EMPTY", {"BAR"}}};
    const auto m = interpret::match_gene_sets(sets, model, 2);
    REQUIRE(m.sets.size() == 1);
    CHECK(m.sets[0].name == "T");
    CHECK(m.sets[0].genes == std::vector<Index>{0, 1, 4}); // both CD3E columns
    CHECK(m.sets[0].listed == 3);
    REQUIRE(m.too_small.size() == 2);
    CHECK(m.too_small[0].genes == std::vector<Index>{2});
    CHECK(m.too_small[1].genes.empty());
}

TEST_CASE("pictures call a set by its description when that is a name (GO), by its name when it is a URL (MSigDB)") {
    interpret::MatchedSet go{"GO:0019882", {}, 0, "antigen processing and presentation"};
    CHECK(interpret::display_name(go) == "antigen processing and presentation");
    CHECK(interpret::display_name(go, 20) == "antigen processin..."); // 20 characters
    CHECK(interpret::display_name(go, 2) == "an"); // too narrow for "..."
    interpret::MatchedSet msigdb{"HALLMARK_APOPTOSIS", {}, 0, "http://www.gsea-msigdb.org/gsea/msigdb/cards/HALLMARK_APOPTOSIS"};
    CHECK(interpret::display_name(msigdb) == "HALLMARK_APOPTOSIS");
    // One description shared by several sets (the simulator writes such files) tells them apart
    // by nothing: those sets are called by their names.
    const interpret::MatchedSet p1{"PROGRAM_1", {}, 0, "planted program"}, p2{"PROGRAM_2", {}, 0, "planted program"};
    CHECK(interpret::display_names({go, p1, p2, msigdb}) ==
          std::vector<std::string>{"antigen processing and presentation", "PROGRAM_1", "PROGRAM_2", "HALLMARK_APOPTOSIS"});
    // Sets read from a GMT keep their description; set types without one leave it empty.
    const std::vector<io::GeneSet> read{{"GO:1", "a process", {"Gene1", "Gene2"}}};
    CHECK(interpret::match_gene_sets(read, symbols(5), 1).sets.at(0).description == "a process");
    const std::vector<NamedSet> plain{{"PLAIN", {"Gene1", "Gene2"}}};
    CHECK(interpret::match_gene_sets(plain, symbols(5), 1).sets.at(0).description.empty());
}

TEST_CASE("silent nodes are scored but left out of the q-values") {
    Setup s;
    // Node 1 pushed far below zero on every cell: softplus keeps it at about 0.
    s.model.layers[1].bias.value(0, 1) = -60.0f;
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 50;
    const auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
    CHECK(r.silent == std::vector<Index>{1});
    CHECK(r.activation_sd(1) < 1e-6 * r.activation_sd(0));
    std::vector<double> p_rest;
    for (Index k = 0; k < r.q.rows(); ++k) {
        CHECK(std::isfinite(r.z(k, 0)));
        for (Index j = 0; j < r.q.cols(); ++j) {
            CHECK(std::isnan(r.q(k, j)) == (k == 1));
            if (k != 1) p_rest.push_back(r.p(k, j));
        }
    }
    // The others' q-values are Benjamini-Hochberg over their own p-values.
    const std::vector<double> q = interpret::benjamini_hochberg(p_rest);
    for (Index k = 0, at = 0; k < r.q.rows(); ++k)
        for (Index j = 0; k != 1 && j < r.q.cols(); ++j) CHECK(r.q(k, j) == q[std::size_t(at++)]);
    o.silent_fraction = 0;
    const auto all = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
    CHECK(all.silent.empty());
    CHECK(all.q.allFinite());
}

TEST_CASE("pairs at the p floor are those no random set reached") {
    interpret::PathwayResult r;
    r.p.resize(1, 4);
    r.permutations.resize(1, 4);
    r.p << 1.0 / 1001, 2.0 / 1001, 1.0 / 21, 0.5;
    r.permutations << 1000, 1000, 20, 1000; // the third pair stopped early, at its own floor
    r.q.setConstant(1, 4, 0.5);
    CHECK(interpret::pairs_at_p_floor(r) == 2);
    r.q(0, 0) = std::numeric_limits<double>::quiet_NaN(); // a silent node's pair is not tested
    CHECK(interpret::pairs_at_p_floor(r) == 1);
}

TEST_CASE("a prefix all shown set names share is said once, in the heatmap's title") {
    using interpret::shared_label_prefix;
    CHECK(shared_label_prefix({"HALLMARK_APOPTOSIS", "HALLMARK_HYPOXIA"}) == "HALLMARK_");
    CHECK(shared_label_prefix({"KEGG_CELL_CYCLE", "KEGG_CELL_ADHESION"}) == "KEGG_"); // the collection only
    CHECK(shared_label_prefix({"KEGG_CYCLE", "KEGG_"}).empty());            // a label would be left empty
    CHECK(shared_label_prefix({"SET_1", "OTHER_2"}).empty());
    CHECK(shared_label_prefix({"ABC_DEF", "ABX_DEF"}).empty());
    CHECK(shared_label_prefix({"ABCDEF", "ABCXYZ"}).empty());               // no '_'
    CHECK(shared_label_prefix({"HALLMARK_APOPTOSIS"}).empty());             // one column: nothing to save
    CHECK(shared_label_prefix({}).empty());
}

TEST_CASE("the median network agrees with sorting for every size up to 130, ties included") {
    Rng rng(1);
    for (int n = 1; n <= 130; ++n) {
        MedianNetwork network(n);
        CHECK(network.size() == n);
        const Index lanes = 37;
        std::vector<float> rows(std::size_t(n * lanes)), out(static_cast<std::size_t>(lanes));
        for (float& v : rows) v = float(rng.below(8)); // many ties
        const std::vector<float> copy = rows;
        network.median(rows.data(), lanes, out.data());
        for (Index l = 0; l < lanes; ++l) {
            std::vector<double> column;
            for (int i = 0; i < n; ++i) column.push_back(copy[std::size_t(i * lanes + l)]);
            CHECK(out[std::size_t(l)] == doctest::Approx(median_of(column)));
        }
    }
    CHECK(MedianNetwork(40).comparators() < 300); // pruned and folded: far below a full sort of 64
    CHECK_THROWS_AS(MedianNetwork(0), Error);
}

TEST_CASE("presence: the share of a set's positive attribution from genes up in the node's cells") {
    RowVector<double> attribution(5), shift(5);
    attribution << 3, 1, -2, 0, 4;
    shift << 0.5, -0.2, 0.3, 1, -1;
    CHECK(interpret::presence_share(attribution, shift, {0, 1}) == doctest::Approx(0.75));  // 3 of 3 + 1 up
    CHECK(interpret::presence_share(attribution, shift, {1, 4}) == doctest::Approx(0.0));   // both positive genes down: absence
    CHECK(interpret::presence_share(attribution, shift, {0, 2, 3}) == doctest::Approx(1.0)); // negative and zero attributions do not count
    CHECK(std::isnan(interpret::presence_share(attribution, shift, {2, 3})));              // no positive attribution
}

TEST_CASE("statistics: empirical p, Benjamini-Hochberg, mid-ranks, rank AUC and AUROC") {
    CHECK(interpret::empirical_p(0, 999) == doctest::Approx(0.001));
    CHECK(interpret::empirical_p(999, 999) == doctest::Approx(1.0));
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005, NA), "BH") = 0.02 0.04 0.04 0.02 NA
    const auto q = interpret::benjamini_hochberg({0.01, 0.04, 0.03, 0.005, std::nan("")});
    CHECK(q[0] == doctest::Approx(0.02));
    CHECK(q[1] == doctest::Approx(0.04));
    CHECK(q[2] == doctest::Approx(0.04));
    CHECK(q[3] == doctest::Approx(0.02));
    CHECK(std::isnan(q[4]));
    CHECK(interpret::mid_ranks({3, 1, 3, 2}) == std::vector<double>{3.5, 1, 3.5, 2});
    const std::vector<double> ranks = interpret::mid_ranks({0.1, 0.9, 0.8, 0.2, 0.3});
    CHECK(interpret::set_rank_auc(ranks, {1, 2}) == doctest::Approx(1.0));
    CHECK(interpret::set_rank_auc(ranks, {0, 3}) == doctest::Approx(0.0));
    CHECK(interpret::set_rank_auc(ranks, {0, 1}) == doctest::Approx(0.5));
    CHECK(interpret::auroc({0.9, 0.8, 0.1, 0.3}, {true, true, false, false}) == doctest::Approx(1.0));
    CHECK(interpret::auroc({0.9, 0.2, 0.1, 0.3}, {true, true, false, false}) == doctest::Approx(0.75));
    CHECK(std::isnan(interpret::auroc({1, 2}, {true, true})));
    CHECK_THROWS_AS(interpret::auroc({1, 2, 3}, {true, false}), scae::Error);
}

TEST_CASE("node x set scores are the mean over cells of the median |saliency| over the set's genes") {
    Setup s;
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 200;
    o.saliency.block_cells = 3; // several blocks
    const auto maps = interpret::node_saliency(s.model, s.counts, o.saliency);
    // Each gene's mean |saliency| over all nodes and cells: what normalize_genes divides by.
    std::vector<double> gene_mean(60, 0.0);
    for (const auto& map : maps)
        for (Index g = 0; g < 60; ++g) gene_mean[std::size_t(g)] += map.col(g).cwiseAbs().cast<double>().mean() / double(maps.size());
    for (const bool normalize : {false, true}) {
        CAPTURE(normalize);
        o.normalize_genes = normalize;
        const auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
        REQUIRE(r.sets.size() == 5);
        REQUIRE(r.too_small.size() == 1);
        CHECK(r.too_small[0].name == "TOO_SMALL");
        for (Index k = 0; k < s.model.latent_size(); ++k) {
            for (std::size_t j = 0; j < r.sets.size(); ++j) {
                double total = 0;
                for (Index c = 0; c < s.counts.rows(); ++c) {
                    std::vector<double> v;
                    for (Index g : r.sets[j].genes)
                        v.push_back(std::abs(double(maps[std::size_t(k)](c, g))) / (normalize ? gene_mean[std::size_t(g)] : 1.0));
                    total += median_of(v);
                }
                CHECK(r.score(k, Index(j)) == doctest::Approx(total / double(s.counts.rows())).epsilon(1e-5));
            }
            for (Index g = 0; g < 60; ++g)
                CHECK(r.summary.mean_abs(k, g) == doctest::Approx(maps[std::size_t(k)].col(g).cwiseAbs().cast<double>().mean()).epsilon(1e-5));
        }
    }
    const auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
    CHECK((r.p.array() >= 1.0 / 201).all());
    CHECK((r.p.array() <= 1.0).all());
    CHECK((r.q.array() >= r.p.array() - 1e-12).all());
    CHECK(r.summary.cells == 50);
}

TEST_CASE("the permutation null: p-values, early stopping, determinism and thread independence") {
    Setup s;
    interpret::PathwayOptions all = interpret::reference_pathway_options();
    all.permutations = 300;
    all.stop_exceedances = 0; // every pair draws every permutation
    const auto full = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, all);
    CHECK((full.permutations.array() == 300).all());
    // p is a count of null scores at least the observed one: a multiple of 1/301.
    for (Index i = 0; i < full.p.size(); ++i) {
        const double count = full.p.data()[i] * 301 - 1;
        CHECK(count == doctest::Approx(std::round(count)).epsilon(1e-9));
    }
    interpret::PathwayOptions early = all;
    early.stop_exceedances = 5;
    early.permutation_batch = 20;
    const auto stopped = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, early);
    CHECK(stopped.permutations.minCoeff() >= 20);
    CHECK(stopped.permutations.maxCoeff() <= 300);
    for (Index i = 0; i < stopped.p.size(); ++i) {
        const Index n = stopped.permutations.data()[i];
        if (n < 300) CHECK(stopped.p.data()[i] >= 6.0 / double(n + 1) - 1e-12); // stopped: at least 5 exceedances
        // The same null sets in the same order: where both drew 300, the p-values agree.
        if (n == 300) CHECK(stopped.p.data()[i] == full.p.data()[i]);
    }
    CHECK(stopped.score == full.score);
    // Same seed, same result; another seed, another null.
    const auto again = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, all);
    CHECK(again.p == full.p);
    CHECK(again.z == full.z);
    interpret::PathwayOptions other = all;
    other.seed = 7;
    CHECK(interpret::score_pathways(s.model, s.counts, s.genes, s.sets, other).z != full.z);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto single = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, all);
    omp_set_num_threads(threads);
    CHECK(single.p == full.p);
#endif
}

TEST_CASE("a set of genes that drive a node scores far above random sets of its size") {
    // Node 0 reads only genes 0..11 (large weights); a set of exactly those genes must be
    // the most significant set of node 0, and not of the other nodes.
    nn::AutoencoderOptions options;
    options.encoder_sizes = {6, 3};
    nn::Autoencoder<float> model(40, options);
    auto& w1 = model.layers[0].weight.value;
    auto& w2 = model.layers[1].weight.value;
    w1 *= 0.05f;
    w1.block(0, 0, 12, 1).setConstant(1.0f);
    w2.setConstant(0.01f);
    w2(0, 0) = 1.0f;
    const Csr<float> counts = random_counts(40, 40, 8);
    std::vector<NamedSet> sets{{"DRIVER", {}}, {"OTHER", {}}};
    for (int g = 0; g < 12; ++g) sets[0].genes.push_back("Gene" + std::to_string(g));
    for (int g = 20; g < 32; ++g) sets[1].genes.push_back("Gene" + std::to_string(g));
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.saliency.method = interpret::Method::vanilla;
    o.permutations = 500;
    o.normalize_genes = false; // node 0 dominates every gene here: only raw scores tell sets apart
    const auto r = interpret::score_pathways(model, counts, symbols(40), sets, o);
    CHECK(r.p(0, 0) == doctest::Approx(1.0 / 501));
    CHECK(r.z(0, 0) > 5);
    CHECK(r.p(0, 1) > 0.05);
    CHECK(r.q(0, 0) < 0.05);
    // The rank alternative finds it too: every driver gene outranks every other gene.
    o.score = interpret::SetScore::rank_auc;
    const auto ranked = interpret::score_pathways(model, counts, symbols(40), sets, o);
    CHECK(ranked.score(0, 0) == doctest::Approx(1.0));
    CHECK(ranked.p(0, 0) == doctest::Approx(1.0 / 501));
}

TEST_CASE("the pooled null counts null z-scores in fine bins") {
    interpret::detail::PooledNull pooled;
    for (double z : {0.0, 1.0, 2.0}) pooled.add(z);
    CHECK(pooled.draws() == 3);
    CHECK(pooled.p(1.0) == doctest::Approx(3.0 / 4)); // 1 and 2 reach it
    CHECK(pooled.p(1.0005) == doctest::Approx(3.0 / 4)); // 1's bin, counted as reaching it (conservative)
    CHECK(pooled.p(1.01) == doctest::Approx(2.0 / 4));
    CHECK(pooled.p(-100) == doctest::Approx(1.0)); // beyond the range: the end bins
    CHECK(pooled.p(100) == doctest::Approx(1.0 / 4));
}

TEST_CASE("the pooled null: p below the per-set floor for a strong set, the same order as z, and uniform-ish on random sets") {
    // Node 0 reads only genes 0..11 of 200, as in the test above (with more genes, so that random
    // sets rarely hold a majority of them and the null has no long right tail).
    const Index genes = 200;
    nn::AutoencoderOptions options;
    options.encoder_sizes = {6, 3};
    nn::Autoencoder<float> model(genes, options);
    model.layers[0].weight.value *= 0.05f;
    model.layers[0].weight.value.block(0, 0, 12, 1).setConstant(1.0f);
    model.layers[1].weight.value.setConstant(0.01f);
    model.layers[1].weight.value(0, 0) = 1.0f;
    const Csr<float> counts = random_counts(40, genes, 8);
    std::vector<NamedSet> sets{{"DRIVER", {}}};
    for (int g = 0; g < 12; ++g) sets[0].genes.push_back("Gene" + std::to_string(g));
    Rng rng(4);
    for (int s = 0; s < 20; ++s) { // random sets of 10 to 14 genes
        std::vector<int> pool(std::size_t(genes), 0);
        std::iota(pool.begin(), pool.end(), 0);
        rng.shuffle(pool);
        sets.push_back({"RANDOM_" + std::to_string(s), {}});
        for (int i = 0; i < 10 + s % 5; ++i) sets.back().genes.push_back("Gene" + std::to_string(pool[std::size_t(i)]));
    }
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.saliency.method = interpret::Method::vanilla;
    o.normalize_genes = false;
    o.permutations = 200;
    o.stop_exceedances = 0;
    o.null = interpret::NullDistribution::pooled;
    const auto r = interpret::score_pathways(model, counts, symbols(genes), sets, o);
    CHECK(r.null == interpret::NullDistribution::pooled);
    CHECK(r.pooled_draws == std::size_t(3 * 5 * 200)); // 3 nodes x 5 set sizes x 200 draws
    CHECK(r.p(0, 0) < 1.0 / 201); // below what 200 draws of its own can show
    CHECK(r.q(0, 0) < 0.05);
    for (Index a = 0; a < r.z.size(); ++a)
        for (Index b = 0; b < r.z.size(); ++b)
            if (r.z.data()[a] > r.z.data()[b] + 0.01) CHECK(r.p.data()[a] <= r.p.data()[b]);
    // Random sets are null sets: their pooled p-values spread over (0, 1].
    std::vector<double> random_p;
    for (Index k = 0; k < r.p.rows(); ++k)
        for (Index j = 1; j < r.p.cols(); ++j) random_p.push_back(r.p(k, j));
    const double mean = std::accumulate(random_p.begin(), random_p.end(), 0.0) / double(random_p.size());
    const auto small = std::count_if(random_p.begin(), random_p.end(), [](double p) { return p < 0.05; });
    CHECK(mean == doctest::Approx(0.5).epsilon(0.25));
    CHECK(double(small) <= 0.15 * double(random_p.size()));
}

TEST_CASE("normalising genes divides out a saliency scale that every node shares") {
    // Genes 0..11 (set SHARED) are salient for every node alike; genes 20..31 (set NODE0) are
    // moderately salient for node 0 only. Raw scores rank SHARED first on every node; with
    // each gene divided by its mean over the nodes, NODE0 is node 0's set and SHARED no one's.
    nn::AutoencoderOptions options;
    options.encoder_sizes = {3, 3};
    nn::Autoencoder<float> model(200, options);
    auto& w1 = model.layers[0].weight.value;
    Rng rng(6);
    for (Index i = 0; i < w1.size(); ++i) w1.data()[i] = float(0.05 + 0.1 * rng.uniform());
    w1.topRows(12).setConstant(1.0f);
    w1.block(20, 0, 12, 1).setConstant(0.5f);
    model.layers[1].weight.value.setIdentity();
    const Csr<float> counts = random_counts(40, 200, 4);
    std::vector<NamedSet> sets{{"SHARED", {}}, {"NODE0", {}}};
    for (int g = 0; g < 12; ++g) sets[0].genes.push_back("Gene" + std::to_string(g));
    for (int g = 20; g < 32; ++g) sets[1].genes.push_back("Gene" + std::to_string(g));
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.saliency.method = interpret::Method::vanilla;
    o.permutations = 300;
    o.normalize_genes = false;
    const auto raw = interpret::score_pathways(model, counts, symbols(200), sets, o);
    for (Index k = 0; k < 3; ++k) CHECK(raw.z(k, 0) > raw.z(k, 1));
    o.normalize_genes = true;
    const auto normalized = interpret::score_pathways(model, counts, symbols(200), sets, o);
    CHECK(normalized.z(0, 1) > normalized.z(0, 0));
    CHECK(normalized.q(0, 1) < 0.05);
    for (Index k = 0; k < 3; ++k) CHECK(normalized.q(k, 0) > 0.05);
    CHECK(normalized.gene_scale(0) == doctest::Approx(1.0 / raw.summary.mean_abs.col(0).mean()));
}

TEST_CASE("group contrasts: the score on a group's cells minus the score on the rest") {
    Setup s;
    std::vector<std::string> groups(50);
    for (std::size_t c = 0; c < groups.size(); ++c) groups[c] = c < 20 ? "A" : (c < 45 ? "B" : "");
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 50;
    o.normalize_genes = false; // the gene scale depends on the cells; compare raw scores
    const auto r_normalized = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, interpret::reference_pathway_options(), groups);
    REQUIRE(r_normalized.group_summaries.size() == 2);
    CHECK(r_normalized.group_summaries[1].cells == 25);
    const auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o, groups);
    REQUIRE(r.contrasts.size() == 2);
    CHECK(r.contrasts[0].group == "A");
    CHECK(r.contrasts[0].cells == 20);
    CHECK(r.contrasts[1].cells == 25);
    // Scores of A's cells and of the rest, recomputed on those cells alone.
    const Csr<float> a = data::select_rows(s.counts, [] {
        std::vector<Index> rows(20);
        std::iota(rows.begin(), rows.end(), Index(0));
        return rows;
    }());
    const Csr<float> rest = data::select_rows(s.counts, [] {
        std::vector<Index> rows(30);
        std::iota(rows.begin(), rows.end(), Index(20));
        return rows;
    }());
    const auto on_a = interpret::score_pathways(s.model, a, s.genes, s.sets, o);
    const auto on_rest = interpret::score_pathways(s.model, rest, s.genes, s.sets, o);
    for (Index i = 0; i < on_a.score.size(); ++i) {
        CHECK(r.contrasts[0].in_group.data()[i] == doctest::Approx(on_a.score.data()[i]).epsilon(1e-5));
        CHECK(r.contrasts[0].rest.data()[i] == doctest::Approx(on_rest.score.data()[i]).epsilon(1e-5));
    }
    CHECK_THROWS_AS(interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o, std::vector<std::string>(3)), Error);
}

TEST_CASE("a seeded subsample bounds the cells analysed") {
    Setup s;
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 50;
    o.max_cells = 17;
    const auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
    REQUIRE(r.cells.size() == 17);
    CHECK(std::is_sorted(r.cells.begin(), r.cells.end()));
    CHECK(r.summary.cells == 17);
    CHECK(interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o).cells == r.cells);
}

TEST_CASE("the permutation test runs on a subsample of the scored cells; the score on all of them") {
    Setup s;
    interpret::PathwayOptions all = interpret::reference_pathway_options();
    all.permutations = 100;
    all.stop_exceedances = 0;
    const auto full = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, all);
    CHECK(full.test_cells == 50);
    interpret::PathwayOptions some = all;
    some.test_cells = 20;
    const auto sub = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, some);
    CHECK(sub.test_cells == 20);
    CHECK(sub.score == full.score);
    CHECK(sub.z != full.z);
    for (Index i = 0; i < sub.p.size(); ++i) {
        const double count = sub.p.data()[i] * 101 - 1;
        CHECK(count == doctest::Approx(std::round(count)).epsilon(1e-9));
    }
}

TEST_CASE("inputs that cannot be scored are reported") {
    Setup s;
    CHECK_THROWS_WITH_AS(interpret::score_pathways(s.model, s.counts, symbols(59), s.sets), doctest::Contains("59 gene symbols"), Error);
    const std::vector<NamedSet> tiny{{"TINY", {"Gene1", "Gene2"}}};
    CHECK_THROWS_WITH_AS(interpret::score_pathways(s.model, s.counts, s.genes, tiny), doctest::Contains("at least 10"), Error);
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 0;
    CHECK_THROWS_AS(interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o), Error);
    CHECK(interpret::set_score_from_string("rank_auc") == interpret::SetScore::rank_auc);
    CHECK_THROWS_AS(interpret::set_score_from_string("mean"), Error);
}

TEST_CASE("the median score is refused for attributions that vanish with the input, where most genes are unexpressed") {
    Setup s;
    // The same cells with a tenth of the counts (the rest zero), and with almost all of them.
    const auto thinned = [&](double keep) {
        Matrix<float> m(s.counts);
        Rng rng(17);
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform() < keep ? 1.0f + float(rng.below(20)) : 0.0f;
        Csr<float> c = m.sparseView();
        c.makeCompressed();
        return c;
    };
    const Csr<float> sparse = thinned(0.1), dense = thinned(0.9);
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 20;
    for (interpret::Method method : {interpret::Method::gradient_x_input, interpret::Method::integrated_gradients}) {
        CAPTURE(interpret::to_string(method));
        o.saliency.method = method;
        o.saliency.baseline = interpret::Baseline::zeros;
        o.score = interpret::SetScore::median_saliency;
        CHECK_THROWS_WITH_AS(interpret::score_pathways(s.model, sparse, s.genes, s.sets, o), doctest::Contains("--score rank_auc"), Error);
        CHECK_NOTHROW(interpret::score_pathways(s.model, dense, s.genes, s.sets, o));
        o.score = interpret::SetScore::rank_auc;
        CHECK_NOTHROW(interpret::score_pathways(s.model, sparse, s.genes, s.sets, o));
    }
    // Gradients, and integrated gradients from the mean cell, do not vanish with the input.
    o.score = interpret::SetScore::median_saliency;
    o.saliency.baseline = interpret::Baseline::mean_cell;
    CHECK_NOTHROW(interpret::score_pathways(s.model, sparse, s.genes, s.sets, o));
    o.saliency.method = interpret::Method::guided;
    CHECK_NOTHROW(interpret::score_pathways(s.model, sparse, s.genes, s.sets, o));
}

TEST_CASE("report: long table, top genes, contrasts and a heatmap with marks") {
    Setup s;
    std::vector<std::string> groups(50, "A");
    std::fill(groups.begin() + 25, groups.end(), "B");
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 100;
    auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o, groups);
    const std::string scores = interpret::pathway_scores_tsv(r);
    CHECK(scores.rfind("node\tset\tscore\tz\tp\tq\tpresence\tn_genes\tpermutations\tdescription\n", 0) == 0);
    CHECK(std::count(scores.begin(), scores.end(), '\n') == 1 + 4 * 5);
    const std::string top = interpret::top_genes_tsv(r, s.genes, 3);
    CHECK(std::count(top.begin(), top.end(), '\n') == 1 + 4 * 3);
    CHECK(top.rfind("node\trank\tgene\tattribution\tsd_scaled_saliency\tmean_abs_saliency\tmean_saliency\tinput_sd\n", 0) == 0);
    CHECK(interpret::contrasts_tsv(r).find("\nB\t25\t") != std::string::npos);
    { // the compact form: per group the pairs of largest difference, largest first
        const std::string full = interpret::contrasts_tsv(r);
        CHECK(std::count(full.begin(), full.end(), '\n') == 1 + 2 * 4 * 5);
        const std::string compact = interpret::contrasts_tsv(r, 3);
        CHECK(std::count(compact.begin(), compact.end(), '\n') == 1 + 2 * 3);
        const Matrix<double> difference = r.contrasts[0].in_group - r.contrasts[0].rest;
        Index k = 0, j = 0;
        difference.maxCoeff(&k, &j);
        const std::string first = "\nA\t25\t" + std::to_string(k) + "\t" + r.sets[std::size_t(j)].name + "\t";
        CHECK(compact.find(first) == compact.find('\n'));
    }
    // Mark one call significant: the heatmap shows just that node and pathway, with a dot.
    r.q.setOnes();
    r.q(2, 3) = 0.01;
    const std::string svg = interpret::pathway_heatmap_svg(r);
    CHECK(svg.find(">node 2<") != std::string::npos);
    // A silent node is called so.
    r.silent = {2};
    CHECK(interpret::pathway_heatmap_svg(r).find(">node 2 (silent)<") != std::string::npos);
    r.silent.clear();
    CHECK(svg.find(">node 1<") == std::string::npos);
    CHECK(svg.find(">SET_3<") != std::string::npos); // one column: its name stays whole
    CHECK(svg.find("<circle") != std::string::npos);
    CHECK(svg.find("q &lt; 0.05") != std::string::npos);
    // With no call, the heatmap draws no cells and says so.
    r.q.setOnes();
    const std::string empty = interpret::pathway_heatmap_svg(r);
    CHECK(empty.find("No significant call: none of the 4 nodes x 5 pathways reaches q &lt; 0.05") != std::string::npos);
    CHECK(empty.find("<title>") == std::string::npos);
    r.q(2, 3) = 0.01;
    const auto dir = std::filesystem::temp_directory_path() / ("scae_test_pathway_report_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    interpret::write_pathway_report(dir.string(), r, s.genes);
    for (const char* file : {"scores.tsv", "top_genes.tsv", "heatmap.svg", "contrasts.tsv"})
        CHECK(std::filesystem::exists(dir / file));
    std::filesystem::remove_all(dir);
    CHECK_THROWS_AS(interpret::top_genes_tsv(r, symbols(3), 3), Error);
}

TEST_CASE("top genes are ranked by mean |saliency| times the gene's input standard deviation") {
    Setup s;
    interpret::PathwayOptions o = interpret::reference_pathway_options();
    o.permutations = 20;
    auto r = interpret::score_pathways(s.model, s.counts, s.genes, s.sets, o);
    // The input's standard deviation, by brute force on the transformed counts.
    const Matrix<double> input = Matrix<float>(nn::transform_input(s.counts, s.model.options.input)).cast<double>();
    const RowVector<double> mean = input.colwise().mean();
    for (Index g = 0; g < input.cols(); ++g)
        CHECK(r.input_sd(g) == doctest::Approx(std::sqrt((input.col(g).array() - mean(g)).square().sum() / double(input.rows() - 1))).epsilon(1e-9));
    // A gene the data does not move ranks last whatever its saliency; one that moves a lot, first.
    r.summary.mean_abs.setOnes();
    r.input_sd.setConstant(1.0);
    r.input_sd(7) = 0.0;
    r.input_sd(11) = 5.0;
    r.summary.mean_abs(0, 7) = 100.0;
    CHECK(interpret::top_genes(r, 0, 1) == std::vector<Index>{11});
    CHECK(interpret::top_genes(r, 0, 100).size() == 60);
    CHECK(interpret::top_genes(r, 0, 100).back() == 7);
    const std::string top = interpret::top_genes_tsv(r, s.genes, 60);
    std::istringstream lines(top);
    std::string header, first, line, last;
    std::getline(lines, header);
    std::getline(lines, first);
    while (std::getline(lines, line))
        if (line.rfind("0\t", 0) == 0) last = line;
    CHECK(first.rfind("0\t1\tGene11\tNaN\t5\t", 0) == 0);
    CHECK(last.rfind("0\t60\tGene7\tNaN\t0\t100\t", 0) == 0);
}

} // namespace test_interpret_pathways
