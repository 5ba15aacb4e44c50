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
#include "scae/interpret/node_meaning.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/eval/subsample.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/eval/mcv.hpp"
#include "scae/eval/embedding_scores.hpp"
#include "scae/transfer/annotation_scores.hpp"
#include "scae/transfer/run_annotation.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/train_model.hpp"

#include <iomanip>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <type_traits>

namespace scae::transfer {

/// Settings of `run_transfer`.
struct TransferOptions {
    data::AlignOptions align{};        ///< how the target's genes are matched to the model's
    /// How the model stands in for model genes the target lacks (default: their expectation
    /// given the present genes; missing_genes.hpp). Every use of the foreign model applies it.
    MissingGenes missing_genes = MissingGenes::conditional;
    NodeSupportOptions node_support{}; ///< when a node is flagged as resting on missing genes
    /// Label transfer from the model's reference: k, the error rate below which a cell is
    /// `unknown`, the reference subsample (its max_reference_cells is replaced by scores.max_cells,
    /// its seed by `seed`).
    AnnotateOptions annotate{};
    /// Reference label -> target label, for scoring transferred labels where the two vocabularies
    /// differ (several may map to one); the predicted labels stay the reference's.
    std::map<std::string, std::string> label_map;
    bool native = true;                ///< also train a native model on the target (the fair baseline)
    /// Its training (epochs, batch, learning rate, progress callback); its seed and threads are
    /// replaced by `seed` and `threads`, so one seed makes the whole run.
    train::TrainOptions native_train{};
    double holdout_fraction = 0.2;     ///< target cells held out from the native model; denoising is scored on them
    Index denoise_max_cells = 20000;   ///< held-out cells denoising is scored on at most (a random subset of them)
    eval::SplitOptions split{};              ///< molecular cross-validation (fraction 1/2); its seed is replaced by `seed`
    CalibrationOptions calibration{};  ///< how the foreign model is calibrated when applied (default groups)
    Index pca_components = 50;         ///< PCA baseline size
    Index pca_max_cells = 20000;       ///< held-in cells the denoising PCA is fitted on at most
    /// kNN / k-means settings; `max_cells` bounds the cells of the all-pairs scores (a stratified
    /// subsample, stated in the results), and also the reference cells label transfer votes with.
    eval::EmbeddingScoreOptions scores{};
    /// Called with a note ("transfer", what was done) after each long step (default empty: silent);
    /// native_train.progress reports the native model's epochs. `scae transfer` fills both with
    /// lines on stderr (cli/progress.hpp).
    ProgressCallback progress{};
    /// Held-out cells, masks, subsamples and the native model (initial weights, split, shuffles);
    /// default 42, as `scae transfer --seed` and as a model is trained (train::TrainOptions::seed).
    std::uint64_t seed = 42;
    /// Threads for every step, the native model's training included (default 1; 0: OpenMP's
    /// default, every core). The results depend on it only by rounding: Eigen's own products (the
    /// model passes, PCA's sketch) choose their blocking by thread count.
    int threads = 1;
};

/// Denoising score of one predictor on the held-out cells.
struct PredictorScore {
    std::string name;         ///< foreign_raw, foreign, gene_mean, pca or native
    eval::DenoiseScore score;       ///< deviances and correlation (mcv.hpp)
    double ratio_to_gene_mean = 0; ///< score.poisson_deviance over the gene-mean baseline's
    std::optional<GeneCalibration> calibration; ///< how the predictor was calibrated, if it was
};

/// The denoising test: molecular cross-validation (or the masked protocol) on held-out cells.
struct DenoisingResults {
    eval::Protocol protocol = eval::Protocol::molecular_cross_validation; ///< how the held-back data were made
    double fraction = 0.5;       ///< the split's fraction
    std::string note;            ///< why the masked protocol was used ("" for MCV)
    Index held_out_cells = 0;    ///< cells scored
    Index genes = 0;             ///< model genes scored
    Index pca_cells = 0;         ///< held-in cells the PCA predictor was fitted on
    bool nb_dispersions = false; ///< NB deviances use the foreign model's dispersions
    std::vector<PredictorScore> predictors; ///< in the order scored
};

/// The native baseline: a model of the same architecture trained on the target's held-in cells.
struct NativeResults {
    Index epochs = 0;               ///< epochs run (early stopping)
    Index train_cells = 0;          ///< held-in cells it was trained on
    std::string trained_on;         ///< which counts of those cells
    double mean_cell_deviance = 0;  ///< mean per-cell Poisson deviance of its reconstruction of every cell
};

/// Label agreement of each latent space (when the target has labels).
struct LatentResults {
    eval::EmbeddingScores foreign;                ///< the foreign model's bottleneck
    std::optional<eval::EmbeddingScores> native;  ///< the native model's (when trained)
    eval::EmbeddingScores pca;                    ///< PCA of the model's input space
    Index pca_components = 0;               ///< PCA components scored
};

/// What `run_transfer` measured and computed. report.json is `to_json` of this.
struct TransferResults {
    data::Alignment alignment;         ///< how the target's genes map onto the model's
    MissingGeneAdaptation missing_genes; ///< how the model stood in for the genes the target lacks
    /// Each bottleneck node's support on the target (node_support.hpp); empty for a model without
    /// a reference summary.
    std::vector<NodeSupport> node_support;
    /// Whether each node kept the meaning it was named with on the model's training cells
    /// (interpret::compare_meaning() on up to 5,000 target cells); empty for a model without
    /// ModelFile::reference_meaning (trained without gene sets).
    std::vector<interpret::NodeMeaning> node_meaning;
    Index cells = 0;                   ///< target cells
    Index model_genes = 0;             ///< the model's genes
    double foreign_mean_cell_deviance = 0; ///< mean of `cell_deviance`
    DenoisingResults denoising;        ///< the denoising test
    std::optional<NativeResults> native;        ///< the native baseline (TransferOptions::native)
    std::optional<LatentResults> latent_scores; ///< label agreement (target labels given)
    std::optional<Annotation> annotation; ///< labels from the model's reference, with confidences (the model has one)
    std::optional<LabelTransferScores> label_transfer; ///< how they match the target's own labels (the model has a reference)
    Matrix<float> latent;              ///< foreign-model bottleneck of every target cell
    std::vector<double> cell_deviance; ///< per-cell mean Poisson deviance of the foreign reconstruction
    Matrix<double> latent_2d;          ///< 2-D projection of `latent`, for the scatter plot
    /// Mean denoising deviance per model gene of each predictor scored (held-out cells), by name.
    std::vector<std::pair<std::string, std::vector<double>>> gene_deviance;
    /// The predictor called `name`, or nullptr.
    /// @param name e.g. "foreign", "foreign_raw", "gene_mean", "pca" or "native"
    /// @return its score, pointing into `denoising` (valid while these results are), or nullptr
    const PredictorScore* predictor(const std::string& name) const {
        for (const auto& p : denoising.predictors)
            if (p.name == name) return &p;
        return nullptr;
    }
};

/// JSON of one denoising score (report.json's form). (Templates on the JSON type, here and
/// below, only so that including this header compiles none of it.)
/// @param j receives a JSON object: deviances, correlation, entries, ratio to the gene mean
/// and the calibration when there was one
/// @param p the score
template <class Json>
void to_json(Json& j, const PredictorScore& p) {
    const eval::DenoiseScore& s = p.score;
    j = {{"poisson_deviance", s.poisson_deviance}, {"pearson_log1p", s.pearson_log1p}, {"entries", s.entries},
         {"ratio_to_gene_mean", p.ratio_to_gene_mean}};
    if (!std::isnan(s.nb_deviance)) j["nb_deviance"] = s.nb_deviance;
    if (p.calibration) j["calibration"] = calibration_json<Json>(*p.calibration);
}

/// The numbers of `r` as report.json holds them (the per-cell and per-gene tables are left out).
/// @param j receives the report object
/// @param r the results
template <class Json>
void to_json(Json& j, const TransferResults& r) {
    j = Json::object();
    j["alignment"] = r.alignment;
    missing_gene_json(j, r.missing_genes, r.node_support);
    if (!r.node_meaning.empty()) {
        std::size_t kept = 0, changed = 0, untested = 0;
        std::vector<Index> changed_nodes;
        for (const interpret::NodeMeaning& m : r.node_meaning) {
            kept += m.meaning == interpret::Meaning::kept;
            untested += m.meaning == interpret::Meaning::untested;
            if (m.meaning == interpret::Meaning::changed) {
                ++changed;
                changed_nodes.push_back(m.node);
            }
        }
        j["node_meaning"] = {{"kept", kept}, {"changed", changed}, {"untested", untested}, {"changed_nodes", changed_nodes}};
    }
    j["cells"] = r.cells;
    j["model_genes"] = r.model_genes;
    j["foreign"]["mean_cell_deviance"] = r.foreign_mean_cell_deviance;
    Json& denoise = j["denoising"];
    const DenoisingResults& d = r.denoising;
    denoise["protocol"] = to_string(d.protocol);
    denoise["fraction"] = d.fraction;
    if (!d.note.empty()) denoise["note"] = d.note;
    denoise["held_out_cells"] = d.held_out_cells;
    denoise["genes"] = d.genes;
    denoise["pca_cells"] = d.pca_cells;
    if (d.nb_dispersions) denoise["nb_dispersions"] = "the foreign model's, for every predictor";
    for (const auto& p : d.predictors) denoise[p.name] = p;
    if (r.native) {
        j["native"] = {{"epochs", r.native->epochs},
                       {"train_cells", r.native->train_cells},
                       {"trained_on", r.native->trained_on},
                       {"mean_cell_deviance", r.native->mean_cell_deviance}};
    }
    if (r.latent_scores) {
        Json& latent = j["latent"];
        latent["foreign"] = r.latent_scores->foreign;
        if (r.latent_scores->native) latent["native"] = *r.latent_scores->native;
        latent["pca"] = r.latent_scores->pca;
        latent["pca"]["components"] = r.latent_scores->pca_components;
    }
    if (r.label_transfer) {
        j["label_transfer"] = *r.label_transfer;
        if (r.annotation) annotation_details(j["label_transfer"], *r.annotation);
    }
}

namespace detail {

/// Positions of `rows` (a subset of the ascending `within`) in `within`.
inline std::vector<Index> positions_in(const std::vector<Index>& within, const std::vector<Index>& rows) {
    std::vector<Index> out;
    out.reserve(rows.size());
    for (Index r : rows) out.push_back(Index(std::lower_bound(within.begin(), within.end(), r) - within.begin()));
    return out;
}

/// Mean of `values` (0 for none).
inline double mean_of(const std::vector<double>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / double(std::max<std::size_t>(1, values.size()));
}

/// A note ("transfer", what) to TransferOptions::progress after each long step.
class StepLog {
public:
    explicit StepLog(const ProgressCallback& callback) : progress_(callback) {}
    void operator()(const std::string& what) const { progress_.note("transfer", what); }

private:
    ProgressReporter progress_;
};

/// What run_transfer() does once the counts are in the model's gene order.
template <class T>
TransferResults transfer_aligned(const ModelFile& foreign, const Csr<T>& counts, data::Alignment alignment,
                                 const std::vector<std::string>& labels, const TransferOptions& options, const StepLog& log) {
    const ThreadScope thread_scope(options.threads, ThreadScope::EigenThreads::same); // the model passes are Eigen products
    TransferResults result;
    result.alignment = std::move(alignment);
    // The foreign model as applied to this target: adapted to the genes it has.
    const std::vector<Index>& missing = result.alignment.missing_model_columns;
    const nn::Autoencoder<float> model = adapt_to_present_genes(foreign.model, foreign.reference_input, missing, options.missing_genes,
                                                                &result.missing_genes);
    result.node_support = node_support(foreign.model, foreign.reference_input, missing, result.missing_genes.method, options.node_support);
    const nn::InputTransform& transform = foreign.model.options.input; // the baselines' input
    const std::vector<bool> absent = detail::absent_genes(result.alignment);
    result.cells = counts.rows();
    result.model_genes = counts.cols();
    log("aligned " + std::to_string(result.alignment.matched) + " of " + std::to_string(counts.cols()) + " model genes");
    if (!foreign.reference_meaning.empty() && counts.rows() >= 3) { // a model named on its training tissue: which nodes keep that meaning here
        Rng sample(derive_seed(options.seed, 29));
        std::vector<bool> present(absent.size());
        for (std::size_t g = 0; g < absent.size(); ++g) present[g] = !absent[g];
        result.node_meaning = interpret::compare_meaning(foreign.reference_meaning, model, counts, eval::random_subsample(counts.rows(), 5000, sample), present);
    }

    // Foreign model on every cell.
    detail::encode_and_score(model, counts, result.latent, result.cell_deviance, absent);
    result.foreign_mean_cell_deviance = detail::mean_of(result.cell_deviance);
    result.latent_2d = eval::embed_2d(result.latent);
    log("foreign model applied to " + std::to_string(counts.rows()) + " cells");

    // Held-in / held-out split for the native model and the denoising test.
    Rng rng(options.seed);
    std::vector<Index> order(std::size_t(counts.rows()));
    std::iota(order.begin(), order.end(), Index(0));
    rng.shuffle(order);
    const std::size_t held = std::max<std::size_t>(1, std::size_t(options.holdout_fraction * double(order.size())));
    std::vector<Index> held_out(order.begin(), order.begin() + Index(std::min<std::size_t>(held, std::size_t(std::max<Index>(1, options.denoise_max_cells))))),
        held_in(order.begin() + Index(held), order.end());
    std::sort(held_out.begin(), held_out.end());
    std::sort(held_in.begin(), held_in.end());
    // The held-in cells the PCA predictor is fitted on, as positions in held_in.
    const std::vector<Index> pca_positions = eval::random_subsample(Index(held_in.size()), options.pca_max_cells, rng);
    std::vector<Index> pca_rows;
    for (Index i : pca_positions) pca_rows.push_back(held_in[std::size_t(i)]);
    // Molecular cross-validation: every predictor sees Xa of the held-out cells and is scored
    // against their Xb; the native model and PCA learn from Xa of the held-in cells only. Only
    // the cells some predictor needs are split (all of them when a native model is trained).
    const std::vector<Index>& learn_rows = options.native ? held_in : pca_rows;
    std::vector<Index> split_rows = held_out;
    split_rows.insert(split_rows.end(), learn_rows.begin(), learn_rows.end());
    std::sort(split_rows.begin(), split_rows.end());
    eval::SplitOptions split_options = options.split;
    split_options.seed = options.seed + 1;
    const eval::DenoiseSplit split = Index(split_rows.size()) == counts.rows()
                                   ? eval::split_for_denoising(counts, split_options)
                                   : eval::split_for_denoising(data::select_rows(counts, split_rows), split_options);
    eval::DenoiseSplit scored = split;
    scored.input = data::select_rows(split.input, detail::positions_in(split_rows, held_out));
    scored.target = data::select_rows(split.target, detail::positions_in(split_rows, held_out));
    const Csr<float> held_in_input = data::select_rows(split.input, detail::positions_in(split_rows, learn_rows));
    RowVector<float> theta;
    if (model.options.loss == nn::Loss::negative_binomial) theta = model.log_theta.value.array().exp().matrix();
    const RowVector<float>* nb = theta.size() > 0 ? &theta : nullptr;
    eval::ScoreOptions score_options;
    score_options.per_gene = true;
    score_options.skip_genes = absent; // a gene the target lacks has no counts to score

    DenoisingResults& denoise = result.denoising;
    denoise.protocol = split.protocol;
    denoise.fraction = split.fraction;
    denoise.note = split.note;
    denoise.held_out_cells = Index(held_out.size());
    denoise.genes = counts.cols() - Index(missing.size());
    denoise.nb_dispersions = nb != nullptr;
    const auto score = [&](const std::string& name, const eval::RatePredictor& predict, const GeneCalibration* calibration = nullptr) {
        PredictorScore p{name, eval::score_denoiser(scored, predict, score_options, nb), 0, std::nullopt};
        if (calibration) p.calibration = *calibration;
        result.gene_deviance.emplace_back(name, p.score.gene_deviance);
        denoise.predictors.push_back(std::move(p));
        log("denoising scored: " + name);
    };
    // Every predictor is scored raw (NAME_raw) and as `scae denoise` applies a model (NAME: the
    // same calibration, fitted on the scored cells' Xa), so foreign, native and PCA compare like with like.
    CalibrationOptions calibration_options = options.calibration;
    calibration_options.seed = options.seed + 2;
    const auto score_both = [&](const std::string& name, const eval::RatePredictor& predict) {
        score(name + "_raw", predict);
        const GeneCalibration calibration = fit_calibration(scored.input, predict, calibration_options);
        score(name, calibrated(predict, calibration), &calibration);
    };
    const eval::RatePredictor foreign_rates = model_predictor(model);
    score_both("foreign", foreign_rates);
    score("gene_mean", gene_mean_predictor(scored.input));
    // The PCA predictor: fitted on (at most pca_max_cells) held-in cells.
    const Csr<float> pca_input = options.native ? data::select_rows(held_in_input, pca_positions) : held_in_input;
    denoise.pca_cells = pca_input.rows();
    const PcaDenoiser pca_denoiser = fit_pca_denoiser(pca_input, transform, options.pca_components, options.seed);
    score_both("pca", pca_predictor(pca_denoiser));

    Matrix<float> native_latent;
    if (options.native) {
        nn::AutoencoderOptions native_options = foreign.model.options;
        native_options.seed = options.seed;
        nn::Autoencoder<float> native(counts.cols(), native_options);
        train::TrainOptions native_train = options.native_train;
        native_train.seed = options.seed;
        native_train.threads = options.threads;
        const auto history = train::fit(native, held_in_input, native_train);
        NativeResults n;
        n.epochs = Index(history.epochs.size());
        n.train_cells = held_in_input.rows();
        n.trained_on = split.protocol == eval::Protocol::molecular_cross_validation ? "Xa of the held-in cells" : "visible entries of the held-in cells";
        score_both("native", model_predictor(native));
        std::vector<double> native_deviance;
        detail::encode_and_score(native, counts, native_latent, native_deviance, absent);
        n.mean_cell_deviance = detail::mean_of(native_deviance);
        result.native = n;
        log("native model trained on " + std::to_string(n.train_cells) + " cells");
    }
    const double baseline = result.predictor("gene_mean")->score.poisson_deviance;
    for (auto& p : denoise.predictors) p.ratio_to_gene_mean = p.score.poisson_deviance / baseline;

    const bool labelled = std::any_of(labels.begin(), labels.end(), [](const std::string& l) { return !l.empty(); });
    if (labelled) {
        eval::EmbeddingScoreOptions so = options.scores;
        so.seed = options.seed;
        LatentResults latent;
        latent.foreign = eval::score_embedding(result.latent, labels, so);
        if (options.native) latent.native = eval::score_embedding(native_latent, labels, so);
        log("latent spaces scored on " + std::to_string(latent.foreign.subsample_cells) + " of " + std::to_string(latent.foreign.cells) +
            " labelled cells");
        // PCA of the model's input space for every cell: the transformed values share the
        // counts' structure, and the sparse PCA never densifies them.
        eval::PcaOptions pca_options;
        pca_options.components = options.pca_components;
        pca_options.seed = options.seed;
        std::vector<float> input(std::size_t(counts.nonZeros()));
        nn::transform_values(counts, transform, input.data());
        const CsrView<float> input_view{counts.rows(), counts.cols(), counts.outerIndexPtr(), counts.innerIndexPtr(), input.data()};
        const eval::Pca pca = eval::fit_pca(input_view, pca_options);
        std::vector<float>().swap(input);
        latent.pca = eval::score_embedding(pca.scores, labels, so);
        latent.pca_components = pca.scores.cols();
        result.latent_scores = std::move(latent);
        log("PCA baseline fitted and scored");
    }
    if (!foreign.reference_labels.empty()) {
        const std::vector<std::string> truth = labelled ? labels : std::vector<std::string>(std::size_t(counts.rows()));
        AnnotateOptions annotate_options = options.annotate;
        annotate_options.max_reference_cells = options.scores.max_cells;
        annotate_options.seed = options.seed;
        result.annotation = detail::annotate_with_reference(foreign, result.latent, result.cell_deviance, annotate_options);
        result.label_transfer = score_annotation(*result.annotation, truth, options.label_map);
        log("labels transferred from " + std::to_string(result.label_transfer->reference_cells) + " reference cells");
    }
    return result;
}

/// Throws unless `labels` is empty or one per cell.
inline void require_labels(const std::vector<std::string>& labels, Index cells) {
    if (!labels.empty() && Index(labels.size()) != cells)
        throw Error("run_transfer: " + std::to_string(labels.size()) + " labels for " + std::to_string(cells) + " cells");
}

} // namespace detail

/// Applies `foreign` to `target` without retraining and measures it: gene alignment,
/// reconstruction, denoising of hidden counts, and (when `labels` has a non-empty entry)
/// classification and clustering in the latent space; next to a native model trained on
/// held-in target cells and PCA, on the same genes and input transform. Every step is linear
/// in cells: the all-pairs scores run on a stated subsample, and no step holds a dense
/// cells x genes matrix of all cells. (A template on the count type, float, only so that
/// including this header compiles none of it.)
/// @param foreign the model, applied unchanged
/// @param target counts (cells x genes) of the new tissue with gene ids and/or symbols, in any gene order
/// @param labels one label per target cell ("" for unlabelled), or empty: no latent scores
/// @param options alignment, native baseline, denoising test, calibration, scores and seed
/// @return everything measured and computed (report.json is its to_json())
/// @throws Error when `labels` is neither empty nor one per cell, or as data::align_genes() does
/// (e.g. fewer model genes found than `align.min_coverage`)
template <class T>
TransferResults run_transfer(const ModelFile& foreign, const io::CountMatrix<T>& target, const std::vector<std::string>& labels,
                             const TransferOptions& options = {}) {
    static_assert(std::is_same_v<T, float>, "run_transfer: models hold float weights");
    detail::require_labels(labels, target.cells());
    check_label_map(options.label_map, foreign.reference_labels, "TransferOptions::label_map");
    const detail::StepLog log(options.progress);
    data::Alignment alignment = data::align_genes(foreign.gene_ids, foreign.gene_symbols, target.gene_ids, target.gene_symbols, options.align);
    // Data already in the model's gene order are used as they are, not copied.
    if (data::is_identity(alignment) && target.counts.isCompressed())
        return detail::transfer_aligned(foreign, target.counts, std::move(alignment), labels, options, log);
    Csr<T> aligned = data::apply_alignment(target.counts, alignment);
    aligned.makeCompressed();
    return detail::transfer_aligned(foreign, aligned, std::move(alignment), labels, options, log);
}

/// run_transfer() on data it may consume, for data too large to hold twice: the counts are put
/// into the model's gene order in their own memory (data::align_in_place()) and then released.
/// @param foreign the model, applied unchanged
/// @param target counts (cells x genes) of the new tissue with gene ids and/or symbols, in any
/// gene order; its counts are left empty, its barcodes and gene names as they were
/// @param labels one label per target cell ("" for unlabelled), or empty: no latent scores
/// @param options alignment, native baseline, denoising test, calibration, scores and seed
/// @return everything measured and computed (report.json is its to_json())
/// @throws Error as the overload for data it keeps does
template <class T>
TransferResults run_transfer(const ModelFile& foreign, io::CountMatrix<T>&& target, const std::vector<std::string>& labels,
                             const TransferOptions& options = {}) {
    static_assert(std::is_same_v<T, float>, "run_transfer: models hold float weights");
    detail::require_labels(labels, target.cells());
    check_label_map(options.label_map, foreign.reference_labels, "TransferOptions::label_map");
    const detail::StepLog log(options.progress);
    data::Alignment alignment = data::align_genes(foreign.gene_ids, foreign.gene_symbols, target.gene_ids, target.gene_symbols, options.align);
    Csr<T> counts;
    counts.swap(target.counts); // Eigen 3.4's SparseMatrix has no move constructor: std::move would copy
    counts.makeCompressed();
    data::align_in_place(counts, alignment);
    return detail::transfer_aligned(foreign, counts, std::move(alignment), labels, options, log);
}

} // namespace scae::transfer
