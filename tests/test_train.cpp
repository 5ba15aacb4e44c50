// Training an autoencoder on a seeded low-rank Poisson count matrix.
#include <doctest/doctest.h>

#include "scae/train/train.hpp"
#include "support.hpp"

#include <algorithm>
#include <random>

namespace test_train {

using namespace scae;

namespace {

/// Counts drawn from Poisson(library * softmax-free low-rank rate): 4 cell groups, each
/// raising its own block of genes. Deterministic for a seed.
Csr<float> low_rank_counts(int cells, int genes, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<Eigen::Triplet<float>> entries;
    for (int c = 0; c < cells; ++c) {
        const int group = c % 4;
        const double library = 0.5 + rng.uniform();
        for (int g = 0; g < genes; ++g) {
            double rate = 0.3 * library;
            if (g % 4 == group) rate *= 8;
            // Poisson by inversion (rates are small here).
            double u = rng.uniform(), p = std::exp(-rate), cdf = p;
            int k = 0;
            while (u > cdf && k < 100) {
                ++k;
                p *= rate / k;
                cdf += p;
            }
            if (k > 0) entries.emplace_back(c, g, float(k));
        }
    }
    Csr<float> m(cells, genes);
    m.setFromTriplets(entries.begin(), entries.end());
    m.makeCompressed();
    return m;
}

nn::AutoencoderOptions small_model() { return scae_test::small_architecture({16, 4}); }

train::TrainOptions quick(int epochs) { return scae_test::quick_training(epochs, 32); }

/// Poisson loss of predicting each gene's training mean for every held-out cell.
double gene_mean_baseline(const Csr<float>& counts, double validation_fraction, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<int> order(counts.rows());
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order);
    const std::size_t held = std::size_t(validation_fraction * order.size());
    Matrix<float> dense(counts);
    RowVector<double> mean = RowVector<double>::Zero(counts.cols());
    for (std::size_t i = held; i < order.size(); ++i) mean += dense.row(order[i]).cast<double>();
    mean /= double(order.size() - held);
    double loss = 0;
    for (std::size_t i = 0; i < held; ++i)
        for (Index g = 0; g < counts.cols(); ++g) loss += mean(g) - dense(order[i], g) * std::log(mean(g) + 1e-8);
    return loss / double(held * counts.cols());
}

} // namespace

TEST_CASE("training lowers the validation loss well below the gene-mean baseline") {
    const Csr<float> counts = low_rank_counts(600, 60, 1);
    nn::Autoencoder<float> model(counts.cols(), small_model());
    const auto history = train::fit(model, counts, quick(40));
    const double baseline = gene_mean_baseline(counts, 0.1, 42);
    const double best = history.epochs[history.best_epoch - 1].validation_loss;
    MESSAGE("gene-mean baseline " << baseline << ", trained " << best);
    CHECK(history.validation_cells == 60);
    CHECK(history.epochs.front().validation_loss > best);
    CHECK(best < baseline - 0.1); // the baseline ignores groups; the model finds them
    // The 4 groups (cell c is in group c % 4) are separable in the bottleneck: every two group
    // means lie further apart than a typical cell lies from its own group's mean.
    const Matrix<double> z = model.encode(counts).cast<double>();
    REQUIRE(z.rows() == 600);
    REQUIRE(z.cols() == 4);
    Matrix<double> means = Matrix<double>::Zero(4, z.cols());
    for (Index c = 0; c < z.rows(); ++c) means.row(c % 4) += z.row(c) / 150.0;
    double spread = 0;
    for (Index c = 0; c < z.rows(); ++c) spread += (z.row(c) - means.row(c % 4)).squaredNorm() / double(z.rows());
    spread = std::sqrt(spread);
    for (Index a = 0; a < 4; ++a)
        for (Index b = a + 1; b < 4; ++b) {
            CAPTURE(a);
            CAPTURE(b);
            CHECK((means.row(a) - means.row(b)).norm() > spread);
        }
}

