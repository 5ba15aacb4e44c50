// Saliency: every method and target against PyTorch on tiny fixed networks, the batched
// all-node formulation against the per-node tape loop, integrated gradients' completeness, and
// guided = vanilla where no gradient is negative.
#include <doctest/doctest.h>

#include "scae/interpret/node_saliency.hpp"
#include "scae/interpret/saliency.hpp"
#include "support.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace test_interpret_saliency {

using namespace scae;
using interpret::Method;
using interpret::Target;

namespace {

const nlohmann::json& fixture() {
    static const nlohmann::json j = [] {
        std::ifstream in(scae_test::fixtures_dir() + "/interpret/saliency.json");
        REQUIRE(in.good());
        return nlohmann::json::parse(in);
    }();
    return j;
}

template <class T>
Matrix<T> matrix_from(const nlohmann::json& rows) {
    Matrix<T> m(Index(rows.size()), Index(rows.at(0).size()));
    for (Index r = 0; r < m.rows(); ++r)
        for (Index c = 0; c < m.cols(); ++c) m(r, c) = T(rows[std::size_t(r)][std::size_t(c)].get<double>());
    return m;
}

/// The fixture network `net` as an scae model, weights copied exactly.
template <class T>
nn::Autoencoder<T> model_from(const nlohmann::json& net) {
    nn::AutoencoderOptions options;
    options.encoder_sizes = net["encoder_sizes"].get<std::vector<Index>>();
    options.loss = nn::loss_from_string(net["loss"]);
    options.input.target_sum = net["input"]["target_sum"];
    options.input.log1p = net["input"]["log1p"];
    nn::Autoencoder<T> model(net["genes"].get<Index>(), options);
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
        const auto& layer = net["layers"][i];
        model.layers[i].weight.value = matrix_from<T>(layer["weight"]);
        model.layers[i].bias.value = matrix_from<T>(nlohmann::json::array({layer["bias"]}));
        model.layers[i].activation = nn::activation_from_string(layer["activation"]);
        model.layers[i].beta = T(layer["beta"].get<double>());
    }
    if (net.contains("log_theta")) model.log_theta.value = matrix_from<T>(nlohmann::json::array({net["log_theta"]}));
    return model;
}

template <class T>
Csr<T> counts_from(const nlohmann::json& net) {
    Csr<T> counts = matrix_from<T>(net["counts"]).sparseView();
    counts.makeCompressed();
    return counts;
}

interpret::SaliencyOptions options_for(const std::string& method, int steps) {
    interpret::SaliencyOptions o;
    o.steps = steps;
    o.block_cells = 2; // several blocks even on the tiny fixtures
    if (method == "ig_zeros" || method == "ig_mean") {
        o.method = Method::integrated_gradients;
        o.baseline = method == "ig_zeros" ? interpret::Baseline::zeros : interpret::Baseline::mean_cell;
    } else {
        o.method = interpret::method_from_string(method);
    }
    return o;
}

template <class A, class B>
double max_difference(const A& a, const B& b) {
    return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff();
}

/// Random raw counts with zeros (4 in 10 entries, then 0..19), for the checks that need no fixture.
Csr<float> random_counts(Index cells, Index genes, std::uint64_t seed) { return scae_test::random_counts(cells, genes, seed, 0.4, 0, 20); }

} // namespace

