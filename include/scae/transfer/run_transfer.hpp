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
    double holdout_fraction = 0.2;     ///< target cells held out from the native model, for denoising
    double mask_fraction = 0.1;        ///< stored counts hidden in held-out cells
    Index pca_components = 50;         ///< PCA baseline size
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

/// The model's input transform as a dense matrix (the space the PCA baseline works in).
inline Matrix<float> dense_input(const Csr<float>& counts, const nn::InputTransform& t) {
    return Matrix<float>(nn::transform_input(counts, t));
}

/// PCA reconstruction of `visible` counts, mapped back to expected counts.
inline Matrix<float> pca_rates(const eval::Pca& pca, const Csr<float>& visible, const nn::InputTransform& t) {
    const Matrix<double> scores = pca.project(dense_input(visible, t));
    Matrix<double> x = (scores * pca.components).rowwise() + pca.mean;
    if (t.log1p) x = x.array().exp() - 1.0;
    x = x.cwiseMax(0.0);
    if (t.target_sum > 0)
        for (Index r = 0; r < x.rows(); ++r) x.row(r) *= double(visible.row(r).sum()) / t.target_sum;
    return x.cast<float>();
}

inline nlohmann::json denoise_json(const DenoiseScore& s) {
    return {{"poisson_deviance", s.poisson_deviance}, {"pearson_log1p", s.pearson_log1p}, {"hidden_entries", s.entries}};
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
    const Csr<float> train_counts = data::select_rows(counts, held_in);
    const auto masked = hide_counts(data::select_rows(counts, held_out), options.mask_fraction, options.seed + 1);

    nlohmann::json& denoise = report["denoising"];
    denoise["held_out_cells"] = held_out.size();
    denoise["mask_fraction"] = options.mask_fraction;
    denoise["foreign"] = detail::denoise_json(score_hidden(model.reconstruct(masked.visible), masked));
    denoise["gene_mean"] = detail::denoise_json(score_hidden(gene_mean_rates(train_counts, masked.visible), masked));
    eval::PcaOptions pca_options;
    pca_options.components = options.pca_components;
    pca_options.seed = options.seed;
    const eval::Pca held_in_pca = eval::fit_pca(detail::dense_input(train_counts, transform), pca_options);
    denoise["pca"] = detail::denoise_json(score_hidden(detail::pca_rates(held_in_pca, masked.visible, transform), masked));

    Matrix<float> native_latent;
    if (options.native) {
        nn::AutoencoderOptions native_options = model.options;
        native_options.seed = options.native_train.seed;
        nn::Autoencoder<float> native(counts.cols(), native_options);
        const auto history = train::fit(native, train_counts, options.native_train);
        report["native"]["epochs"] = history.epochs.size();
        report["native"]["train_cells"] = train_counts.rows();
        denoise["native"] = detail::denoise_json(score_hidden(native.reconstruct(masked.visible), masked));
        native_latent = native.encode(counts);
        const auto native_deviance = detail::poisson_deviance_per_cell(counts, native.reconstruct(counts));
        report["native"]["mean_cell_deviance"] =
            std::accumulate(native_deviance.begin(), native_deviance.end(), 0.0) / double(std::max<Index>(1, counts.rows()));
    }

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