TEST_CASE("same seed and thread count give a bit-identical model") {
    const Csr<float> counts = low_rank_counts(200, 30, 2);
    nn::Autoencoder<float> a(30, small_model()), b(30, small_model());
    auto options = quick(3);
    options.threads = 2;
    const auto ha = train::fit(a, counts, options);
    const auto hb = train::fit(b, counts, options);
    for (std::size_t i = 0; i < a.layers.size(); ++i) CHECK(a.layers[i].weight.value == b.layers[i].weight.value);
    CHECK(ha.epochs.back().train_loss == hb.epochs.back().train_loss);
    options.seed = 7;
    nn::Autoencoder<float> c(30, small_model());
    train::fit(c, counts, options);
    CHECK_FALSE(a.layers[0].weight.value == c.layers[0].weight.value);
}

TEST_CASE("the thread count does not change the model, whatever the hidden activation") {
    // Large enough that every fused op, and every product of the composed ops (relu, tanh,
    // sigmoid, identity), splits its work over threads.
    const Csr<float> counts = low_rank_counts(300, 300, 8);
    for (const nn::Activation activation : {nn::Activation::softplus, nn::Activation::relu, nn::Activation::tanh,
                                            nn::Activation::sigmoid, nn::Activation::identity}) {
        INFO(nn::to_string(activation));
        auto mo = small_model();
        mo.encoder_sizes = {64, 16};
        mo.activation = activation;
        std::vector<std::vector<Matrix<float>>> weights;
        std::vector<double> losses;
        for (int threads : {1, 2, 3}) {
            nn::Autoencoder<float> model(300, mo);
            auto options = quick(2);
            options.batch_size = 100;
            options.threads = threads;
            const auto history = train::fit(model, counts, options);
            losses.push_back(history.epochs.back().validation_loss);
            weights.emplace_back();
            for (const auto& layer : model.layers) weights.back().push_back(layer.weight.value);
        }
        for (std::size_t t = 1; t < weights.size(); ++t) {
            CHECK(losses[t] == losses[0]);
            for (std::size_t i = 0; i < weights[0].size(); ++i) CHECK(weights[t][i] == weights[0][i]);
        }
    }
}

TEST_CASE("counts stored unsorted or uncompressed train like the same counts stored sorted") {
    const Csr<float> sorted = low_rank_counts(120, 20, 9);
    Csr<float> unsorted = sorted;
    // Reverse every row's entries: the same matrix, stored out of column order.
    for (Index r = 0; r < unsorted.rows(); ++r) {
        const int b = unsorted.outerIndexPtr()[r], e = unsorted.outerIndexPtr()[r + 1];
        std::reverse(unsorted.innerIndexPtr() + b, unsorted.innerIndexPtr() + e);
        std::reverse(unsorted.valuePtr() + b, unsorted.valuePtr() + e);
    }
    Csr<float> uncompressed = sorted;
    uncompressed.uncompress();
    REQUIRE_FALSE(uncompressed.isCompressed());
    std::vector<Matrix<float>> first;
    for (const Csr<float>* m : std::vector<const Csr<float>*>{&sorted, &unsorted, &uncompressed}) {
        nn::Autoencoder<float> model(20, small_model());
        train::fit(model, *m, quick(2));
        if (first.empty()) first.push_back(model.layers[0].weight.value);
        else CHECK(model.layers[0].weight.value == first[0]);
    }
}

TEST_CASE("early stopping ends a run that stops improving and restores the best weights") {
    const Csr<float> counts = low_rank_counts(200, 30, 3);
    nn::Autoencoder<float> model(30, small_model());
    auto options = quick(500);
    options.patience = 3;
    options.min_delta = 1e-3;
    const auto history = train::fit(model, counts, options);
    CHECK(history.stopped_early);
    CHECK(int(history.epochs.size()) == history.best_epoch + 3);
}

TEST_CASE("fit reports each epoch and its end to the progress callback, and prints nothing itself") {
    const Csr<float> counts = low_rank_counts(120, 20, 5);
    nn::Autoencoder<float> model(20, small_model());
    auto options = quick(3);
    std::vector<ProgressEvent> events;
    options.progress = [&](const ProgressEvent& e) { events.push_back(e); };
    const auto history = train::fit(model, counts, options);
    REQUIRE(events.size() == history.epochs.size() + 1);
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        CHECK(events[i].kind == ProgressKind::step);
        CHECK(events[i].what == "epoch");
        CHECK(events[i].done == int(i) + 1);
        CHECK(events[i].total == 3);
        CHECK(events[i].loss == history.epochs[i].train_loss);
        CHECK(events[i].message.rfind("train ", 0) == 0);
        CHECK(events[i].seconds >= 0);
    }
    CHECK(events.back().kind == ProgressKind::note);
    CHECK(events.back().what == "train");
    CHECK(events.back().message.rfind("trained 3 epochs in ", 0) == 0);
}

