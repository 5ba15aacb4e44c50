// Checkpoints: a stopped or split run continues bit for bit; a checkpoint of other data or
// options is refused; a damaged checkpoint file is a clear error. Data-parallel ranks (two
// threads standing in for two MPI ranks) train the one-process model within float tolerance.
#include <doctest/doctest.h>

#include "support.hpp"
#include "thread_ranks.hpp"
#include "scae/train/checkpoint.hpp"

#include <filesystem>
#include <fstream>

namespace test_train_checkpoint {

using namespace scae;

namespace {

nn::AutoencoderOptions small_model() { return scae_test::small_architecture({12, 4}); }

train::TrainOptions quick(int epochs) {
    train::TrainOptions t = scae_test::quick_training(epochs, 16);
    t.threads = 1;
    return t;
}

std::vector<Matrix<float>> weights_of(nn::Autoencoder<float>& model) {
    std::vector<Matrix<float>> out;
    for (auto* p : model.parameters()) out.push_back(p->value);
    return out;
}

std::vector<double> losses_of(const train::History& h) {
    std::vector<double> out;
    for (const auto& e : h.epochs) out.push_back(e.train_loss), out.push_back(e.validation_loss);
    return out;
}

/// Saves every state it is given; `last` is the latest, also written to and read back from a file.
struct Keeper {
    std::shared_ptr<const train::TrainState> last;
    int saves = 0;
    std::function<void(const train::TrainState&)> hook() {
        return [this](const train::TrainState& s) {
            const std::string path = (std::filesystem::temp_directory_path() / "scae_test_checkpoint.json").string();
            train::save_checkpoint(path, s);
            last = std::make_shared<const train::TrainState>(train::load_checkpoint(path));
            std::filesystem::remove(path);
            ++saves;
        };
    }
};

} // namespace

TEST_CASE("two epochs, then a resume to four, equal four epochs straight, bit for bit") {
    const Csr<float> counts = scae_test::random_counts(150, 30, 4);
    for (const train::Optimizer optimizer : {train::Optimizer::adam, train::Optimizer::sgd}) {
        CAPTURE(int(optimizer));
        auto options = quick(4);
        options.optimizer = optimizer;
        options.patience = 0;
        nn::Autoencoder<float> straight(30, small_model());
        const auto h_straight = train::fit(straight, counts, options);

        Keeper keeper;
        nn::Autoencoder<float> first(30, small_model());
        auto half = options;
        half.epochs = 2;
        half.checkpoint.save = keeper.hook();
        train::fit(first, counts, half);
        CHECK(keeper.saves == 2);
        REQUIRE(keeper.last);
        CHECK(keeper.last->epochs_done == 2);

        nn::Autoencoder<float> resumed(30, small_model()); // fresh weights: all come from the state
        auto rest = options;
        rest.checkpoint.resume = keeper.last;
        const auto h_resumed = train::fit(resumed, counts, rest);
        CHECK(losses_of(h_resumed) == losses_of(h_straight));
        CHECK(h_resumed.best_epoch == h_straight.best_epoch);
        const auto a = weights_of(straight), b = weights_of(resumed);
        for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
    }
}

TEST_CASE("a run stopped after a minibatch resumes bit for bit, early stopping and best weights included") {
    const Csr<float> counts = scae_test::random_counts(150, 30, 5);
    auto options = quick(40);
    options.patience = 2; // noise data: the validation loss soon stops improving
    options.min_delta = 0;
    nn::Autoencoder<float> straight(30, small_model());
    const auto h_straight = train::fit(straight, counts, options);

    // Stop within epoch 1 (the flag is up from the start), then within epoch 3, then run to the end.
    volatile std::sig_atomic_t stop = 1;
    Keeper keeper;
    auto run = options;
    run.checkpoint.save = keeper.hook();
    run.checkpoint.stop = &stop;
    nn::Autoencoder<float> model(30, small_model());
    CHECK_THROWS_AS(train::fit(model, counts, run), train::Stopped);
    REQUIRE(keeper.last);
    CHECK(keeper.last->epochs_done == 0);
    CHECK(keeper.last->cells_done == std::size_t(options.batch_size));

    stop = 0;
    run.epochs = 2;
    run.checkpoint.resume = keeper.last;
    nn::Autoencoder<float> second(30, small_model());
    train::fit(second, counts, run);
    CHECK(keeper.last->epochs_done == 2);
    stop = 1;
    run.epochs = options.epochs;
    run.checkpoint.resume = keeper.last;
    CHECK_THROWS_AS(train::fit(second, counts, run), train::Stopped);
    CHECK(keeper.last->epochs_done == 2);
    CHECK(keeper.last->cells_done == std::size_t(options.batch_size));

    stop = 0;
    run.checkpoint.resume = keeper.last;
    nn::Autoencoder<float> resumed(30, small_model());
    const auto h_resumed = train::fit(resumed, counts, run);
    CHECK(h_straight.stopped_early);
    CHECK(h_resumed.stopped_early == h_straight.stopped_early);
    CHECK(h_resumed.best_epoch == h_straight.best_epoch);
    CHECK(losses_of(h_resumed) == losses_of(h_straight));
    const auto a = weights_of(straight), b = weights_of(resumed);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);

