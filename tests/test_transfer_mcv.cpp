// Denoising measured by molecular cross-validation, and calibration of a model applied to new
// data: the truth scores best where it is known, a model trained on Xa beats the gene mean,
// calibration keeps its invariants, and data that are not counts are said to be so.
#include "support.hpp"
#include <doctest/doctest.h>

#include <unistd.h>

#include "scae/cli/embed.hpp"
#include "scae/data/align.hpp"
#include "scae/data/simulate.hpp"
#include "scae/io/write_10x.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/eval/mcv.hpp"
#include "scae/transfer/run_transfer.hpp"
#include "scae/transfer/train_model.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace test_transfer_mcv {

using namespace scae;

namespace {

/// Poisson counts from known low-rank rates: 4 cell types over 300 genes with log-normal gene
/// levels and library sizes. Poisson sampling is what makes Xa and Xb independent given the
/// rates, so here the truth is known exactly.
struct KnownRates {
    Matrix<float> rates; ///< cells x genes expected counts
    Csr<float> counts;   ///< a Poisson draw of them
};

KnownRates known_rates(Index cells = 800, Index genes = 300, std::uint64_t seed = 5) {
    Rng rng(seed);
    const Index types = 4;
    Matrix<double> profile(types, genes);
    for (Index g = 0; g < genes; ++g) {
        const double base = 1.5 * data::standard_normal(rng);
        for (Index t = 0; t < types; ++t) profile(t, g) = std::exp(base + (rng.uniform() < 0.15 ? 2.0 : 0.0));
    }
    for (Index t = 0; t < types; ++t) profile.row(t) /= profile.row(t).sum();
    KnownRates k;
    k.rates.resize(cells, genes);
    std::vector<Eigen::Triplet<float>> entries;
    for (Index c = 0; c < cells; ++c) {
        const double library = 1500 * std::exp(0.3 * data::standard_normal(rng));
        k.rates.row(c) = (profile.row(c % types) * library).cast<float>();
        for (Index g = 0; g < genes; ++g) {
            // (Inversion by hand underflowed for rates above ~700: exp(-mu) is 0 and every draw ran to its cap.)
            const auto x = data::poisson_variate(rng, double(k.rates(c, g)));
            if (x > 0) entries.emplace_back(int(c), int(g), float(x));
        }
    }
    k.counts.resize(cells, genes);
    k.counts.setFromTriplets(entries.begin(), entries.end());
    k.counts.makeCompressed();
    return k;
}

double total(const Csr<float>& m) { return Matrix<float>(m).cast<double>().sum(); }

using scae_test::as_counts;

/// Tissue A of the simulator and a small model trained on it.
struct Trained {
    data::Simulation sim;
    transfer::ModelFile model;
};

const Trained& trained() {
    static const Trained t = [] {
        data::SimulationOptions o;
        o.cells_per_tissue = 600;
        o.n_genes = 600;
        Trained out{data::simulate(o), {nn::Autoencoder<float>(1, {}), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}};
        transfer::TrainRecipe recipe;
        recipe.model.encoder_sizes = {64, 16};
        recipe.train.epochs = 40;
        recipe.train.learning_rate = 3e-3;
        out.model = transfer::train_model(as_counts(out.sim.tissues[0]), recipe, "sim/A");
        return out;
    }();
    return t;
}

} // namespace

TEST_CASE("binomial thinning: Xa + Xb = X, seeded, about the asked fraction, per-cell streams") {
    const auto k = known_rates(200, 100);
    const auto s = eval::thin_counts(k.counts, 0.5, 11);
    CHECK(s.protocol == eval::Protocol::molecular_cross_validation);
    CHECK(s.target_scale == doctest::Approx(1.0));
    CHECK((Matrix<float>(s.input) + Matrix<float>(s.target) - Matrix<float>(k.counts)).cwiseAbs().maxCoeff() == 0);
    CHECK(total(s.input) / total(k.counts) == doctest::Approx(0.5).epsilon(0.01));
    const auto again = eval::thin_counts(k.counts, 0.5, 11), other = eval::thin_counts(k.counts, 0.5, 12);
    CHECK(Matrix<float>(again.input) == Matrix<float>(s.input));
    CHECK(Matrix<float>(other.input) != Matrix<float>(s.input));
    // A cell's split depends on its own stream only: thinning a subset gives the same rows.
    const auto first = eval::thin_counts(data::select_rows(k.counts, {0, 1, 2}), 0.5, 11);
    CHECK(Matrix<float>(first.input) == Matrix<float>(data::select_rows(s.input, {0, 1, 2})));
    const auto quarter = eval::thin_counts(k.counts, 0.25, 3);
    CHECK(quarter.target_scale == doctest::Approx(3.0));
    CHECK(total(quarter.input) / total(k.counts) == doctest::Approx(0.25).epsilon(0.02));
    CHECK_THROWS_AS(eval::thin_counts(k.counts, 1.0, 3), Error);
}

