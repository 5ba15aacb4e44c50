#pragma once
/// @file run_annotation.hpp
/// @brief Annotating a new tissue from a model's labelled reference, and nothing else: align the
/// genes, stand in for the missing ones, encode every cell, label it with a confidence
/// (annotate.hpp), and say which nodes rest on missing genes (node_support.hpp). Linear in
/// cells, for atlases; run_transfer() does the same and measures the model besides.

#include "scae/data/align.hpp"
#include "scae/io/count_matrix.hpp"
#include "scae/transfer/annotate.hpp"
#include "scae/transfer/annotation_scores.hpp"
#include "scae/transfer/missing_genes.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/node_support.hpp"

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace scae::transfer {

/// Settings of run_annotation().
struct AnnotationOptions {
    data::AlignOptions align{};                            ///< how the target's genes are matched to the model's
    MissingGenes missing_genes = MissingGenes::conditional; ///< how the model stands in for genes the target lacks
    NodeSupportOptions node_support{};                     ///< when a node is flagged as resting on missing genes
    AnnotateOptions annotate{};                            ///< k, error rate, reference subsample and its seed
    std::map<std::string, std::string> label_map;          ///< reference label -> target label, for scoring
    int threads = 1;                                       ///< threads (default 1; 0: OpenMP's default, every core)
};

/// What run_annotation() computed.
struct AnnotationResults {
    data::Alignment alignment;             ///< how the target's genes map onto the model's
    MissingGeneAdaptation missing_genes;   ///< how the model stood in for the genes the target lacks
    std::vector<NodeSupport> node_support; ///< each bottleneck node's support (empty for a model without a reference summary)
    Matrix<float> latent;                  ///< the adapted model's bottleneck of every target cell
    std::vector<double> cell_deviance;     ///< per cell: mean Poisson deviance of its reconstruction over the present genes
    Annotation annotation;                 ///< label, confidence, nearest label and vote share per cell
    std::optional<LabelTransferScores> scores; ///< against the target's own labels (when some were given)
};

namespace detail {

/// Bottleneck and per-cell reconstruction deviance (over the genes not `absent`) of `model` on
/// every cell, in blocks of 4,096 cells (a block's reconstruction is the largest thing held).
template <class T>
void encode_and_score(const nn::Autoencoder<T>& model, const Csr<T>& counts, Matrix<T>& latent, std::vector<double>& deviance,
                      const std::vector<bool>& absent) {
    const Index block = 4096;
    latent.resize(counts.rows(), model.latent_size());
    deviance.assign(std::size_t(counts.rows()), 0.0);
    for (Index first = 0; first < counts.rows(); first += block) {
        Csr<T> part = counts.middleRows(first, std::min(block, counts.rows() - first));
        part.makeCompressed();
        latent.middleRows(first, part.rows()) = model.encode(part);
        mean_cell_deviance(part, model.reconstruct(part), absent, deviance.data() + first);
    }
}

/// The flags of the model genes the alignment did not find.
inline std::vector<bool> absent_genes(const data::Alignment& alignment) {
    return missing_mask(alignment.n_model_genes, alignment.missing_model_columns);
}

/// annotate() with the model's reference, its fit test when the model holds the reference cells'
/// deviances (format 1.2).
/// (A template on the latent's scalar, float, only so that including this header compiles none of it.)
template <class Scalar>
Annotation annotate_with_reference(const ModelFile& foreign, const Matrix<Scalar>& latent, const std::vector<double>& deviance,
                                   const AnnotateOptions& options) {
    const bool fit = foreign.reference_fit.size() == Index(foreign.reference_labels.size());
    const std::vector<double> reference_fit(foreign.reference_fit.data(), foreign.reference_fit.data() + (fit ? foreign.reference_fit.size() : 0));
    return annotate(foreign.reference_latent, foreign.reference_labels, latent, options, reference_fit, fit ? deviance : std::vector<double>());
}

} // namespace detail

/// The first half of run_annotation(), which needs no other cell: aligns `target`'s genes to the
/// model's, adapts the model to the genes it lacks, and encodes and scores every cell (latent,
/// cell_deviance; `annotation` and `scores` are left empty). Under mpirun each rank calls it on its
/// block of the cells (`scae annotate --shard`), and finish_annotation() runs on all the blocks'
/// latents and deviances stacked in cell order. The counts are consumed.
/// @param foreign  the model, trained with labels (scae train --labels)
/// @param target  counts (cells x genes) with gene ids and/or symbols; its counts are left empty
/// @param options  alignment, missing genes and threads
/// @return the alignment, node support, latent and deviances of `target`'s cells
/// @throws Error when the model has no labelled reference, the label map names a label it does
/// not have, or as data::align_genes() does
template <class T>
AnnotationResults encode_for_annotation(const ModelFile& foreign, io::CountMatrix<T>&& target, const AnnotationOptions& options = {}) {
    static_assert(std::is_same_v<T, float>, "run_annotation: models hold float weights");
    if (foreign.reference_labels.empty())
        throw Error("run_annotation: the model has no labelled reference cells; train it with labels (scae train --labels)");
    check_label_map(options.label_map, foreign.reference_labels, "AnnotationOptions::label_map");
    const ThreadScope thread_scope(options.threads, ThreadScope::EigenThreads::same);
    AnnotationResults r;
    r.alignment = data::align_genes(foreign.gene_ids, foreign.gene_symbols, target.gene_ids, target.gene_symbols, options.align);
    Csr<T> counts;
    counts.swap(target.counts); // Eigen 3.4's SparseMatrix has no move constructor: std::move would copy
    counts.makeCompressed();
    data::align_in_place(counts, r.alignment);
    const std::vector<Index>& missing = r.alignment.missing_model_columns;
    const nn::Autoencoder<float> model = adapt_to_present_genes(foreign.model, foreign.reference_input, missing, options.missing_genes, &r.missing_genes);
    r.node_support = node_support(foreign.model, foreign.reference_input, missing, r.missing_genes.method, options.node_support);
    detail::encode_and_score(model, counts, r.latent, r.cell_deviance, detail::absent_genes(r.alignment));
    return r;
}

/// The second half of run_annotation(): labels every cell of `r` (its latent and deviances, of
/// all the target's cells) from the model's labelled reference, and scores the labels against
/// `labels` when some are given.
/// @param foreign  the model encode_for_annotation() was given
/// @param r  encode_for_annotation()'s result, with every cell's latent and deviance; receives
/// `annotation` and `scores`
/// @param labels  the target's own labels, one per cell ("": none), or empty: nothing scored
/// @param options  annotation settings, label map and threads
/// @throws Error when `labels` is neither empty nor one per cell
/// A template over the results' type (AnnotationResults), so that including this header does not
/// compile the annotation: a file that never calls it pays nothing (.ci/compile_cost).
template <class Results>
void finish_annotation(const ModelFile& foreign, Results& r, const std::vector<std::string>& labels,
                       const AnnotationOptions& options = {}) {
    static_assert(std::is_same_v<Results, AnnotationResults>, "finish_annotation: takes encode_for_annotation()'s results");
    if (!labels.empty() && Index(labels.size()) != r.latent.rows())
        throw Error("run_annotation: " + std::to_string(labels.size()) + " labels for " + std::to_string(r.latent.rows()) + " cells");
    const ThreadScope thread_scope(options.threads, ThreadScope::EigenThreads::same);
    r.annotation = detail::annotate_with_reference(foreign, r.latent, r.cell_deviance, options.annotate);
    if (std::any_of(labels.begin(), labels.end(), [](const std::string& l) { return !l.empty(); }))
        r.scores = score_annotation(r.annotation, labels, options.label_map);
}

/// Labels every cell of `target` from the labelled reference kept in `foreign` (see the file
/// comment): encode_for_annotation(), then finish_annotation(). The counts are consumed: put into
/// the model's gene order in their own memory.
/// @param foreign  the model, trained with labels (scae train --labels)
/// @param target  counts (cells x genes) of the new tissue with gene ids and/or symbols; its counts are left empty
/// @param labels  the target's own labels, one per cell ("": none), or empty: nothing scored
/// @param options  alignment, missing genes, annotation, label map, threads
/// @return the alignment, node support, latent, labels with confidences, and scores
/// @throws Error when the model has no labelled reference, the label map names a label it does not
/// have, `labels` is neither empty nor one per cell, or as data::align_genes() does
template <class T>
AnnotationResults run_annotation(const ModelFile& foreign, io::CountMatrix<T>&& target, const std::vector<std::string>& labels,
                                 const AnnotationOptions& options = {}) {
    static_assert(std::is_same_v<T, float>, "run_annotation: models hold float weights");
    if (!labels.empty() && Index(labels.size()) != target.cells())
        throw Error("run_annotation: " + std::to_string(labels.size()) + " labels for " + std::to_string(target.cells()) + " cells");
    AnnotationResults r = encode_for_annotation(foreign, std::move(target), options);
    finish_annotation(foreign, r, labels, options);
    return r;
}

/// The report.json part that run_annotation() and run_transfer() share: how missing genes were
/// stood in for, and each node's support.
/// @param j  receives "missing_genes" and (when known) "node_support"
/// @param adaptation  what adapt_to_present_genes() did
/// @param support  node_support()'s result
template <class Json>
void missing_gene_json(Json& j, const MissingGeneAdaptation& adaptation, const std::vector<NodeSupport>& support) {
    Json& missing = j["missing_genes"];
    missing = {{"method", to_string(adaptation.method)}, {"missing", adaptation.missing}, {"present_count_share", adaptation.present_count_share}};
    if (!adaptation.note.empty()) missing["note"] = adaptation.note;
    if (support.empty()) return;
    Json nodes = Json::array();
    Index untrusted = 0;
    for (std::size_t k = 0; k < support.size(); ++k) {
        const NodeSupport& n = support[k];
        nodes.push_back({{"node", k}, {"missing_share", n.missing_share}, {"unexplained_share", n.unexplained_share},
                         {"support", n.support}, {"trusted", n.trusted}});
        untrusted += !n.trusted;
    }
    j["node_support"] = {{"untrusted_nodes", untrusted}, {"nodes", nodes}};
}

/// Adds how an annotation was made to its label_transfer JSON: the fit test, the latent alignment
/// (method, mutual pairs) and the factor the target's deviances were scaled by.
/// @param j  the label_transfer object
/// @param a  the annotation
template <class Json>
void annotation_details(Json& j, const Annotation& a) {
    j["fit_tested"] = a.fit_tested;
    j["latent_alignment"] = {{"method", to_string(a.alignment.method)}, {"pairs", a.alignment.pairs}};
    j["fit_scale"] = a.fit_scale;
}

/// report.json of an annotation: alignment, missing genes, node support, and the label transfer
/// (predicted counts, error rate, scores when the target had labels).
/// @param j  receives the object
/// @param r  the results
template <class Json>
void to_json(Json& j, const AnnotationResults& r) {
    j = Json::object();
    j["alignment"] = r.alignment;
    j["cells"] = Index(r.annotation.labels.size());
    missing_gene_json(j, r.missing_genes, r.node_support);
    LabelTransferScores s = r.scores ? *r.scores : score_annotation(r.annotation, std::vector<std::string>(r.annotation.labels.size()));
    j["label_transfer"] = s;
    annotation_details(j["label_transfer"], r.annotation);
}

} // namespace scae::transfer
