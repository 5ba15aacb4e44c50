// Saliency summaries: per node and gene, the means over groups of cells equal the means of the
// full maps, left-out cells are left out, groups pool back to all cells, and the result does
// not depend on the number of threads or the block size.
#include <doctest/doctest.h>

#include "scae/core/random.hpp"
#include "scae/interpret/summary.hpp"
#include "support.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace test_interpret_summary {

using namespace scae;
using interpret::Method;

namespace {

/// Sparse random counts: 7 in 10 entries zero, the others 1..20.
Csr<float> random_counts(Index cells, Index genes, std::uint64_t seed) { return scae_test::random_counts(cells, genes, seed, 0.7, 1, 20); }

nn::Autoencoder<float> small_model(std::vector<Index> sizes) {
    nn::AutoencoderOptions options;
    options.encoder_sizes = std::move(sizes);
    options.seed = 11;
    nn::Autoencoder<float> model(30, options);
    Rng rng(4);
    for (auto& layer : model.layers)
        for (Index i = 0; i < layer.bias.value.size(); ++i) layer.bias.value.data()[i] = float(0.5 * rng.normal());
    return model;
}

} // namespace

TEST_CASE("summaries are the per-group means of the maps, for every method") {
    const Csr<float> counts = random_counts(23, 30, 2);
    // Groups 0 and 1, and cells left out (-1).
    std::vector<int> group(23);
    for (std::size_t c = 0; c < group.size(); ++c) group[c] = c % 5 == 4 ? -1 : int(c % 2);
    for (const std::vector<Index>& sizes : {std::vector<Index>{16, 6}, std::vector<Index>{14, 9, 5}}) {
        const auto model = small_model(sizes);
        for (Method method : {Method::vanilla, Method::guided, Method::gradient_x_input, Method::integrated_gradients}) {
            CAPTURE(interpret::to_string(method));
            interpret::SaliencyOptions o;
            o.method = method;
            o.steps = 8;
            o.block_cells = 4; // several blocks per group, the last one short
            const auto maps = interpret::node_saliency(model, counts, o);
            const auto summaries = interpret::summarize_node_saliency(model, counts, o, group);
            REQUIRE(summaries.size() == 2);
            for (int q = 0; q < 2; ++q) {
                Index cells = 0;
                for (int g : group) cells += g == q;
                CHECK(summaries[std::size_t(q)].cells == cells);
                for (Index k = 0; k < model.latent_size(); ++k) {
                    RowVector<double> mean_abs = RowVector<double>::Zero(30), mean = mean_abs;
                    for (Index c = 0; c < 23; ++c) {
                        if (group[std::size_t(c)] != q) continue;
                        mean_abs += maps[std::size_t(k)].row(c).cwiseAbs().cast<double>();
                        mean += maps[std::size_t(k)].row(c).cast<double>();
                    }
                    const double scale = mean_abs.maxCoeff() / double(cells);
                    CHECK(scale > 0);
                    CHECK((summaries[std::size_t(q)].mean_abs.row(k) - mean_abs / double(cells)).cwiseAbs().maxCoeff() <= 1e-5 * scale);
                    CHECK((summaries[std::size_t(q)].mean.row(k) - mean / double(cells)).cwiseAbs().maxCoeff() <= 1e-5 * scale);
                }
            }
        }
    }
}

TEST_CASE("groups pool back to all cells, and neither threads nor block size change the result") {
    const Csr<float> counts = random_counts(41, 30, 8);
    const auto model = small_model({16, 6});
    interpret::SaliencyOptions o;
    o.method = Method::guided;
    std::vector<int> group(41);
    for (std::size_t c = 0; c < group.size(); ++c) group[c] = int(c % 3);
    const auto parts = interpret::summarize_node_saliency(model, counts, o, group);
    const auto all = interpret::summarize_node_saliency(model, counts, o);
    const auto pooled = interpret::pool_summaries(parts);
    CHECK(pooled.cells == 41);
    CHECK((pooled.mean_abs - all[0].mean_abs).cwiseAbs().maxCoeff() <= 1e-6 * all[0].mean_abs.maxCoeff());
    CHECK_THROWS_WITH_AS(interpret::summarize_node_saliency(model, Csr<float>(0, 30), o), doctest::Contains("no cells"), scae::Error);

#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = interpret::summarize_node_saliency(model, counts, o);
    omp_set_num_threads(2);
    const auto two = interpret::summarize_node_saliency(model, counts, o);
    omp_set_num_threads(threads);
    CHECK(one[0].mean_abs == two[0].mean_abs); // bit for bit
    CHECK(one[0].mean == two[0].mean);
#endif
    o.block_cells = 7;
    const auto other_blocks = interpret::summarize_node_saliency(model, counts, o);
    CHECK((other_blocks[0].mean_abs - all[0].mean_abs).cwiseAbs().maxCoeff() <= 1e-6 * all[0].mean_abs.maxCoeff());
}

TEST_CASE("summaries refuse group labels that do not fit") {
    const Csr<float> counts = random_counts(5, 30, 1);
    const auto model = small_model({8, 3});
    const interpret::NodeSaliency<float> saliency(model, counts, {});
    CHECK_THROWS_WITH_AS(interpret::summarize_node_saliency(saliency, {0, 0, 0}, 1, 32), doctest::Contains("3 group labels for 5 cells"),
                         Error);
    CHECK_THROWS_WITH_AS(interpret::summarize_node_saliency(saliency, {0, 0, 2, 0, 0}, 2, 32), doctest::Contains("outside [-1, 2)"),
                         Error);
    CHECK_THROWS_AS(interpret::summarize_node_saliency(saliency, {0, 0, 0, 0, 0}, 1, 0), Error);
}

} // namespace test_interpret_summary