TEST_CASE("MCV where the rates are known: the truth scores best, a model trained on Xa beats the gene mean") {
    const auto k = known_rates();
    const auto split = eval::thin_counts(k.counts, 0.5, 1);
    eval::ScoreOptions one_batch;
    one_batch.batch_cells = k.counts.rows(); // the truth predictor below knows the cells by position
    one_batch.per_gene = one_batch.per_cell = true;
    const double p = split.fraction;
    const auto truth = eval::score_denoiser(split, [&](const Csr<float>&) { return Matrix<float>(k.rates * float(p)); }, one_batch);
    const auto gene_mean = eval::score_denoiser(split, transfer::gene_mean_predictor(split.input), one_batch);
    // Every entry is scored, zeros included.
    CHECK(truth.entries == k.counts.rows() * k.counts.cols());
    CHECK(truth.gene_deviance.size() == std::size_t(k.counts.cols()));
    CHECK(truth.cell_deviance.size() == std::size_t(k.counts.rows()));
    // The raw input itself (no denoising) and distorted truths score worse than the truth.
    const auto raw = eval::score_denoiser(split, [](const Csr<float>& b) { return Matrix<float>(b); }, one_batch);
    const auto flat = eval::score_denoiser(split, [&](const Csr<float>&) { return Matrix<float>(k.rates.array().pow(0.8f) * float(p)); }, one_batch);
    const auto scaled = eval::score_denoiser(split, [&](const Csr<float>&) { return Matrix<float>(k.rates * float(1.3 * p)); }, one_batch);
    MESSAGE("truth " << truth.poisson_deviance << ", gene mean " << gene_mean.poisson_deviance << ", raw " << raw.poisson_deviance);
    CHECK(truth.poisson_deviance < gene_mean.poisson_deviance);
    CHECK(truth.poisson_deviance < raw.poisson_deviance);
    CHECK(truth.poisson_deviance < flat.poisson_deviance);
    CHECK(truth.poisson_deviance < scaled.poisson_deviance);
    CHECK(truth.pearson_log1p > gene_mean.pearson_log1p);

    // A model trained on Xa only, scored against Xb.
    nn::AutoencoderOptions architecture;
    architecture.encoder_sizes = {32, 8};
    architecture.input.target_sum = 1500;
    nn::Autoencoder<float> model(k.counts.cols(), architecture);
    train::TrainOptions t;
    t.epochs = 40;
    t.learning_rate = 3e-3;
    train::fit(model, split.input, t);
    const auto trained_on_xa = eval::score_denoiser(split, transfer::model_predictor(model));
    MESSAGE("model trained on Xa " << trained_on_xa.poisson_deviance);
    CHECK(trained_on_xa.poisson_deviance < gene_mean.poisson_deviance);
    CHECK(truth.poisson_deviance < trained_on_xa.poisson_deviance);
    // Batches do not change the figure.
    eval::ScoreOptions small;
    small.batch_cells = 37;
    CHECK(eval::score_denoiser(split, transfer::model_predictor(model), small).poisson_deviance ==
          doctest::Approx(trained_on_xa.poisson_deviance).epsilon(1e-9));
    // NB deviance with dispersions so large the NB is a Poisson: the same figure.
    const RowVector<float> theta = RowVector<float>::Constant(k.counts.cols(), 1e7f);
    const auto nb = eval::score_denoiser(split, transfer::model_predictor(model), {}, &theta);
    CHECK(nb.nb_deviance == doctest::Approx(nb.poisson_deviance).epsilon(1e-3));
}