TEST_CASE("every method and target matches PyTorch on the fixture networks (tape path)") {
    const std::vector<std::string> methods{"vanilla", "guided", "gradxinput", "ig_zeros", "ig_mean"};
    for (const auto& net : fixture()["networks"]) {
        const auto model = model_from<double>(net);
        const Csr<double> counts = counts_from<double>(net);
        const Index latent = net["encoder_sizes"].back().get<Index>();
        std::vector<std::pair<std::string, Target>> targets;
        for (Index k = 0; k < latent; ++k) targets.emplace_back("node/" + std::to_string(k), Target::node(k));
        const Index genes = net["genes"].get<Index>();
        targets.emplace_back("gene/1", Target::output_gene(1));
        targets.emplace_back("gene/" + std::to_string(genes - 1), Target::output_gene(genes - 1));
        targets.emplace_back("loss", Target::loss());
        for (const auto& method : methods) {
            for (const auto& [name_, target] : targets) {
                const std::string name = name_; // CAPTURE's lambda cannot capture a structured binding in C++17
                CAPTURE(net["name"].get<std::string>());
                CAPTURE(method);
                CAPTURE(name);
                const auto& expected = net["expected"][method + "/" + name];
                const auto map = interpret::saliency(model, counts, target, options_for(method, net["ig_steps"]));
                const Matrix<double> want = matrix_from<double>(expected["values"]);
                CHECK(max_difference(map.values, want) <= 1e-10 * (1 + want.cwiseAbs().maxCoeff()));
                if (expected.contains("output_change")) {
                    const auto change = expected["output_change"].get<std::vector<double>>();
                    REQUIRE(map.output_change.size() == change.size());
                    for (std::size_t c = 0; c < change.size(); ++c) CHECK(map.output_change[c] == doctest::Approx(change[c]).epsilon(1e-10));
                }
            }
        }
    }
}

TEST_CASE("the batched all-node formulation matches PyTorch for every method") {
    for (const auto& net : fixture()["networks"]) {
        const auto model = model_from<double>(net);
        const Csr<double> counts = counts_from<double>(net);
        for (const std::string method : {"vanilla", "guided", "gradxinput", "ig_zeros", "ig_mean"}) {
            CAPTURE(net["name"].get<std::string>());
            CAPTURE(method);
            const auto maps = interpret::node_saliency(model, counts, options_for(method, net["ig_steps"]));
            REQUIRE(Index(maps.size()) == model.latent_size());
            for (Index k = 0; k < model.latent_size(); ++k) {
                const Matrix<double> want = matrix_from<double>(net["expected"][method + "/node/" + std::to_string(k)]["values"]);
                CHECK(max_difference(maps[std::size_t(k)], want) <= 1e-10 * (1 + want.cwiseAbs().maxCoeff()));
            }
        }
    }
}

TEST_CASE("guided backprop differs from vanilla on the fixtures: the clamp is exercised") {
    // With two hidden layers below the bottleneck the guided result depends on the clamp
    // per cell and node; the check above would pass trivially if no gradient were negative.
    const auto& net = fixture()["networks"][1];
    const auto& e = net["expected"];
    for (Index k = 0; k < 3; ++k) {
        const std::string node = "/node/" + std::to_string(k);
        CHECK(max_difference(matrix_from<double>(e["guided" + node]["values"]), matrix_from<double>(e["vanilla" + node]["values"])) > 1e-3);
    }
}

TEST_CASE("batched all-node saliency equals the per-node tape loop (float, several layers and blocks)") {
    for (const std::vector<Index>& sizes : {std::vector<Index>{16, 6}, std::vector<Index>{20, 12, 5}}) {
        nn::AutoencoderOptions options;
        options.encoder_sizes = sizes;
        options.seed = 7;
        nn::Autoencoder<float> model(40, options);
        for (auto& layer : model.layers) {
            Rng rng(3);
            for (Index i = 0; i < layer.bias.value.size(); ++i) layer.bias.value.data()[i] = float(0.5 * rng.normal());
        }
        const Csr<float> counts = random_counts(37, 40, 11);
        for (Method method : {Method::vanilla, Method::guided, Method::gradient_x_input, Method::integrated_gradients}) {
            CAPTURE(interpret::to_string(method));
            interpret::SaliencyOptions o;
            o.method = method;
            o.steps = 8;
            o.block_cells = 5;
            o.baseline = interpret::Baseline::mean_cell;
            const auto maps = interpret::node_saliency(model, counts, o);
            for (Index k = 0; k < model.latent_size(); ++k) {
                const auto tape = interpret::saliency(model, counts, Target::node(k), o);
                const double scale = tape.values.cwiseAbs().maxCoeff();
                CHECK(scale > 0);
                CHECK(max_difference(maps[std::size_t(k)], tape.values) <= 1e-5 * scale);
            }
        }
    }
}

