// The foreign-model workflow on the simulator: train on tissue A, apply to tissue B.
#include "support.hpp"
#include <doctest/doctest.h>

#include "scae/data/simulate.hpp"
#include "scae/transfer/run_transfer.hpp"

namespace test_transfer {

using namespace scae;

namespace {

using scae_test::as_counts;

struct Fixture {
    data::Simulation sim;
    transfer::ModelFile model;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        data::SimulationOptions o;
        o.cells_per_tissue = 600;
        o.n_genes = 800;
        Fixture out{data::simulate(o), {nn::Autoencoder<float>(1, {}), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}};
        transfer::TrainRecipe recipe;
        recipe.model.encoder_sizes = {64, 16};
        recipe.train.epochs = 40;
        recipe.train.learning_rate = 3e-3;
        out.model = transfer::train_model(as_counts(out.sim.tissues[0]), recipe, "sim/A", out.sim.tissues[0].cell_types);
        return out;
    }();
    return f;
}

} // namespace

TEST_CASE("a model trained on tissue A keeps its genes, preprocessing and labelled reference") {
    const auto& f = fixture();
    CHECK(f.model.gene_ids.size() == std::size_t(f.model.model.genes()));
    CHECK(f.model.model.options.input.target_sum > 0); // normalised by default, to the median depth
    CHECK(f.model.reference_labels.size() == std::size_t(f.model.reference_latent.rows()));
    CHECK(f.model.history.epochs.back().validation_loss < f.model.history.epochs.front().validation_loss);
}

TEST_CASE("the foreign model on tissue B: classifies, transfers labels, denoises") {
    const auto& f = fixture();
    const auto& b = f.sim.tissues[1];
    transfer::TransferOptions options;
    options.native_train.epochs = 30;
    options.native_train.learning_rate = 3e-3;
    const auto result = transfer::run_transfer(f.model, as_counts(b), b.cell_types, options);
    const nlohmann::json r = result;
    MESSAGE(r.dump());
    CHECK(r["alignment"]["coverage"].get<double>() == doctest::Approx(1.0));
    CHECK(result.latent.rows() == b.counts.rows());
    // Five cell types: chance is about 0.2.
    CHECK(r["latent"]["foreign"]["knn_accuracy"].get<double>() > 0.8);
    CHECK(r["latent"]["native"]["knn_accuracy"].get<double>() > 0.8);
    CHECK(r["latent"]["pca"]["knn_accuracy"].get<double>() > 0.5);
    CHECK(r["label_transfer"]["shared_label_cells"].get<int>() > 0);
    CHECK(r["label_transfer"]["accuracy"].get<double>() > 0.7);
    const auto& d = r["denoising"];
    // Molecular cross-validation on held-out cells of B, which also uses programs A never saw:
    // the native model (trained on Xa of the other cells), PCA and the calibrated foreign model
    // all beat the gene mean; calibration does not make the foreign model worse.
    CHECK(d["protocol"] == "molecular_cross_validation");
    CHECK(d["foreign"]["calibration"]["method"] == "groups");
    CHECK(d["gene_mean"]["ratio_to_gene_mean"].get<double>() == doctest::Approx(1.0));
    const auto deviance = [&](const char* m) { return d[m]["poisson_deviance"].get<double>(); };
    CHECK(deviance("native") < deviance("gene_mean"));
    CHECK(deviance("pca") < deviance("gene_mean"));
    CHECK(deviance("foreign") < deviance("gene_mean"));
    CHECK(deviance("foreign") <= deviance("foreign_raw") * 1.001);
    CHECK(d["foreign"]["pearson_log1p"].get<double>() > d["gene_mean"]["pearson_log1p"].get<double>());
    CHECK(d["foreign"]["entries"].get<double>() == doctest::Approx(d["held_out_cells"].get<double>() * r["model_genes"].get<double>()));
    CHECK(result.gene_deviance.size() == 7); // raw and calibrated foreign, PCA, native; gene mean
}

namespace {

/// Every number of `a` equals the one at the same place in `b` to a relative 1e-9, every other value exactly.
void check_close(const nlohmann::json& a, const nlohmann::json& b, const std::string& path = "") {
    INFO(path);
    REQUIRE(a.type() == b.type());
    if (a.is_number()) {
        CHECK(a.get<double>() == doctest::Approx(b.get<double>()).epsilon(1e-9));
    } else if (a.is_object()) {
        REQUIRE(a.size() == b.size());
        for (auto it = a.begin(); it != a.end(); ++it) {
            REQUIRE(b.contains(it.key()));
            check_close(it.value(), b[it.key()], path + "." + it.key());
        }
    } else if (a.is_array()) {
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) check_close(a[i], b[i], path + "[" + std::to_string(i) + "]");
    } else {
        CHECK(a == b);
    }
}

} // namespace