TEST_CASE("PCA of the model's input space, back to counts, beats the gene mean on the simulator") {
    const auto& t = trained();
    const auto& b = t.sim.tissues[1];
    const auto split = eval::thin_counts(b.counts, 0.5, 2);
    std::vector<Index> in, out;
    for (Index c = 0; c < b.counts.rows(); ++c) (c % 4 == 0 ? out : in).push_back(c);
    eval::DenoiseSplit scored = split;
    scored.input = data::select_rows(split.input, out);
    scored.target = data::select_rows(split.target, out);
    nn::InputTransform transform;
    transform.target_sum = 3000;
    const auto pca = transfer::fit_pca_denoiser(data::select_rows(split.input, in), transform, 20);
    const double pca_deviance = eval::score_denoiser(scored, transfer::pca_predictor(pca)).poisson_deviance;
    const double gene_mean = eval::score_denoiser(scored, transfer::gene_mean_predictor(scored.input)).poisson_deviance;
    MESSAGE("pca " << pca_deviance << ", gene mean " << gene_mean);
    CHECK(pca_deviance < gene_mean);
}

TEST_CASE("data that are not counts: MCV says so; the masked protocol scores hidden nonzeros and as many zeros") {
    auto k = known_rates(100, 80);
    Csr<float> values = k.counts;
    for (Index i = 0; i < values.nonZeros(); ++i) values.valuePtr()[i] = std::log1p(values.valuePtr()[i]);
    try {
        eval::thin_counts(values, 0.5, 1);
        FAIL("non-integer values were thinned");
    } catch (const Error& e) {
        const std::string what = e.what();
        CHECK(what.find("integer counts") != std::string::npos);
        CHECK(what.find("at cell") != std::string::npos);
    }
    eval::SplitOptions strict;
    strict.allow_masked = false;
    CHECK_THROWS_AS(eval::split_for_denoising(values, strict), Error);
    const auto s = eval::split_for_denoising(values);
    CHECK(s.protocol == eval::Protocol::masked);
    CHECK(s.note.find("not integer counts") != std::string::npos);
    CHECK(eval::to_string(s.protocol) == "masked_nonzeros_and_zeros");
    for (Index r = 0; r < s.target.rows(); ++r) {
        Index zeros = 0, nonzeros = 0;
        for (Csr<float>::InnerIterator it(s.target, r); it; ++it) {
            (it.value() == 0 ? zeros : nonzeros) += 1;
            CHECK(Matrix<float>(s.input)(r, it.col()) == 0); // hidden from the input
        }
        CHECK(zeros == std::min(nonzeros, values.cols() - values.row(r).nonZeros()));
    }
    // Integer counts take MCV.
    CHECK(eval::split_for_denoising(k.counts).protocol == eval::Protocol::molecular_cross_validation);
    // Negative values are never expression.
    values.valuePtr()[0] = -1;
    CHECK_THROWS_AS(eval::split_for_denoising(values), Error);
}