TEST_CASE("every loss and optimiser trains") {
    const Csr<float> counts = low_rank_counts(200, 30, 4);
    for (auto loss : {nn::Loss::poisson, nn::Loss::negative_binomial, nn::Loss::mse})
        for (auto opt : {train::Optimizer::adam, train::Optimizer::adamw, train::Optimizer::sgd}) {
            auto mo = small_model();
            mo.loss = loss;
            nn::Autoencoder<float> model(30, mo);
            auto options = quick(8);
            options.optimizer = opt;
            options.learning_rate = opt == train::Optimizer::sgd ? 1e-3 : 1e-2;
            options.clip_norm = 5;
            const auto h = train::fit(model, counts, options);
            INFO("loss " << nn::to_string(loss) << " optimiser " << int(opt));
            CHECK(h.epochs.back().validation_loss < h.epochs.front().validation_loss);
        }
}

TEST_CASE("a non-finite loss stops training with the epoch and batch") {
    Csr<float> counts = low_rank_counts(100, 10, 5);
    counts.valuePtr()[5] = std::numeric_limits<float>::infinity();
    nn::Autoencoder<float> model(10, small_model());
    auto options = quick(2);
    options.validation_fraction = 0;
    CHECK_THROWS_WITH_AS(train::fit(model, counts, options), doctest::Contains("epoch 1, batch"), Error);
}

TEST_CASE("bad arguments are errors") {
    const Csr<float> counts = low_rank_counts(20, 10, 6);
    nn::Autoencoder<float> model(12, small_model());
    CHECK_THROWS_AS(train::fit(model, counts, quick(1)), Error);
    nn::Autoencoder<float> ok(10, small_model());
    auto options = quick(1);
    options.validation_fraction = 1.0;
    CHECK_THROWS_AS(train::fit(ok, counts, options), Error);
    auto no_bottleneck = small_model();
    no_bottleneck.encoder_sizes = {};
    CHECK_THROWS_AS(nn::Autoencoder<float>(10, no_bottleneck), Error);
}

TEST_CASE("the encoder maps the bottleneck weights the orthogonality penalty is on") {
    nn::Autoencoder<double> model(20, {});
    CHECK(model.layers.size() == 4);
    CHECK(model.layers[1].weight.value.rows() == 128);
    CHECK(model.layers[1].weight.value.cols() == 64);
    CHECK(model.latent_size() == 64);
    // Xavier-normal: sd = sqrt(2 / (128 + 64)).
    const auto& w = model.layers[1].weight.value;
    const double sd = std::sqrt((w.array() - w.mean()).square().mean());
    CHECK(sd == doctest::Approx(std::sqrt(2.0 / 192)).epsilon(0.05));
}

TEST_CASE("a library-size normalised input trains, with outputs scaled back by size factors") {
    const Csr<float> counts = low_rank_counts(600, 60, 1);
    auto mo = small_model();
    mo.input.target_sum = 20;
    nn::Autoencoder<float> model(60, mo);
    const auto history = train::fit(model, counts, quick(40));
    const double best = history.epochs[history.best_epoch - 1].validation_loss;
    CHECK(best < gene_mean_baseline(counts, 0.1, 42) - 0.1);
    // Doubling a cell's counts doubles its reconstruction: the input is the same after
    // normalisation and the size factor doubles.
    Csr<float> one = counts.middleRows(0, 1), two = one * 2.0f;
    const Matrix<float> a = model.reconstruct(one), b = model.reconstruct(two);
    CHECK((b - 2 * a).cwiseAbs().maxCoeff() < 1e-4 * a.cwiseAbs().maxCoeff());
}

} // namespace test_train