TEST_CASE("NodeSaliency: any cells in any order, node ranges, and integrated gradients' output change") {
    nn::AutoencoderOptions options;
    options.encoder_sizes = {12, 5};
    nn::Autoencoder<double> model(30, options);
    Csr<double> counts = random_counts(9, 30, 5).cast<double>();
    interpret::SaliencyOptions o;
    o.method = Method::integrated_gradients;
    o.steps = 64;
    const interpret::NodeSaliency<double> saliency(model, counts, o);
    interpret::NodeGradients<double> gradients;
    interpret::MapScratch<double> scratch;
    Matrix<double> map;
    const std::vector<Index> cells{6, 3, 5, 4};
    saliency.gradients(cells, 1, 3, gradients); // nodes 1..3
    REQUIRE(gradients.size() == 4);
    REQUIRE(gradients.output_change.rows() == 4);
    REQUIRE(gradients.output_change.cols() == 3);
    saliency.map(gradients, 1, map, scratch); // node 2
    REQUIRE(map.rows() == 4);
    REQUIRE(map.cols() == 30);
    const auto node2 = interpret::saliency(model, counts, Target::node(2), o);
    for (Index c = 0; c < 4; ++c) {
        const Index cell = cells[std::size_t(c)];
        CHECK(max_difference(map.row(c), node2.values.row(cell)) < 1e-12);
        // Completeness: a cell's attributions add up to the change of the node's activation along the path.
        CHECK(map.row(c).sum() == doctest::Approx(gradients.output_change(c, 1)).epsilon(0.01));
        CHECK(gradients.output_change(c, 1) == doctest::Approx(node2.output_change[std::size_t(cell)]).epsilon(1e-12));
    }
    CHECK_THROWS_AS(saliency.gradients({9}, 0, 1, gradients), Error);
    CHECK_THROWS_AS(saliency.gradients({-1}, 0, 1, gradients), Error);
    CHECK_THROWS_AS(saliency.gradients({0}, 4, 2, gradients), Error);
}