TEST_CASE("calibration: own training data barely change, factors stay finite, the model is untouched") {
    const auto& t = trained();
    const auto& a = t.sim.tissues[0];
    const auto alignment = data::align_genes(t.model.gene_ids, t.model.gene_symbols, a.gene_ids, a.gene_symbols, {});
    Csr<float> counts = data::apply_alignment(a.counts, alignment);
    counts.makeCompressed();
    const auto before = transfer::to_json(t.model).dump();
    const auto raw = transfer::model_predictor(t.model.model);
    // Applied to the very data it was trained on, calibration never makes it worse. This small
    // model is trained briefly and misfits its own tissue, so calibration may improve it (the
    // groups by a quarter here); the "barely changes" invariant is for a model that fits, below.
    const auto split = eval::thin_counts(counts, 0.5, 4);
    const double raw_mcv = eval::score_denoiser(split, raw).poisson_deviance;
    const transfer::Calibration default_method = transfer::CalibrationOptions{}.method;
    CHECK(default_method == transfer::Calibration::groups);
    for (auto method : {transfer::Calibration::genes, transfer::Calibration::genes_shrunk, transfer::Calibration::groups,
                        transfer::Calibration::blend}) {
        transfer::DenoiseOptions options;
        options.calibration.method = method;
        const auto denoised = transfer::denoise(t.model.model, counts, options);
        CHECK(denoised.calibration.method == method);
        const auto identity = eval::DenoiseSplit{eval::Protocol::molecular_cross_validation, 0.5, counts, counts, 1.0, ""};
        const double raw_fit = eval::score_denoiser(identity, raw).poisson_deviance;
        const double calibrated_fit =
            eval::score_denoiser(identity, [&](const Csr<float>& b) { return transfer::denoise(t.model.model, b, options).rates; })
                .poisson_deviance;
        const auto c = transfer::fit_calibration(split.input, raw, options.calibration);
        const double calibrated_mcv = eval::score_denoiser(split, transfer::calibrated(raw, c)).poisson_deviance;
        MESSAGE(transfer::to_string(method) << ": fit " << raw_fit << " -> " << calibrated_fit << ", MCV " << raw_mcv << " -> " << calibrated_mcv);
        if (method == transfer::Calibration::blend) {
            // The blend mixes in the cell's own counts, a generic shrinkage that improves any
            // low-rank model (docs/denoising.md): never worse, but not "barely changed".
            CHECK(calibrated_mcv < raw_mcv * 1.02);
        } else {
            CHECK(calibrated_fit < raw_fit * 1.02);
            CHECK(calibrated_mcv < raw_mcv * 1.02);
            if (method == transfer::Calibration::groups) continue;
            CHECK(calibrated_fit > raw_fit * 0.9);
            std::vector<float> f(denoised.calibration.factors.data(), denoised.calibration.factors.data() + counts.cols());
            std::nth_element(f.begin(), f.begin() + f.size() / 2, f.end());
            CHECK(std::abs(f[f.size() / 2] - 1) < 0.1);
        }
    }
    CHECK(transfer::to_json(t.model).dump() == before);

    // Genes without a single count (and a predictor that predicts none for one gene).
    Csr<float> missing = counts;
    for (Index r = 0; r < missing.rows(); ++r)
        for (Csr<float>::InnerIterator it(missing, r); it; ++it)
            if (it.col() < 5) it.valueRef() = 0;
    missing.prune(0.0f);
    const auto zero_gene = [&](const Csr<float>& b) {
        Matrix<float> r = t.model.model.reconstruct(b);
        r.col(7).setZero();
        return r;
    };
    for (auto method : {transfer::Calibration::genes, transfer::Calibration::genes_shrunk, transfer::Calibration::groups,
                        transfer::Calibration::blend}) {
        transfer::CalibrationOptions o;
        o.method = method;
        o.group_min_gain = 0; // groups always, so that their factors are checked too
        const auto c = transfer::fit_calibration(missing, zero_gene, o);
        CHECK(c.factors.allFinite());
        if (method == transfer::Calibration::groups) {
            REQUIRE(c.group_factors.rows() >= 2);
            CHECK(c.group_factors.allFinite());
            CHECK(c.group_factors.minCoeff() > 0); // (0 + k) / (P + k) with k > 0: no gene declared absent in a group
            Matrix<float> rates = zero_gene(missing);
            transfer::apply_calibration(rates, missing, c);
            CHECK(rates.allFinite());
        }
        CHECK(c.factors.minCoeff() >= 0);
        CHECK(c.factors(7) == doctest::Approx(method == transfer::Calibration::genes ? 1.0 : (c.observed(7) + c.prior_counts) / c.prior_counts));
        if (method != transfer::Calibration::genes) CHECK(c.factors(0) > 0); // not declared absent from no evidence
        if (method == transfer::Calibration::genes) CHECK(c.factors(0) == 0);
    }
    transfer::CalibrationOptions none;
    none.method = transfer::Calibration::none;
    CHECK(transfer::fit_calibration(counts, raw, none).factors.isOnes());
    CHECK_THROWS_AS(transfer::calibration_from_string("cells"), Error);
}

