#pragma once
/// @file train_model.hpp
/// @brief The first workflow of the method: fit the preprocessing on one tissue and train a
/// model on it, ready to save and to apply elsewhere (run_transfer.hpp).

#include "scae/data/preprocess.hpp"
#include "scae/data/subset.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/train/train.hpp"
#include "scae/transfer/model_file.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

namespace scae::transfer {

/// Everything `train_model` needs besides the data.
struct TrainRecipe {
    data::PreprocessOptions preprocess{}; ///< cell/gene filters, gene-set restriction, HVG
    bool normalize = true;  ///< library-size normalise the input to the median depth (see nn::InputTransform)
    nn::AutoencoderOptions model{};  ///< architecture and loss; its seed is replaced by train.seed
    /// Optimisation; its seed (default 42) is the model's: the initial weights, the validation
    /// split and shuffles, and the reference summary all derive from it.
    train::TrainOptions train{};
    /// The summary of the training cells' input kept in the model (missing genes on a target);
    /// its seed is derived from the training seed.
    ReferenceInputOptions reference_input{};
};

namespace detail {

/// The reference cells' fits as the model keeps them (ModelFile::reference_fit): the model
/// reconstructs the cells it was trained on better than a new cell of their type, so their
/// deviances are scaled by the ratio of the held-out cells' median to theirs, and every reference
/// cell stands for a new one (cells held out keep their own).
/// @param fit  each reference cell's mean deviance
/// @param rows  each reference cell's row among the cells trained on (the validation split's numbering)
/// @param held_out  the validation cells (train::validation_cells()), ascending
/// @return 1 x cells
inline RowVector<float> scaled_reference_fit(const std::vector<double>& fit, const std::vector<Index>& rows, const std::vector<Index>& held_out) {
    const auto is_held_out = [&](std::size_t i) { return std::binary_search(held_out.begin(), held_out.end(), rows[i]); };
    std::vector<double> seen, unseen;
    for (std::size_t i = 0; i < fit.size(); ++i) (is_held_out(i) ? unseen : seen).push_back(fit[i]);
    const auto median = [](std::vector<double> v) {
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    const double scale = seen.empty() || unseen.size() < 10 ? 1.0 : std::max(1.0, median(unseen) / std::max(median(seen), 1e-12));
    RowVector<float> out(Index(fit.size()));
    for (std::size_t i = 0; i < fit.size(); ++i) out(Index(i)) = float(is_held_out(i) ? fit[i] : fit[i] * scale);
    return out;
}

} // namespace detail

/// Fits the preprocessing, trains a model on `data` and returns it ready to save. With
/// `labels` (one per cell, "" for unlabelled), the labelled training cells' bottleneck
/// activations are kept as a reference for label transfer. `data` is consumed: its counts become
/// the training matrix in place (for data too large to hold twice). Models are float; a template
/// over the count type only so that including this header compiles no training code (it is
/// compiled where it is called).
/// @param data counts (cells x genes) with gene ids and/or symbols, moved in
/// @param recipe preprocessing, architecture and optimisation
/// @param data_path where `data` came from, kept in the model's provenance
/// @param labels one label per cell of `data` ("" for unlabelled), or empty
/// @return the trained model with its preprocessing, history, provenance and label reference
/// @throws Error when `labels` is neither empty nor one per cell
template <class T>
ModelFile train_model(io::CountMatrix<T>&& data, const TrainRecipe& recipe, const std::string& data_path = "",
                      const std::vector<std::string>& labels = {}) {
    static_assert(std::is_same_v<T, float>, "train_model: models are trained on float counts (io::CountMatrix<float>)");
    if (!labels.empty() && Index(labels.size()) != data.cells())
        throw Error("train_model: " + std::to_string(labels.size()) + " labels for " + std::to_string(data.cells()) + " cells");
    std::vector<std::string> ids = data.gene_ids, symbols = data.gene_symbols;
    if (ids.empty()) ids = symbols;
    if (ids.empty())
        for (Index g = 0; g < data.genes(); ++g) ids.push_back("gene" + std::to_string(g + 1));
    if (symbols.empty()) symbols = ids;
    const auto fit = data::fit_preprocessing(data.counts, ids, symbols, recipe.preprocess);
    const Csr<T> counts = data::select_model_counts(std::move(data.counts), fit); // in place
    nn::AutoencoderOptions options = recipe.model;
    options.seed = recipe.train.seed; // one seed for the model
    options.input.log1p = fit.preprocessing.log1p;
    options.input.target_sum = recipe.normalize ? fit.preprocessing.target_sum : 0.0;
    ModelFile m{nn::Autoencoder<float>(counts.cols(), options), fit.preprocessing.gene_ids, fit.preprocessing.gene_symbols,
                fit.preprocessing, {}, {}, {}, {}, {}, {}, {}};
    m.history = train::fit(m.model, counts, recipe.train);
    ReferenceInputOptions summary = recipe.reference_input;
    summary.seed = derive_seed(recipe.train.seed, 11);
    m.reference_input = fit_reference_input(counts, m.model.options.input, summary);
    m.provenance.data_path = data_path;
    m.provenance.cells = counts.rows();
    m.provenance.seed = recipe.train.seed;
    m.provenance.created = utc_now();
    if (!labels.empty()) {
        std::vector<Index> labelled;
        for (Index kept = 0; kept < Index(fit.kept_cells.size()); ++kept) {
            const std::string& label = labels[std::size_t(fit.kept_cells[std::size_t(kept)])];
            if (!label.empty()) labelled.push_back(kept), m.reference_labels.push_back(label);
        }
        const Csr<T> reference = data::select_rows(counts, labelled);
        m.reference_latent = m.model.encode(reference);
        std::vector<double> fit(labelled.size());
        const Index block = 4096; // a block's reconstruction (cells x genes) is all that is held
        for (Index first = 0; first < reference.rows(); first += block) {
            Csr<T> part = reference.middleRows(first, std::min(block, reference.rows() - first));
            part.makeCompressed();
            mean_cell_deviance(part, m.model.reconstruct(part), {}, fit.data() + first);
        }
        m.reference_fit = detail::scaled_reference_fit(fit, labelled, train::validation_cells(counts.rows(), recipe.train));
    }
    return m;
}

/// train_model() of data the caller keeps (copied once; pass an rvalue to train without the copy).
/// @param data counts (cells x genes) with gene ids and/or symbols, left as they are
/// @param recipe preprocessing, architecture and optimisation
/// @param data_path where `data` came from, kept in the model's provenance
/// @param labels one label per cell of `data` ("" for unlabelled), or empty
/// @return the trained model, as the overload that consumes `data`
template <class T>
ModelFile train_model(const io::CountMatrix<T>& data, const TrainRecipe& recipe, const std::string& data_path = "",
                      const std::vector<std::string>& labels = {}) {
    io::CountMatrix<T> copy = data;
    return train_model(std::move(copy), recipe, data_path, labels);
}

} // namespace scae::transfer
