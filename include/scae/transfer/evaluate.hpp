#pragma once
/// @file evaluate.hpp
/// @brief How well a latent space separates known cell labels: kNN classification by
/// cross-validation, k-means clustering against the labels, silhouette.

#include "scae/eval/classification.hpp"
#include "scae/eval/kmeans.hpp"
#include "scae/eval/knn.hpp"
#include "scae/eval/partition_agreement.hpp"
#include "scae/eval/silhouette.hpp"
#include "scae/eval/subsample.hpp"

#include <nlohmann/json.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace scae::transfer {

/// Settings of score_embedding.
struct EmbeddingScoreOptions {
    eval::KnnOptions knn{};        ///< k = 15, euclidean by default
    eval::Metric second_metric = eval::Metric::cosine; ///< kNN accuracy is also reported with this metric
    Index folds = 5;               ///< stratified cross-validation folds
    /// Cross-validated kNN and the silhouette compare every pair of cells, so with more
    /// labelled cells than this they run on a stratified subsample of this size (seeded by
    /// `seed`; eval::stratified_subsample). k-means is fitted on the same subsample and then
    /// assigns every labelled cell, so its scores cover all cells.
    Index max_cells = 20000;
    std::uint64_t seed = 0;        ///< folds, subsample and k-means starts
};

/// Label agreement of one latent space.
struct EmbeddingScores {
    Index cells = 0;            ///< labelled cells scored (k-means scores cover all of them)
    Index subsample_cells = 0;  ///< cells the kNN and silhouette scores ran on (= cells unless subsampled)
    Index classes = 0;          ///< distinct labels
    double knn_accuracy = 0;    ///< kNN (euclidean) cross-validated accuracy
    double knn_macro_f1 = 0;    ///< same, macro-F1
    double knn_cosine_accuracy = 0; ///< kNN with the cosine metric
    double knn_cosine_macro_f1 = 0; ///< same, macro-F1
    double kmeans_ari = 0;      ///< k-means (k = classes) adjusted Rand index against the labels
    double kmeans_nmi = 0;      ///< same, normalised mutual information
    double silhouette = 0;      ///< mean silhouette of the labels in the latent space
};

/// JSON form of the scores.
/// @param j receives a JSON object with one field per score
/// @param s the scores
template <class Json>
void to_json(Json& j, const EmbeddingScores& s) {
    j = {{"cells", s.cells},           {"subsample_cells", s.subsample_cells}, {"classes", s.classes},
         {"knn_accuracy", s.knn_accuracy}, {"knn_macro_f1", s.knn_macro_f1}, {"knn_cosine_accuracy", s.knn_cosine_accuracy},
         {"knn_cosine_macro_f1", s.knn_cosine_macro_f1}, {"kmeans_ari", s.kmeans_ari},
         {"kmeans_nmi", s.kmeans_nmi},     {"silhouette", s.silhouette}};
}