TEST_CASE("the default calibration leaves a model that fits its tissue within 2% under MCV") {
    // A model that fits: it tells each cell's type from its counts (the most likely of the four
    // true profiles) and predicts that profile at the cell's depth. Fitted on Xa and scored
    // against Xb, the default must change its deviance by under 2% either way, and keep its
    // levels (factors near 1, no groups).
    const auto k = known_rates(1200, 300, 9);
    Matrix<double> profiles = Matrix<double>::Zero(4, k.rates.cols());
    for (Index c = 0; c < 4; ++c) profiles.row(c) = k.rates.row(c).cast<double>() / k.rates.row(c).cast<double>().sum();
    const eval::RatePredictor fits = [&](const Csr<float>& batch) {
        const Matrix<double> log_likelihood = Matrix<float>(batch).cast<double>() * profiles.array().log().matrix().transpose();
        Matrix<float> rates(batch.rows(), batch.cols());
        for (Index r = 0; r < batch.rows(); ++r) {
            Index best;
            log_likelihood.row(r).maxCoeff(&best);
            rates.row(r) = (profiles.row(best) * double(batch.row(r).sum())).cast<float>();
        }
        return rates;
    };
    const auto split = eval::thin_counts(k.counts, 0.5, 3);
    const double raw = eval::score_denoiser(split, fits).poisson_deviance;
    const auto c = transfer::fit_calibration(split.input, fits, {});
    const double calibrated = eval::score_denoiser(split, transfer::calibrated(fits, c)).poisson_deviance;
    MESSAGE("model that fits: MCV " << raw << " -> " << calibrated << " (" << transfer::calibration_json(c).dump() << ")");
    CHECK(c.method == transfer::Calibration::groups);
    CHECK(calibrated == doctest::Approx(raw).epsilon(0.02));
    CHECK(c.group_centroids.rows() == 0);
    CHECK(c.factors.minCoeff() > 0.8f);
    CHECK(c.factors.maxCoeff() < 1.25f);
}

TEST_CASE("groups: a foreign model on a tissue with programs it never saw gains, and says what it used") {
    const auto& t = trained();
    const auto raw = transfer::model_predictor(t.model.model);
    const auto mcv = [&](const data::SimulatedTissue& tissue, transfer::Calibration method, transfer::GeneCalibration* out = nullptr) {
        const auto alignment = data::align_genes(t.model.gene_ids, t.model.gene_symbols, tissue.gene_ids, tissue.gene_symbols, {});
        Csr<float> counts = data::apply_alignment(tissue.counts, alignment);
        counts.makeCompressed();
        const auto split = eval::thin_counts(counts, 0.5, 6);
        transfer::CalibrationOptions o;
        o.method = method;
        const auto c = transfer::fit_calibration(split.input, raw, o);
        if (out) *out = c;
        return eval::score_denoiser(split, transfer::calibrated(raw, c)).poisson_deviance;
    };
    transfer::GeneCalibration on_b, on_a;
    const double b_genes = mcv(t.sim.tissues[1], transfer::Calibration::genes_shrunk);
    const double b_groups = mcv(t.sim.tissues[1], transfer::Calibration::groups, &on_b);
    const double a_genes = mcv(t.sim.tissues[0], transfer::Calibration::genes_shrunk);
    const double a_groups = mcv(t.sim.tissues[0], transfer::Calibration::groups, &on_a);
    MESSAGE("B: genes_shrunk " << b_genes << ", groups " << b_groups << " (" << on_b.group_centroids.rows() << " groups, inner gain "
                               << on_b.group_gain << ", k " << on_b.group_prior_counts << "); A: genes_shrunk " << a_genes << ", groups "
                               << a_groups << " (" << on_a.group_centroids.rows() << " groups, inner gain " << on_a.group_gain << ")");
    CHECK(on_b.group_centroids.rows() >= 2);
    CHECK(b_groups < b_genes * 0.98);
    CHECK(a_groups <= a_genes * 1.02); // on its own tissue never worse (this brief model misfits it, so it may gain)
    // What was used is recorded.
    const auto j = transfer::calibration_json(on_b);
    CHECK(j["method"] == "groups");
    CHECK(j["groups"].get<int>() == on_b.group_centroids.rows());
    CHECK(j.contains("inner_group_gain"));
}