    // The final checkpoint says the run ended early: resuming it trains no further.
    nn::Autoencoder<float> again(30, small_model());
    run.checkpoint.resume = keeper.last;
    const auto h_again = train::fit(again, counts, run);
    CHECK(h_again.epochs.size() == h_straight.epochs.size());
    const auto c = weights_of(again);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == c[i]);
}

TEST_CASE("a checkpoint of other data, options or architecture is refused, naming the difference") {
    const Csr<float> counts = scae_test::random_counts(100, 20, 6);
    Keeper keeper;
    auto options = quick(1);
    options.checkpoint.save = keeper.hook();
    nn::Autoencoder<float> model(20, small_model());
    train::fit(model, counts, options);
    REQUIRE(keeper.last);
    auto resume = quick(2);
    resume.checkpoint.resume = keeper.last;
    const auto refused = [&](const Csr<float>& data, const train::TrainOptions& o, const nn::AutoencoderOptions& m, const char* what) {
        nn::Autoencoder<float> fresh(data.cols(), m);
        CHECK_THROWS_WITH_AS(train::fit(fresh, data, o), doctest::Contains(what), Error);
    };
    refused(scae_test::random_counts(101, 20, 6), resume, small_model(), "100 cells x 20 genes, this run has 101 x 20");
    Csr<float> changed = counts;
    changed.valuePtr()[7] += 1;
    refused(changed, resume, small_model(), "other counts");
    auto lr = resume;
    lr.learning_rate = 2e-2;
    refused(counts, lr, small_model(), "learning_rate 0.01");
    auto seed = resume;
    seed.seed = 3;
    refused(counts, seed, small_model(), "seed 42, this run has 3");
    auto wider = small_model();
    wider.encoder_sizes = {16, 4};
    refused(counts, resume, wider, "encoder_sizes 12,4, this run has 16,4");
    auto loss = small_model();
    loss.loss = nn::Loss::mse;
    refused(counts, resume, loss, "loss poisson");
    // What may change: the epochs (that is the point) and the progress display.
    auto more = resume;
    more.epochs = 3;
    more.progress = [](const ProgressEvent&) {};
    nn::Autoencoder<float> fresh(20, small_model());
    CHECK(train::fit(fresh, counts, more).epochs.size() == 3);
}