namespace detail {

/// Rows `rows` of `m` as doubles.
template <class Scalar>
Matrix<double> rows_as_double(const Matrix<Scalar>& m, const std::vector<Index>& rows) {
    Matrix<Double<Scalar>> out(Index(rows.size()), m.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(Index(i)) = m.row(rows[i]).template cast<double>();
    return out;
}

} // namespace detail

/// Scores `latent` (cells x dims) against `labels`; cells whose label is empty are left out.
/// Time and memory are linear in cells (see EmbeddingScoreOptions::max_cells).
/// Throws scae::Error when fewer than two labelled classes remain.
/// @param latent coordinates, cells x dims
/// @param labels one label per cell ("" for unlabelled)
/// @param options kNN, folds, subsample size and seed
/// @return the scores of the labelled cells
/// @throws Error when labels and cells differ in number, max_cells < 2, or fewer than two
/// labelled classes remain
template <class Scalar>
EmbeddingScores score_embedding(const Matrix<Scalar>& latent, const std::vector<std::string>& labels,
                                const EmbeddingScoreOptions& options = {}) {
    if (Index(labels.size()) != latent.rows()) throw Error("score_embedding: one label per cell expected");
    if (options.max_cells < 2) throw Error("score_embedding: max_cells must be at least 2");
    std::vector<Index> keep;
    std::vector<std::string> kept_labels;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (!labels[i].empty()) {
            keep.push_back(Index(i));
            kept_labels.push_back(labels[i]);
        }
    EmbeddingScores s;
    s.cells = Index(keep.size());
    s.classes = Index(std::set<std::string>(kept_labels.begin(), kept_labels.end()).size());
    if (s.classes < 2) throw Error("score_embedding: at least two labelled classes are needed");
    // The subsample, as positions within the labelled cells.
    const std::vector<Index> sample = eval::stratified_subsample(kept_labels, options.max_cells, options.seed);
    std::vector<Index> sample_rows;
    std::vector<std::string> sample_labels;
    for (Index i : sample) sample_rows.push_back(keep[std::size_t(i)]), sample_labels.push_back(kept_labels[std::size_t(i)]);
    const Matrix<Double<Scalar>> x = detail::rows_as_double(latent, sample_rows);
    s.subsample_cells = x.rows();
    const eval::CvOptions cv{std::min<Index>(options.folds, s.subsample_cells), options.seed};
    const auto euclidean = eval::knn_cross_validate(x, sample_labels, options.knn, cv);
    s.knn_accuracy = euclidean.report.accuracy;
    s.knn_macro_f1 = euclidean.report.macro_f1;
    eval::KnnOptions second = options.knn;
    second.metric = options.second_metric;
    const auto cosine = eval::knn_cross_validate(x, sample_labels, second, cv);
    s.knn_cosine_accuracy = cosine.report.accuracy;
    s.knn_cosine_macro_f1 = cosine.report.macro_f1;
    s.silhouette = eval::silhouette_score(x, sample_labels);
    eval::KMeansOptions km;
    km.seed = options.seed;
    auto clusters = eval::kmeans(x, s.classes, km);
    if (s.subsample_cells < s.cells) {
        // Every labelled cell joins its nearest centroid, block by block.
        std::vector<int> all(keep.size());
        const std::size_t block = 65536;
        std::vector<int> assigned;
        Vector<Double<Scalar>> sq_distance;
        for (std::size_t first = 0; first < keep.size(); first += block) {
            const std::vector<Index> rows(keep.begin() + std::ptrdiff_t(first), keep.begin() + std::ptrdiff_t(std::min(keep.size(), first + block)));
            assigned.assign(rows.size(), 0);
            sq_distance.resize(Index(rows.size()));
            eval::assign_to_nearest(detail::rows_as_double(latent, rows), clusters.centroids, assigned, sq_distance);
            std::copy(assigned.begin(), assigned.end(), all.begin() + std::ptrdiff_t(first));
        }
        clusters.labels = std::move(all);
    }
    s.kmeans_ari = eval::adjusted_rand_index(kept_labels, clusters.labels);
    s.kmeans_nmi = eval::normalized_mutual_information(kept_labels, clusters.labels);
    return s;
}

/// Settings of label_transfer.
struct LabelTransferOptions {
    eval::KnnOptions knn{}; ///< k = 15, euclidean by default
    /// Labelled reference cells the kNN votes with at most: a larger reference is replaced by
    /// a stratified subsample of this size (seeded by `seed`), which keeps the search over all
    /// target cells linear in target cells.
    Index max_reference_cells = 20000;
    std::uint64_t seed = 0; ///< the reference subsample
};

/// How well labels transferred from a reference match the target's own.
struct LabelTransferScores {
    Index reference_cells = 0;       ///< labelled reference cells that voted
    Index reference_cells_total = 0; ///< labelled reference cells in the model (more than voted when subsampled)
    Index target_cells = 0;          ///< target cells given a label (all of them)
    Index shared_label_cells = 0;    ///< target cells whose own label occurs in the reference: the ones scored
    double accuracy = std::numeric_limits<double>::quiet_NaN(); ///< on the shared-label cells (NaN: none)
    double macro_f1 = std::numeric_limits<double>::quiet_NaN(); ///< same, macro-F1
};

/// JSON form of the scores (accuracy and macro_f1 only when some cell was scored).
/// @param j receives a JSON object with the cell counts and the scores
/// @param s the scores
template <class Json>
void to_json(Json& j, const LabelTransferScores& s) {
    j = {{"reference_cells", s.reference_cells},
         {"reference_cells_total", s.reference_cells_total},
         {"shared_label_cells", s.shared_label_cells},
         {"target_cells", s.target_cells}};
    if (!std::isnan(s.accuracy)) j["accuracy"] = s.accuracy;
    if (!std::isnan(s.macro_f1)) j["macro_f1"] = s.macro_f1;
}

/// Predicts a label for every target cell from a labelled source latent space (kNN; source
/// cells with an empty label do not vote), then scores them on the target cells whose label
/// also occurs in the source. `predicted` receives one label per target cell. Target cells
/// are searched in blocks, so memory stays linear in cells.
/// @param source_latent reference coordinates, cells x dims
/// @param source_labels one label per reference cell ("": does not vote)
/// @param target_latent target coordinates, cells x the same dims
/// @param target_labels one label per target cell ("" or a label absent from the reference: not scored)
/// @param predicted cleared, then receives one predicted label per target cell
/// @param options kNN settings, reference subsample size and seed
/// @return how many cells voted and were scored, accuracy and macro-F1 (NaN when none was scored)
/// @throws Error when labels and cells differ in number, or max_reference_cells < 1
template <class Scalar>
LabelTransferScores label_transfer(const Matrix<Scalar>& source_latent, const std::vector<std::string>& source_labels,
                                   const Matrix<Scalar>& target_latent, const std::vector<std::string>& target_labels,
                                   std::vector<std::string>& predicted, const LabelTransferOptions& options = {}) {
    if (Index(source_labels.size()) != source_latent.rows()) throw Error("label_transfer: one label per reference cell expected");
    if (Index(target_labels.size()) != target_latent.rows()) throw Error("label_transfer: one label per target cell expected");
    if (options.max_reference_cells < 1) throw Error("label_transfer: max_reference_cells must be at least 1");
    std::vector<Index> rows;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < source_labels.size(); ++i)
        if (!source_labels[i].empty()) rows.push_back(Index(i)), labels.push_back(source_labels[i]);
    LabelTransferScores s;
    s.reference_cells_total = Index(rows.size());
    std::vector<Index> voters;
    std::vector<std::string> voter_labels;
    for (Index i : eval::stratified_subsample(labels, options.max_reference_cells, options.seed))
        voters.push_back(rows[std::size_t(i)]), voter_labels.push_back(labels[std::size_t(i)]);
    s.reference_cells = Index(voters.size());
    const Matrix<Scalar> train = source_latent(voters, Eigen::all);
    predicted.clear();
    predicted.reserve(target_labels.size());
    const Index block = 65536;
    for (Index first = 0; first < target_latent.rows(); first += block) {
        const Index count = std::min(block, target_latent.rows() - first);
        const Matrix<Scalar> query = target_latent.middleRows(first, count);
        const auto part = eval::knn_predict(train, voter_labels, query, options.knn);
        predicted.insert(predicted.end(), part.begin(), part.end());
    }
    const std::set<std::string> known(labels.begin(), labels.end());
    std::vector<std::string> truth, guess;
    for (std::size_t i = 0; i < target_labels.size(); ++i)
        if (known.count(target_labels[i])) truth.push_back(target_labels[i]), guess.push_back(predicted[i]);
    s.target_cells = Index(target_labels.size());
    s.shared_label_cells = Index(truth.size());
    if (!truth.empty()) {
        s.accuracy = eval::accuracy(truth, guess);
        s.macro_f1 = eval::macro_f1(truth, guess);
    }
    return s;
}

} // namespace scae::transfer