TEST_CASE("real data: a PBMC model, calibrated by default, denoises breast tumour at most 0.90x the gene mean") {
    // The target pair, as `scae transfer` measures it (MCV on 20% held-out cells). The
    // model is trained for 15 epochs instead of `scae train`'s 100 to keep the test short; it
    // scores as the full model does (0.670 vs 0.663, docs/denoising.md).
    if (!scae_test::have_data("human_pbmc_soupx/matrix.mtx.gz") || !scae_test::have_data("human_breast_tumor_copykat/matrix.mtx.gz"))
        return;
    const std::string dir = scae_test::data_dir();
    transfer::TrainRecipe recipe;
    recipe.train.epochs = 15;
    const auto model = transfer::train_model(io::read_counts<float>(dir + "/human_pbmc_soupx"), recipe, "pbmc");
    transfer::TransferOptions options;
    options.native = false;
    options.seed = 42; // as `scae transfer`
    const nlohmann::json report = transfer::run_transfer(model, io::read_counts<float>(dir + "/human_breast_tumor_copykat"), {}, options);
    const auto& d = report["denoising"];
    const double raw = d["foreign_raw"]["ratio_to_gene_mean"].get<double>(), calibrated = d["foreign"]["ratio_to_gene_mean"].get<double>();
    MESSAGE("PBMC -> breast tumour, ratio to the gene mean: raw " << raw << ", calibrated " << calibrated << " ("
                                                                 << d["foreign"]["calibration"].dump() << ")");
    CHECK(d["protocol"] == "molecular_cross_validation");
    CHECK(raw > 1.5); // the foreign model's own levels are far off: what calibration is for
    CHECK(calibrated <= 0.90);
    CHECK(d["pca"]["ratio_to_gene_mean"].get<double>() < 1.0);
}

TEST_CASE("empirical-Bayes prior: levels that fit are shrunk hard, levels off by a factor hardly") {
    Rng rng(3);
    RowVector<double> predicted(400), fits(400), off(400);
    for (Index g = 0; g < predicted.size(); ++g) {
        predicted(g) = std::exp(2 + 2 * data::standard_normal(rng));
        fits(g) = std::round(predicted(g) * std::exp(0.02 * data::standard_normal(rng)));
        off(g) = std::round(predicted(g) * std::exp(1.0 * data::standard_normal(rng)));
    }
    const double fitting = transfer::estimate_prior_counts(fits, predicted), foreign = transfer::estimate_prior_counts(off, predicted);
    MESSAGE("k: fitting levels " << fitting << ", foreign levels " << foreign);
    CHECK(fitting > 100 * foreign);
    CHECK(foreign == doctest::Approx(1.0).epsilon(0.5)); // Gamma(k, k) with k = 1 has log-sd about 1
}

TEST_CASE("scae denoise: --calibrate, recorded on stdout; bad values are usage errors") {
    namespace fs = std::filesystem;
    const auto& t = trained();
    const fs::path dir = fs::temp_directory_path() / ("scae_test_transfer_mcv_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto& b = t.sim.tissues[1];
    io::write_10x(dir / "B", b.counts, b.gene_ids, b.gene_symbols, b.barcodes, b.cell_types);
    transfer::save_model((dir / "model.json").string(), t.model);
    const std::string model_bytes = [&] {
        std::ifstream in(dir / "model.json");
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }();
    for (const std::string method : {"", "none", "genes", "genes_shrunk", "groups", "blend"}) {
        std::vector<std::string> args = {"--model", (dir / "model.json").string(), "--data", (dir / "B").string(), "--out",
                                         (dir / "denoised.tsv").string()};
        if (!method.empty()) args.insert(args.end(), {"--calibrate", method});
        std::ostringstream out, err;
        REQUIRE(cli::denoise(args, out, err) == 0);
        const auto summary = nlohmann::json::parse(out.str());
        CHECK(summary["calibration"]["method"] == (method.empty() ? "groups" : method));
        CHECK(fs::exists(dir / "denoised.tsv"));
    }
    std::ifstream in(dir / "model.json");
    std::stringstream after;
    after << in.rdbuf();
    CHECK(after.str() == model_bytes);
    std::ostringstream out, err;
    CHECK(cli::denoise({"--model", (dir / "model.json").string(), "--data", (dir / "B").string(), "--out", (dir / "x.tsv").string(),
                        "--calibrate", "cells"},
                       out, err) == 2);
    CHECK(err.str().find("--calibrate") != std::string::npos);
    fs::remove_all(dir);
}

} // namespace test_transfer_mcv