TEST_CASE("guided backprop leaves out the units its clamp zeroes, and the maps stay exact") {
    // One hidden layer: under guided backprop the units with a negative weight into node k
    // carry no gradient for any cell, so map() multiplies only the others.
    nn::AutoencoderOptions options;
    options.encoder_sizes = {16, 4};
    options.seed = 5;
    nn::Autoencoder<double> model(25, options);
    const Csr<double> counts = random_counts(7, 25, 4).cast<double>();
    interpret::SaliencyOptions o;
    o.method = Method::guided;
    const interpret::NodeSaliency<double> saliency(model, counts, o);
    interpret::NodeGradients<double> gradients;
    interpret::MapScratch<double> scratch;
    Matrix<double> map;
    saliency.gradients({0, 1, 2, 3, 4, 5, 6}, 0, 4, gradients);
    for (Index k = 0; k < 4; ++k) {
        CAPTURE(k);
        saliency.map(gradients, k, map, scratch);
        const Index positive = (model.layers[1].weight.value.col(k).array() > 0).count();
        CHECK(Index(scratch.active.size()) == positive);
        CHECK(positive < 16);
        CHECK(max_difference(map, interpret::saliency(model, counts, Target::node(k), o).values) < 1e-12);
    }
    // A node whose incoming weights are all negative: guided backprop passes nothing back.
    model.layers[1].weight.value.col(2) = -model.layers[1].weight.value.col(2).cwiseAbs();
    const interpret::NodeSaliency<double> negative(model, counts, o);
    negative.gradients({0, 1, 2}, 2, 1, gradients);
    negative.map(gradients, 0, map, scratch);
    CHECK(scratch.active.empty());
    REQUIRE(map.rows() == 3);
    REQUIRE(map.cols() == 25);
    CHECK(map.cwiseAbs().maxCoeff() == 0);
    CHECK(interpret::saliency(model, counts, Target::node(2), o).values.cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("integrated gradients is complete within 1% at 64 steps for every target") {
    nn::AutoencoderOptions options;
    options.encoder_sizes = {24, 8};
    options.seed = 3;
    nn::Autoencoder<double> model(50, options);
    const Csr<double> counts = random_counts(12, 50, 9).cast<double>();
    for (interpret::Baseline baseline : {interpret::Baseline::zeros, interpret::Baseline::mean_cell, interpret::Baseline::depth}) {
        CAPTURE(interpret::to_string(baseline));
        interpret::SaliencyOptions o;
        o.method = Method::integrated_gradients;
        o.steps = 64;
        o.baseline = baseline;
        for (Target target : {Target::node(0), Target::node(7), Target::output_gene(10), Target::loss()}) {
            const auto map = interpret::saliency(model, counts, target, o);
            CHECK(map.relative_completeness_gap() < 0.01);
            for (std::size_t c = 0; c < map.output_change.size(); ++c)
                CHECK(std::abs(map.completeness_gap[c]) <= 0.01 * std::abs(map.output_change[c]) + 1e-9);
        }
    }
    // Few steps are visibly incomplete, so the check above can fail.
    interpret::SaliencyOptions coarse;
    coarse.method = Method::integrated_gradients;
    coarse.steps = 1;
    CHECK(interpret::saliency(model, counts, Target::loss(), coarse).relative_completeness_gap() > 0.01);
}

TEST_CASE("the depth baseline: the mean cell at each cell's depth, complete, and the mean cell where depth is scaled away") {
    // Cells at four depths, each gene's count proportional to depth: the baseline follows depth,
    // passes through the mean cell at the mean depth, and each cell's input differs from its own
    // baseline by much less than from the mean cell.
    const Index cells = 40, genes = 30;
    Matrix<float> dense(cells, genes);
    Rng rng(4);
    std::vector<double> share(static_cast<std::size_t>(genes));
    for (double& s : share) s = 0.2 + rng.uniform();
    for (Index c = 0; c < cells; ++c)
        for (Index g = 0; g < genes; ++g) dense(c, g) = float(std::round(share[std::size_t(g)] * double(5 << (c % 4))));
    Csr<float> counts = dense.sparseView();
    counts.makeCompressed();
    nn::AutoencoderOptions options;
    options.encoder_sizes = {16, 4};
    options.seed = 5;
    nn::Autoencoder<float> model(genes, options);
    const Csr<float> input = interpret::model_input(model, counts);
    using interpret::Baseline;
    const interpret::CellBaselines<float> depth = interpret::cell_baselines(counts, input, model.options.input, Baseline::depth);
    const interpret::CellBaselines<float> mean = interpret::cell_baselines(counts, input, model.options.input, Baseline::mean_cell);
    CHECK(mean.shared());
    CHECK(!depth.shared());
    CHECK(std::abs(depth.offset.sum()) < 1e-4);
    CHECK(max_difference(depth.mean, mean.mean) == 0); // the line passes through the mean cell
    CHECK(depth.slope.minCoeff() > 0);                 // deeper cells, higher baseline
    const Matrix<float> x(input);
    double to_own = 0, to_mean = 0;
    for (Index c = 0; c < cells; ++c) {
        to_own += (x.row(c) - depth.row(c)).squaredNorm();
        to_mean += (x.row(c) - mean.row(c)).squaredNorm();
    }
    CHECK(to_own < 0.1 * to_mean);
    // Completeness against each cell's own baseline, on the tape and batched.
    interpret::SaliencyOptions o;
    o.method = Method::integrated_gradients;
    o.baseline = interpret::Baseline::depth;
    o.steps = 64;
    o.block_cells = 7;
    const interpret::NodeSaliency<float> batched(model, counts, o);
    interpret::NodeGradients<float> gradients;
    interpret::MapScratch<float> scratch;
    Matrix<float> map;
    std::vector<Index> all(static_cast<std::size_t>(cells));
    std::iota(all.begin(), all.end(), Index(0));
    batched.gradients(all, 0, model.latent_size(), gradients);
    for (Index k = 0; k < model.latent_size(); ++k) {
        const auto tape = interpret::saliency(model, counts, Target::node(k), o);
        CHECK(tape.relative_completeness_gap() < 0.01);
        batched.map(gradients, k, map, scratch);
        CHECK(max_difference(map, tape.values) <= 1e-4 * (1 + tape.values.cwiseAbs().maxCoeff()));
        for (Index c = 0; c < cells; ++c) {
            // Both ends in float, each taken its own way: agreement to float rounding of the activations.
            const double change = tape.output_change[std::size_t(c)];
            CHECK(std::abs(gradients.output_change(c, k) - change) <= 1e-5 + 1e-3 * std::abs(change));
            CHECK(std::abs(double(map.row(c).sum()) - tape.output_change[std::size_t(c)]) <=
                  0.01 * std::abs(tape.output_change[std::size_t(c)]) + 1e-4);
        }
    }
    // A model that scales every cell to one total does not see depth: the mean cell for all.
    nn::AutoencoderOptions scaled = options;
    scaled.input.target_sum = 1e4;
    nn::Autoencoder<float> normalised(genes, scaled);
    const Csr<float> scaled_input = interpret::model_input(normalised, counts);
    const interpret::CellBaselines<float> none = interpret::cell_baselines(counts, scaled_input, normalised.options.input, Baseline::depth);
    CHECK(none.shared());
    CHECK(max_difference(none.mean, interpret::baseline_input(scaled_input, interpret::Baseline::mean_cell)) == 0);
    CHECK(interpret::to_string(interpret::Baseline::depth) == "depth");
}

TEST_CASE("guided equals vanilla where no gradient is negative") {
    // Non-negative weights and increasing activations: every gradient on the way back is >= 0,
    // so the guided clamp never acts.
    nn::AutoencoderOptions options;
    options.encoder_sizes = {10, 4};
    nn::Autoencoder<double> model(20, options);
    for (auto& layer : model.layers) layer.weight.value = layer.weight.value.cwiseAbs();
    const Csr<double> counts = random_counts(6, 20, 2).cast<double>();
    interpret::SaliencyOptions vanilla, guided;
    vanilla.method = Method::vanilla;
    guided.method = Method::guided;
    for (Target target : {Target::node(0), Target::node(3), Target::output_gene(5)}) {
        const auto v = interpret::saliency(model, counts, target, vanilla);
        CHECK(v.values.minCoeff() >= 0);
        CHECK(max_difference(v.values, interpret::saliency(model, counts, target, guided).values) == 0);
    }
    const auto v = interpret::node_saliency(model, counts, vanilla);
    const auto g = interpret::node_saliency(model, counts, guided);
    for (std::size_t k = 0; k < v.size(); ++k) CHECK(max_difference(v[k], g[k]) == 0);
    // The loss gradient is negative where the rate is below the count (a count far above every
    // rate): there guided backprop clamps it and the two differ.
    Matrix<double> many = Matrix<double>::Constant(3, 20, 5.0);
    many.col(3).setConstant(5000.0);
    const Csr<double> high = many.sparseView();
    CHECK(max_difference(interpret::saliency(model, high, Target::loss(), vanilla).values,
                         interpret::saliency(model, high, Target::loss(), guided).values) > 1.0);
}

TEST_CASE("saliency leaves the model's parameter gradients untouched") {
    nn::AutoencoderOptions options;
    options.encoder_sizes = {8, 3};
    nn::Autoencoder<float> model(15, options);
    const Csr<float> counts = random_counts(4, 15, 1);
    (void)interpret::saliency(model, counts, Target::loss());
    for (const auto& layer : model.layers) CHECK(layer.weight.grad.size() == 0);
}

TEST_CASE("bad targets, options and data are reported") {
    nn::AutoencoderOptions options;
    options.encoder_sizes = {8, 3};
    nn::Autoencoder<float> model(15, options);
    const Csr<float> counts = random_counts(4, 15, 1);
    CHECK_THROWS_WITH_AS(interpret::saliency(model, counts, Target::node(3)), doctest::Contains("bottleneck has 3 nodes"), Error);
    CHECK_THROWS_AS(interpret::saliency(model, counts, Target::output_gene(15)), Error);
    CHECK_THROWS_WITH_AS(interpret::saliency(model, counts, Target::all_nodes()), doctest::Contains("node_saliency"), Error);
    CHECK_THROWS_WITH_AS(interpret::saliency(model, random_counts(4, 14, 1), Target::loss()), doctest::Contains("14 genes"), Error);
    interpret::SaliencyOptions bad;
    bad.steps = 0;
    CHECK_THROWS_AS(interpret::node_saliency(model, counts, bad), Error);
    CHECK(interpret::method_from_string("ig") == Method::integrated_gradients);
    CHECK_THROWS_WITH_AS(interpret::method_from_string("smoothgrad"), doctest::Contains("vanilla, guided"), Error);
}

} // namespace test_interpret_saliency
