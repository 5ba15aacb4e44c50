#pragma once
/// @file run_transfer.hpp
/// @brief The second workflow of the method: apply a model trained on one tissue
/// (train_model.hpp) unchanged, as a foreign model, to another, measured next to a native
/// model and PCA.

#include "scae/data/align.hpp"
#include "scae/data/preprocess.hpp"
#include "scae/data/subset.hpp"
#include "scae/eval/embed2d.hpp"
#include "scae/eval/pca.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/transfer/mcv.hpp"
#include "scae/transfer/evaluate.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/train_model.hpp"

#include <numeric>

namespace scae::transfer {

/// Settings of `run_transfer`.
struct TransferOptions {
    data::AlignOptions align{};        ///< how the target's genes are matched to the model's
    bool native = true;                ///< also train a native model on the target (the fair baseline)
    train::TrainOptions native_train{}; ///< its training (seed, epochs, threads, progress)
    double holdout_fraction = 0.2;     ///< target cells held out from the native model; denoising is scored on them
    SplitOptions split{};              ///< molecular cross-validation (fraction 1/2); its seed is replaced by `seed`
    CalibrationOptions calibration{};  ///< how the foreign model is calibrated when applied (default blend)
    Index pca_components = 50;         ///< PCA baseline size
    Index pca_max_cells = 20000;       ///< held-in cells the denoising PCA is fitted on at most (it is dense)
    EmbeddingScoreOptions scores{};    ///< kNN / k-means settings
    std::uint64_t seed = 0;            ///< held-out cells and masks
};

/// What `run_transfer` measured and computed.
struct TransferResult {
    nlohmann::json report;            ///< every number, for report.json
    Matrix<float> latent;             ///< foreign-model bottleneck of every target cell
    std::vector<double> cell_deviance; ///< per-cell mean Poisson deviance of the foreign reconstruction
    Matrix<double> latent_2d;         ///< 2-D projection of `latent`, for the scatter plot
    Csr<float> aligned;               ///< target counts in the model's gene order
    std::vector<std::string> predicted_labels; ///< labels transferred from the model's reference (if it has one)
    /// Mean denoising deviance per model gene of each predictor scored (held-out cells), by name.
    std::vector<std::pair<std::string, std::vector<double>>> gene_deviance;
};

namespace detail {

/// Mean Poisson deviance per cell between counts and predicted rates.
inline std::vector<double> poisson_deviance_per_cell(const Csr<float>& counts, const Matrix<float>& rates) {
    std::vector<double> out(std::size_t(counts.rows()));
    for (Index r = 0; r < counts.rows(); ++r) {
        double d = 2 * rates.row(r).template cast<double>().sum(); // the y = 0 terms: 2 mu
        for (Csr<float>::InnerIterator it(counts, r); it; ++it) {
            const double y = it.value(), mu = std::max(double(rates(r, it.col())), 1e-8);
            d += 2 * (y * std::log(y / mu) - y);
        }
        out[std::size_t(r)] = d / double(counts.cols());
    }
    return out;
}

/// The model's input transform as a dense matrix (the space the PCA of the latent scores works in).
inline Matrix<float> dense_input(const Csr<float>& counts, const nn::InputTransform& t) {
    return Matrix<float>(nn::transform_input(counts, t));
}

inline nlohmann::json denoise_json(const DenoiseScore& s) {
    nlohmann::json j = {{"poisson_deviance", s.poisson_deviance}, {"pearson_log1p", s.pearson_log1p}, {"entries", s.entries}};
    if (!std::isnan(s.nb_deviance)) j["nb_deviance"] = s.nb_deviance;
    return j;
}

/// At most `limit` of the rows 0..n-1, drawn at random from `rng`, ascending.
inline std::vector<Index> sample_rows(Index n, Index limit, Rng& rng) {
    std::vector<Index> out(static_cast<std::size_t>(n));
    std::iota(out.begin(), out.end(), Index(0));
    if (n <= limit) return out;
    rng.shuffle(out);
    out.resize(std::size_t(limit));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace detail

/// Applies `foreign` to `target` without retraining and measures it: gene alignment,
/// reconstruction, denoising of hidden counts, and (when `labels` has a non-empty entry)
/// classification and clustering in the latent space; next to a native model trained on
/// held-in target cells and PCA, on the same genes and input transform.
inline TransferResult run_transfer(const ModelFile& foreign, const io::CountMatrix<float>& target,
                                   const std::vector<std::string>& labels, const TransferOptions& options = {}) {
    if (!labels.empty() && Index(labels.size()) != target.cells())
        throw Error("run_transfer: " + std::to_string(labels.size()) + " labels for " + std::to_string(target.cells()) + " cells");
    TransferResult result;
    nlohmann::json& report = result.report;
    const auto alignment = data::align_genes(foreign.gene_ids, foreign.gene_symbols, target.gene_ids, target.gene_symbols, options.align);
    report["alignment"] = alignment;
    result.aligned = data::apply_alignment(target.counts, alignment);
    result.aligned.makeCompressed();
    const Csr<float>& counts = result.aligned;
    const nn::Autoencoder<float>& model = foreign.model;
    const nn::InputTransform& transform = model.options.input;

    // Foreign model on every cell.
    result.latent = model.encode(counts);
    result.cell_deviance = detail::poisson_deviance_per_cell(counts, model.reconstruct(counts));
    report["cells"] = counts.rows();
    report["model_genes"] = counts.cols();
    report["foreign"]["mean_cell_deviance"] =
        std::accumulate(result.cell_deviance.begin(), result.cell_deviance.end(), 0.0) / double(std::max<Index>(1, counts.rows()));
    result.latent_2d = eval::embed_2d(result.latent);

    // Held-in / held-out split for the native model and the denoising test.
    Rng rng(options.seed);
    std::vector<Index> order(std::size_t(counts.rows()));
    std::iota(order.begin(), order.end(), Index(0));
    rng.shuffle(order);
    const std::size_t held = std::max<std::size_t>(1, std::size_t(options.holdout_fraction * double(order.size())));
    std::vector<Index> held_out(order.begin(), order.begin() + Index(held)), held_in(order.begin() + Index(held), order.end());
    std::sort(held_out.begin(), held_out.end());
    std::sort(held_in.begin(), held_in.end());
    // Molecular cross-validation: every predictor sees Xa of the held-out cells and is scored
    // against their Xb; the native model and PCA learn from Xa of the held-in cells only.
    SplitOptions split_options = options.split;
    split_options.seed = options.seed + 1;
    const DenoiseSplit split = split_for_denoising(counts, split_options);
    DenoiseSplit scored = split;
    scored.input = data::select_rows(split.input, held_out);
    scored.target = data::select_rows(split.target, held_out);
    const Csr<float> held_in_input = data::select_rows(split.input, held_in);
    RowVector<float> theta;
    if (model.options.loss == nn::Loss::negative_binomial) theta = model.log_theta.value.array().exp().matrix();
    const RowVector<float>* nb = theta.size() > 0 ? &theta : nullptr;
    ScoreOptions score_options;
    score_options.per_gene = true;

    nlohmann::json& denoise = report["denoising"];
    denoise["protocol"] = to_string(split.protocol);
    denoise["fraction"] = split.fraction;
    if (!split.note.empty()) denoise["note"] = split.note;
    denoise["held_out_cells"] = held_out.size();
    denoise["genes"] = counts.cols();
    if (nb) denoise["nb_dispersions"] = "the foreign model's, for every predictor";
    std::vector<std::pair<std::string, DenoiseScore>> scores;
    const auto score = [&](const std::string& name, const RatePredictor& predict) {
        scores.emplace_back(name, score_denoiser(scored, predict, score_options, nb));
        result.gene_deviance.emplace_back(name, scores.back().second.gene_deviance);
    };
    // Every predictor is scored raw (NAME_raw) and as `scae denoise` applies a model (NAME: the
    // same calibration, fitted on the scored cells' Xa), so foreign, native and PCA compare like with like.
    CalibrationOptions calibration_options = options.calibration;
    calibration_options.seed = options.seed + 2;
    std::vector<std::pair<std::string, GeneCalibration>> calibrations;
    const auto score_both = [&](const std::string& name, const RatePredictor& predict) {
        score(name + "_raw", predict);
        calibrations.emplace_back(name, fit_calibration(scored.input, predict, calibration_options));
        score(name, calibrated(predict, calibrations.back().second));
    };
    const RatePredictor foreign_rates = model_predictor(model);
    score_both("foreign", foreign_rates);
    score("gene_mean", gene_mean_predictor(scored.input));
    const PcaDenoiser pca_denoiser = fit_pca_denoiser(data::select_rows(held_in_input, detail::sample_rows(held_in_input.rows(), options.pca_max_cells, rng)),
                                                      transform, options.pca_components, options.seed);
    score_both("pca", pca_predictor(pca_denoiser));
    eval::PcaOptions pca_options;
    pca_options.components = options.pca_components;
    pca_options.seed = options.seed;

    Matrix<float> native_latent;
    if (options.native) {
        nn::AutoencoderOptions native_options = model.options;
        native_options.seed = options.native_train.seed;
        nn::Autoencoder<float> native(counts.cols(), native_options);
        const auto history = train::fit(native, held_in_input, options.native_train);
        report["native"]["epochs"] = history.epochs.size();
        report["native"]["train_cells"] = held_in_input.rows();
        report["native"]["trained_on"] = split.protocol == Protocol::molecular_cross_validation ? "Xa of the held-in cells"
                                                                                               : "visible entries of the held-in cells";
        score_both("native", model_predictor(native));
        native_latent = native.encode(counts);
        const auto native_deviance = detail::poisson_deviance_per_cell(counts, native.reconstruct(counts));
        report["native"]["mean_cell_deviance"] =
            std::accumulate(native_deviance.begin(), native_deviance.end(), 0.0) / double(std::max<Index>(1, counts.rows()));
    }
    const double baseline = std::find_if(scores.begin(), scores.end(), [](const auto& s) { return s.first == "gene_mean"; })->second.poisson_deviance;
    for (const auto& [name, s] : scores) {
        denoise[name] = detail::denoise_json(s);
        denoise[name]["ratio_to_gene_mean"] = s.poisson_deviance / baseline;
    }
    for (const auto& [name, c] : calibrations) denoise[name]["calibration"] = calibration_json(c);

    const bool labelled = std::any_of(labels.begin(), labels.end(), [](const std::string& l) { return !l.empty(); });
    if (labelled) {
        EmbeddingScoreOptions so = options.scores;
        so.seed = options.seed;
        nlohmann::json& latent_scores = report["latent"];
        latent_scores["foreign"] = score_embedding(result.latent, labels, so);
        if (options.native) latent_scores["native"] = score_embedding(native_latent, labels, so);
        const eval::Pca pca = eval::fit_pca(detail::dense_input(counts, transform), pca_options);
        latent_scores["pca"] = score_embedding(pca.scores, labels, so);
        latent_scores["pca"]["components"] = pca.scores.cols();
    }
    if (!foreign.reference_labels.empty()) {
        const std::vector<std::string> truth = labelled ? labels : std::vector<std::string>(std::size_t(counts.rows()));
        report["label_transfer"] = label_transfer(foreign.reference_latent, foreign.reference_labels, result.latent, truth,
                                                  result.predicted_labels, options.scores.knn);
    }
    return result;
}

} // namespace scae::transfer