TEST_CASE("a damaged or hostile checkpoint file is a clear error") {
    const Csr<float> counts = scae_test::random_counts(60, 10, 7);
    Keeper keeper;
    auto options = quick(1);
    options.checkpoint.save = keeper.hook();
    nn::Autoencoder<float> model(10, small_model());
    train::fit(model, counts, options);
    const nlohmann::json good = train::checkpoint_to_json(*keeper.last);
    CHECK_NOTHROW(train::checkpoint_from_json(good, "ck.json"));
    const auto rejects = [&](nlohmann::json j, const char* what) {
        CHECK_THROWS_WITH_AS(train::checkpoint_from_json(j, "ck.json"), doctest::Contains(what), Error);
    };
    nlohmann::json j = good;
    j["format"] = "scae-model";
    rejects(j, "scae-checkpoint");
    j = good;
    j["format_version"] = 2;
    rejects(j, "format_version");
    j = good;
    j["weights"][0]["rows"] = 2000000000;
    j["weights"][0]["cols"] = 2000000000;
    rejects(j, "weights[0]: declares");
    j = good;
    j["weights"][1]["data"] = "AAAA";
    rejects(j, "weights[1].data");
    j = good;
    j["moments"][0]["dtype"] = "float64le";
    rejects(j, "moments[0].dtype");
    j = good;
    j["progress"]["steps"] = -1;
    rejects(j, "progress.steps");
    j = good;
    j["data"]["fingerprint"] = "xyz";
    rejects(j, "data.fingerprint");
    j = good;
    j.erase("settings");
    rejects(j, "settings");

    const auto path = std::filesystem::temp_directory_path() / "scae_test_truncated_checkpoint.json";
    {
        std::ofstream out(path);
        out << good.dump().substr(0, 200);
    }
    CHECK_THROWS_WITH_AS(train::load_checkpoint(path.string()), doctest::Contains("truncated or damaged"), Error);
    std::filesystem::remove(path);
    CHECK_THROWS_WITH_AS(train::load_checkpoint(path.string()), doctest::Contains("cannot open checkpoint"), Error);

    // A state whose shapes do not fit the model is refused by fit, not copied.
    auto wrong = std::make_shared<train::TrainState>(*keeper.last);
    wrong->weights[0].resize(3, 3);
    auto resume = quick(2);
    resume.checkpoint.resume = wrong;
    nn::Autoencoder<float> fresh(10, small_model());
    CHECK_THROWS_WITH_AS(train::fit(fresh, counts, resume), doctest::Contains("other shapes"), Error);
}

TEST_CASE("data-parallel ranks train the one-process model within float tolerance, and every rank the same") {
    const Csr<float> counts = scae_test::random_counts(203, 25, 8); // batches that do not split evenly
    auto options = quick(3);
    options.batch_size = 17;
    nn::Autoencoder<float> one(25, small_model());
    const auto h_one = train::fit(one, counts, options);
    for (int size : {2, 3}) {
        CAPTURE(size);
        scae_testing::ThreadRanks ranks(size);
        std::vector<nn::Autoencoder<float>> models(std::size_t(size), nn::Autoencoder<float>(25, small_model()));
        std::vector<train::History> histories(static_cast<std::size_t>(size));
        ranks.run([&](int r) {
            auto o = options;
            o.communicator = ranks.at(r);
            histories[std::size_t(r)] = train::fit(models[std::size_t(r)], counts, o);
        });
        const auto a = weights_of(one);
        for (int r = 0; r < size; ++r) {
            const auto b = weights_of(models[std::size_t(r)]);
            for (std::size_t i = 0; i < a.size(); ++i) {
                CHECK((a[i] - b[i]).cwiseAbs().maxCoeff() < 1e-4 * std::max(1.0f, a[i].cwiseAbs().maxCoeff()));
                CHECK(b[i] == weights_of(models[0])[i]);
            }
            for (std::size_t e = 0; e < h_one.epochs.size(); ++e) {
                CHECK(histories[std::size_t(r)].epochs[e].train_loss == doctest::Approx(h_one.epochs[e].train_loss).epsilon(1e-5));
                CHECK(histories[std::size_t(r)].epochs[e].validation_loss == doctest::Approx(h_one.epochs[e].validation_loss).epsilon(1e-5));
            }
        }
    }
}

} // namespace test_train_checkpoint