TEST_CASE("TransferOptions::threads: every step runs on it, the report depends on it only by rounding, and it is restored") {
    const auto& f = fixture();
    const auto& b = f.sim.tissues[1];
    transfer::TransferOptions options;
    options.native_train.epochs = 5;
    const int before = parallel_threads(1000, 0);
    options.threads = 1;
    const nlohmann::json one = transfer::run_transfer(f.model, as_counts(b), b.cell_types, options);
    CHECK(parallel_threads(1000, 0) == before);
    options.threads = 2;
    const nlohmann::json two = transfer::run_transfer(f.model, as_counts(b), b.cell_types, options);
    CHECK(parallel_threads(1000, 0) == before);
    check_close(one, two); // Eigen's own products block by thread count
}

TEST_CASE("missing genes are padded and reported; too few is an error") {
    const auto& f = fixture();
    auto b = as_counts(f.sim.tissues[1]);
    // Drop the first 100 genes of B.
    std::vector<Index> keep;
    for (Index g = 100; g < b.genes(); ++g) keep.push_back(g);
    io::CountMatrix<float> fewer = b;
    fewer.counts = data::select_columns(b.counts, keep);
    fewer.gene_ids.assign(b.gene_ids.begin() + 100, b.gene_ids.end());
    fewer.gene_symbols.assign(b.gene_symbols.begin() + 100, b.gene_symbols.end());
    transfer::TransferOptions options;
    options.native = false;
    const nlohmann::json r = transfer::run_transfer(f.model, fewer, {}, options);
    CHECK(r["alignment"]["matched"].get<int>() < f.model.model.genes());
    CHECK_FALSE(r.contains("latent"));
    // Data it may consume are aligned in their own memory, with the same results.
    io::CountMatrix<float> consumed = fewer;
    CHECK(nlohmann::json(transfer::run_transfer(f.model, std::move(consumed), {}, options)) == r);
    CHECK(consumed.counts.nonZeros() == 0);
    CHECK(consumed.barcodes == fewer.barcodes);
    io::CountMatrix<float> unrelated = b;
    for (auto& s : unrelated.gene_symbols) s = "X" + s;
    for (auto& s : unrelated.gene_ids) s = "X" + s;
    CHECK_THROWS_AS(transfer::run_transfer(f.model, unrelated, {}, options), Error);
}

TEST_CASE("the foreign model on data that are not counts: the report says so and uses the masked protocol") {
    const auto& f = fixture();
    auto b = as_counts(f.sim.tissues[1]);
    for (Index i = 0; i < b.counts.nonZeros(); ++i) b.counts.valuePtr()[i] = std::log1p(b.counts.valuePtr()[i]);
    transfer::TransferOptions options;
    options.native = false;
    const nlohmann::json d = nlohmann::json(transfer::run_transfer(f.model, b, {}, options))["denoising"];
    CHECK(d["protocol"] == "masked_nonzeros_and_zeros");
    CHECK(d["note"].get<std::string>().find("not integer counts") != std::string::npos);
    CHECK(d["foreign"]["poisson_deviance"].get<double>() > 0);
}

} // namespace test_transfer

namespace test_transfer {

TEST_CASE("at scale the all-pairs scores run on a stated stratified subsample, labels still cover every cell") {
    const auto& f = fixture();
    const auto& b = f.sim.tissues[1];
    transfer::TransferOptions options;
    options.native = false;
    options.scores.max_cells = 200;
    options.denoise_max_cells = 50;
    const auto result = transfer::run_transfer(f.model, as_counts(b), b.cell_types, options);
    REQUIRE(result.latent_scores);
    CHECK(result.latent_scores->foreign.subsample_cells == 200);
    CHECK(result.latent_scores->foreign.cells == b.counts.rows());
    CHECK(result.latent_scores->pca.subsample_cells == 200);
    CHECK(result.latent_scores->foreign.knn_accuracy > 0.8);
    REQUIRE(result.label_transfer);
    CHECK(result.label_transfer->reference_cells == 200);
    CHECK(result.label_transfer->reference_cells_total == Index(f.model.reference_labels.size()));
    REQUIRE(result.annotation);
    CHECK(result.annotation->labels.size() == std::size_t(b.counts.rows()));
    CHECK(result.denoising.held_out_cells == 50);
    const nlohmann::json r = result;
    CHECK(r["latent"]["foreign"]["subsample_cells"] == 200);
    CHECK(r["label_transfer"]["reference_cells"] == 200);
    CHECK(r["denoising"]["held_out_cells"] == 50);
    // Same seed, same subsample and scores.
    const auto again = transfer::run_transfer(f.model, as_counts(b), b.cell_types, options);
    CHECK(again.latent_scores->foreign.knn_accuracy == result.latent_scores->foreign.knn_accuracy);
    CHECK(again.latent_scores->foreign.silhouette == result.latent_scores->foreign.silhouette);
}

} // namespace test_transfer
